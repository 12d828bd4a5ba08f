"""Test settings shared by the unit tests and the notebook re-execution (nbval)."""

import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

# The image episodes run on the generated stand-in in tests; kernels that
# nbval starts inherit this environment.
os.environ.setdefault("DLHELPERS_STANDIN", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty, temporary data cache."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("DLHELPERS_DATA", str(folder))
    return folder


@pytest.fixture
def http_server(tmp_path):
    """A file server on the loopback address; yields (folder, base_url)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _compare_text_not_html():
    """nbval: compare a DataFrame's text form; its HTML form is the same table."""
    from nbval.plugin import IPyNbFile

    original = IPyNbFile.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.skip_compare = self.skip_compare + ("text/html",)

    IPyNbFile.__init__ = __init__


_compare_text_not_html()
