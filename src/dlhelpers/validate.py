"""What a good data file looks like, checked without trusting its contents (episodes 3-5).

A file whose publisher gives no checksum is checked by its content instead:
a ``.npy`` array by its header (magic, dtype, shape, size) before anything is
read; an ``.h5`` weights file by its HDF5 signature and by the names and
shapes of the weights the network expects. Any file that starts like a web
page is rejected first, because that is what a Wi-Fi login page or a proxy
sends in place of the data.

Each check raises :class:`ContentError` with a sentence saying what is wrong;
:mod:`dlhelpers.cache` turns it into the error a learner sees.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

#: The first bytes of every HDF5 file.
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<!--")


class ContentError(ValueError):
    """A file's content is not what its registry entry says it should be."""


class WebPageError(ContentError):
    """A web page (a captive portal's or a proxy's) where data was expected."""


def looks_like_html(path: Path) -> bool:
    """Whether the file starts like an HTML or XML page."""
    with open(path, "rb") as file:
        start = file.read(512).removeprefix(b"\xef\xbb\xbf").lstrip().lower()  # a BOM first, too
    return start.startswith(_HTML_STARTS) or b"<html" in start


def kinds() -> list[str]:
    """The kinds of file :func:`check_file` knows: ``"csv"``, ``"npy-images"`` (``(n, 64, 64, 3)``
    integers in 0-255), ``"npy-labels"`` (``(n,)`` or ``(n, 1)`` integers in 0-9) and
    ``"h5:NETWORK"`` (Keras ImageNet weights of a network of :data:`WEIGHT_STRUCTURES`)."""
    return ["csv", *(f"npy-{kind}" for kind in ("images", "labels")),
            *(f"h5:{network}" for network in WEIGHT_STRUCTURES)]


def check_file(path: Path, kind: str) -> str:
    """Validate ``path`` as a file of ``kind`` (one of :func:`kinds`); return what was checked.

    The same checks run when a file is downloaded, by ``python -m dlhelpers
    check`` and when a notebook loads it.
    """
    if kind not in kinds():
        raise ValueError(f"no content check for files of kind {kind!r}; known: {', '.join(kinds())}")
    path = Path(path)
    if path.stat().st_size == 0:
        raise ContentError("the file is empty")
    if looks_like_html(path):
        raise WebPageError(
            "the file is a web page, not data: a Wi-Fi login page (captive portal) "
            "or a proxy probably answered instead of the server. Open any web page "
            "in a browser, log in or accept the network's terms, then download again"
        )
    if kind == "csv":
        return "text table"
    if kind.startswith("npy-"):
        shape, dtype = npy_header(path)
        _check_array_shape(kind, shape, dtype)
        _check_array_values(path, kind)
        return f"array header and values: {dtype} {shape}"
    return check_weights(path, kind.removeprefix("h5:"))


def npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Read a ``.npy`` header and check the file holds exactly the array it announces.

    Nothing but the header is read, and object arrays (which would need
    unpickling) are refused.
    """
    fmt = np.lib.format
    with open(path, "rb") as file:
        try:
            version = fmt.read_magic(file)
            reader = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
            if reader is None:
                raise ValueError(f"unsupported .npy version {version}")
            shape, fortran_order, dtype = reader(file)
        except (ValueError, OSError, SyntaxError) as error:
            raise ContentError(f"not a NumPy .npy array file ({error})") from None
        offset = file.tell()
    if dtype.hasobject:
        raise ContentError("the array holds Python objects, not numbers; such files are never loaded")
    # Python integers: a hostile header's shape cannot overflow the arithmetic.
    expected = offset + math.prod(int(n) for n in shape) * dtype.itemsize
    actual = path.stat().st_size
    if actual != expected:
        state = "incomplete (the download was cut short)" if actual < expected else "longer than its header says"
        raise ContentError(f"the file is {state}: {actual:,} bytes where its header announces {expected:,}")
    return tuple(shape), dtype


def _check_array_shape(kind: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    if dtype.kind not in "iu":
        raise ContentError(f"the array holds {dtype} values; integers were expected")
    if kind == "npy-images":
        ok, expected = len(shape) == 4 and shape[1:] == (64, 64, 3), "(n, 64, 64, 3) images"
    else:
        ok, expected = len(shape) in (1, 2) and shape[1:] in ((), (1,)), "(n,) labels"
    if not ok:
        raise ContentError(f"the array has shape {shape}; {expected} were expected")
    if shape[0] == 0:
        raise ContentError(f"the array holds no rows (shape {shape})")


#: The values each kind of array may hold.
VALUE_RANGES = {"npy-images": (0, 255, "pixel values in 0-255"),
                "npy-labels": (0, 9, "integer labels in 0-9")}


def _check_array_values(path: Path, kind: str) -> None:
    """Every value in range; read through a memory map (the header has bounded the size)."""
    low, high, expected = VALUE_RANGES[kind]
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    if array.size == 0:
        return
    found = int(array.min()), int(array.max())
    if found[0] < low or found[1] > high:
        raise ContentError(f"it does not hold {expected} (found {found[0]} to {found[1]})")


def check_same_length(images: Path, labels: Path, what: str) -> None:
    """A set's images and labels have one row each (from their headers); else :class:`ContentError`."""
    n_images, n_labels = npy_header(images)[0][0], npy_header(labels)[0][0]
    if n_images != n_labels:
        raise ContentError(
            f"the {what} images and labels differ in length ({n_images} against {n_labels}): "
            "one of the files is from another version of the data set")


# -- Keras weights files ----------------------------------------------------

#: sha256 of each network's weight layout (:func:`weight_layout`): the shapes
#: of its weights, layer by layer. tests/test_data.py rebuilds these from the
#: networks Keras builds.
WEIGHT_STRUCTURES = {
    "mobilenet_v2": "2366dd279589ed7cc81bca85197aefcf0d7b93ee2214b25ef6849a6f37922ad5",  # 104 layers
    "densenet121": "12d146fe6600db43f0a67d848469f2c7df0f4bb7d34c2adc22d7bbb5cdf26717",  # 241 layers
}


#: More layers than any network of the lesson has: a file claiming more is refused.
MAX_LAYERS = 1000
#: The most weight arrays a file's layout may name before it is refused (DenseNet121 has 606).
MAX_WEIGHTS = 2000


def weight_layout(path: Path) -> list[str]:
    """The shapes of the weights in a Keras ``.h5`` weights file: one line per layer, in order.

    Keras loads such a file layer by layer in this order, matching shapes;
    names are not compared, as they differ between Keras versions.
    """
    import h5py

    with h5py.File(path, "r") as file:
        return _layout(file)[0]


def _layout(file) -> tuple[list[str], list]:
    """(one line of weight shapes per layer, the weight datasets in order), from metadata only.

    More than :data:`MAX_LAYERS` layers are not looked at (the layout then cannot match).
    """
    root = file["model_weights"] if "model_weights" in file else file
    lines, weights = [], []
    for layer in _names(root.attrs, "layer_names")[:MAX_LAYERS + 1]:
        group = _member(root, layer)
        names = _names(group.attrs, "weight_names")
        if len(weights) + len(names) > MAX_WEIGHTS:  # what it claims, not what it costs to look
            raise ContentError(f"the file names more than {MAX_WEIGHTS:,} weight arrays; no network of "
                               "the lesson has that many")
        datasets = [_member(group, weight) for weight in names]
        if datasets:
            lines.append(" ".join(str(tuple(d.shape)) for d in datasets))
        weights += datasets
    return lines, weights


def _member(group, name: str):
    """``group[name]`` if it is stored in this file: no soft or external link is followed."""
    import h5py

    link = group.get(name, getlink=True)
    if link is None:
        raise ContentError(f"the file names {name!r}, which it does not hold")
    if not isinstance(link, h5py.HardLink):
        raise ContentError(f"{group.name}/{name} is a link to somewhere else, not data in this file")
    return group[name]


def model_layout(model) -> list[str]:
    """The same lines as :func:`weight_layout`, from a built Keras model."""
    return [
        " ".join(str(tuple(weight.shape)) for weight in layer.weights)
        for layer in model.layers
        if layer.weights
    ]


def layout_digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _names(attrs, key: str) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in attrs.get(key, [])]


class _TooMany(Exception):
    pass


def check_weights(path: Path, network: str) -> str:
    """Check an ``.h5`` file holds ``network``'s ImageNet weights, every value readable and finite.

    Bounded in memory and time whatever the file holds: the layout (names and
    shapes, no values) is compared first; the file may hold nothing but those
    weights, so only what the network needs is ever read (a small file that
    unpacks to gigabytes is refused unread).
    """
    with open(path, "rb") as file:
        if file.read(8) != HDF5_SIGNATURE:
            raise ContentError("not an HDF5 file (its first bytes are not the HDF5 signature)")
    try:
        import h5py

        with h5py.File(path, "r") as file:
            lines, weights = _layout(file)
            if layout_digest(lines) != WEIGHT_STRUCTURES[network]:
                raise ContentError(
                    f"the file does not hold the weights of {network} that the lesson expects "
                    f"({len(lines)} layers of weights found; their number or shapes differ)")
            expected = {d.name for d in weights}
            found = []

            def visit(name, item):
                if isinstance(item, h5py.Dataset):
                    found.append("/" + name)  # visititems names are relative to the root
                if len(found) > len(expected):
                    raise _TooMany
            try:
                file.visititems(visit)
            except _TooMany:
                pass
            extra = sorted(set(found) - expected)
            if extra or len(found) > len(expected):
                raise ContentError(
                    f"the file holds data that {network}'s weights do not use ({extra[0] if extra else 'more datasets than weights'}); "
                    "it is not a Keras weights file as published")
            values = 0
            for dataset in weights:
                if dataset.external or dataset.is_virtual:
                    raise ContentError(f"the weights {dataset.name} are stored outside the file; "
                                       "a Keras weights file holds them itself")
                if dataset.dtype.kind != "f":
                    raise ContentError(f"the weights {dataset.name} are {dataset.dtype}, not floating point")
                if dataset.dtype.itemsize > 8:
                    raise ContentError(f"the weights {dataset.name} are {dataset.dtype}, wider than the "
                                       "64-bit floating point Keras loads")
                array = dataset[()]  # its size is fixed by the layout checked above
                if not np.all(np.isfinite(array)):
                    raise ContentError(f"the weights {dataset.name} hold values that are not numbers")
                values += array.size
    except ContentError:
        raise
    except Exception as error:  # h5py/HDF5: truncated file, damaged metadata, ...
        raise ContentError(f"the HDF5 file is damaged or incomplete ({error})") from None
    return f"HDF5, {len(lines)} layers of {network} weights ({values:,} values)"

