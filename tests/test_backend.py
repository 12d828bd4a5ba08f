"""The lesson's Keras backend: chosen in one place, seeded the same in every process,
and the other backend still runs the lesson (src/dlhelpers/backend.py)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dlhelpers
from dlhelpers import backend

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, **env) -> str:
    """Run ``code`` in a fresh Python process; return its last line of output."""
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environment.update({k: v for k, v in env.items() if v is not None})
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=environment, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_importing_dlhelpers_first_makes_keras_run_on_the_lessons_backend():
    assert backend.LESSON_BACKEND == "jax"
    assert python("import dlhelpers, keras; print(keras.backend.backend())") == "jax"


def test_a_backend_the_learner_set_wins():
    code = "import dlhelpers, keras; print(keras.backend.backend())"
    assert python(code, KERAS_BACKEND="tensorflow") == "tensorflow"


def test_keras_imported_before_dlhelpers_keeps_its_own_choice():
    code = "import keras, dlhelpers; print(keras.backend.backend())"
    assert python(code) == "tensorflow"


def test_without_jax_the_choice_is_left_to_keras(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jax" else real_find_spec(name, *a))
    assert backend.choose_backend() is None
    assert "KERAS_BACKEND" not in os.environ
    monkeypatch.setattr(importlib.util, "find_spec", real_find_spec)
    assert backend.choose_backend() == "jax"
    assert os.environ["KERAS_BACKEND"] == "jax"


def test_check_names_the_backend_and_warns_when_it_is_not_the_lessons():
    code = ("import dlhelpers.checks as c\n"
            "problems, warnings = c.run_checks(show_data=False)\n"
            "import json; print(json.dumps(warnings))")
    on_tensorflow = json.loads(python(code, KERAS_BACKEND="tensorflow"))
    assert any("not the lesson's jax, because KERAS_BACKEND=tensorflow is set" in w for w in on_tensorflow)
    on_jax = json.loads(python(code))
    assert not any("lesson's jax" in w for w in on_jax)


def test_set_seed_on_jax_does_not_import_tensorflow():
    code = ("import sys, dlhelpers as dlh, keras\n"
            "dlh.set_seed(1)\n"
            "print(keras.backend.backend(), 'tensorflow' in sys.modules)")
    assert python(code) == "jax False"


# Train a small network with shuffled batches, dropout and a validation split,
# then print a digest of every weight: bit for bit what the process learned.
TRAIN = """
import hashlib, sys
import numpy as np
import dlhelpers as dlh
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
        result = subprocess.run([sys.executable, "-c", TRAIN, str(seed)], capture_output=True,
                                text=True, timeout=300,
                                env={**os.environ, "KERAS_BACKEND": keras_backend})
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.split()

    first, second, other_seed = train(42), train(42), train(7)
    assert first[0] == keras_backend
    assert first == second
    assert other_seed != first  # the digest does depend on the seed


# The notebooks run on their lesson backend in the nbval run; one dense and one
# convolutional notebook also run on the other backend, with the same checks.
OTHER_BACKEND = {"02-keras.ipynb": "tensorflow", "bonus-2-digits-cnn.ipynb": "jax"}


@pytest.mark.parametrize("notebook", sorted(OTHER_BACKEND))
def test_a_notebook_passes_its_checks_on_the_other_backend(notebook, tmp_path):
    import benchmark  # tools/benchmark.py

    lesson_backend = benchmark.page_backend(ROOT / "notebooks" / notebook)
    other = OTHER_BACKEND[notebook]
    assert other != lesson_backend
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "sanitize.cfg"),
         "-o", "addopts=", str(ROOT / "notebooks" / notebook)],
        capture_output=True, text=True, cwd=tmp_path, timeout=900,
        env={**os.environ, "KERAS_BACKEND": other})
    assert result.returncode == 0, result.stdout[-5000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_lesson_backend_is_named_in_one_place():
    """Episode 1's callout, requirements.txt and the helper agree with backend.py."""
    page = (ROOT / "episodes" / "01-introduction.md").read_text()
    assert f"`KERAS_BACKEND` to `{dlhelpers.LESSON_BACKEND}`" in page
    requirements = (ROOT / "requirements.txt").read_text()
    assert f"\n{dlhelpers.LESSON_BACKEND}==" in requirements
