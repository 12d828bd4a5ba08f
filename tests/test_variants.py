"""Episode 4's classic variant: the same code on CIFAR-10's 32x32 images.

The page says that loading ``dlh.load_images("cifar10")`` instead is the only
change needed. This test makes exactly that change in the generated exercise
notebook and runs it top to bottom. That one run proves two things: the
variant works, and the exercise version runs without its solutions (so the
nbval run skips episode 4's exercise notebook, conftest.py; its code is the
complete notebook's minus the solutions). It runs always on the stand-in
(tools/run/standin.py): the kernel's ``keras.datasets.cifar10.load_data`` returns a
generated 32x32 set in its format, so that no test machine downloads 170 MB for it.
"""

import nbformat

from tools.builders import build_notebooks
from tools.pages import lesson
from tools.run import execute, standin

#: What the page offering the variant says to load instead (episode 4 does).
VARIANT = 'dlh.load_images("cifar10")'
DEFAULT_LOAD, CIFAR_LOAD = "images = dlh.load_images()", f"images = {VARIANT}"


def text_outputs(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_episode_4_runs_unchanged_on_cifar10_images(tmp_path):
    page = lesson.page_with(VARIANT)
    notebook = build_notebooks.build(page, exercises=True)
    assert not any("solution" in c.metadata.get("tags", []) for c in notebook.cells)
    loading = [c for c in notebook.cells if c.cell_type == "code" and DEFAULT_LOAD in c.source]
    assert len(loading) == 1, "episode 4 should load its images in exactly one cell"
    loading[0].source = loading[0].source.replace(DEFAULT_LOAD, CIFAR_LOAD)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # the page's outputs are for 64 x 64 photos

    source = tmp_path / "04-cifar10-exercises.ipynb"
    nbformat.write(notebook, source)
    row = execute.run(source, tmp_path / "build", env=standin.prepare(tmp_path / "standin"))
    assert row["error"] is None, row["error"]
    notebook = nbformat.read(tmp_path / "build" / "notebooks" / source.name, as_version=4)
    loading = [c for c in notebook.cells if c.cell_type == "code" and CIFAR_LOAD in c.source]

    outputs = {cell.source: text_outputs(cell) for cell in notebook.cells
               if cell.cell_type == "code"}
    assert "CIFAR-10: 240 training" in text_outputs(loading[0])  # the stand-in's size
    shape = next(text for source, text in outputs.items() if "input_shape = train_images.shape[1:]" in source)
    assert shape.strip() == "(32, 32, 3)"
    # The parameter counts follow the smaller images: 28 x 28 x 50 values reach
    # the dense layer of the simple CNN, not 60 x 60 x 50 as with 64 x 64 photos.
    simple = next(text for source, text in outputs.items() if "create_simple_cnn()\nfor" in source)
    assert "(None, 28, 28, 50)" in simple and "392,010" in simple
    # The saved model predicts like the original, as on the page.
    assert list(outputs.values())[-1].strip() == "True"


def test_the_stand_in_replaces_the_pinned_keras_loaders():
    """The stand-in hooks into the modules that hold Keras's loaders (standin._LOADERS): a Keras
    that moves them must fail here, by name, not in a notebook that then tries to download."""
    import os
    import subprocess
    import sys

    code = ("from tools.run.standin import replace_keras_loaders\nreplace_keras_loaders()\n"
            "from keras.datasets import cifar10, mnist\n"
            "print(mnist.load_data.__module__, cifar10.load_data.__module__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=lesson.ROOT, capture_output=True, text=True,
                          env={**os.environ, "KERAS_BACKEND": "jax"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["tools.run.standin", "tools.run.standin"], (
        f"Keras's loaders are not where tools/run/standin.py hooks in ({', '.join(standin._LOADERS)}): "
        f"{done.stdout}")
