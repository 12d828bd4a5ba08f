"""The data sets of each episode, loaded and checked (episodes 2-5).

Files come through :mod:`dlhelpers.cache`, which downloads and verifies them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import validate
from .cache import DataCorruptError, UnknownDatasetError, fetch

# --------------------------------------------------------------------------
# Episode 2: Palmer penguins
# --------------------------------------------------------------------------


def load_penguins() -> pd.DataFrame:
    """Palmer penguins, 344 rows (episode 2).

    Comes with the ``palmerpenguins`` package, so it works offline.
    """
    from palmerpenguins import load_penguins as _load

    return _load()


# --------------------------------------------------------------------------
# Episode 3: weather prediction data set (light)
# --------------------------------------------------------------------------


def load_weather() -> pd.DataFrame:
    """Daily weather at 18 European places, 2000-2010: 3654 rows, 91 columns (episode 3)."""
    return pd.read_csv(fetch("weather"))


# --------------------------------------------------------------------------
# Episodes 4 and 5: Dollar Street 10 (and CIFAR-10 as a variant)
# --------------------------------------------------------------------------

#: Class names of Dollar Street 10, in label order.
DOLLAR_STREET_CLASSES = (
    "day bed",
    "dishrag",
    "plate",
    "running shoe",
    "soap dispenser",
    "street sign",
    "table lamp",
    "tile roof",
    "toilet seat",
    "washing machine",
)

#: Class names of CIFAR-10, in label order.
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

#: Class names of the digit data sets.
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))

_DS10_PARTS = ("train_images", "train_labels", "test_images", "test_labels")


@dataclass
class ImageDataset:
    """Images and labels for training and validation, with class names (episodes 4, 5)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    class_names: tuple[str, ...]
    source: str

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return self.train_images, self.train_labels

    @property
    def val(self) -> tuple[np.ndarray, np.ndarray]:
        return self.val_images, self.val_labels

    def __repr__(self) -> str:
        shape = "x".join(str(n) for n in self.train_images.shape[1:])
        return (
            f"{self.source}: {len(self.train_images)} training and "
            f"{len(self.val_images)} validation images of {shape}, "
            f"{len(self.class_names)} classes"
        )


def read_image_arrays(paths: dict[str, Path]) -> list[np.ndarray]:
    """Load and validate the four ``.npy`` arrays of an image data set (episode 4).

    Each header is checked before the array is read (:mod:`dlhelpers.validate`);
    images must hold values 0-255 and labels values 0-9.
    Anything else raises :class:`DataCorruptError` naming the file.
    """
    arrays = []
    for part in _DS10_PARTS:
        path = paths[part]
        kind = f"npy-{part.split('_')[1]}"
        try:
            validate.check_file(path, kind)  # header, shape and value range, as `check` does
            array = np.load(path, allow_pickle=False)
        except (validate.ContentError, OSError, ValueError) as error:
            raise _corrupt(path, error) from None
        arrays.append(array if kind == "npy-images" else array.reshape(-1))
    for what in ("train", "test"):
        try:
            validate.check_same_length(paths[f"{what}_images"], paths[f"{what}_labels"], what)
        except validate.ContentError as error:
            raise DataCorruptError(
                f"{str(error)[:1].upper()}{str(error)[1:]}. Delete the dollar_street_10 folder in the cache and run "
                "`python -m dlhelpers download` again.") from None
    return arrays


def _corrupt(path: Path, problem) -> DataCorruptError:
    return DataCorruptError(
        f"{path} is not valid: {problem}. Delete it and run `python -m dlhelpers download` again."
    )


def _image_dataset(x_train, y_train, x_test, y_test, class_names, source) -> ImageDataset:
    """One dtype whatever the source: images uint8 (0-255), labels int32 of shape (n,)."""
    def images(array):
        array = np.asarray(array)
        if array.size and (array.min() < 0 or array.max() > 255):
            raise DataCorruptError(f"{source}: pixel values outside 0-255.")
        return array.astype(np.uint8, copy=False)

    def labels(array):
        return np.asarray(array).reshape(-1).astype(np.int32, copy=False)

    return ImageDataset(images(x_train), labels(y_train), images(x_test), labels(y_test),
                        tuple(class_names), source)


#: The CIFAR-10 variant trains on the first 5,000 of its 50,000 training images, as
#: the original lesson did, so that episode 4 takes minutes, not an hour, on a laptop.
CIFAR10_SUBSET = 5000


def load_images(name: str = "dollar_street", n_train: int | None = None) -> ImageDataset:
    """The image data of episodes 4 and 5.

    Whatever the source, images are ``uint8`` arrays of shape
    ``(n, height, width, 3)`` (``(n, 28, 28)`` for the grey digits) with values
    0-255, and labels are ``int32`` arrays of shape ``(n,)`` with values 0-9.

    ``"dollar_street"`` (default): Dollar Street 10, 64x64 RGB photos of
    household objects, downloaded from Zenodo and cached.

    ``"cifar10"``: CIFAR-10 through ``keras.datasets`` (32x32), the classic
    variant of the episode: the first ``n_train`` of its 50,000 training
    images (:data:`CIFAR10_SUBSET`, 5,000, by default; ``n_train=50000`` for
    all) and its 10,000 test images.

    ``"mnist"``: handwritten digits, 28x28 grey images (bonus episode),
    through ``keras.datasets``.

    ``n_train`` keeps the first ``n_train`` training images of any set.
    """
    if name == "mnist":
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return _subset(_image_dataset(x_train, y_train, x_test, y_test, DIGIT_CLASSES, "MNIST"), n_train)
    if name == "cifar10":
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
        dataset = _image_dataset(x_train, y_train, x_test, y_test, CIFAR10_CLASSES, "CIFAR-10")
        return _subset(dataset, CIFAR10_SUBSET if n_train is None else n_train)
    if name != "dollar_street":
        raise UnknownDatasetError(
            f"Unknown image data set {name!r}; use 'dollar_street', 'cifar10' or 'mnist'."
        )
    paths = {part: fetch(f"dollar_street_{part}") for part in _DS10_PARTS}
    arrays = read_image_arrays(paths)
    return _subset(_image_dataset(*arrays, DOLLAR_STREET_CLASSES, "Dollar Street 10"), n_train)


def _subset(dataset: ImageDataset, n_train: int | None) -> ImageDataset:
    """The data set with its first ``n_train`` training images only (all when None)."""
    if n_train is None or n_train >= len(dataset.train_images):
        return dataset
    if n_train < 1:
        raise ValueError(f"n_train={n_train}: give a number of training images, at least 1.")
    return replace(dataset, train_images=dataset.train_images[:n_train],
                   train_labels=dataset.train_labels[:n_train],
                   source=f"{dataset.source}, first {n_train:,} training images")


# --------------------------------------------------------------------------
# Episode 5: pretrained ImageNet weights
# --------------------------------------------------------------------------


def pretrained_weights(network: str) -> Path:
    """Path of the cached ImageNet weights (no top) for ``network`` (episode 5).

    ``network`` is ``"mobilenet_v2"`` (MobileNetV2 with ``alpha=0.35``) or
    ``"densenet121"``. Pass the path as ``weights=`` to the matching
    ``keras.applications`` constructor.
    """
    if network not in ("mobilenet_v2", "densenet121"):
        raise UnknownDatasetError(
            f"No weights registered for {network!r}; use 'mobilenet_v2' or 'densenet121'."
        )
    return fetch(network)
