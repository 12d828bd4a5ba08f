"""Stand-ins for data the test machines cannot download, written by the tests and tools.

    python -m tools.run.standin DIR [--real-size]    # prints the `export` lines to use them

The lesson's package knows nothing of them: learners always get the real
data. Here, and only in test and benchmark runs, three data sets are stood in
for, each in the exact format of the real one so that the lesson's own loading
code reads it:

- Dollar Street 10: the four ``.npy`` files of drawn shapes, written into a
  data folder (``DIR/data/dollar_street_10/``) beside copies of the files
  already in ``DLHELPERS_DATA`` (``../shared/data`` in CI); ``DLHELPERS_DATA``
  then points at it, and ``dlhelpers`` loads and checks it as the real set.
- MNIST and CIFAR-10, which Keras downloads and checks against its own
  checksums: an IPython startup file (``DIR/ipython``, used through
  ``IPYTHONDIR``) makes the kernels' ``keras.datasets.mnist.load_data`` and
  ``keras.datasets.cifar10.load_data`` return scikit-learn's bundled digits in
  the MNIST layout and drawn 32x32 shapes in CIFAR-10's.

A file ``STAND-IN.txt`` in the Dollar Street folder says which stand-in it is;
:func:`in_use` reads it, so that the tests apply the bounds meant for the
stand-in (the page format's ``standin-at-least``, tools/pages/lesson.py).
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.util
import os
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np

from tools.layout import ROOT

SIZE = 64
#: The small stand-in the tests use.
N_TRAIN = 240
N_TEST = 80
#: The real-size stand-in (``--real-size``, `make benchmark`) that times what learners wait
#: for: Dollar Street 10's 878 training images; the number of test images is not
#: documented here, so about a hundred.
REAL_N_TRAIN = 878
REAL_N_TEST = 99
#: CIFAR-10's image size, for the stand-in of the classic variant.
CIFAR_SIZE = 32
#: Bump when the drawings change, so that files written before are not reused.
VERSION = 2


def _shape_mask(label: int, rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """A boolean size x size mask drawing one of ten shape classes, randomly placed."""
    f = size / SIZE  # the shapes are designed for 64x64 and scaled to other sizes
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    cy, cx = rng.uniform(26 * f, 38 * f, size=2)
    r = rng.uniform(12 * f, 18 * f)
    period = rng.uniform(6 * f, 11 * f)
    phase = rng.uniform(0, period)
    dy, dx = yy - cy, xx - cx
    inside = (np.abs(dy) < r) & (np.abs(dx) < r)
    if label == 0:  # disc
        return dy**2 + dx**2 < r**2
    if label == 1:  # square
        return inside
    if label == 2:  # triangle pointing up
        return (dy < r * 0.8) & (np.abs(dx) < (dy + r) * 0.6)
    if label == 3:  # horizontal stripes
        return inside & ((yy + phase) % period < period / 2)
    if label == 4:  # vertical stripes
        return inside & ((xx + phase) % period < period / 2)
    if label == 5:  # diagonal stripes
        return inside & ((xx + yy + phase) % period < period / 2)
    if label == 6:  # checkerboard
        return inside & (((yy // (period / 1.5)) + (xx // (period / 1.5))) % 2 == 0)
    if label == 7:  # plus sign
        return ((np.abs(dy) < r / 4) & (np.abs(dx) < r)) | ((np.abs(dx) < r / 4) & (np.abs(dy) < r))
    if label == 8:  # ring
        d2 = dy**2 + dx**2
        return (d2 < r**2) & (d2 > (0.6 * r) ** 2)
    # label 9: a few dots
    mask = np.zeros((size, size), dtype=bool)
    for _ in range(5):
        py, px = rng.uniform(8 * f, 56 * f, size=2)
        mask |= (yy - py) ** 2 + (xx - px) ** 2 < rng.uniform(9 * f * f, 20 * f * f)
    return mask


def make_standin_images(n: int, seed: int, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy size x size RGB images of drawn shapes with labels 0-9, as int32."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = np.empty((n, size, size, 3), dtype=np.int32)
    for i, label in enumerate(labels):
        # a bright shape of random colour on a dark background of random colour
        background = rng.uniform(0, 90, size=3)
        foreground = rng.uniform(170, 255, size=3)
        mask = _shape_mask(int(label), rng, size)[..., None]
        picture = np.where(mask, foreground, background)
        picture += rng.normal(0, 20, size=picture.shape)
        images[i] = np.clip(picture, 0, 255).astype(np.int32)
    return images, labels.astype(np.int32)


#: The file that marks a data folder's Dollar Street 10 as this stand-in.
MARK = "STAND-IN.txt"


def write_dollar_street(folder: Path, real_size: bool = False, seed: int = 0) -> Path:
    """Write the Dollar Street 10 stand-in as the real set's four ``.npy`` files in ``folder``.

    ``real_size``: as many images as the real set (:data:`REAL_N_TRAIN`), else the
    tests' small set. Each file is written under a temporary name first, so that
    a half-written set is never read.
    """
    n_train, n_test = (REAL_N_TRAIN, REAL_N_TEST) if real_size else (N_TRAIN, N_TEST)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train = make_standin_images(n_train, seed)
    test = make_standin_images(n_test, seed + 1)
    for part, array in zip(("train_images", "train_labels", "test_images", "test_labels"),
                           (*train, *test)):
        tmp = folder / f"{part}.tmp.npy"
        np.save(tmp, array)
        tmp.replace(folder / f"{part}.npy")
    (folder / MARK).write_text(f"Generated by tools/run/standin.py (version {VERSION}): "
                               f"{n_train} training and {n_test} test images of drawn shapes.\n")
    return folder


def in_use(data: Path | None = None) -> bool:
    """Whether the data folder (``DLHELPERS_DATA``) holds this stand-in for Dollar Street 10."""
    if data is None:
        data = os.environ.get("DLHELPERS_DATA", "").strip()
        if not data:
            return False
    return (Path(data) / "dollar_street_10" / MARK).is_file()


def cifar10_standin(seed: int = 0):
    """A small CIFAR-10 stand-in as ``keras.datasets.cifar10.load_data()`` returns it.

    32x32 RGB images as uint8 and labels of shape ``(n, 1)`` as uint8, in
    ``((x_train, y_train), (x_test, y_test))``, so that the lesson's CIFAR-10
    path (episode 4's classic variant) runs in the tests without the download.
    """
    parts = []
    for n, part_seed in ((N_TRAIN, seed), (N_TEST, seed + 1)):
        images, labels = make_standin_images(n, part_seed, size=CIFAR_SIZE)
        parts.append((images.astype(np.uint8), labels.astype(np.uint8).reshape(-1, 1)))
    return tuple(parts)


def digits_in_mnist_layout(test_size: float = 0.2, seed: int = 0):
    """scikit-learn's 1,797 bundled 8x8 digits as MNIST-like arrays (bonus episode).

    Each image is upsampled 3x to 24x24 and padded to 28x28, as uint8 in
    0-255, like ``keras.datasets.mnist``. Returns train images, train labels,
    test images and test labels, split stratified with a fixed seed.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = np.kron(digits.images, np.ones((3, 3)))  # 8x8 -> 24x24
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))  # -> 28x28
    images = np.round(images * 255 / 16).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=seed, stratify=labels)
    return x_train, y_train, x_test, y_test


# -- MNIST and CIFAR-10: keras.datasets' loaders, replaced in the test kernels only --

#: keras.datasets' modules whose ``load_data`` the stand-in replaces, and by what.
_LOADERS = {"keras.src.datasets.mnist": "mnist", "keras.src.datasets.cifar10": "cifar10"}


def _load_mnist(path="mnist.npz"):
    x_train, y_train, x_test, y_test = digits_in_mnist_layout()
    return (x_train, y_train), (x_test, y_test)


def _load_cifar10():
    return cifar10_standin()


class _ReplaceLoaders(importlib.abc.MetaPathFinder):
    """When Keras imports a data set module, give it the stand-in's ``load_data``.

    Keras is imported by the notebook itself, after its page has chosen the
    backend, so the startup file cannot import it; it waits for the import.
    """

    def find_spec(self, name, path, target=None):
        if name not in _LOADERS:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        original = spec.loader.exec_module
        loader = {"mnist": _load_mnist, "cifar10": _load_cifar10}[_LOADERS[name]]

        def exec_module(module):
            original(module)
            module.load_data = loader

        spec.loader.exec_module = exec_module
        return spec


def replace_keras_loaders() -> None:
    """Called by the stand-in's IPython startup file, in each test kernel."""
    if not any(isinstance(finder, _ReplaceLoaders) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ReplaceLoaders())


STARTUP = """# Written by tools/run/standin.py: test kernels load stand-ins for MNIST and CIFAR-10.
import sys
sys.path.insert(0, {root!r})
from tools.run.standin import replace_keras_loaders
replace_keras_loaders()
del sys.path[0], replace_keras_loaders
"""


def prepare(out: Path, real_size: bool = False) -> dict[str, str]:
    """Write the stand-ins under ``out``; return the environment that uses them.

    ``out/data`` gets a copy of every file in the current ``DLHELPERS_DATA``
    folder (the real weather data and weights, where they are staged) and the
    Dollar Street 10 stand-in; ``out/ipython`` the startup file for MNIST and
    CIFAR-10.
    """
    out = Path(out).resolve()
    data = out / "data"
    from dlhelpers import cache

    source = str(cache.cache_dir())
    if data.exists():
        shutil.rmtree(data)
    if source and Path(source).resolve() != data and Path(source).is_dir():
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("dollar_street_10", "*.part"))
    write_dollar_street(data / "dollar_street_10", real_size=real_size)
    startup = out / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-standin.py").write_text(STARTUP.format(root=str(ROOT)))
    return {"DLHELPERS_DATA": str(data), "IPYTHONDIR": str(out / "ipython")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the stand-ins (e.g. build/standin)")
    parser.add_argument("--real-size", action="store_true",
                        help="as many Dollar Street images as the real set (for timing)")
    args = parser.parse_args(argv)
    for name, value in prepare(args.out, args.real_size).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
