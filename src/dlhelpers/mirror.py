"""A venue mirror: one machine serves its verified data cache to the room (workshop set-up).

The instructor runs ``python -m dlhelpers serve``; learners set
``DLHELPERS_MIRROR=http://ADDRESS:PORT`` (or pass ``--mirror``) and their
downloads come from that machine, checked exactly as downloads from the
files' public homes.

What it serves, and nothing else: at start-up each registered file is read
once (never through a symbolic link), those very bytes are verified, and
they are kept in memory; a request gets those bytes or "404 Not Found".
If the file on disk is later replaced, changed or removed, its address
answers 404 and the console says to restart the mirror. Read-only (GET and
HEAD); every connection has a time limit and the number of connections is
bounded, so idle or slow clients cannot block the room; what it logs is
escaped, one line per request.
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
from dataclasses import dataclass
from pathlib import Path

from . import cache

try:
    import resource  # not on Windows
except ImportError:
    resource = None

#: Seconds a connection may stay silent (waiting for a request, or for the client to read).
TIMEOUT = 20
#: The most connections served at once (fewer where the process may open fewer files).
MAX_CONNECTIONS = 400


@dataclass(frozen=True)
class Served:
    """One verified file: its bytes, and what the file on disk was when they were read."""
    path: Path
    data: bytes
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


def snapshot(name: str) -> Served | None:
    """Read a registered cached file once and verify exactly those bytes; None if it is not fit."""
    entry = cache.REGISTRY[name]
    root = cache.cache_dir()
    path = root / entry.path
    if not _no_link_below(root, path):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(file.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > entry.max_bytes:
            return None
        data = file.read(entry.max_bytes + 1)
    if len(data) != st.st_size:
        return None
    # Verify the bytes in hand, not the path (which could change meanwhile).
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        copy.write_bytes(data)
        try:
            cache.verify(copy, entry)
        except (cache.validate.ContentError, OSError):
            return None
    return Served(path, data, _identity(st), hashlib.sha256(data).hexdigest())


def servable() -> dict[str, Served]:
    """The cached files that pass verification, by their path in the cache."""
    found = {}
    for name, entry in cache.REGISTRY.items():
        served = snapshot(name)
        if served is not None:
            found[entry.path] = served
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


class MirrorServer(http.server.ThreadingHTTPServer):
    """Serves a fixed set of verified files; at most ``max_connections`` at once."""
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, files: dict[str, Served], max_connections: int | None = None):
        self.files = files
        self.max_connections = max_connections or _connection_limit()
        self._slots = threading.BoundedSemaphore(self.max_connections)
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            try:  # over the limit: say so at once rather than keep the client waiting
                request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 5\r\n"
                                b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        print(f"{client_address[0]} connection ended: {escaped(type(error).__name__)}: "
              f"{escaped(str(error))}", flush=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    timeout = TIMEOUT  # per connection: waiting for a request line, or for the client to read
    server: MirrorServer

    def setup(self):
        super().setup()
        # A bounded send buffer: a client that stops reading is noticed, not fed into memory.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 * 1024)

    def do_GET(self):
        self._send(body=True)

    def do_HEAD(self):
        self._send(body=False)

    def _send(self, body: bool) -> None:
        key = self.path.split("?")[0].lstrip("/")
        served = self.server.files.get(key)
        if served is None:
            self.send_error(404, "Not a verified lesson data file")
            return
        try:
            now = _identity(os.lstat(served.path))
        except OSError:
            now = None
        if now != served.identity:
            self.log_message("%s", f"{key} changed or was removed since the mirror started: "
                                   "not served; restart `python -m dlhelpers serve` to verify it again")
            self.send_error(404, "The file changed since it was verified")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(served.data)))
        self.end_headers()
        if body:
            try:
                self.wfile.write(served.data)
            except (BrokenPipeError, ConnectionResetError, TimeoutError, socket.timeout):
                self.close_connection = True
                self.log_message("%s", f"client disconnected during {key}")

    def log_message(self, format, *args):  # one escaped line per request
        print(f"{self.client_address[0]} {escaped(format % args)}", flush=True)


def make_server(host: str = "127.0.0.1", port: int = 8765,
                max_connections: int | None = None) -> MirrorServer:
    """A mirror of the verified files of the cache (not started)."""
    return MirrorServer((host, port), servable(), max_connections)


def local_address() -> str:
    """This machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def serve(host: str | None = None, port: int = 8765) -> int:
    """Serve the verified cache until Ctrl-C (``python -m dlhelpers serve``)."""
    host = host or local_address()
    try:
        server = make_server(host, port)
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
    skipped = [name for name in cache.REGISTRY if cache.REGISTRY[name].path not in server.files]
    print(f"Serving {len(server.files)} verified file(s) from {cache.cache_dir()}:")
    for path in server.files:
        print(f"  {path}")
    if skipped:
        print(f"Not served (missing or not valid; see `python -m dlhelpers check`): {', '.join(skipped)}")
    address = local_address() if host in ("0.0.0.0", "") else host
    print("\nLearners on this network download from here with")
    base = f"http://{address}:{server.server_address[1]}"
    print(f"    {cache.MIRROR_ENV}={base} python -m dlhelpers download")
    print(f"(Windows: python -m dlhelpers download --mirror {base}; "
          f"in a notebook: %env {cache.MIRROR_ENV}={base}).")
    print(f"At most {server.max_connections} connections at once, each closed after "
          f"{TIMEOUT} s of silence. Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.server_close()
    return 0
