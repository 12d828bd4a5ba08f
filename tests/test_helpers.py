"""Plots, seeding, reporting and the installation check."""


import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import dlhelpers as dlh
from dlhelpers import checks, cli, models
from tools import project


@pytest.fixture(autouse=True)
def close_figures():
    yield
    matplotlib.pyplot.close("all")


def test_plot_history_draws_validation_curves():
    history = {"loss": [3, 2, 1], "val_loss": [3, 2.5, 2], "accuracy": [0.1, 0.5, 0.9]}
    fig = dlh.plot_history(history, ["loss", "accuracy"])
    assert isinstance(fig, Figure)
    loss, accuracy = fig.axes
    assert len(loss.lines) == 2 and len(accuracy.lines) == 1
    np.testing.assert_array_equal(loss.lines[1].get_ydata(), [3, 2.5, 2])


def test_plot_history_can_leave_out_validation_curves():
    history = {"rmse": [3, 2, 1], "val_rmse": [3, 2.5, 2.6]}
    fig = dlh.plot_history(history, "rmse", validation=False)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["training rmse"]


def test_plot_history_names_missing_metric():
    with pytest.raises(KeyError, match="rmse"):
        dlh.plot_history({"loss": [1.0]}, "rmse")


def test_plot_predictions_and_images_and_confusion_matrix():
    fig = dlh.plot_predictions([1, 2, 3], [1.5, 2, 2.5], title="test")
    assert fig.axes[0].get_title() == "test"
    images = np.zeros((7, 8, 8, 3), dtype=np.int32)
    fig = dlh.plot_images(images, np.arange(7), [str(i) for i in range(10)], n=7)
    assert [ax.get_title() for ax in fig.axes[:7]] == [str(i) for i in range(7)]
    fig = dlh.plot_confusion_matrix(["a", "b", "b"], ["a", "a", "b"], ["a", "b"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["1", "0", "1", "1"]


def test_plot_functions_one_axis_per_function():
    fig = dlh.plot_functions({"relu": lambda x: np.maximum(0, x), "id": lambda x: x})
    assert [ax.get_title() for ax in fig.axes[:2]] == ["relu", "id"]


def train_once():
    import keras

    dlh.set_seed(7)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.rand(32, 3)
    y = x.sum(axis=1)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    return model.get_weights()[0], history.history["loss"]


def test_set_seed_gives_equal_numbers_on_two_runs():
    (w1, loss1), (w2, loss2) = train_once(), train_once()
    np.testing.assert_array_equal(w1, w2)
    assert loss1 == loss2


def test_check_passes_in_the_test_environment(capsys):
    assert dlh.check_setup()
    out = capsys.readouterr().out
    assert "keras" in out and "GPU" in out and "Data cache" in out


@pytest.mark.parametrize("package, version, said", [
    ("keras", "2.15.0", "keras 2.15.0 is installed but the lesson needs keras 3.x"),
    ("pooch", None, "pooch is not installed")])
def test_check_fails_on_a_wrong_or_missing_package(monkeypatch, capsys, package, version, said):
    real = checks._installed
    monkeypatch.setattr(checks, "_installed", lambda n: version if n == package else real(n))
    assert cli.main(["check"]) == 1
    assert said in capsys.readouterr().out


#: The supported Pythons as pyproject.toml's classifiers list them, e.g. (3, 11) to (3, 13).
PYTHONS = [tuple(int(n) for n in version.split(".")) for version in project.pythons()]


def test_the_check_reads_the_supported_pythons_from_the_installed_metadata():
    assert checks.supported_pythons() == tuple(project.pythons()) and len(PYTHONS) >= 2


@pytest.mark.parametrize("version", PYTHONS, ids=str)
def test_check_accepts_the_supported_pythons(version, monkeypatch, capsys):
    monkeypatch.setattr(checks, "_python_version", lambda: version)
    assert checks.python_problem() is None
    assert dlh.check_setup(data=False)
    assert f"Python          3.{version[1]}\n" in capsys.readouterr().out


@pytest.mark.parametrize("version", [(3, PYTHONS[0][1] - 1), (3, PYTHONS[-1][1] + 1)], ids=str)
def test_check_rejects_other_pythons_and_says_how_to_get_one(version, monkeypatch, capsys):
    monkeypatch.setattr(checks, "_python_version", lambda: version)
    assert not dlh.check_setup(data=False)
    out = capsys.readouterr().out
    assert f"PROBLEM: Python {version[0]}.{version[1]} is not supported" in out
    listed, newest = ", ".join(project.pythons()), project.pythons()[-1]
    assert f"wheels for Python {listed} only" in out
    assert f"Install Python {newest} (python.org; on Windows `py install {newest}`" in out
    assert "or use Colab" in out


def test_check_names_machines_without_tensorflow():
    assert "Intel Macs" in checks.platform_problem("Darwin", "x86_64")
    assert "Windows on ARM" in checks.platform_problem("Windows", "ARM64")
    assert checks.platform_problem("Darwin", "arm64") is None
    assert checks.platform_problem("Windows", "AMD64") is None
    assert checks.platform_problem("Linux", "x86_64") is None


#: Colab's runtime as published by googlecolab/backend-info (2026-08; tools/maintain/colab-versions.txt).
COLAB = {"tensorflow": "2.20.0", "keras": "3.13.2", "jax": "0.7.2", "numpy": "2.1.3",
         "pandas": "2.2.3", "scikit-learn": "1.6.1", "matplotlib": "3.10.0", "pooch": "1.9.0"}


def _as_on_colab(monkeypatch, missing=()):
    real = checks._installed
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    monkeypatch.setattr(checks, "_python_version", lambda: (3, 13))
    monkeypatch.setattr(checks, "_installed",
                        lambda n: None if n in missing else COLAB.get(n) or real(n))


def test_check_on_colab_reports_no_false_problem(monkeypatch, capsys):
    _as_on_colab(monkeypatch)
    assert dlh.check_setup(data=False)
    out = capsys.readouterr().out
    assert "Python          3.13 (Google Colab)" in out
    assert "keras           3.13.2" in out  # Colab's own, shown...
    assert "differs from the tested" not in out and "PROBLEM" not in out  # ...not flagged


def test_check_on_colab_points_to_the_install_cell(monkeypatch, capsys):
    _as_on_colab(monkeypatch, missing=("keras-tuner",))
    assert not dlh.check_setup(data=False)
    out = capsys.readouterr().out
    assert "PROBLEM: keras-tuner is not installed: run the notebook's first code cell" in out
    assert "requirements.txt" not in out


def test_check_off_colab_flags_other_versions(monkeypatch, capsys):
    real = checks._installed
    monkeypatch.setattr(checks, "_installed", lambda n: COLAB.get(n) or real(n))
    assert dlh.check_setup(data=False)  # a warning, not a problem
    pin = checks.pinned_versions()["keras"]
    assert f"Note: keras 3.13.2 differs from the tested {pin}" in capsys.readouterr().out


def test_pins_are_read_from_requirements():
    pins = checks.pinned_versions()
    assert pins["keras"].startswith("3.") and "tensorflow" in pins


def test_download_command_reports_failure(cache, monkeypatch, capsys):
    from dataclasses import replace

    monkeypatch.setitem(dlh.REGISTRY, "weather",
                        replace(dlh.REGISTRY["weather"], url="http://127.0.0.1:9/w.csv"))
    assert cli.main(["download", "weather"]) == 1
    err = capsys.readouterr().err
    assert "missing    weather: not downloaded: http://127.0.0.1:9/w.csv -> " in err
    assert "Cause: the servers could not be reached" in err


def test_download_command_rejects_unknown_names(capsys):
    with pytest.raises(SystemExit):
        cli.main(["download", "nope"])
    assert "unknown file(s) nope" in capsys.readouterr().err


def test_plot_model_without_graphviz_explains(monkeypatch, capsys):
    import keras

    monkeypatch.setattr(models.shutil, "which", lambda name: None)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert dlh.plot_model(model) is None
    assert "`dot` is not on the PATH" in capsys.readouterr().out


@pytest.mark.parametrize("jax_device, tf_gpus, said", [
    ("gpu", 0, "GPU             found; Keras (on JAX) uses it automatically"),
    ("cpu", 1, "GPU             1 found by TensorFlow, but JAX has no GPU support installed"),
    ("cpu", 0, "GPU             none found; the lesson runs on the CPU"),
])
def test_check_reports_the_gpu_the_dense_pages_backend_sees(monkeypatch, capsys, jax_device, tf_gpus, said):
    """From the command line, where no page chose a backend, JAX's own device decides the GPU line."""
    import jax
    import tensorflow as tf

    monkeypatch.setattr(jax, "default_backend", lambda: jax_device)
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["GPU:0"] * tf_gpus)
    cli.main(["check", "--no-data"])
    out = capsys.readouterr().out
    assert said in out, out
    assert ('install `pip install "jax[cuda12]==' in out) == (tf_gpus > 0)
