"""The data registry, the cache and the errors a learner sees."""

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import dlhelpers as dlh
from dlhelpers import data, standin

SHARED = Path(os.environ.get("DLHELPERS_DATA", "")) if os.environ.get("DLHELPERS_DATA") else None


def sha256(path):
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def register(monkeypatch, name, **changes):
    monkeypatch.setitem(data.REGISTRY, name, replace(data.REGISTRY[name], **changes))


def test_registry_entries_are_complete():
    for name, entry in data.REGISTRY.items():
        assert entry.url.startswith("https://"), name
        assert entry.known_hash is None or entry.known_hash.split(":")[0] in ("sha256", "md5")
        assert not Path(entry.path).is_absolute()


def test_registry_is_documented_in_data_readme():
    readme = (Path(__file__).parents[1] / "data" / "README.md").read_text()
    for entry in data.REGISTRY.values():
        assert entry.path in readme, entry.path
        assert entry.url in readme, entry.url


def test_cache_variable_overrides_folder(cache):
    assert data.cache_dir() == cache


def test_unknown_name_lists_known_ones():
    with pytest.raises(dlh.UnknownDatasetError, match="Known names: .*weather"):
        data.fetch("wether")


def test_cached_file_is_verified_and_not_downloaded(cache, monkeypatch):
    payload = cache / "weather" / "weather_prediction_dataset_light.csv"
    payload.parent.mkdir()
    payload.write_text("DATE,MONTH\n20000101,1\n")
    register(monkeypatch, "weather", known_hash=sha256(payload), url="https://127.0.0.1:9/x")
    assert data.fetch("weather") == payload


def test_corrupted_file_gives_checksum_error_and_is_kept(cache):
    bad = cache / data.REGISTRY["weather"].path
    bad.parent.mkdir(parents=True)
    bad.write_text("truncated download")
    with pytest.raises(dlh.ChecksumError) as error:
        data.fetch("weather")
    message = str(error.value)
    assert str(bad) in message and "python -m dlhelpers download weather" in message
    assert bad.read_text() == "truncated download"  # nothing is lost


def test_missing_file_without_network_explains_manual_download(cache, monkeypatch):
    url = "http://127.0.0.1:9/weather.csv"  # nothing listens on port 9
    register(monkeypatch, "weather", url=url)
    with pytest.raises(dlh.DataUnavailableError) as error:
        data.fetch("weather", progress=False)
    message = str(error.value)
    assert url in message
    assert str(cache / data.REGISTRY["weather"].path) in message
    assert "DLHELPERS_DATA" in message


def test_download_is_verified_then_cached(cache, http_server, monkeypatch):
    served, base = http_server
    (served / "w.csv").write_text("DATE,MONTH\n20000101,1\n")
    register(monkeypatch, "weather", url=f"{base}/w.csv", known_hash=sha256(served / "w.csv"))
    path = data.fetch("weather", progress=False)
    assert path.read_text() == (served / "w.csv").read_text()
    (served / "w.csv").unlink()  # a second fetch must not download
    assert data.fetch("weather", progress=False) == path


def test_download_with_wrong_checksum_is_discarded(cache, http_server, monkeypatch):
    served, base = http_server
    (served / "w.csv").write_text("something else")
    register(monkeypatch, "weather", url=f"{base}/w.csv", known_hash="sha256:" + "0" * 64)
    with pytest.raises(dlh.ChecksumError, match="discarded"):
        data.fetch("weather", progress=False)
    assert not (cache / data.REGISTRY["weather"].path).exists()


@pytest.mark.skipif(
    not (SHARED and (SHARED / data.REGISTRY["weather"].path).is_file()),
    reason="the weather file is not cached",
)
def test_real_weather_file_matches_registry():
    frame = dlh.load_weather()
    assert frame.shape == (3654, 91)
    assert {"DATE", "MONTH", "BASEL_sunshine"} <= set(frame.columns)


def test_penguins_load_offline():
    frame = dlh.load_penguins()
    assert frame.shape == (344, 8)
    assert set(frame["species"]) == {"Adelie", "Chinstrap", "Gentoo"}


# -- Dollar Street 10: the real loader on tiny files in the real format ------


def write_tiny_dollar_street(folder, n=12):
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n, 64, 64, 3)).astype(np.int32),
        "train_labels": (np.arange(n) % 10).astype(np.int32),
        "test_images": rng.integers(0, 256, (4, 64, 64, 3)).astype(np.int32),
        "test_labels": np.arange(4).astype(np.int32),
    }
    (folder / "dollar_street_10").mkdir(parents=True)
    for part, array in arrays.items():
        np.save(folder / "dollar_street_10" / f"{part}.npy", array)
    return arrays


@pytest.fixture
def real_images(cache, monkeypatch):
    monkeypatch.delenv("DLHELPERS_STANDIN", raising=False)
    arrays = write_tiny_dollar_street(cache)
    for part in arrays:
        path = cache / "dollar_street_10" / f"{part}.npy"
        register(monkeypatch, f"dollar_street_{part}", known_hash=sha256(path))
    return arrays


def test_real_loader_reads_files_in_the_real_format(real_images):
    images = dlh.load_images()
    assert images.source == "Dollar Street 10"
    np.testing.assert_array_equal(images.train_images, real_images["train_images"])
    np.testing.assert_array_equal(images.val_labels, real_images["test_labels"])
    assert images.class_names == dlh.DOLLAR_STREET_CLASSES
    assert "12 training and 4 validation images of 64x64x3" in repr(images)


def test_real_loader_detects_a_corrupted_file(real_images, cache):
    with open(cache / "dollar_street_10" / "test_labels.npy", "ab") as file:
        file.write(b"junk")
    with pytest.raises(dlh.ChecksumError, match="test_labels.npy"):
        dlh.load_images()


def test_real_loader_rejects_arrays_of_the_wrong_format(cache, monkeypatch):
    monkeypatch.delenv("DLHELPERS_STANDIN", raising=False)
    write_tiny_dollar_street(cache)
    np.save(cache / "dollar_street_10" / "train_labels.npy", np.full(12, 11, dtype=np.int32))
    with pytest.raises(dlh.DataError, match="integer labels in 0-9"):
        dlh.load_images()


def test_unknown_image_dataset():
    with pytest.raises(dlh.UnknownDatasetError, match="cifar10' or 'mnist"):
        dlh.load_images("imagenet")


def test_standin_has_the_real_format_and_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHELPERS_STANDIN", "1")
    images = dlh.load_images()
    assert images.source.startswith("Stand-in")
    assert images.train_images.shape == (standin.N_TRAIN, 64, 64, 3)
    assert images.train_images.dtype == np.uint8 and images.train_labels.dtype == np.int32
    assert set(images.train_labels) == set(range(10)) == set(images.val_labels)
    again, labels = standin.make_standin_images(standin.N_TRAIN, seed=0)
    np.testing.assert_array_equal(again, images.train_images)
    np.testing.assert_array_equal(labels, images.train_labels)


def test_every_image_source_gives_the_documented_dtypes(real_images, monkeypatch):
    """uint8 images and int32 labels of shape (n,), from files, stand-ins and keras.datasets alike."""
    loaded = [dlh.load_images()]  # the real loader on int32 files
    monkeypatch.setenv("DLHELPERS_STANDIN", "1")
    loaded += [dlh.load_images(name) for name in ("dollar_street", "cifar10", "mnist")]
    for images in loaded:
        for array in (images.train_images, images.val_images):
            assert array.dtype == np.uint8, images.source
        for array in (images.train_labels, images.val_labels):
            assert array.dtype == np.int32 and array.ndim == 1, images.source


def test_cifar10_standin_goes_through_the_keras_datasets_path(monkeypatch):
    monkeypatch.setenv("DLHELPERS_STANDIN", "1")
    (x_train, y_train), _ = standin.cifar10_standin()
    assert x_train.shape == (standin.N_TRAIN, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (standin.N_TRAIN, 1)  # as keras.datasets.cifar10 returns labels
    images = dlh.load_images("cifar10")
    assert images.source.startswith("Stand-in for CIFAR-10")
    assert images.train_images.shape[1:] == (32, 32, 3)
    assert images.class_names == dlh.CIFAR10_CLASSES
    np.testing.assert_array_equal(images.train_labels, y_train.reshape(-1))


@pytest.mark.skipif(
    not (Path.home() / ".keras" / "datasets" / "cifar-10-batches-py").is_dir(),
    reason="the CIFAR-10 archive is not downloaded",
)
def test_cifar10_variant():
    images = dlh.load_images("cifar10")
    assert images.train_images.shape == (50000, 32, 32, 3)
    assert images.class_names[0] == "airplane"


def test_pretrained_weights_path(cache, monkeypatch):
    weights = cache / data.REGISTRY["mobilenet_v2"].path
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"h5")
    assert dlh.pretrained_weights("mobilenet_v2") == weights
    with pytest.raises(dlh.UnknownDatasetError):
        dlh.pretrained_weights("resnet")


def test_digits_standin_has_the_mnist_layout(monkeypatch):
    monkeypatch.setenv("DLHELPERS_STANDIN", "1")
    digits = dlh.load_images("mnist")
    assert digits.source.endswith("(stand-in for MNIST)")
    assert digits.train_images.shape[1:] == (28, 28) and digits.train_images.dtype == np.uint8
    assert len(digits.train_images) + len(digits.val_images) == 1797
    assert digits.train_images.max() == 255 and digits.train_images[:, :2].max() == 0  # padded
    assert set(digits.val_labels) == set(range(10))
