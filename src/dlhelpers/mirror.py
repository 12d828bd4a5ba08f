"""A venue mirror: one machine serves its verified data cache to the room (workshop set-up).

The instructor runs ``python -m dlhelpers serve``; learners set
``DLHELPERS_MIRROR=http://ADDRESS:PORT`` (or pass ``--mirror``) and their
downloads come from that machine, checked exactly as downloads from the
files' public homes.

What it serves, and nothing else: at start-up each registered file is read
once through a descriptor that follows no symbolic link and blocks on no
special file, and those very bytes are verified. A request gets the file
streamed from disk, opened the same way, if it is still the file that was
verified (same device, inode, size and modification time), or "404 Not
Found". If the file on disk is later replaced, changed or removed, its
address answers 404 and the console says to restart the mirror. Nothing is
held in memory but a chunk per connection, so large files stream too.

With ``--wheels DIR`` it also serves a wheelhouse (``python -m
tools.maintain.wheelhouse``, in the lesson's folder) at ``/wheels/``: a page of links that pip's ``--find-links``
reads, and each wheel, read once at start-up through the same guarded
descriptor, checked (against the lock's hashes where the lock names it, else
as a zip file read whole) and streamed the same way; a wheel left out is named
with the reason. pip checks the lock's hashes again on the learner's machine.
Files are served whole or in byte ranges (an interrupted download goes on).

Read-only (GET and HEAD). Time limits follow progress, not size: a request
must arrive whole within REQUEST_SECONDS, and a connection is closed when
it makes no progress for IDLE_SECONDS, however slowly the learner's network
carries the file. The request line and headers are bounded (REQUEST_BYTES);
the number of connections is bounded in all and per client address
(PER_CLIENT), so that one machine cannot fill the room, and when all are
taken the oldest incomplete request makes room for a newcomer, so that many
machines sending slow requests cannot either. What it logs is escaped, one
line per request, refusals with who and why.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from . import cache

try:
    import resource  # not on Windows
except ImportError:
    resource = None

#: Seconds a connection may make no progress (no byte of the request read, none of the file sent).
IDLE_SECONDS = 20
#: Seconds in which a request (its line and headers) must arrive whole.
REQUEST_SECONDS = 5
#: The most bytes a request's line and headers may take.
REQUEST_BYTES = 8192
#: Bytes read from disk and handed to the network at a time.
CHUNK = 64 * 1024
#: The most connections served at once (fewer where the process may open fewer files).
MAX_CONNECTIONS = 400
#: The most connections one client address may hold at once.
PER_CLIENT = 8
#: Flags that open a cached file without following a link or blocking on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True)
class Served:
    """One verified file: where it is, and what the file on disk was when it was verified."""
    path: Path
    size: int
    identity: tuple  # (device, inode, size, modification time in ns)
    sha256: str


def _identity(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _no_link_below(root: Path, path: Path) -> bool:
    """Whether neither ``path`` nor any folder between the cache folder and it is a symbolic link."""
    current = path
    while current != root and root in current.parents:
        if current.is_symlink():
            return False
        current = current.parent
    return True


def _read_once(path: Path, max_bytes: int | None = None, out=None) -> Served | None:
    """Read a file once through a descriptor that follows no link and blocks on no FIFO.

    Hashes the bytes (and copies them to ``out`` if given); None unless it is a
    regular file of at most ``max_bytes`` that did not change while it was read.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(file.fileno())
        if not stat.S_ISREG(st.st_mode) or (max_bytes is not None and st.st_size > max_bytes):
            return None
        read = 0
        while chunk := file.read(CHUNK):
            read += len(chunk)
            if read > st.st_size:
                return None
            digest.update(chunk)
            if out is not None:
                out.write(chunk)
        if read != st.st_size or _identity(os.fstat(file.fileno())) != _identity(st):
            return None
    return Served(path, st.st_size, _identity(st), digest.hexdigest())


def snapshot(name: str) -> Served | str:
    """Read a registered cached file once and verify exactly those bytes; else why it is not fit."""
    entry = cache.REGISTRY[name]
    root = cache.cache_dir()
    path = root / entry.path
    if not _no_link_below(root, path):
        return ("it is a symbolic link, or lies behind one: the mirror serves only files that lie in "
                "the cache folder; put a copy of the file there instead")
    # Verify the bytes read, not the path (which could change meanwhile): they are
    # copied, a chunk at a time, into a private folder and checked there.
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        with open(copy, "wb") as out:
            served = _read_once(path, entry.max_bytes, out)
        found = cache.status(name)
        if served is None:
            return found.detail if not found.ok else "it is not a regular file, or it changed while it was read"
        try:
            cache.verify(copy, entry)
        except (cache.validate.ContentError, OSError) as error:
            return f"{error}; see `python -m dlhelpers check`"
    return served


#: Where a wheelhouse is served (``serve --wheels DIR``): pip's --find-links address.
WHEELS = "wheels/"
_WHEEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\.whl")


def locked_hashes(lock: Path) -> dict:
    """The lock's hashes: {package name: {version: sha256 digests of its files}}, names normalised
    and versions parsed as in wheel file names."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from .lockfile import read_lock

    found: dict = {}
    for entry in read_lock(lock.read_text()):
        versions = found.setdefault(canonicalize_name(entry.name), {})
        versions.setdefault(Version(entry.version), set()).update(entry.hashes)
    return found


def check_wheel(path: Path, locked: dict) -> Served | str:
    """A wheel of the wheelhouse, read once and checked: its sha256 against the lock where the lock
    names its package, else its zip archive read whole. Else why it is left out."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        name, version, _, _ = parse_wheel_filename(path.name)
        st = path.lstat()
    except InvalidWheelFilename:
        return "its name is not a wheel's (NAME-VERSION-TAGS.whl)"
    except OSError as error:
        return f"it cannot be looked at ({error.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return ("it is a symbolic link: the mirror serves only files that lie in the folder; "
                "put a copy of the wheel there instead")
    if not stat.S_ISREG(st.st_mode):
        return "it is a folder, not a wheel" if stat.S_ISDIR(st.st_mode) else "it is not a regular file"
    try:
        os.close(os.open(path, _OPEN_FLAGS))
    except PermissionError:
        return (f"you cannot read it (its permissions are {oct(st.st_mode & 0o777)}, and it belongs to "
                f"user {st.st_uid}): its owner can run `chmod a+r {path}`")
    except OSError as error:
        return f"it cannot be opened ({error.strerror})"
    served = _read_once(path)
    if served is None:
        return "it changed while it was read"
    versions = locked.get(name)
    if versions is not None:
        if version not in versions:
            return (f"the lock installs {name} {', '.join(map(str, sorted(versions)))}, not {version}: "
                    "a wheel of another lock")
        if served.sha256 not in versions[version]:
            return (f"its sha256 is none of the lock's for {name} {version} (cut short, damaged or "
                    "another build): fill the folder again with `python -m tools.maintain.wheelhouse`")
        return served
    try:  # not in the lock (the helpers' own wheel): every member must unpack
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f"it is not a readable wheel ({error}): cut short or damaged; build it again"
    if damaged is not None:
        return f"its member {damaged} is damaged: build it again"
    if _identity(os.lstat(path)) != served.identity:
        return "it changed while it was read"
    return served


def wheelhouse_files(folder: Path, lock: Path | None = None) -> tuple[dict[str, Served], list[str]]:
    """The wheels of a wheelhouse (``python -m tools.maintain.wheelhouse``) fit to serve, by their
    address, and a line for each file named like a wheel that is left out, saying why.

    Only files directly in the folder, read once as the data files are and checked
    (:func:`check_wheel`) against ``lock`` where it is given; the mirror serves only
    these bytes, unchanged since they were checked.
    """
    locked = locked_hashes(lock) if lock is not None else {}
    found, left_out = {}, []
    with os.scandir(folder) as listing:
        for item in sorted(listing, key=lambda item: item.name):
            if item.name.endswith(".whl"):
                served = check_wheel(Path(item.path), locked)
                if isinstance(served, Served) and _WHEEL_NAME.fullmatch(item.name):
                    found[WHEELS + item.name] = served
                else:
                    left_out.append(f"{WHEELS}{escaped(item.name)}: "
                                    f"{served if isinstance(served, str) else 'its name has characters no wheel has'}")
    return found, left_out


def wheels(folder: Path, lock: Path | None = None) -> dict[str, Served]:
    """The wheels of a wheelhouse fit to serve, by their address (:func:`wheelhouse_files`)."""
    return wheelhouse_files(folder, lock)[0]


def wheel_index(files: dict[str, Served]) -> bytes:
    """The page pip reads at the wheelhouse's address: a link per wheel, with its hash."""
    links = "".join(f'<a href="{key.removeprefix(WHEELS)}#sha256={served.sha256}">'
                    f'{key.removeprefix(WHEELS)}</a><br>\n'
                    for key, served in files.items() if key.startswith(WHEELS))
    return ("<!DOCTYPE html>\n<html><head><title>The lesson's wheels</title></head><body>\n"
            f"{links}</body></html>\n").encode()


def servable(left_out: list[str] | None = None) -> dict[str, Served]:
    """The cached files that pass verification, by their path in the cache.

    A file that is left out is named in ``left_out``, with the reason; one that
    cannot be verified here (no room for the private copy, a folder this user may
    not enter) is also reported on its own line at once.
    """
    found = {}
    for name, entry in cache.REGISTRY.items():
        try:
            served = snapshot(name)
        except OSError as error:
            print(f"Not served: {entry.path} could not be verified ({escaped(error.strerror or str(error))}); "
                  "the other files are.", flush=True)
            continue
        if isinstance(served, Served):
            found[entry.path] = served
        elif left_out is not None:
            left_out.append(f"{entry.path}: {escaped(served)}")
    return found


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def escaped(text: str) -> str:
    """Text safe to print on a terminal: control characters (and backslashes) as escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def _connection_limit() -> int:
    if resource is None:
        return MAX_CONNECTIONS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(8, min(MAX_CONNECTIONS, soft - 64))  # room for the files, the listener, logging


_LOG = threading.Lock()


def log(line: str) -> None:
    """Print one line of the mirror's log in one piece, however many requests end at once."""
    with _LOG:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class MirrorServer(http.server.ThreadingHTTPServer):
    """Serves a fixed set of verified files; at most ``max_connections`` at once, PER_CLIENT per address.

    When every connection is taken, the one held longest by a request that is still
    incomplete (what a slow-request attacker holds; a learner's request arrives at
    once) is closed to make room for the newcomer; only a mirror busy sending is full.
    """
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, files: dict[str, Served], max_connections: int | None = None):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.files = files
        self.index = wheel_index(files) if any(key.startswith(WHEELS) for key in files) else None
        self.max_connections = max_connections or _connection_limit()
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._lock = threading.Lock()
        self._per_client: dict[str, int] = {}
        self._incomplete: dict[socket.socket, str] = {}  # connections whose request is not in yet, oldest first
        super().__init__(address, _Handler)

    def _refuse(self, request, client: str, why: str) -> None:
        log(f"{client} refused: {why}")
        try:  # say so at once rather than keep the client waiting
            request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 5\r\n"
                            b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        self.shutdown_request(request)

    def _take_slot(self) -> bool:
        """A connection slot, made free if need be by closing the oldest incomplete request."""
        if self._slots.acquire(blocking=False):
            return True
        with self._lock:
            oldest = next(iter(self._incomplete.items()), None)
            if oldest is not None:
                del self._incomplete[oldest[0]]
        if oldest is None:
            return False
        log(f"{oldest[1]} closed: its request was still incomplete when the mirror was full")
        try:
            oldest[0].shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return self._slots.acquire(timeout=2)

    def request_complete(self, connection) -> None:
        with self._lock:
            self._incomplete.pop(connection, None)

    def process_request(self, request, client_address):
        client = client_address[0]
        with self._lock:
            held = self._per_client.get(client, 0)
            busy = (f"it holds {held} connections already (at most {PER_CLIENT} per address)"
                    if held >= PER_CLIENT else None)
            if busy is None:
                self._per_client[client] = held + 1
        if busy is None and not self._take_slot():
            busy = f"the mirror is sending to {self.max_connections} connections already"
            self._release(client, slot=False)
        if busy:
            self._refuse(request, client, busy)
            return
        with self._lock:
            self._incomplete[request] = client
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.request_complete(request)
            self._release(client)
            raise

    def _release(self, client: str, slot: bool = True) -> None:
        with self._lock:
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]
        if slot:
            self._slots.release()

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.request_complete(request)
            self._release(client_address[0])

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        log(f"{client_address[0]} connection ended: {escaped(type(error).__name__)}: {escaped(str(error))}")


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(asked: str | None, if_range: str | None, size: int, etag: str) -> tuple[int, int] | None:
    """The bytes [start, end) to send for a Range header (one range; RFC 9110), or None if it lies
    past the end (416). The whole file where none is asked, where it cannot be read, or where
    If-Range names another version of the file."""
    match = _RANGE.fullmatch((asked or "").strip())
    if not match or not any(match.groups()) or (if_range is not None and if_range.strip() != etag):
        return 0, size
    first, last = match.groups()
    if not first:  # the last N bytes
        return (max(0, size - int(last)), size) if int(last) else None
    start, end = int(first), min(size, int(last) + 1) if last else size
    if last and int(last) < start:
        return 0, size  # not a valid range: ignored
    return (start, end) if start < size else None


class _BoundedReader:
    """The request's reader: at most REQUEST_BYTES in all, then end of input."""

    def __init__(self, raw):
        self.raw, self.left = raw, REQUEST_BYTES

    def readline(self, limit: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        line = self.raw.readline(self.left if limit < 0 else min(limit, self.left))
        self.left -= len(line)
        return line

    def read(self, size: int = -1) -> bytes:
        return b""  # a GET or HEAD has no body worth reading

    def __getattr__(self, name):
        return getattr(self.raw, name)


class _Handler(http.server.BaseHTTPRequestHandler):
    timeout = IDLE_SECONDS  # per socket operation: a read or a send that makes no progress
    server: MirrorServer

    def setup(self):
        self.timeout = IDLE_SECONDS  # read at each connection, so that tests can shorten it
        super().setup()
        # A bounded send buffer: a client that stops reading is noticed, not fed into memory.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 * 1024)
        self.rfile = _BoundedReader(self.rfile)
        self._late = threading.Timer(REQUEST_SECONDS, self._too_slow)
        self._late.daemon = True
        self._late.start()

    def _too_slow(self):
        self.log_message("%s", f"request not complete within {REQUEST_SECONDS} s: closed")
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the headers
        self._late.cancel()  # the request is in, or it was refused
        self.server.request_complete(self.connection)
        if parsed and self.rfile.left <= 0:
            self.send_error(431, "Request line or headers too large")
            return False
        return parsed

    def finish(self):
        self._late.cancel()
        super().finish()

    def do_GET(self):
        self._send(body=True)

    def do_HEAD(self):
        self._send(body=False)

    def _send(self, body: bool) -> None:
        key = unquote(self.path.split("?")[0]).lstrip("/")  # pip asks for a "+" as %2B
        if key == WHEELS.rstrip("/") and self.server.index is not None:
            # Its links are relative: without the final slash they would lead to the root.
            self.send_response(301)
            self.send_header("Location", f"/{WHEELS}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if key == WHEELS and self.server.index is not None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(self.server.index)))
            self.end_headers()
            if body:
                self.wfile.write(self.server.index)
            return
        served = self.server.files.get(key)
        if served is None:
            self.send_error(404, "Not a verified lesson data file")
            return
        try:
            fd = os.open(served.path, _OPEN_FLAGS)
        except OSError:
            fd = None
        try:
            if fd is None or _identity(os.fstat(fd)) != served.identity:
                self.log_message("%s", f"{key} changed or was removed since the mirror started: "
                                       "not served; restart `python -m dlhelpers serve` to verify it again")
                self.send_error(404, "The file changed since it was verified")
                return
            etag = f'"{served.sha256}"'
            wanted = byte_range(self.headers.get("Range"), self.headers.get("If-Range"), served.size, etag)
            if wanted is None:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{served.size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start, end = wanted
            self.send_response(200 if (start, end) == (0, served.size) else 206)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag)
            if (start, end) != (0, served.size):
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{served.size}")
            self.send_header("Content-Length", str(end - start))
            self.end_headers()
            if body:
                self._stream(fd, key, start, end)
        finally:
            if fd is not None:
                os.close(fd)

    def _stream(self, fd: int, key: str, start: int, end: int) -> None:
        """Send bytes start to end of the file a chunk at a time; each send may wait IDLE_SECONDS
        for the client to read."""
        sent, size = start, end
        try:
            while sent < size:
                chunk = os.pread(fd, min(CHUNK, size - sent), sent)
                if not chunk:
                    raise OSError("the file is shorter than when it was verified")
                view = memoryview(chunk)
                while view:
                    view = view[self.connection.send(view):]
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self.log_message("%s", f"client disconnected during {key} after {sent:,} of {size:,} bytes")
        except (TimeoutError, socket.timeout):
            self.close_connection = True
            self.log_message("%s", f"no progress for {self.timeout} s during {key} after {sent:,} of "
                                   f"{size:,} bytes: closed")

    def log_message(self, format, *args):  # one escaped line per request
        log(f"{self.client_address[0]} {escaped(format % args)}")


def make_server(host: str = "127.0.0.1", port: int = 8765, max_connections: int | None = None,
                wheelhouse: Path | None = None, lock: Path | None = None) -> MirrorServer:
    """A mirror of the verified files of the cache, and of a wheelhouse if given (not started)."""
    return MirrorServer((host, port), {**servable(), **(wheels(wheelhouse, lock) if wheelhouse else {})},
                        max_connections)


def local_address() -> str:
    """This machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def serve(host: str | None = None, port: int = 8765, wheelhouse: Path | None = None,
          lock: Path | None = None) -> int:
    """Serve the verified cache, and a wheelhouse if given, until Ctrl-C (``python -m dlhelpers serve``).

    The wheels are checked against ``lock`` (default: requirements.txt here, where it is).
    """
    host = host or local_address()
    left_out: list[str] = []
    files = servable(left_out)  # verified before listening: a file's problem is not an address problem
    if wheelhouse is not None:
        if lock is None and Path("requirements.txt").is_file():
            lock = Path("requirements.txt")
        try:
            found, refused = wheelhouse_files(wheelhouse, lock)
        except OSError as error:
            print(f"PROBLEM: cannot read {error.filename or wheelhouse} ({error.strerror or error}): give the "
                  "folder `python -m tools.maintain.wheelhouse` filled, and the lesson's requirements.txt as --lock.",
                  file=sys.stderr)
            return 2
        if not found:
            why = "".join(f"\n  {line}" for line in refused)
            print(f"PROBLEM: {wheelhouse} holds no wheel that can be served{':' if why else '.'}{why}\n"
                  f"Fill it with `python -m tools.maintain.wheelhouse {wheelhouse}` first.", file=sys.stderr)
            return 2
        left_out += refused
        files.update(found)
    try:
        server = MirrorServer((host, port), files)
    except socket.gaierror as error:
        print(f"PROBLEM: --host {host!r} is not an address of this machine ({error.strerror}). "
              "Give one of its addresses, e.g. --host 0.0.0.0 for every interface.", file=sys.stderr)
        return 2
    except OSError as error:
        fix = ("another program (perhaps another mirror) uses it: stop that one or choose another "
               "--port" if error.errno == 98 or "in use" in str(error) else
               "choose another --host or --port")
        print(f"PROBLEM: cannot listen on {host}:{port} ({error.strerror or error}): {fix}.",
              file=sys.stderr)
        return 2
    data = [path for path in server.files if not path.startswith(WHEELS)]
    print(f"Serving {len(data)} verified file(s) from {cache.cache_dir()}:")
    for path in data:
        print(f"  {path}")
    for line in left_out:
        print(f"Not served: {line}")
    address = local_address() if host in ("0.0.0.0", "", "::") else host
    print("\nLearners on this network download from here with")
    base = f"http://{f'[{address}]' if ':' in address else address}:{server.server_address[1]}"
    print(f"    {cache.MIRROR_ENV}={base} python -m dlhelpers download")
    print(f"(Windows: python -m dlhelpers download --mirror {base}; "
          f"in a notebook: %env {cache.MIRROR_ENV}={base}).")
    if server.index is not None:
        served = [s for key, s in server.files.items() if key.startswith(WHEELS)]
        trusted = "" if address in ("127.0.0.1", "localhost", "::1") else f" --trusted-host {address}"
        checked = (f"each checked against the hashes of {lock}" if lock is not None else
                   "each a readable zip file (give --lock to check them against the lock's hashes)")
        print(f"\nAnd {len(served)} wheels from {wheelhouse} ({sum(s.size for s in served) / 1e6:,.0f} MB, "
              f"{checked}): learners install the lesson with pip from here alone, in the lesson's folder "
              "(pip checks every package of the lock against its hashes; the helpers' wheel, "
              "built from your folder, has none):")
        print(f"    python -m pip install --no-index --find-links {base}/{WHEELS}{trusted} -r requirements.txt")
        print(f"    python -m pip install --no-index --find-links {base}/{WHEELS}{trusted} --no-deps dlhelpers")
    print(f"At most {server.max_connections} connections at once ({PER_CLIENT} per address), each "
          f"closed after {IDLE_SECONDS} s without progress. Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.server_close()
    return 0
