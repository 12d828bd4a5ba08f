"""The lesson's Keras backend: chosen in one place, seeded the same in every process,
and the other backend still runs the lesson (src/dlhelpers/backend.py)."""

import json
import os
import subprocess
import sys

import pytest

import nbformat

import dlhelpers
from dlhelpers import backend

from tools import layout
from tests import prose
from tools.pages import lesson



def python_run(code: str, *args: str, **env) -> subprocess.CompletedProcess:
    """Run ``code`` with ``args`` in a fresh Python process with ``env`` added (and no KERAS_BACKEND of ours)."""
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environment.update({k: v for k, v in env.items() if v is not None})
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                            env=environment, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def python(code: str, **env) -> str:
    """Run ``code`` in a fresh Python process; return its last line of output."""
    return python_run(code, **env).stdout.strip().splitlines()[-1]


def test_importing_dlhelpers_changes_no_environment_and_imports_no_framework():
    code = ("import json, os, sys\n"
            "before = dict(os.environ)\n"
            "import dlhelpers\n"
            "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))\n"
            "frameworks = sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules)\n"
            "print(json.dumps([changed, frameworks]))")
    assert json.loads(python(code)) == [[], []]


def test_use_backend_sets_the_pages_backend_before_keras_is_imported():
    code = ("import os, dlhelpers as dlh\n"
            "dlh.use_backend('jax')\n"
            "import keras\n"
            "print(os.environ['KERAS_BACKEND'], keras.backend.backend())")
    out = python_run(code)
    assert out.stdout.strip().splitlines()[-1] == "jax jax"
    assert "Note:" not in out.stdout  # nothing to say when the page's backend is used


@pytest.mark.parametrize("setup, why", [
    ("import dlhelpers as dlh\n", "KERAS_BACKEND=tensorflow is set in your environment"),
    ("import keras, dlhelpers as dlh\n", "Keras was imported before this line"),
])
def test_another_backend_wins_and_is_named_once(setup, why):
    """The learner's KERAS_BACKEND, or a Keras imported first (it defaults to TensorFlow)."""
    env = {"KERAS_BACKEND": "tensorflow"} if "environment" in why else {}
    code = setup + ("print('returned', dlh.use_backend('jax'))\n"
                    "import keras\n"
                    "print('running', keras.backend.backend())")
    out = python_run(code, **env).stdout.splitlines()
    notes = [line for line in out if line.startswith("Note:")]
    assert notes == [f"Note: Keras runs on TensorFlow, not on this page's JAX, because {why}. "
                     "The code works the same; trained models will print slightly different "
                     "numbers from the page's."]
    assert out[-2:] == ["returned tensorflow", "running tensorflow"]


def test_use_backend_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown Keras backend 'jaxx'"):
        dlhelpers.use_backend("jaxx")


def test_check_names_the_backend_and_warns_when_it_is_not_the_pages():
    code = ("import dlhelpers.checks as c, dlhelpers as dlh\n"
            "dlh.use_backend('jax')\n"
            "problems, warnings = c.run_checks(show_data=False)\n"
            "import json; print(json.dumps(warnings))")
    on_tensorflow = json.loads(python(code, KERAS_BACKEND="tensorflow"))
    assert any("Keras runs on tensorflow, not the jax that use_backend asked for" in w
               for w in on_tensorflow)
    on_jax = json.loads(python(code))
    assert not any("use_backend asked for" in w for w in on_jax)


# Train a small network with shuffled batches, dropout and a validation split,
# then print a digest of every weight: bit for bit what the process learned.
TRAIN = """
import hashlib, sys
import numpy as np
import dlhelpers as dlh

dlh.use_backend(sys.argv[2])
import keras

dlh.set_seed(int(sys.argv[1]))
data = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
target = (data @ np.arange(8, dtype="float32"))[:, None]
model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.3), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(data, target, batch_size=32, epochs=3, validation_split=0.2, verbose=0)
digest = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()
print(keras.backend.backend(), digest)
"""


@pytest.mark.parametrize("keras_backend", ["jax", "tensorflow"])
def test_the_same_seed_trains_the_same_weights_in_two_fresh_processes(keras_backend):
    def train(seed):
        return python_run(TRAIN, str(seed), keras_backend).stdout.split()

    first, second, other_seed = train(42), train(42), train(7)
    assert first[0] == keras_backend
    assert first == second
    assert other_seed != first  # the digest does depend on the seed


# The notebooks run on their page's backend in the nbval run; one dense and one
# convolutional notebook (episode 2's penguins, bonus 2's MNIST digits) also run
# on the other backend, with the same checks, and their first cell says so.
OTHER_BACKEND = {lesson.page_with(prose.PENGUINS).name: "tensorflow",
                 lesson.page_with(prose.DIGITS).name: "jax"}


@pytest.mark.parametrize("name", sorted(OTHER_BACKEND))
def test_a_notebook_passes_its_checks_on_the_other_backend(name, tmp_path):
    from tools.run import benchmark, execute, outputs

    page_backend = benchmark.page_backend(layout.notebook(name))
    other = OTHER_BACKEND[name]
    assert other != page_backend
    row = execute.run(layout.notebook(name), tmp_path, backend=other)
    assert row["error"] is None, row["error"]
    page = lesson.parse(layout.page(layout.notebook(name)))
    executed = nbformat.read(layout.executed(page.name, tmp_path), as_version=4)
    # The same checks as on the page's backend, seeded results apart: the other
    # backend trains to other numbers from the same seed.
    assert outputs.seeded_judgement(page, executed)[0] is None
    assert outputs.differences(page, executed, seeded=None) == []
    assert outputs.bound_failures(page, executed, standin=outputs.standin_in_use(), seeded=False) == []
    first = lesson.cells_by_id(executed)[page.code()[0][0].id]
    assert "use_backend" in first.source
    printed = "".join(o.get("text", "") for o in first.outputs)
    shown = {"jax": "JAX", "tensorflow": "TensorFlow"}
    assert printed.startswith(f"Note: Keras runs on {shown[other]}, not on this page's "
                              f"{shown[page_backend]}, because KERAS_BACKEND={other} is set"), printed
    assert printed.count("Note:") == 1
    seeded = [code for code, _ in page.code() if code.output_seeded]
    assert not seeded or outputs.seeded_differences(page, executed), \
        "no seeded output changed: is the mark still needed?"


def test_every_page_sets_its_backend_in_its_first_code_block():
    """One visible line, before anything imports Keras; the conv pages on TensorFlow."""
    for page in lesson.episodes():
        first = page.code()[0][0]
        assert page.backend in backend.NAMES, f"{page.name}: first block must call dlh.use_backend"
        assert "import keras" not in first.source
        assert first.output is None, f"{page.name}: the backend block's output is not checked"
        convolutional = any("Conv2D" in code.source or "keras.applications" in code.source
                            for code, _ in page.code())
        assert page.backend == ("tensorflow" if convolutional else "jax"), page.name
