"""The lesson's data files: where they come from, where they are kept, how they are checked.

Every file the lesson downloads is listed once, in :data:`dlhelpers.registry.REGISTRY`. Files
are kept in one cache folder (:func:`cache_dir`, pooch's cache location),
downloaded with requests (resumed by HTTP range, with a size cap and a stall
limit), and every file is verified before it is used: by its sha256 where the
true bytes are known, and always by its content (:mod:`dlhelpers.validate`),
so that a web page, a cut-off download or a damaged file is never taken for
data.

Environment variables (read when a file is needed, not at import):

``DLHELPERS_DATA``
    The cache folder (``~`` expanded, made absolute).
``DLHELPERS_MIRROR``
    Base address of a venue mirror (``python -m dlhelpers serve``) to
    download from instead of the files' public homes.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from . import validate
from .registry import REGISTRY, RemoteFile  # noqa: F401  (cache.REGISTRY: the same dict)

#: Environment variable that overrides the cache folder.
CACHE_ENV = "DLHELPERS_DATA"
#: Environment variable naming a venue mirror to download from.
MIRROR_ENV = "DLHELPERS_MIRROR"
#: Suffix of a download in progress; what a killed download leaves behind.
PARTIAL_SUFFIX = ".part"
#: Suffix of what a failed download received, kept so that the next try goes on from there.
KEPT_SUFFIX = ".incomplete"


class DataError(Exception):
    """Base class of the errors a learner can act on.

    A failed download also carries, for ``python -m dlhelpers download`` to
    sum up once: ``cause`` (a few words, the same for every file that failed
    the same way), ``url`` and ``target`` (where the file should be saved).
    """

    cause: str | None = None
    url: str | None = None
    target: Path | None = None
    kept: int = 0  # bytes kept for the next try

    def failed_download(self, cause: str, url: str, target: Path) -> "DataError":
        self.cause, self.url, self.target = cause, url, target
        return self


#: Fixes for causes that connecting to the internet does not mend, by the cause's first words.
FIXES = {
    "the mirror is busy": "wait a minute and run `python -m dlhelpers download` again: the mirror is serving many learners",
    "the mirror does not have": "tell the instructor: the mirror serves only the files it has verified",
    "the mirror could not be reached": (
        "check the mirror's address with the instructor (`python -m dlhelpers serve` prints it), that the "
        "mirror is running, and that this computer is on the mirror's network (some Wi-Fi networks keep "
        "their devices apart); or unset DLHELPERS_MIRROR to download from the internet"),
    "a proxy refused the connection to the mirror": (
        "the mirror is on this network: add its address to NO_PROXY (e.g. NO_PROXY=192.168.1.20) so that "
        "it is reached directly, and run `python -m dlhelpers download` again"),
    "the cache folder is read-only": "set DLHELPERS_DATA to a folder you can write, or ask for write access",
    "the disk is full": "free some disk space (or set DLHELPERS_DATA to a folder on another disk) and try again",
    "the file could not be written": (
        "mend what the cause names (for 'File too large', a limit on file size: `ulimit -f unlimited`), "
        "or set DLHELPERS_DATA to a folder on another disk"),
}


def fix_for(cause: str) -> str | None:
    """What to do about a failed download's cause; None where connecting to the internet is the fix."""
    return next((fix for start, fix in FIXES.items() if cause.startswith(start)), None)


def failure_cause(error: BaseException) -> str:
    """What a failed request says about the network, in words the same for every file."""
    import requests

    text = str(error)
    if isinstance(error, _CutOff):
        return f"the response was cut off ({error})"
    if isinstance(error, _TooSlow):
        return f"the download took too long ({error})"
    if isinstance(error, requests.exceptions.TooManyRedirects):
        return "the server redirected in a loop (a proxy or a sign-in page)"
    if isinstance(error, (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                          requests.exceptions.InvalidURL)):
        return "a redirect to an address that is not a web address was refused"
    if isinstance(error, requests.exceptions.HTTPError) and error.response is not None and mirror_address():
        code = error.response.status_code
        if code == 503:
            return "the mirror is busy (it answered 503, again after retrying)"
        if code == 404:
            return "the mirror does not have this file (it answered 404)"
    if isinstance(error, OSError) and error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"the cache folder is read-only ({error.strerror})"
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({error.strerror})"
    if isinstance(error, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "the response was cut off (the connection broke during the transfer)"
    if isinstance(error, requests.exceptions.ProxyError):
        request = getattr(error, "request", None)
        variable = "HTTP_PROXY" if request is not None and str(request.url).startswith("http:") else "HTTPS_PROXY"
        if mirror_address():
            return f"a proxy refused the connection to the mirror (the {variable} setting sends it there)"
        return f"a proxy refused the connection (check the {variable} setting your network needs)"
    if isinstance(error, requests.exceptions.SSLError):
        return ("the secure connection was interfered with (a captive portal or proxy "
                "answers for the server)")
    if isinstance(error, requests.exceptions.ConnectionError) and mirror_address():
        why = ("its name could not be looked up: check its spelling" if "NameResolution" in text
               or "resolve" in text or "getaddrinfo" in text else
               "nothing answers at that port: the mirror is stopped, or the port is wrong" if "refused" in text
               else "no answer from that address: a mistyped address, another network, or a network "
                    "that keeps its devices apart")
        return f"the mirror could not be reached at {mirror_address()} ({why})"
    if isinstance(error, requests.exceptions.ConnectionError) and (
            "NameResolution" in text or "resolve" in text or "getaddrinfo" in text):
        return "no network: the servers' names could not be looked up (offline, or the network blocks them)"
    if isinstance(error, requests.exceptions.Timeout):
        return "the servers did not answer in time (a slow or blocked network)"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "the servers could not be reached (offline, or a firewall blocks them)"
    if isinstance(error, requests.exceptions.HTTPError) and error.response is not None:
        return f"the server answered HTTP {error.response.status_code}"
    if isinstance(error, OSError):
        return f"the file could not be written ({error.strerror or error})"
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


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


def cache_dir() -> Path:
    """The absolute path of the folder where downloaded files are kept.

    The ``DLHELPERS_DATA`` environment variable where it is set; otherwise
    the operating system's cache folder for the user, the same on a laptop
    and on Colab: ``~/.cache/dlhelpers`` on Linux, ``~/Library/Caches/dlhelpers``
    on macOS, ``%LOCALAPPDATA%\\dlhelpers\\dlhelpers\\Cache`` on Windows.
    """
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        try:
            folder = Path(value).expanduser().resolve(strict=False)
            try:  # Python 3.13's resolve() no longer raises on a symlink loop: stat does
                os.stat(folder)
            except FileNotFoundError:
                pass  # made when the first file is downloaded
            if folder.exists() and not folder.is_dir():
                raise SettingError(f"{CACHE_ENV}={value!r} is a file, not a folder: set it to a folder "
                                   "(it is made if missing) or unset it to use the default cache.")
        except (RuntimeError, OSError) as error:  # a symlink loop, a name too long, ...
            raise SettingError(f"{CACHE_ENV}={value!r} cannot be used as the cache folder ({error}): "
                               "set it to a folder you can write, or unset it.") from None
        return folder
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
    try:
        found = path.stat()
    except PermissionError:
        return Status(name, path, "unreadable", _unreadable_folder(path))
    except OSError as error:
        if error.errno not in (errno.ENOENT, errno.ENOTDIR):
            return Status(name, path, "unreadable", f"it cannot be opened ({error.strerror})")
        return Status(name, path, "missing", f"not downloaded yet: run {_fix(name)}")
    if not os.path.isfile(path):
        return Status(name, path, "corrupt", f"it is a folder, not a file: move it away and run {_fix(name)}"
                      if os.path.isdir(path) else f"it is not a regular file: remove it and run {_fix(name)}")
    if found.st_size > entry.max_bytes:
        return Status(name, path, "corrupt",
                      f"it is {found.st_size:,} bytes, more than the {entry.max_bytes:,} such a file can be. "
                      f"Delete it and run {_fix(name)} again")
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


def _unreadable_folder(path: Path) -> str:
    """What to do when a folder on the way to ``path`` cannot be entered."""
    blocked = next((folder for folder in reversed(path.parents) if folder.exists()
                    and not os.access(folder, os.X_OK)), path.parent)
    return (f"the folder {blocked} cannot be entered by you. Ask its owner to run "
            f"`chmod a+rx {blocked}`, or set {CACHE_ENV} to a folder of your own")


def _unreadable(path: Path) -> str:
    return (
        f"you cannot read it (its permissions are {oct(path.stat().st_mode & 0o777)}). "
        f"Ask its owner to run `chmod a+r {path}`, or set {CACHE_ENV} to a folder of your own"
    )


def _partial_name(target: Path, pid: int) -> Path:
    """A temporary file for a download of ``target`` by process ``pid``: NAME.PID-RANDOM.part.

    The random part makes the name unguessable, so that nobody can plant a file
    or link there in advance; it is created exclusively all the same.
    """
    import secrets

    return target.with_name(f"{target.name}.{pid}-{secrets.token_hex(6)}{PARTIAL_SUFFIX}")


def _partial_pid(path: Path) -> int | None:
    """The process of a partial file NAME.PID-RANDOM.part (NAME a registered file's), or None."""
    name, _, tail = path.name.removesuffix(PARTIAL_SUFFIX).rpartition(".")
    pid = tail.split("-")[0]
    ours = any(Path(entry.path).name == name for entry in REGISTRY.values())
    return int(pid) if ours and path.name.endswith(PARTIAL_SUFFIX) and pid.isdigit() and len(pid) < 10 else None


def _create_partial(target: Path) -> tuple[Path, int]:
    """Create a partial file for ``target`` exclusively, never through a link; (its path, its descriptor).

    The descriptor holds an exclusive lock (where the system has ``flock``) for as
    long as the download runs: that, not the process id alone, tells a live
    download in a cache shared by several machines or containers.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(5):
        partial = _partial_name(target, os.getpid())
        try:
            fd = os.open(partial, flags, 0o600)
        except FileExistsError:
            continue  # taken (or planted): draw another name
        _lock(fd)
        return partial, fd
    raise FileExistsError(errno.EEXIST, "could not create a temporary file for the download", str(target))


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: files in use cannot be deleted anyway
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # a file system without locks: the process id and the age still guard it


def _locked(path: Path) -> bool:
    """Whether a live download holds ``path``'s lock (False where nothing can tell)."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # someone else's process, or we cannot tell: leave its file alone
    return True


def stray_partials() -> list[Path]:
    """This tool's temporary files (NAME.PID.part) of downloads that were interrupted or still run."""
    folder = cache_dir()
    found = []
    for entry in REGISTRY.values():
        target = folder / entry.path
        try:
            candidates = list(target.parent.glob(f"{target.name}.*{PARTIAL_SUFFIX}"))
        except OSError:  # a folder that cannot be read: status() reports it
            continue
        found += [p for p in candidates if _partial_pid(p) is not None]
    return sorted(set(found))


# -- Fetching ----------------------------------------------------------------


def mirror_address() -> str | None:
    """The venue mirror's base address from DLHELPERS_MIRROR, checked; None when it is unset."""
    if MIRROR_ENV not in os.environ:
        return None
    value = os.environ[MIRROR_ENV].strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port out of range)
        malformed = False
    except ValueError:  # an unclosed IPv6 bracket, a port out of 0-65535, ...
        malformed = True
    if (malformed or parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment):
        raise SettingError(
            f"{MIRROR_ENV}={value!r} is not a mirror's address: give it as the instructor's mirror "
            "prints it, e.g. http://192.168.1.20:8765, or unset it to download from the files' "
            "public homes.")
    return value.rstrip("/")


def source_url(entry: RemoteFile) -> str:
    """Where ``entry`` is downloaded from: the venue mirror if one is set, else its public home."""
    mirror = mirror_address()
    return f"{mirror}/{entry.path}" if mirror else entry.url


class _Capped:
    """A file that refuses to grow past ``limit`` bytes (what a download is written into)."""

    def __init__(self, file, limit: int, written: int = 0):
        self.file, self.limit, self.written = file, limit, written

    def truncate(self, size: int = 0) -> int:  # a download that starts again
        self.written = size
        return self.file.truncate(size)

    def write(self, data: bytes) -> int:
        self.written += len(data)
        if self.written > self.limit:
            raise _TooLarge(self.limit)
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)


class _TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the server sent more than {limit:,} bytes, more than the file can be")


class _CutOff(Exception):
    """A response shorter than its Content-Length, again after restarting."""


class _TooSlow(Exception):
    """A download over its deadline."""


#: Seconds a download may receive nothing before the connection is given up.
STALL_SECONDS = 30
#: Seconds a download may take, retries included, beyond the time its progress earns (SLOWEST_RATE).
DEADLINE_SECONDS = 1800
#: Each byte received gives a download 1/SLOWEST_RATE s more: one that keeps moving faster than
#: this (2 KB/s: the 43 MB images in six hours) finishes however long it takes; one that drips does not.
SLOWEST_RATE = 2048
#: How often a busy mirror (503), or a cut-off transfer that brought nothing new, is tried again.
RETRIES = 4


def _get(url: str, file, progress: bool) -> None:
    """Download ``url`` into ``file``: retry a busy server, resume a cut transfer, give up a stalled one.

    A 503 (a busy mirror) is retried after its Retry-After (or 2 s), doubling up
    to 30 s between tries. A transfer cut short goes on from where it stopped,
    with an HTTP Range request (and If-Range, so that a file changed meanwhile
    starts again whole); a server that answers with the whole file instead is
    read again from the beginning. RETRIES cuts in a row that bring nothing new
    end the download; so does no data for STALL_SECONDS, or the deadline:
    DEADLINE_SECONDS, and 1/SLOWEST_RATE s more for each byte received. A ``file``
    that holds bytes already (kept by an earlier try) is resumed the same way.
    """
    import requests

    started, kept = time.monotonic(), file.written

    def deadline() -> float:
        return started + DEADLINE_SECONDS + (file.written - kept) / SLOWEST_RATE

    validator, cuts, busy = None, 0, 0
    with requests.Session() as session:
        session.max_redirects = 5
        while True:
            have = file.written
            headers = {"Accept-Encoding": "identity"}  # ranges count the file's own bytes
            if have:
                headers["Range"] = f"bytes={have}-"
                if validator:
                    headers["If-Range"] = validator
            response = session.get(url, stream=True, timeout=(15, STALL_SECONDS), headers=headers)
            with response:
                if response.status_code == 503 and busy < RETRIES:
                    try:
                        wait = float(response.headers.get("Retry-After", 2))
                    except ValueError:
                        wait = 2.0
                    wait = min(max(wait, 1.0) * 2 ** busy, 30.0)
                    busy += 1
                    if time.monotonic() + wait < deadline():
                        time.sleep(wait)
                        continue
                total = _range_total(response.headers.get("Content-Range", ""))
                if response.status_code == 416 and have and total == have:
                    return  # it was all here already
                resumed = response.status_code == 206 and have > 0 and \
                    response.headers.get("Content-Range", "").startswith(f"bytes {have}-")
                if not resumed and (response.ok or response.status_code == 416):  # the whole file comes
                    file.seek(0)
                    file.truncate()
                    if have and response.status_code in (206, 416):  # not the range asked for: ask for it all
                        cuts += 1
                        continue
                response.raise_for_status()
                length = response.headers.get("Content-Length")
                expected = total if resumed and total else (
                    file.written + int(length) if length and length.isdigit() else None)
                if response.headers.get("Content-Encoding", "identity") != "identity":
                    expected = None  # requests unpacks it: the length on the wire is not the file's
                etag = response.headers.get("ETag", "")
                validator = etag if etag and not etag.startswith("W/") else response.headers.get("Last-Modified")
                before = file.written
                file.seek(before)
                bar = _progress_bar(expected, before) if progress else None
                try:
                    for chunk in _arriving(response):
                        file.write(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                        if time.monotonic() > deadline():
                            raise _TooSlow(f"{file.written:,} bytes in {time.monotonic() - started:,.0f} s, "
                                           f"slower than {SLOWEST_RATE:,} bytes/s")
                except _Broken:
                    pass  # cut off: counted below
                finally:
                    if bar is not None:
                        bar.close()
                if expected is None or file.written == expected:
                    return
                cuts = 0 if resumed and file.written > before else cuts + 1
                if cuts > RETRIES:
                    raise _CutOff(f"{file.written:,} of {expected:,} bytes, {cuts} times")


def _range_total(content_range: str) -> int | None:
    """The whole file's size from a Content-Range header (``bytes 10-99/100``, ``bytes */100``)."""
    total = content_range.rpartition("/")[2].strip()
    return int(total) if content_range.startswith("bytes ") and total.isdigit() else None


class _Broken(Exception):
    """The connection broke during a transfer."""


def _arriving(response):
    """A response's body as it arrives (so that a server dripping bytes meets the deadline).

    urllib3's ``read1`` returns whatever has come; reads that wait longer than
    the read timeout raise ``requests``' own Timeout; a broken transfer, _Broken.
    """
    import requests
    import urllib3

    read1 = getattr(response.raw, "read1", None)  # urllib3 2; else whole chunks
    try:
        if read1 is None:
            yield from response.iter_content(64 * 1024)
            return
        while chunk := read1(64 * 1024, decode_content=True):
            yield chunk
    except (urllib3.exceptions.ReadTimeoutError, requests.exceptions.Timeout) as error:
        raise requests.exceptions.ReadTimeout(str(error)) from None
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError):
        raise _Broken from None


def _progress_bar(total: int | None, initial: int = 0):
    """A progress bar on stderr (a widget in a notebook); ASCII on Windows, whose consoles may lack Unicode."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, ncols=79, ascii=sys.platform == "win32", unit="B",
                unit_scale=True, leave=True)


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
        ).failed_download(failure_cause(error), url, target) from error
    if target.exists() and not target.is_file():
        raise DataCorruptError(f"{target} is a folder, not the file {entry.path}: move it away and "
                               f"run {_fix(name)} again.")
    try:
        partial, fd = _create_partial(target)
    except OSError as error:
        raise DataMissingError(
            f"{entry.path} is not cached and the cache folder cannot be written ({error}).\n{manual}"
        ).failed_download(failure_cause(error), url, target) from error
    try:
        try:
            with os.fdopen(fd, "wb", closefd=False) as file:
                _get(url, _Capped(file, entry.max_bytes, _take_kept(target, file, entry.max_bytes)), progress)
        except _TooLarge as error:
            raise DataCorruptError(
                f"The download of {name} from {url} was stopped: {error}. "
                f"Nothing was saved; check the address and run {_fix(name)} again."
            ).failed_download(str(error), url, target) from None
        except Exception as error:  # no network, HTTP error, disk full, ...
            failed = DataMissingError(
                f"{entry.path} is not cached and could not be downloaded "
                f"({type(error).__name__}: {error}).\n{manual}"
            ).failed_download(failure_cause(error), url, target)
            failed.kept = _keep(partial, fd, target)
            raise failed from error
        umask = os.umask(0)
        os.umask(umask)
        if hasattr(os, "fchmod"):  # the file we made, whatever its name points to now
            os.fchmod(fd, 0o666 & ~umask)  # readable by everyone a shared cache serves
        else:
            os.chmod(partial, 0o666 & ~umask)
        os.close(fd)  # the lock goes too: HDF5 locks the file it checks
        fd = None
        if not partial.exists():
            raise DataMissingError(
                f"The download of {name} was removed from the cache while it ran (by another "
                f"learner's cleanup, in a shared cache). Nothing was saved; run {_fix(name)} again."
            ).failed_download("another process removed the file being downloaded", url, target)
        try:
            verify(partial, entry)
        except validate.ContentError as error:
            cause = ("a web page came back instead of data (a Wi-Fi sign-in page or a proxy)"
                     if isinstance(error, validate.WebPageError) else f"the download was rejected: {error}")
            raise DataCorruptError(
                f"The download of {name} from {url} was rejected: {error}. "
                f"Nothing was saved; run {_fix(name)} to try again."
            ).failed_download(cause, url, target) from None
        os.replace(partial, target)
    except BaseException:
        if fd is not None:
            os.close(fd)
        partial.unlink(missing_ok=True)
        for folder in created:  # leave no empty folders behind
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return target


def _take_kept(target: Path, file, limit: int) -> int:
    """Copy into ``file`` what an earlier failed download of ``target`` kept, if it is this user's
    own regular file (never through a link); return how many bytes that is."""
    kept = target.with_name(target.name + KEPT_SUFFIX)
    try:
        fd = os.open(kept, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_BINARY", 0))
    except OSError:
        return 0
    with os.fdopen(fd, "rb") as source:
        found = os.fstat(fd)
        if (not stat.S_ISREG(found.st_mode) or found.st_size > limit
                or found.st_uid != getattr(os, "getuid", lambda: found.st_uid)()):
            return 0
        shutil.copyfileobj(source, file)
    kept.unlink(missing_ok=True)
    return file.tell()


def _keep(partial: Path, fd: int, target: Path) -> int:
    """Keep what a failed download received as NAME.incomplete; return how many bytes (0: nothing kept)."""
    try:
        size = os.fstat(fd).st_size
        if size:
            os.replace(partial, target.with_name(target.name + KEPT_SUFFIX))
        return size
    except OSError:
        return 0


def remove_stray_partials(older_than: float = 60.0) -> list[Path]:
    """Delete this tool's partial files whose download process is gone and that are
    untouched for ``older_than`` seconds; nothing else is ever deleted."""
    removed = []
    for path in stray_partials():
        try:
            if (not _running(_partial_pid(path)) and not _locked(path)
                    and time.time() - path.stat().st_mtime >= older_than):
                path.unlink()
                removed.append(path)
        except OSError:
            pass
    return removed
