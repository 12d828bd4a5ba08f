"""Plots, seeding, reporting and the installation check."""

import json

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import dlhelpers as dlh
from dlhelpers import checks, cli, models


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


def test_report_prints_records_and_checks(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv("DLHELPERS_RESULTS", str(results))
    assert dlh.report("test accuracy", np.float64(0.975), at_least=0.95) == 0.975
    assert capsys.readouterr().out == "test accuracy: 0.975\n"
    assert json.loads(results.read_text()) == {"name": "test accuracy", "value": 0.975}
    with pytest.raises(AssertionError, match="below the expected 0.95"):
        dlh.report("test accuracy", 0.5, at_least=0.95)
    with pytest.raises(AssertionError, match="above"):
        dlh.report("rmse", 4.0, at_most=3.5)


def test_check_passes_in_the_test_environment(capsys):
    assert dlh.check_setup()
    out = capsys.readouterr().out
    assert "keras" in out and "GPU" in out and "Data cache" in out


def test_check_fails_on_wrong_keras_major(monkeypatch, capsys):
    real = checks._installed
    monkeypatch.setattr(checks, "_installed", lambda n: "2.15.0" if n == "keras" else real(n))
    assert cli.main(["check"]) == 1
    assert "keras 2.15.0 is installed but the lesson needs keras 3.x" in capsys.readouterr().out


def test_check_fails_on_missing_package(monkeypatch, capsys):
    real = checks._installed
    monkeypatch.setattr(checks, "_installed", lambda n: None if n == "pooch" else real(n))
    assert cli.main(["check"]) == 1
    assert "pooch is not installed" in capsys.readouterr().out


def test_pins_are_read_from_requirements():
    pins = checks.pinned_versions()
    assert pins["keras"].startswith("3.") and "tensorflow" in pins


def test_download_command_reports_failure(cache, monkeypatch, capsys):
    from dataclasses import replace

    monkeypatch.setitem(dlh.REGISTRY, "weather",
                        replace(dlh.REGISTRY["weather"], url="http://127.0.0.1:9/w.csv"))
    assert cli.main(["download", "weather"]) == 1
    assert "missing    weather: weather/weather_prediction_dataset_light.csv is not cached" in capsys.readouterr().err


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
