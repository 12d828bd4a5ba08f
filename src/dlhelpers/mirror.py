"""A venue mirror: one machine serves its verified data cache to the room (workshop set-up).

The instructor runs ``python -m dlhelpers serve``; learners set
``DLHELPERS_MIRROR=http://ADDRESS:PORT`` (or pass ``--mirror``) and their
downloads come from that machine, checked exactly as downloads from the
files' public homes. Only registered files that pass verification are
served, read-only (GET and HEAD); everything else is "404 Not Found".
"""

from __future__ import annotations

import http.server
import shutil
import socket
from pathlib import Path

from . import cache


def servable() -> dict[str, Path]:
    """The cached files that pass verification, by their path in the cache."""
    found = (cache.status(name) for name in cache.REGISTRY)
    return {cache.REGISTRY[s.name].path: s.path for s in found if s.ok}


def make_server(host: str = "0.0.0.0", port: int = 8765) -> http.server.ThreadingHTTPServer:
    """An HTTP server for the verified files of the cache (not started)."""
    files = servable()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self._send(body=True)

        def do_HEAD(self):
            self._send(body=False)

        def _send(self, body: bool) -> None:
            path = files.get(self.path.split("?")[0].lstrip("/"))
            if path is None:
                self.send_error(404, "Not a verified lesson data file")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(path.stat().st_size))
            self.end_headers()
            if body:
                with open(path, "rb") as file:
                    shutil.copyfileobj(file, self.wfile)

        def log_message(self, format, *args):  # one short line per request
            print(f"{self.client_address[0]} {format % args}", flush=True)

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.files = files
    return server


def local_address() -> str:
    """This machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def serve(host: str = "0.0.0.0", port: int = 8765) -> int:
    """Serve the verified cache until Ctrl-C (``python -m dlhelpers serve``)."""
    server = make_server(host, port)
    skipped = [name for name in cache.REGISTRY if cache.REGISTRY[name].path not in server.files]
    print(f"Serving {len(server.files)} verified file(s) from {cache.cache_dir()}:")
    for path in server.files:
        print(f"  {path}")
    if skipped:
        print(f"Not served (missing or not valid; see `python -m dlhelpers check`): {', '.join(skipped)}")
    address = local_address() if host == "0.0.0.0" else host
    print("\nLearners on this network download from here with")
    base = f"http://{address}:{server.server_address[1]}"
    print(f"    {cache.MIRROR_ENV}={base} python -m dlhelpers download")
    print(f"(Windows: python -m dlhelpers download --mirror {base}; "
          f"in a notebook: %env {cache.MIRROR_ENV}={base}).")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.server_close()
    return 0
