"""Download, verify, cache and load the lesson's data sets.

Every file the lesson downloads is listed once, in :data:`REGISTRY`, with the
address of its public home and its checksum. Files are kept in one cache
folder (see :func:`cache_dir`); nothing is downloaded when a file is already
there and its checksum matches.

Palmer penguins need no download: the ``palmerpenguins`` package ships them.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Environment variable that overrides the cache folder.
CACHE_ENV = "DLHELPERS_DATA"
#: Environment variable that swaps the image data for small generated stand-ins.
STANDIN_ENV = "DLHELPERS_STANDIN"

_CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: where it is cached, where it comes from, its hash.

    ``known_hash`` is ``"sha256:…"`` or ``"md5:…"``, or ``None`` where no
    publisher's checksum exists (the file is then checked by its content when
    it is loaded).
    """

    path: str
    url: str
    known_hash: str | None
    episode: str
    licence: str


_ZENODO_DS10 = "https://zenodo.org/records/10970014/files/{}?download=1"
_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"

#: Every file the lesson downloads, by short name.
REGISTRY: dict[str, RemoteFile] = {
    "weather": RemoteFile(
        "weather/weather_prediction_dataset_light.csv",
        "https://zenodo.org/record/5071376/files/weather_prediction_dataset_light.csv?download=1",
        "sha256:d10b70448e6848a66958a18667f4dbf8a4ef13b166f6803a7ab2057c6ec9d438",
        "3",
        "CC BY 4.0",
    ),
    **{
        f"dollar_street_{part}": RemoteFile(
            f"dollar_street_10/{part}.npy",
            _ZENODO_DS10.format(f"{part}.npy"),
            # Zenodo's checksums for this record could not be read from the
            # machines this lesson is built on; the arrays are validated
            # (shape, dtype, label range) when they are loaded.
            None,
            "4, 5",
            "CC BY 4.0",
        )
        for part in ("train_images", "train_labels", "test_images", "test_labels")
    },
    "mobilenet_v2": RemoteFile(
        "weights/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        _KERAS_WEIGHTS
        + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        # Keras publishes no checksum for the MobileNetV2 weights.
        None,
        "5",
        "Apache 2.0",
    ),
    "densenet121": RemoteFile(
        "weights/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _KERAS_WEIGHTS + "densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        # The checksum Keras itself uses for this file.
        "md5:30ee3e1110167f948a6b9946edeeb738",
        "5",
        "Apache 2.0",
    ),
}


class DataError(Exception):
    """Base class of the errors a learner can act on."""


class DataUnavailableError(DataError):
    """A file is not cached and cannot be downloaded."""


class ChecksumError(DataError):
    """A file's content does not match its registered checksum."""


class UnknownDatasetError(DataError, KeyError):
    """A name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def cache_dir() -> Path:
    """Return the folder where downloaded files are kept.

    Order: the ``DLHELPERS_DATA`` environment variable; the ``data/`` folder of
    a git checkout of the lesson; otherwise the operating system's cache
    folder (e.g. on Colab).
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if (_CHECKOUT_DATA / "README.md").is_file():
        return _CHECKOUT_DATA
    import pooch

    return Path(pooch.os_cache("dlhelpers"))


def _lookup(name: str) -> RemoteFile:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownDatasetError(
            f"Unknown data file {name!r}. Known names: {known}."
        ) from None


def _file_hash(path: Path, known_hash: str) -> str:
    import pooch

    algorithm = known_hash.split(":")[0]
    return f"{algorithm}:{pooch.file_hash(str(path), alg=algorithm)}"


def is_cached(name: str) -> bool:
    """Whether the file called ``name`` is present in the cache (unverified)."""
    return (cache_dir() / _lookup(name).path).is_file()


def fetch(name: str, progress: bool = True) -> Path:
    """Return the local path of a registered file, downloading it if needed.

    A cached file is verified against its checksum and never downloaded again.
    A cached file that fails the check is left in place (nothing is deleted)
    and a :class:`ChecksumError` says how to replace it.
    """
    entry = _lookup(name)
    folder = cache_dir()
    target = folder / entry.path
    if target.is_file():
        if entry.known_hash is not None:
            actual = _file_hash(target, entry.known_hash)
            if actual != entry.known_hash:
                raise ChecksumError(
                    f"The cached file {target} does not match its checksum "
                    f"(expected {entry.known_hash}, found {actual}). It is probably "
                    "incomplete or corrupted. It has been left in place: delete it "
                    "(or move it elsewhere to keep it) and run "
                    f"`python -m dlhelpers download {name}` to fetch a fresh copy."
                )
        return target
    return _download(name, entry, folder, progress)


def _download(name: str, entry: RemoteFile, folder: Path, progress: bool) -> Path:
    import pooch

    target = folder / entry.path
    manual = (
        f"Download {entry.url}\nby hand and save it as {target}\n"
        f"(the cache folder is {folder}; set the {CACHE_ENV} environment "
        "variable to use another one)."
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataUnavailableError(
            f"{entry.path} is not cached and the cache folder cannot be written "
            f"({error}).\n{manual}"
        ) from error
    try:
        pooch.retrieve(
            entry.url,
            known_hash=entry.known_hash,
            fname=target.name,
            path=target.parent,
            progressbar=progress,
        )
    except ValueError as error:  # pooch: downloaded file does not match its hash
        raise ChecksumError(
            f"The download of {name} from {entry.url} did not match its checksum "
            f"{entry.known_hash}; it was discarded. Try again; if it keeps failing, "
            f"the file may have changed at its source.\n({error})"
        ) from error
    except Exception as error:  # no network, HTTP error, disk full, ...
        raise DataUnavailableError(
            f"{entry.path} is not cached and could not be downloaded "
            f"({type(error).__name__}: {error}).\n{manual}"
        ) from error
    return target


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


def _standin_enabled() -> bool:
    return os.environ.get(STANDIN_ENV, "").strip().lower() not in ("", "0", "false", "no")


def read_image_arrays(paths: dict[str, Path], n_classes: int = 10) -> list[np.ndarray]:
    """Load and validate the four ``.npy`` arrays of an image data set (episode 4).

    Images must be ``(n, height, width, 3)`` integers in 0-255 and labels
    ``(n,)`` or ``(n, 1)`` integers in ``0 .. n_classes - 1``; anything else
    raises :class:`DataError` naming the file.
    """
    arrays = []
    for part in _DS10_PARTS:
        path = paths[part]
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise DataError(
                f"{path} is not a readable .npy file ({error}); delete it and "
                "run `python -m dlhelpers download` again."
            ) from error
        if part.endswith("images"):
            ok = (
                array.ndim == 4
                and array.shape[-1] == 3
                and np.issubdtype(array.dtype, np.integer)
                and array.min() >= 0
                and array.max() <= 255
            )
            expected = "(n, height, width, 3) integers in 0-255"
        else:
            array = array.reshape(-1)
            ok = np.issubdtype(array.dtype, np.integer) and (
                array.size == 0 or (array.min() >= 0 and array.max() < n_classes)
            )
            expected = f"integer labels in 0-{n_classes - 1}"
        if not ok:
            raise DataError(
                f"{path} does not hold {expected} (found shape {array.shape}, "
                f"dtype {array.dtype}); delete it and download it again."
            )
        arrays.append(array)
    for images, labels, what in ((arrays[0], arrays[1], "train"), (arrays[2], arrays[3], "test")):
        if len(images) != len(labels):
            raise DataError(
                f"The {what} images and labels differ in length "
                f"({len(images)} against {len(labels)})."
            )
    return arrays


def _image_dataset(x_train, y_train, x_test, y_test, class_names, source) -> ImageDataset:
    """One dtype whatever the source: images uint8 (0-255), labels int32 of shape (n,)."""
    def images(array):
        array = np.asarray(array)
        if array.size and (array.min() < 0 or array.max() > 255):
            raise DataError(f"{source}: pixel values outside 0-255.")
        return array.astype(np.uint8, copy=False)

    def labels(array):
        return np.asarray(array).reshape(-1).astype(np.int32, copy=False)

    return ImageDataset(images(x_train), labels(y_train), images(x_test), labels(y_test),
                        tuple(class_names), source)


def load_images(name: str = "dollar_street") -> ImageDataset:
    """The image data of episodes 4 and 5.

    Whatever the source, images are ``uint8`` arrays of shape
    ``(n, height, width, 3)`` (``(n, 28, 28)`` for the grey digits) with values
    0-255, and labels are ``int32`` arrays of shape ``(n,)`` with values 0-9.

    ``"dollar_street"`` (default): Dollar Street 10, 64x64 RGB photos of
    household objects, downloaded from Zenodo and cached. When the
    ``DLHELPERS_STANDIN`` environment variable is set, a small generated
    stand-in in the same format is used instead (for offline tests).

    ``"cifar10"``: CIFAR-10 through ``keras.datasets`` (32x32, 50,000
    training images), the classic variant of the episode; with
    ``DLHELPERS_STANDIN`` set, a generated 32x32 stand-in in the format
    ``keras.datasets`` returns.

    ``"mnist"``: handwritten digits, 28x28 grey images (bonus episode),
    through ``keras.datasets``; with ``DLHELPERS_STANDIN`` set, scikit-learn's
    bundled 8x8 digits in the same layout instead.
    """
    if name == "mnist":
        if _standin_enabled():
            from .standin import digits_in_mnist_layout

            return _image_dataset(*digits_in_mnist_layout(), DIGIT_CLASSES,
                                  "scikit-learn digits in the MNIST layout (stand-in for MNIST)")
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return _image_dataset(x_train, y_train, x_test, y_test, DIGIT_CLASSES, "MNIST")
    if name == "cifar10":
        if _standin_enabled():
            from .standin import cifar10_standin

            (x_train, y_train), (x_test, y_test) = cifar10_standin()
            source = "Stand-in for CIFAR-10 (generated shapes, 32x32, for offline tests)"
        else:
            import keras

            (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
            source = "CIFAR-10"
        return _image_dataset(x_train, y_train, x_test, y_test, CIFAR10_CLASSES, source)
    if name != "dollar_street":
        raise UnknownDatasetError(
            f"Unknown image data set {name!r}; use 'dollar_street', 'cifar10' or 'mnist'."
        )
    if _standin_enabled():
        from .standin import write_standin_dollar_street

        folder = write_standin_dollar_street(Path(tempfile.gettempdir()) / "dlhelpers-standin")
        paths = {part: folder / f"{part}.npy" for part in _DS10_PARTS}
        source = "Stand-in for Dollar Street 10 (generated shapes, for offline tests)"
    else:
        paths = {part: fetch(f"dollar_street_{part}") for part in _DS10_PARTS}
        source = "Dollar Street 10"
    arrays = read_image_arrays(paths)
    return _image_dataset(*arrays, DOLLAR_STREET_CLASSES, source)


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
