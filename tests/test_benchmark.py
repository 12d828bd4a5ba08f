"""`make lesson`'s notebook runner (tools/run/benchmark.py): quiet output, useful failure lines."""

import os
import re
import subprocess
import sys

import nbformat

from tools.layout import ROOT



def write_notebook(path, *sources):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_a_failed_notebook_is_summarised_by_what_failed_and_the_log(tmp_path):
    """Two notebooks that import TensorFlow; one needs a file that cannot be downloaded.

    The terminal shows no TensorFlow C++ or kernel lines, and the failed
    notebook's line says which file is missing (not the cache-folder hint at
    the end of the message) and where the full message is.
    """
    good = write_notebook(tmp_path / "good.ipynb", "import dlhelpers as dlh\nimport keras\n"
                          "import tensorflow as tf\nprint('answer: 42')",
                          "import time\ntime.sleep(2.5)", "x = 1")
    bad = write_notebook(tmp_path / "bad.ipynb", "import dlhelpers as dlh\nimport keras\n"
                         "images = dlh.load_images()")
    env = {"DLHELPERS_DATA": str(tmp_path / "empty-cache"),
           "DLHELPERS_MIRROR": "http://127.0.0.1:9", "TF_CPP_MIN_LOG_LEVEL": "0"}
    out = tmp_path / "build"
    run = subprocess.run([sys.executable, "-m", "tools.run.benchmark", "--out", str(out),
                          str(good), str(bad)], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, **env}, timeout=600)
    assert run.returncode == 1
    terminal = run.stdout + run.stderr
    # Not a page, so it runs on Keras's default, TensorFlow, shown in bold; the
    # other backend's columns say it was not run. No page marks its results.
    row = re.search(r"^\| good.ipynb \| – \| \*\*([\d.]+)\*\* \| not run \|  \| ([\d.]+) \| (.*) \|$",
                    terminal, re.M)
    assert row, terminal
    # Kernel start and stop: the wall time less the cells' span, which holds the 2.5 s sleep.
    wall, kernel = float(row[1]), float(row[2])
    assert 0 < kernel <= wall - 2.5, (wall, kernel)
    slowest = row[3].split("; ")
    assert len(slowest) == 3 and any(cell.startswith("#2 `time.sleep(2.5)` 2.") for cell in slowest)
    seconds = [float(cell.rsplit(" ", 1)[1]) for cell in slowest]
    assert seconds == sorted(seconds, reverse=True)
    line = next(row for row in terminal.splitlines() if row.startswith("| bad.ipynb"))
    assert "FAILED (DataMissingError: dollar_street_10/train_images.npy is not cached and could not be downloaded" in line
    assert f"(full message: {out / 'logs' / 'bad.log'})" in line
    for noise in ("cuda", "absl", "I0000", "E0000", "Debugger warning", "frozen modules"):
        assert noise not in terminal, noise
    log = (out / "logs" / "bad.log").read_text()
    assert "Download http://127.0.0.1:9/dollar_street_10/train_images.npy" in log


def test_a_cell_is_labelled_by_its_costly_line():
    from tools.run.execute import costly_line

    search = ("import keras_tuner\nimport pandas as pd\n\n\ndef build(hp):\n    return model.fit(x)\n\n\n"
              "dlh.set_seed(42)\ntuner = keras_tuner.GridSearch(build)\ntuner.search(x, y,\n    epochs=3)")
    assert costly_line(search) == "tuner.search(x, y,"
    assert costly_line("def score(m):\n    return m.fit(x)\n\n\nfor r in rates:\n    score(r)") == "for r in rates:"
    assert costly_line("import time\ntime.sleep(2.5)") == "time.sleep(2.5)"
    assert costly_line("x = 1") == "x = 1"
