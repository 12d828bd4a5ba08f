"""The lesson's data files: where they come from, where they are kept, how they are checked.

Every file the lesson downloads is listed once, in :data:`REGISTRY`. Files
are kept in one cache folder (:func:`cache_dir`), downloaded with pooch, and
every file is verified before it is used: by its sha256 where the true bytes
are known, and always by its content (:mod:`dlhelpers.validate`), so that a
web page, a cut-off download or a damaged file is never taken for data.

Environment variables (read when a file is needed, not at import):

``DLHELPERS_DATA``
    The cache folder (``~`` expanded, made absolute).
``DLHELPERS_MIRROR``
    Base address of a venue mirror (``python -m dlhelpers serve``) to
    download from instead of the files' public homes.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import validate

#: Environment variable that overrides the cache folder.
CACHE_ENV = "DLHELPERS_DATA"
#: Environment variable naming a venue mirror to download from.
MIRROR_ENV = "DLHELPERS_MIRROR"
#: Suffix of a download in progress; what a killed download leaves behind.
PARTIAL_SUFFIX = ".part"


class DataError(Exception):
    """Base class of the errors a learner can act on."""


class DataMissingError(DataError):
    """A file is not cached and could not be downloaded."""


class DataCorruptError(DataError):
    """A file is not what it should be: wrong checksum, web page, cut short, damaged."""


class DataUnreadableError(DataError):
    """A file is cached but this user cannot read it (permissions)."""


class UnknownDatasetError(DataError, KeyError):
    """A name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class SettingError(DataError, ValueError):
    """An environment variable the package reads has a value it does not understand."""


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file.

    ``sha256`` is the hex digest of the file's true bytes, or ``None`` where
    they are not known (see data/README.md for how to add one); ``kind`` says
    how the content is validated (:func:`dlhelpers.validate.check_file`).
    ``optional`` files are used only by optional exercises.
    """

    path: str
    url: str
    sha256: str | None
    kind: str
    episodes: str
    optional: bool = False


_ZENODO_DS10 = "https://zenodo.org/records/10970014/files/{}?download=1"
_KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"

#: Every file the lesson downloads, by short name.
REGISTRY: dict[str, RemoteFile] = {
    "weather": RemoteFile(
        "weather/weather_prediction_dataset_light.csv",
        "https://zenodo.org/record/5071376/files/weather_prediction_dataset_light.csv?download=1",
        "d10b70448e6848a66958a18667f4dbf8a4ef13b166f6803a7ab2057c6ec9d438",
        "csv",
        "3",
    ),
    **{
        f"dollar_street_{part}": RemoteFile(
            f"dollar_street_10/{part}.npy",
            _ZENODO_DS10.format(f"{part}.npy"),
            None,
            f"npy-{part.split('_')[1]}",
            "4, 5",
        )
        for part in ("train_images", "train_labels", "test_images", "test_labels")
    },
    "mobilenet_v2": RemoteFile(
        "weights/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        _KERAS_WEIGHTS
        + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        None,
        "h5:mobilenet_v2",
        "5",
    ),
    "densenet121": RemoteFile(
        "weights/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _KERAS_WEIGHTS + "densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
        None,
        "h5:densenet121",
        "5",
        optional=True,
    ),
}


def env_flag(name: str) -> bool:
    """An on/off environment variable: 1/true/yes/on or 0/false/no/off (unset is off)."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise SettingError(
        f"{name}={os.environ[name]!r} is not understood: "
        "use 1, true, yes or on to switch it on, and 0, false, no or off (or unset it) to switch it off."
    )


def cache_dir() -> Path:
    """The absolute path of the folder where downloaded files are kept.

    The ``DLHELPERS_DATA`` environment variable where it is set; otherwise
    the operating system's cache folder for the user, the same on a laptop
    and on Colab: ``~/.cache/dlhelpers`` on Linux, ``~/Library/Caches/dlhelpers``
    on macOS, ``%LOCALAPPDATA%\\dlhelpers\\Cache`` on Windows.
    """
    if os.environ.get(CACHE_ENV, "").strip():
        return Path(os.environ[CACHE_ENV].strip()).expanduser().resolve()
    import pooch

    return Path(pooch.os_cache("dlhelpers")).resolve()


def lookup(name: str) -> RemoteFile:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownDatasetError(f"Unknown data file {name!r}. Known names: {known}.") from None


def _fix(name: str) -> str:
    return f"`python -m dlhelpers download {name}`"


# -- Verifying ---------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What :func:`status` found for one registered file."""

    name: str
    path: Path
    state: str  # "ok", "missing", "corrupt" or "unreadable"
    detail: str  # what was checked, or what is wrong and how to fix it

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def verify(path: Path, entry: RemoteFile) -> str:
    """Check a file against its entry; return what was checked or raise :class:`ContentError`."""
    checked = validate.check_file(path, entry.kind)
    if entry.sha256 is not None:
        import pooch

        actual = pooch.file_hash(str(path), alg="sha256")
        if actual != entry.sha256:
            raise validate.ContentError(
                f"its sha256 is {actual[:12]}…, not the registered {entry.sha256[:12]}… "
                "(incomplete, damaged or a different file)"
            )
        checked = f"sha256 and {checked}"
    return checked


def status(name: str) -> Status:
    """Whether the cached copy of ``name`` is present, readable and valid."""
    entry = lookup(name)
    path = cache_dir() / entry.path
    if not path.is_file():
        return Status(name, path, "missing", f"not downloaded yet: run {_fix(name)}")
    if not os.access(path, os.R_OK):
        return Status(name, path, "unreadable", _unreadable(path))
    try:
        return Status(name, path, "ok", verify(path, entry))
    except PermissionError:
        return Status(name, path, "unreadable", _unreadable(path))
    except validate.ContentError as error:
        return Status(
            name, path, "corrupt",
            f"{error}. It has been left in place: delete it (or move it away to keep it) "
            f"and run {_fix(name)} again",
        )


def _unreadable(path: Path) -> str:
    return (
        f"you cannot read it (its permissions are {oct(path.stat().st_mode & 0o777)}). "
        f"Ask its owner to run `chmod a+r {path}`, or set {CACHE_ENV} to a folder of your own"
    )


def stray_partials() -> list[Path]:
    """Temporary files of downloads that were interrupted (or are still running)."""
    folder = cache_dir()
    folders = {(folder / entry.path).parent for entry in REGISTRY.values()}
    return sorted(p for f in folders if f.is_dir() for p in f.glob(f"*{PARTIAL_SUFFIX}"))


# -- Fetching ----------------------------------------------------------------


def source_url(entry: RemoteFile) -> str:
    """Where ``entry`` is downloaded from: the venue mirror if one is set, else its public home."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    return f"{mirror.rstrip('/')}/{entry.path}" if mirror else entry.url


def fetch(name: str, progress: bool = True) -> Path:
    """Return the local path of a registered file, downloading it if needed.

    A cached file is verified each time and never downloaded again. A file
    that fails verification is left in place (nothing is deleted) and the
    error says how to replace it.
    """
    found = status(name)
    if found.ok:
        return found.path
    if found.state == "corrupt":
        raise DataCorruptError(f"The cached file {found.path} is not valid: {found.detail}.")
    if found.state == "unreadable":
        raise DataUnreadableError(f"The cached file {found.path} cannot be used: {found.detail}.")
    return _download(name, lookup(name), found.path, progress)


def _download(name: str, entry: RemoteFile, target: Path, progress: bool) -> Path:
    import pooch

    url = source_url(entry)
    manual = (
        f"Download {url}\nby hand and save it as {target}\n"
        f"(the cache folder is {cache_dir()}; set the {CACHE_ENV} environment "
        "variable to use another one)."
    )
    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataMissingError(
            f"{entry.path} is not cached and the cache folder cannot be written ({error}).\n{manual}"
        ) from error
    partial = target.with_name(f"{target.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        try:
            pooch.HTTPDownloader(progressbar=progress, timeout=60)(url, str(partial), None)
        except Exception as error:  # no network, HTTP error, disk full, ...
            raise DataMissingError(
                f"{entry.path} is not cached and could not be downloaded "
                f"({type(error).__name__}: {error}).\n{manual}"
            ) from error
        try:
            verify(partial, entry)
        except validate.ContentError as error:
            raise DataCorruptError(
                f"The download of {name} from {url} was rejected: {error}. "
                f"Nothing was saved; run {_fix(name)} to try again."
            ) from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)  # readable by everyone a shared cache serves
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        for folder in created:  # leave no empty folders behind
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return target


def remove_stray_partials(older_than: float = 60.0) -> list[Path]:
    """Delete temporary files of interrupted downloads untouched for ``older_than`` seconds."""
    removed = []
    for path in stray_partials():
        try:
            if time.time() - path.stat().st_mtime >= older_than:
                path.unlink()
                removed.append(path)
        except OSError:
            pass
    return removed
