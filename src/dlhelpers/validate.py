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
        start = file.read(512).lstrip().lower()
    return start.startswith(_HTML_STARTS) or b"<html" in start


def check_file(path: Path, kind: str) -> str:
    """Validate ``path`` as a file of ``kind``; return what was checked.

    Kinds: ``"csv"``, ``"npy-images"`` (``(n, 64, 64, 3)`` integers),
    ``"npy-labels"`` (``(n,)`` or ``(n, 1)`` integers) and ``"h5:NETWORK"``
    (Keras ImageNet weights of ``NETWORK``, see :data:`WEIGHT_STRUCTURES`).
    """
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
        return f"array header: {dtype} {shape}"
    if kind.startswith("h5:"):
        return check_weights(path, kind[3:])
    raise ValueError(f"no content check for files of kind {kind!r}")


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
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
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


# -- Keras weights files ----------------------------------------------------

#: sha256 of each network's weight layout (:func:`weight_layout`): the shapes
#: of its weights, layer by layer. tests/test_data.py rebuilds these from the
#: networks Keras builds.
WEIGHT_STRUCTURES = {
    "mobilenet_v2": "2366dd279589ed7cc81bca85197aefcf0d7b93ee2214b25ef6849a6f37922ad5",  # 104 layers
    "densenet121": "12d146fe6600db43f0a67d848469f2c7df0f4bb7d34c2adc22d7bbb5cdf26717",  # 241 layers
}


def weight_layout(path: Path) -> list[str]:
    """The shapes of the weights in a Keras ``.h5`` weights file: one line per layer, in order.

    Keras loads such a file layer by layer in this order, matching shapes;
    names are not compared, as they differ between Keras versions.
    """
    import h5py

    with h5py.File(path, "r") as file:
        return _layout(file)


def _layout(file) -> list[str]:
    root = file["model_weights"] if "model_weights" in file else file
    lines = []
    for layer in _names(root.attrs, "layer_names"):
        group = root[layer]
        shapes = [tuple(group[weight].shape) for weight in _names(group.attrs, "weight_names")]
        if shapes:
            lines.append(" ".join(map(str, shapes)))
    return lines


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


def check_weights(path: Path, network: str) -> str:
    """Check an ``.h5`` file holds ``network``'s ImageNet weights, every value readable and finite."""
    with open(path, "rb") as file:
        if file.read(8) != HDF5_SIGNATURE:
            raise ContentError("not an HDF5 file (its first bytes are not the HDF5 signature)")
    try:
        import h5py

        values = 0
        with h5py.File(path, "r") as file:
            lines = _layout(file)

            def visit(name, item):
                nonlocal values
                if isinstance(item, h5py.Dataset):
                    array = item[()]
                    if not np.all(np.isfinite(array)):
                        raise ContentError(f"the weights {name} hold values that are not numbers")
                    values += array.size
            file.visititems(visit)
    except ContentError:
        raise
    except Exception as error:  # h5py/HDF5: truncated file, damaged metadata, ...
        raise ContentError(f"the HDF5 file is damaged or incomplete ({error})") from None
    expected = WEIGHT_STRUCTURES[network]
    if layout_digest(lines) != expected:
        raise ContentError(
            f"the file does not hold the weights of {network} that the lesson expects "
            f"({len(lines)} layers of weights found; their number or shapes differ)"
        )
    return f"HDF5, {len(lines)} layers of {network} weights ({values:,} values)"
