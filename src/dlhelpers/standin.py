"""Small generated data sets that stand in for downloads these tests cannot make.

They have exactly the format of the real data, so the lesson's own loading
code reads them; learners never see them unless they ask for them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIZE = 64
#: The small stand-in the tests use (``DLHELPERS_STANDIN=1``).
N_TRAIN = 240
N_TEST = 80
#: The real-size stand-in (``DLHELPERS_STANDIN=real-size``) that times what learners wait
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


def write_standin_dollar_street(folder: Path, seed: int = 0, real_size: bool = False) -> Path:
    """Write the Dollar Street 10 stand-in as the four ``.npy`` files of the real set.

    ``real_size``: as many images as the real set (:data:`REAL_N_TRAIN`), else the
    tests' small set. Files already written with the same seed and size are reused.
    """
    n_train, n_test = (REAL_N_TRAIN, REAL_N_TEST) if real_size else (N_TRAIN, N_TEST)
    folder = Path(folder) / f"v{VERSION}-seed{seed}-{n_train}-{n_test}"
    if not (folder / "test_labels.npy").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        train = make_standin_images(n_train, seed)
        test = make_standin_images(n_test, seed + 1)
        parts = dict(zip(
            ("train_images", "train_labels", "test_images", "test_labels"),
            (*train, *test),
        ))
        for part, array in parts.items():
            # Write to a temporary name first so that a half-written set is never read.
            tmp = folder / f"{part}.tmp.npy"
            np.save(tmp, array)
            tmp.replace(folder / f"{part}.npy")
    return folder


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
