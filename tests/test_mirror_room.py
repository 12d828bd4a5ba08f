"""A mirror and cache left running in a workshop room (issues #19 and #29), over 127.0.0.1 only.

One test per numbered finding; each works on temporary copies, never the shared files.
"""

import errno
import hashlib
import io
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace

import numpy as np
import pytest

import dlhelpers as dlh
from dlhelpers import cache as dcache
from dlhelpers import cli, mirror, validate
from tests.test_data import MOBILENET, WEATHER, answering, lesson_cache, send  # noqa: F401  (a fixture)
from tools.builders.check_site import in_background


def port_of(address: str) -> int:
    """The port of a server's ``http://127.0.0.1:PORT`` address (tools.builders.check_site.in_background)."""
    return int(address.rsplit(":", 1)[1])


def get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


# 1. Only verified bytes, never through a link, never a swapped file
def test_mirror_never_serves_a_swapped_or_linked_file(lesson_cache, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    good = (lesson_cache / WEATHER).read_bytes()
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        assert get(f"{address}/{WEATHER}") == good
        (lesson_cache / WEATHER).unlink()
        (lesson_cache / WEATHER).symlink_to(secret)
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(f"{address}/{WEATHER}")
        assert refused.value.code == 404
        (lesson_cache / WEATHER).unlink()  # deleted while serving: 404, no traceback
        with pytest.raises(urllib.error.HTTPError):
            get(f"{address}/{WEATHER}")
    out = capsys.readouterr()
    assert out.out.count("changed or was removed since the mirror started") == 2
    assert "Traceback" not in out.out + out.err


def test_mirror_binds_where_told_and_prints_the_address(lesson_cache, capsys, monkeypatch):
    monkeypatch.setattr(mirror.MirrorServer, "serve_forever", lambda self: None)
    assert mirror.serve("127.0.0.1", 0) == 0
    out = capsys.readouterr().out
    assert "DLHELPERS_MIRROR=http://127.0.0.1:" in out and "At most" in out


# 2. A decompression bomb in a weights file
def test_hdf5_bomb_is_refused_unread(lesson_cache, capsys):
    import h5py

    path = lesson_cache / MOBILENET
    with h5py.File(path, "a") as file:  # 4 GiB of zeros that take no room on disk
        file.create_dataset("bomb", shape=(2**30,), dtype="f4", compression="gzip", fillvalue=0)
    assert path.stat().st_size < 3 * 2**20
    # Verification alone, in a fresh process: its peak memory is what checking the file costs.
    # VmHWM (this process's own high-water mark), not ru_maxrss, which Linux carries over
    # from the parent that forked it (here the whole test session).
    code = ("from dlhelpers import validate\n"
            f"try:\n    validate.check_file({str(path)!r}, 'h5:mobilenet_v2')\n"
            "except validate.ContentError as error:\n    print(error)\n"
            "status = open('/proc/self/status').read()\n"
            "print('peak', status.split('VmHWM:')[1].split()[0])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "holds data that mobilenet_v2's weights do not use (/bomb)" in run.stdout, run.stderr
    peak_kib = int(run.stdout.split("peak")[1])
    print(f"peak memory of verifying the bomb file: {peak_kib / 1024:.0f} MiB")
    assert peak_kib < 512 * 1024  # the bomb unpacks to 4 GiB
    assert cli.main(["check"]) == 1  # and `check` reports it
    assert "holds data that mobilenet_v2's weights do not use (/bomb)" in capsys.readouterr().out


def test_a_layout_naming_a_million_weights_costs_no_more_than_its_size(tmp_path):
    """One layer listing "k" a million times: refused from the attribute alone, not by opening each."""
    import h5py

    path = tmp_path / "claims.h5"
    with h5py.File(path, "w", libver="latest") as file:  # dense attribute storage: no 64 KiB limit
        file.attrs["layer_names"] = [b"layer"]
        group = file.create_group("layer")
        group.create_dataset("k", data=np.zeros(3, dtype="f4"))
        group.attrs["weight_names"] = [b"k"] * 1_000_000
    started = time.perf_counter()
    with pytest.raises(validate.ContentError, match="more than 2,000 weight arrays"):
        validate.check_file(path, "h5:mobilenet_v2")
    assert time.perf_counter() - started < 10


def _first_weight(file):
    def text(name):
        return name.decode() if isinstance(name, bytes) else str(name)
    layer = next(text(n) for n in file.attrs["layer_names"] if len(file[text(n)].attrs["weight_names"]))
    return layer, text(file[layer].attrs["weight_names"][0])


@pytest.mark.parametrize("how", ["external storage", "external link", "soft link"])
def test_weights_kept_outside_the_file_are_refused(lesson_cache, tmp_path, how):
    """Keras refuses such files with a raw ValueError; the check says what is wrong first."""
    import h5py

    path = lesson_cache / MOBILENET
    other = tmp_path / "elsewhere.h5"
    with h5py.File(path, "a") as file:
        layer, name = _first_weight(file)
        data = file[layer][name][()]
        del file[layer][name]
        if how == "external storage":
            file[layer].create_dataset(name, shape=data.shape, dtype=data.dtype,
                                       external=[("/dev/zero", 0, h5py.h5f.UNLIMITED)])
        elif how == "external link":
            with h5py.File(other, "w") as target:
                target.create_dataset("w", data=data)
            file[layer][name] = h5py.ExternalLink(str(other), "/w")
        else:
            file["elsewhere"] = data
            file[layer][name] = h5py.SoftLink("/elsewhere")
    with pytest.raises(validate.ContentError, match="stored outside the file|a link to somewhere else"):
        validate.check_file(path, "h5:mobilenet_v2")


def test_weights_wider_than_64_bits_are_named_for_what_they_are(lesson_cache):
    import h5py

    path = lesson_cache / MOBILENET
    with h5py.File(path, "a") as file:
        layer, name = _first_weight(file)
        data = file[layer][name][()]
        del file[layer][name]
        file[layer].create_dataset(name, data=data.astype(np.longdouble))
    with pytest.raises(validate.ContentError) as refused:
        validate.check_file(path, "h5:mobilenet_v2")
    assert "are float128, wider than the 64-bit floating point Keras loads" in str(refused.value)
    assert "not floating point" not in str(refused.value)


# 3. .npy size arithmetic
@pytest.mark.parametrize("rows", [2**52, 2**70])
def test_npy_header_announcing_a_huge_array_is_refused(tmp_path, rows):
    header = {"descr": "|u1", "fortran_order": False, "shape": (rows, 64, 64, 3)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    path = tmp_path / "train_images.npy"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(validate.ContentError, match="incomplete"):
        validate.check_file(path, "npy-images")


def trickle(handler, piece: bytes, times: int, pause: float) -> None:
    """Answer as for the weather file (its length announced), then send ``piece`` slowly."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1536155")
    handler.end_headers()
    try:
        for _ in range(times):
            handler.wfile.write(piece)
            handler.wfile.flush()
            time.sleep(pause)
    except OSError:
        pass


# 4. Timeouts by progress, bounded requests and connections per address; the room test

def fetch_from(source: str, address: str, path: str, rate: float | None = None, timeout=60) -> bytes:
    """GET ``path`` from ``source`` (a loopback address of the client's own), reading at most ``rate`` bytes/s."""
    with socket.create_connection(("127.0.0.1", port_of(address)), timeout=timeout,
                                  source_address=(source, 0)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # so that a slow reader is slow
        sock.sendall(f"GET /{path} HTTP/1.0\r\nHost: mirror\r\n\r\n".encode())
        data, started = bytearray(), time.perf_counter()
        while chunk := sock.recv(16 * 1024):
            data += chunk
            if rate:
                time.sleep(max(0.0, len(data) / rate - (time.perf_counter() - started)))
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200"), head[:200]
    return body


def test_a_slow_learner_gets_the_whole_file(lesson_cache, monkeypatch):
    """A transfer that takes longer than the idle limit finishes, as long as it makes progress."""
    monkeypatch.setattr(mirror, "IDLE_SECONDS", 1)
    server = mirror.make_server("127.0.0.1", 0)
    size = server.files[MOBILENET].size  # about 2 MB
    with in_background(server) as address:
        started = time.perf_counter()
        body = fetch_from("127.0.0.1", address, MOBILENET, rate=500_000)
        seconds = time.perf_counter() - started
    assert len(body) == size and seconds > 3 * mirror.IDLE_SECONDS
    assert hashlib.sha256(body).hexdigest() == server.files[MOBILENET].sha256


def test_a_client_that_stops_reading_is_closed(lesson_cache, monkeypatch, capsys):
    monkeypatch.setattr(mirror, "IDLE_SECONDS", 1)
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        with socket.create_connection(("127.0.0.1", port_of(address))) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(f"GET /{MOBILENET} HTTP/1.0\r\n\r\n".encode())
            time.sleep(3)  # never read
    assert "no progress for 1 s during" in capsys.readouterr().out


def test_a_request_dripped_byte_by_byte_is_cut_off(lesson_cache, monkeypatch, capsys):
    """One byte every half second never completes a request: the connection ends at the deadline."""
    monkeypatch.setattr(mirror, "REQUEST_SECONDS", 1)
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        with socket.create_connection(("127.0.0.1", port_of(address)), timeout=10) as sock:
            started, closed = time.perf_counter(), False
            for byte in f"GET /{WEATHER} HTTP/1.0\r\nX-Padding: {'a' * 40}\r\n\r\n".encode():
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                time.sleep(0.5)
                if time.perf_counter() - started > 4:
                    break
            closed = closed or sock.recv(100) == b""
    assert closed
    assert "request not complete within 1 s: closed" in capsys.readouterr().out


def test_a_request_too_large_is_refused(lesson_cache):
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        with socket.create_connection(("127.0.0.1", port_of(address)), timeout=10) as sock:
            headers = "".join(f"X-{i}: {'b' * 200}\r\n" for i in range(60))  # 12 KB, 60 lines
            try:
                sock.sendall(f"GET /{WEATHER} HTTP/1.0\r\n{headers}\r\n".encode())
            except OSError:
                pass
            answer = sock.recv(100)
    assert answer.startswith(b"HTTP/1.0 431") or answer == b""


def test_one_address_cannot_fill_the_room(lesson_cache, capsys):
    """An attacker's many slow sockets are refused past PER_CLIENT; another address is served."""
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        held = [socket.create_connection(("127.0.0.1", port_of(address)), source_address=("127.0.0.2", 0))
                for _ in range(mirror.PER_CLIENT + 5)]
        time.sleep(0.5)
        refused = 0
        for sock in held:
            sock.settimeout(0.2)
            try:
                refused += sock.recv(100).startswith(b"HTTP/1.0 503")
            except TimeoutError:
                pass
        body = fetch_from("127.0.0.3", address, WEATHER)
        for sock in held:
            sock.close()
    assert refused == 5
    assert len(body) == (lesson_cache / WEATHER).stat().st_size
    out = capsys.readouterr().out
    assert f"127.0.0.2 refused: it holds {mirror.PER_CLIENT} connections already" in out


ROOM_SERVER = """
import os, resource, sys, threading
from dlhelpers import mirror
server = mirror.make_server("127.0.0.1", 0)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()  # until the test closes it
server.shutdown()
peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM")]
print("PEAK", peak[0].split()[1] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
os._exit(0)  # handler threads may still be logging
"""


def test_a_room_of_slow_learners_finishes_while_an_attacker_holds_sockets(lesson_cache):
    """30 learners at 0.5-2 MB/s download every file while one address holds slow sockets."""
    env = {**os.environ, "DLHELPERS_DATA": str(lesson_cache)}
    mirror_process = subprocess.Popen([sys.executable, "-c", ROOM_SERVER], env=env, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    port = int(mirror_process.stdout.readline())
    address = f"http://127.0.0.1:{port}"
    files = {WEATHER: (lesson_cache / WEATHER).read_bytes(), MOBILENET: (lesson_cache / MOBILENET).read_bytes()}
    stop = threading.Event()
    attacker = {"refused": 0, "cut": 0}

    def attack():  # keeps opening slow sockets from 127.0.0.2, a byte every few seconds
        sockets = []
        while not stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0), timeout=2)
                sock.sendall(b"G")
                sockets.append(sock)
            except OSError:
                pass
            for sock in list(sockets):
                try:
                    sock.settimeout(0.01)
                    answer = sock.recv(100)
                    attacker["refused" if answer.startswith(b"HTTP/1.0 503") else "cut"] += 1
                    sockets.remove(sock)
                    sock.close()
                except (TimeoutError, BlockingIOError):
                    pass
                except OSError:
                    attacker["cut"] += 1
                    sockets.remove(sock)
            time.sleep(0.05)
        for sock in sockets:
            sock.close()

    results = {}

    def learner(k):
        rate = 500_000 + (k % 4) * 500_000  # 0.5, 1, 1.5 and 2 MB/s
        results[k] = all(fetch_from(f"127.0.0.{10 + k}", address, path, rate=rate, timeout=60) == data
                         for path, data in files.items())

    threads = [threading.Thread(target=attack)] + [threading.Thread(target=learner, args=(k,)) for k in range(30)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(timeout=300)
    seconds = time.perf_counter() - started
    stop.set()
    threads[0].join(timeout=30)
    out, err = mirror_process.communicate(timeout=60)
    log = out.splitlines()
    peaks = [line for line in log if line.startswith("PEAK ")]
    assert peaks, err[-2000:]
    peak_kb = int(peaks[0].split()[1])
    refusals = [line for line in log if line.startswith("127.0.0.2 refused:")]
    cut = [line for line in log if line.startswith("127.0.0.2 request not complete")]
    print(f"30 learners at 0.5-2 MB/s, every file, an attacker holding slow sockets: {seconds:.1f} s; "
          f"mirror peak memory {peak_kb / 1024:.0f} MiB; the attacker refused {len(refusals)} times, "
          f"cut off at the request deadline {len(cut)} times; learners refused "
          f"{sum('refused' in line and not line.startswith('127.0.0.2') for line in log)} times")
    assert results == {k: True for k in range(30)}
    assert refusals and cut and attacker["refused"] > 0


def receiving_slowly(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A connection that asks for the weights and does not read them: a transfer held open."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /{MOBILENET} HTTP/1.0\r\n\r\n".encode())
    return sock


def test_connections_over_the_limit_get_a_quick_503(lesson_cache):
    """Every connection busy sending a file: a newcomer is told at once."""
    server = mirror.make_server("127.0.0.1", 0, max_connections=2)
    with in_background(server) as address:
        port = port_of(address)
        busy_sending = [receiving_slowly(port) for _ in range(2)]
        time.sleep(0.5)
        with pytest.raises(urllib.error.HTTPError) as busy:
            get(f"{address}/{WEATHER}", timeout=10)
        assert busy.value.code == 503
        for sock in busy_sending:
            sock.close()


def test_slow_requests_from_many_addresses_cannot_fill_the_mirror(lesson_cache, capsys):
    """Incomplete requests holding every connection (slowloris from many addresses): a learner
    is served at once, in the room of the oldest of them."""
    server = mirror.make_server("127.0.0.1", 0, max_connections=6)
    with in_background(server) as address:
        port = port_of(address)
        held = []
        for k in range(6):
            held.append(socket.create_connection(("127.0.0.1", port), source_address=(f"127.0.0.{20 + k}", 0)))
            held[-1].sendall(b"GET /")
        time.sleep(0.5)
        started = time.perf_counter()
        body = fetch_from("127.0.0.3", address, WEATHER, timeout=10)
        seconds = time.perf_counter() - started
        for sock in held:
            sock.close()
    assert len(body) == (lesson_cache / WEATHER).stat().st_size and seconds < 2
    assert "127.0.0.20 closed: its request was still incomplete when the mirror was full" in capsys.readouterr().out


def test_connection_limit_follows_the_open_file_limit(monkeypatch):
    monkeypatch.setattr(resource, "getrlimit", lambda what: (256, 4096))
    assert mirror._connection_limit() == 192


# 5. A cache folder the user cannot enter
@pytest.mark.skipif(os.geteuid() == 0, reason="root enters every folder")
def test_folder_without_permission_is_reported(cache):
    folder = cache / "weather"
    folder.mkdir()
    folder.chmod(0o000)
    try:
        found = dcache.status("weather")
    finally:
        folder.chmod(0o755)
    assert found.state == "unreadable" and "cannot be entered" in found.detail


def test_permission_error_on_the_way_is_reported(cache, monkeypatch):
    real_stat = type(cache).stat

    def stat(self, *a, **k):
        if self.name == "weather_prediction_dataset_light.csv":
            raise PermissionError(13, "Permission denied")
        return real_stat(self, *a, **k)
    monkeypatch.setattr(type(cache), "stat", stat)
    found = dcache.status("weather")
    assert found.state == "unreadable" and "cannot be entered by you" in found.detail


# 6. Cleanup touches only the tool's own partial files
def test_cleanup_removes_only_own_dead_partials(cache):
    folder = cache / "weather"
    folder.mkdir()
    dead = folder / "weather_prediction_dataset_light.csv.99999999.part"
    alive = folder / f"weather_prediction_dataset_light.csv.{os.getpid()}.part"
    foreign = folder / "notes.part"
    for path in (dead, alive, foreign):
        path.write_text("x")
        os.utime(path, (time.time() - 3600,) * 2)
    assert dcache.remove_stray_partials() == [dead]
    assert alive.exists() and foreign.exists()


def test_a_planted_link_at_the_partial_name_is_never_followed(lesson_cache, http_server, monkeypatch,
                                                              tmp_path):
    """A group-shared cache: a link planted where the partial file will be leaves its target alone."""
    import secrets

    served, base = http_server
    (served / WEATHER).parent.mkdir(parents=True)
    shutil.copy(lesson_cache / WEATHER, served / WEATHER)
    cache = tmp_path / "shared-cache"
    monkeypatch.setenv("DLHELPERS_DATA", str(cache))
    cache.mkdir()
    victim = cache / "victim.txt"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    target = cache / WEATHER
    target.parent.mkdir(parents=True)
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    for name in (f"{target.name}.{os.getpid()}.part", f"{target.name}.{os.getpid()}-planted.part"):
        (target.parent / name).symlink_to(victim)  # the old name, and the next one drawn
    monkeypatch.setenv("DLHELPERS_MIRROR", base)
    assert dlh.fetch("weather", progress=False) == target
    assert victim.read_text() == "precious\n" and victim.stat().st_mode & 0o777 == 0o600


def test_cleanup_leaves_a_download_held_elsewhere_alone(cache):
    """A live download in another container or machine: its process id means nothing here, its lock does."""
    import fcntl

    folder = cache / "weather"
    folder.mkdir()
    held = folder / "weather_prediction_dataset_light.csv.99999998.part"  # no such process here
    held.write_text("x")
    os.utime(held, (time.time() - 3600,) * 2)  # its mtime frozen between writes
    with open(held) as other_download:
        fcntl.flock(other_download, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert dcache.remove_stray_partials() == []
        assert held.exists()
    assert dcache.remove_stray_partials() == [held]  # the lock is gone: a dead download's leftover


# 7. A size cap on downloads
def test_download_stops_at_the_size_cap(cache, monkeypatch):
    def endless(handler):
        handler.send_response(200)
        handler.end_headers()
        try:
            for _ in range(3000):  # 300 MB if nobody stopped
                handler.wfile.write(b"a,b\n" * 25_000)
        except OSError:
            pass
    with answering(endless) as address:
        monkeypatch.setenv("DLHELPERS_MIRROR", address)
        with pytest.raises(dlh.DataCorruptError, match="more than 1,536,155 bytes"):
            dlh.fetch("weather", progress=False)
    assert list(cache.rglob("*")) == []  # nothing left on disk


# 8. The mirror address is checked
@pytest.mark.parametrize("value", ["notaurl", "ftp://host/x", "file:///etc", "", "http://",
                                   "http://[::1", "http://127.0.0.1:99999"])
def test_a_malformed_mirror_address_is_refused(cache, monkeypatch, capsys, value):
    monkeypatch.setenv("DLHELPERS_MIRROR", value)
    assert cli.main(["download", "weather"]) == 2
    err = capsys.readouterr().err
    assert "is not a mirror's address" in err and "http://192.168.1.20:8765" in err


# 9. Optional files do not fail `download`
def test_optional_files_the_mirror_lacks_do_not_fail_download_or_ask_for_a_fix(lesson_cache, capsys, monkeypatch):
    """A full `download` from a mirror without DenseNet or the (here optional) images: skipped, with
    no cause and no "tell the instructor" for them."""
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        monkeypatch.setenv("DLHELPERS_DATA", str(lesson_cache.parent / "learner"))
        monkeypatch.setenv("DLHELPERS_MIRROR", address)
        monkeypatch.setitem(dcache.REGISTRY, "dollar_street_train_images",
                            replace(dcache.REGISTRY["dollar_street_train_images"], optional=True))
        for part in ("train_labels", "test_images", "test_labels"):
            monkeypatch.delitem(dcache.REGISTRY, f"dollar_street_{part}")
        assert cli.main(["download"]) == 0
    out = capsys.readouterr()
    for name in ("densenet121", "dollar_street_train_images"):
        assert f"{name} (optional, only for an optional exercise; skipped)" in out.out
    assert "(the mirror does not have this file (it answered 404))" in out.out
    assert "Cause:" not in out.err and "Fix:" not in out.err


# 10. Clear messages instead of tracebacks
def test_bad_cache_settings_are_explained(tmp_path, monkeypatch, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for value, said in ((str(loop / "x"), "cannot be used as the cache folder"),
                        (str(a_file), "is a file, not a folder"),
                        ("/" + "x" * 5000, "cannot be used as the cache folder")):
        monkeypatch.setenv("DLHELPERS_DATA", value)
        assert cli.main(["check"]) == 2
        assert said in capsys.readouterr().err, value


def test_cache_path_that_is_a_folder_is_found_before_downloading(cache, monkeypatch):
    (cache / WEATHER).mkdir(parents=True)
    found = dcache.status("weather")
    assert found.state == "corrupt" and "is a folder, not a file" in found.detail


@pytest.mark.parametrize("args, said", [
    (["--port", "99999"], "is not a port number"),
    (["--host", "no-such-host.invalid", "--port", "0"], "is not an address of this machine"),
])
def test_serve_explains_bad_addresses(lesson_cache, capsys, args, said):
    try:
        code = cli.main(["serve", *args])
    except SystemExit as exit:  # argparse
        code = exit.code
    assert code == 2
    assert said in capsys.readouterr().err


def test_serve_explains_a_port_in_use(lesson_cache, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--host", "127.0.0.1", "--port", str(port)]) == 2
    assert "another program (perhaps another mirror) uses it" in capsys.readouterr().err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP (terminal closed)"])
def test_a_signal_during_a_download_leaves_no_partial_file(cache, tmp_path, stop):
    with answering(lambda handler: trickle(handler, b"a,b\n" * 64, 600, 0.05)) as address:
        child = subprocess.Popen([sys.executable, "-m", "dlhelpers", "download", "weather"],
                                 env={**os.environ, "DLHELPERS_DATA": str(cache), "DLHELPERS_MIRROR": address},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(200):
            if list(cache.rglob("*.part")):
                break
            time.sleep(0.05)
        child.send_signal(stop)
        out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "Stopped; no partial file was kept" in err and "Traceback" not in err
    assert list(cache.rglob("*.part")) == []


def test_a_client_that_disconnects_is_one_line(lesson_cache, capsys):
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        port = port_of(address)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server cannot send it all at once
        sock.connect(("127.0.0.1", port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.sendall(f"GET /{MOBILENET} HTTP/1.0\r\n\r\n".encode())
        sock.recv(100)
        time.sleep(0.5)
        sock.close()  # reset mid-transfer
        time.sleep(1.5)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "disconnected during" in out.out or "connection ended" in out.out


# 11. Control characters are escaped in the log
def test_control_characters_in_a_request_are_escaped(lesson_cache, capsys):
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        port = port_of(address)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /\x1b[2Jhello HTTP/1.0\r\n\r\n")
            sock.recv(1000)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2Jhello" in out


# 12. `check` runs the loading checks
@pytest.mark.parametrize("part, array, said", [
    ("train_images", np.full((4, 64, 64, 3), 300, dtype=np.int32), "pixel values in 0-255 (found 300 to 300)"),
    ("train_labels", np.array([0, 1, 12, 3], dtype=np.int32), "integer labels in 0-9 (found 0 to 12)"),
])
def test_check_finds_values_out_of_range(cache, monkeypatch, capsys, part, array, said):
    folder = cache / "dollar_street_10"
    folder.mkdir()
    np.save(folder / f"{part}.npy", array)
    cli.main(["check"])
    assert said in capsys.readouterr().out


def test_check_finds_images_and_labels_of_different_lengths(cache, monkeypatch, capsys):
    folder = cache / "dollar_street_10"
    folder.mkdir()
    images = np.zeros((4, 64, 64, 3), dtype=np.uint8)
    for what, n in (("train", 4), ("test", 4)):
        np.save(folder / f"{what}_images.npy", images)
        np.save(folder / f"{what}_labels.npy", np.zeros(n if what == "test" else 3, dtype=np.int32))
    assert cli.main(["check"]) == 1
    assert "the train images and labels differ in length (4 against 3)" in capsys.readouterr().out


# Special files and start-up problems

def test_a_fifo_in_the_cache_is_refused_without_blocking(cache):
    path = cache / WEATHER
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    found = []
    thread = threading.Thread(target=lambda: found.append(mirror.servable()), daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert found and WEATHER not in found[0], "serve hung on a FIFO"


def test_serve_tells_a_file_problem_from_an_address_problem(lesson_cache, monkeypatch, capsys):
    """No room to verify a file: that file is reported, the others are served, the address is fine."""
    import errno
    import tempfile

    real = tempfile.TemporaryDirectory
    calls = []

    def full_disk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(mirror.tempfile, "TemporaryDirectory", full_disk)
    monkeypatch.setattr(mirror.MirrorServer, "serve_forever", lambda self: (_ for _ in ()).throw(KeyboardInterrupt))
    assert mirror.serve("127.0.0.1", 0) == 0
    out = capsys.readouterr()
    assert "could not be verified (No space left on device)" in out.out
    assert "Serving 1 verified file(s)" in out.out and "cannot listen" not in out.err


# Downloads that survive a busy room, and messages by cause

def _download_weather(monkeypatch, capsys, address):
    monkeypatch.setenv("DLHELPERS_MIRROR", address)
    failed = cli.main(["download", "weather"])
    return failed, capsys.readouterr()


def test_a_busy_mirror_is_tried_again(lesson_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHELPERS_DATA", str(tmp_path / "learner"))
    data, answers = (lesson_cache / WEATHER).read_bytes(), []

    def busy_twice(handler):
        answers.append(1)
        if len(answers) <= 2:
            send(handler, b"", status=503)
        else:
            send(handler, data)
    monkeypatch.setattr(dcache.time, "sleep", lambda seconds: None)  # no waiting in the test
    with answering(busy_twice) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 0 and len(answers) == 3, out.err


def test_a_mirror_busy_for_good_says_so(cache, monkeypatch, capsys):
    monkeypatch.setattr(dcache.time, "sleep", lambda seconds: None)
    with answering(lambda handler: send(handler, b"", status=503)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1
    assert "Cause: the mirror is busy" in out.err and "Fix: wait a minute" in out.err
    assert "connect to the internet" not in out.err


def test_a_cut_off_transfer_starts_again_and_then_says_so(lesson_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHELPERS_DATA", str(tmp_path / "learner"))
    data, answers = (lesson_cache / WEATHER).read_bytes(), []

    def cut_once(handler):
        answers.append(1)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data if len(answers) > 1 else data[:100_000])
    with answering(cut_once) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 0 and len(answers) == 2, out.err
    with answering(lambda handler: (handler.send_response(200), handler.send_header("Content-Length", "999"),
                                    handler.end_headers(), handler.wfile.write(b"DATE\n"))) as address:
        (tmp_path / "learner" / WEATHER).unlink()
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1 and "Cause: the response was cut off (5 of 999 bytes, 5 times)" in out.err


def ranged(data: bytes, asked: list, sent: list, cut_first_at: int | None = None, rate: float | None = None,
           cut_every: bool = False):
    """A handler serving ``data`` with ranges as the mirror does, recording each Range asked and the
    bytes sent; its first answer (every one, if ``cut_every``) stops at byte ``cut_first_at``, each
    paced at ``rate`` bytes/s."""
    def respond(handler):
        asked.append(handler.headers.get("Range"))
        start, end = mirror.byte_range(asked[-1], handler.headers.get("If-Range"), len(data), '"v1"')
        handler.send_response(200 if (start, end) == (0, len(data)) else 206)
        handler.send_header("ETag", '"v1"')
        handler.send_header("Content-Length", str(end - start))
        if (start, end) != (0, len(data)):
            handler.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        handler.end_headers()
        stop = min(end, cut_first_at) if cut_first_at is not None and (cut_every or len(asked) == 1) else end
        began = time.perf_counter()
        for at in range(start, stop, 16 * 1024):
            piece = data[at:min(at + 16 * 1024, stop)]
            handler.wfile.write(piece)
            sent.append(len(piece))
            if rate:
                time.sleep(max(0.0, sum(sent) / rate - (time.perf_counter() - began)))
    return respond


def test_a_cut_download_fetches_only_what_is_missing(lesson_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHELPERS_DATA", str(tmp_path / "learner"))
    data, asked, sent = (lesson_cache / WEATHER).read_bytes(), [], []
    with answering(ranged(data, asked, sent, cut_first_at=600_000)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 0, out.err
    assert asked == [None, "bytes=600000-"] and sum(sent) == len(data)
    assert (tmp_path / "learner" / WEATHER).read_bytes() == data  # verified whole: its sha256


def test_a_failed_download_keeps_what_arrived_and_the_next_try_goes_on(lesson_cache, tmp_path, monkeypatch,
                                                                       capsys):
    """A mirror that stops sending at 600,000 bytes (it went down): what arrived is kept, and the next
    `download` asks only for the rest, and verifies the file whole."""
    monkeypatch.setenv("DLHELPERS_DATA", str(tmp_path / "learner"))
    data, asked, sent = (lesson_cache / WEATHER).read_bytes(), [], []
    with answering(ranged(data, asked, sent, cut_first_at=600_000, cut_every=True)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1 and "(600,000 bytes kept: the next try goes on from there)" in out.err
    kept = tmp_path / "learner" / (WEATHER + dcache.KEPT_SUFFIX)
    assert kept.read_bytes() == data[:600_000]
    monkeypatch.setattr(dcache.time, "sleep", lambda seconds: None)
    with answering(lambda handler: send(handler, b"", status=503)) as address:  # busy for good this time
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1 and kept.read_bytes() == data[:600_000]  # still kept
    asked.clear(), sent.clear()
    with answering(ranged(data, asked, sent)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 0, out.err
    assert asked == ["bytes=600000-"] and sum(sent) == len(data) - 600_000
    assert (tmp_path / "learner" / WEATHER).read_bytes() == data and not kept.exists()


def test_kept_bytes_of_another_user_or_behind_a_link_are_not_taken(lesson_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHELPERS_DATA", str(tmp_path / "learner"))
    data, asked, sent = (lesson_cache / WEATHER).read_bytes(), [], []
    kept = tmp_path / "learner" / (WEATHER + dcache.KEPT_SUFFIX)
    kept.parent.mkdir(parents=True)
    planted = tmp_path / "planted"
    planted.write_bytes(b"x" * 600_000)
    kept.symlink_to(planted)
    with answering(ranged(data, asked, sent)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 0 and asked == [None], out.err
    (tmp_path / "learner" / WEATHER).unlink()
    kept.unlink()
    kept.write_bytes(b"x" * 600_000)
    if os.geteuid() == 0:
        os.chown(kept, 65534, 65534)  # another user's
    else:
        monkeypatch.setattr(os, "getuid", lambda: -1)  # so that the file is not this user's
    asked.clear()
    with answering(ranged(data, asked, sent)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 0 and asked == [None], out.err


def test_a_slow_download_that_keeps_moving_outlives_the_deadline(lesson_cache, tmp_path, monkeypatch, capsys):
    """1.5 MB at 1 MB/s against a 0.5 s deadline: the bytes arriving earn it the time it needs."""
    monkeypatch.setenv("DLHELPERS_DATA", str(tmp_path / "learner"))
    monkeypatch.setattr(dcache, "DEADLINE_SECONDS", 0.5)
    data, asked, sent = (lesson_cache / WEATHER).read_bytes(), [], []
    started = time.perf_counter()
    with answering(ranged(data, asked, sent, rate=1_000_000)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 0, out.err
    assert time.perf_counter() - started > 1.4 and (tmp_path / "learner" / WEATHER).read_bytes() == data


def test_the_mirror_serves_ranges_of_a_file(lesson_cache):
    data = (lesson_cache / WEATHER).read_bytes()
    server = mirror.make_server("127.0.0.1", 0)
    etag = f'"{server.files[WEATHER].sha256}"'

    def ask(**headers):
        request = urllib.request.Request(f"{address}/{WEATHER}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), b""
    with in_background(server) as address:
        status, headers, body = ask(Range="bytes=1000-")
        assert (status, body, headers["Content-Range"]) == (206, data[1000:], f"bytes 1000-{len(data) - 1}/{len(data)}")
        assert ask(Range="bytes=10-19")[2] == data[10:20] and ask(Range="bytes=-5")[2] == data[-5:]
        assert ask(Range="bytes=1000-", **{"If-Range": etag})[0] == 206
        assert ask(Range="bytes=1000-", **{"If-Range": '"another"'})[:3:2] == (200, data)  # changed: all
        status, headers, _ = ask(Range=f"bytes={len(data)}-")
        assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}"
        status, headers, body = ask()
        assert (status, body, headers["Accept-Ranges"], headers["ETag"]) == (200, data, "bytes", etag)


def test_a_server_dripping_bytes_meets_the_deadline(cache, monkeypatch, capsys):
    monkeypatch.setattr(dcache, "DEADLINE_SECONDS", 2)

    started = time.perf_counter()
    with answering(lambda handler: trickle(handler, b"a", 20, 0.5)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1 and time.perf_counter() - started < 8
    assert "Cause: the download took too long" in out.err
    assert "connect to the internet" not in out.err and "run `python -m dlhelpers download` again" in out.err


@pytest.mark.parametrize("location, said", [
    ("/loop", "the server redirected in a loop"),
    ("file:///etc/passwd", "a redirect to an address that is not a web address was refused"),
])
def test_redirects_are_named_for_what_they_are(cache, monkeypatch, capsys, location, said):
    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.end_headers()
    with answering(redirect) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1 and f"Cause: {said}" in out.err


@pytest.mark.parametrize("code, said, fix", [
    (errno.EROFS, "the cache folder is read-only", "to a folder you can write"),
    (errno.ENOSPC, "the disk is full", "free some disk space"),
    (errno.EFBIG, "the file could not be written (File too large)", "ulimit -f unlimited"),
])
def test_cache_write_problems_are_named(cache, monkeypatch, capsys, code, said, fix):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(dcache, "_create_partial", refuse)
    with answering(lambda handler: send(handler, b"x")) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1 and f"Cause: {said}" in out.err and fix in out.err
    assert "connect to the internet" not in out.err


def test_a_portal_page_with_a_bom_and_a_comment_is_a_web_page(cache, monkeypatch, capsys):
    page = (b"\xef\xbb\xbf<!-- " + b"portal build 7.3, " * 40 + b"-->\n"  # the page itself after 512 bytes
            b"<html><body>Accept the terms</body></html>\n")
    with answering(lambda handler: send(handler, page)) as address:
        failed, out = _download_weather(monkeypatch, capsys, address)
    assert failed == 1 and "a web page came back instead of data" in out.err


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("host, why", [("127.0.0.1", "nothing answers at that port"),
                                       ("[::1]", "nothing answers at that port|no answer from that address"),
                                       ("no-such-mirror.invalid", "its name could not be looked up")])
def test_a_mirror_out_of_reach_is_not_an_internet_problem(cache, monkeypatch, capsys, host, why):
    """A stopped mirror, an IPv6 address for an IPv4 mirror, a typo: the cause is the mirror, and so is the fix."""
    failed, out = _download_weather(monkeypatch, capsys, f"http://{host}:{closed_port()}")
    assert failed == 1
    assert re.search(f"Cause: the mirror could not be reached at http://{re.escape(host)}:\\d+ \\(({why})", out.err)
    assert "that the mirror is running" in out.err and "connect to the internet" not in out.err


def test_a_proxy_in_the_way_of_the_mirror_is_named_by_its_setting(cache, monkeypatch, capsys):
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    failed, out = _download_weather(monkeypatch, capsys, "http://192.0.2.1:8765")
    assert failed == 1
    assert "Cause: a proxy refused the connection to the mirror (the HTTP_PROXY setting" in out.err
    assert "HTTPS_PROXY" not in out.err and "NO_PROXY" in out.err


def test_the_log_keeps_one_line_per_request_under_load(monkeypatch):
    """Many requests ending at once: no two log lines share a line, and none is left empty."""
    class Pipe:  # a terminal or pipe under load: a write may wait, and other threads run meanwhile
        parts = []

        def write(self, text):
            time.sleep(0)
            self.parts.append(text)
            return len(text)

        def flush(self):
            time.sleep(0)
    monkeypatch.setattr(sys, "stdout", Pipe())
    handler = type("Request", (), {"client_address": ("127.0.0.9", 1)})()

    def requests(k):
        for i in range(100):
            mirror._Handler.log_message(handler, "%s", f"request {k}-{i} {'x' * 100}")
    threads = [threading.Thread(target=requests, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = "".join(Pipe.parts).split("\n")
    assert lines.pop() == ""
    broken = [line for line in lines if not re.fullmatch(r"127\.0\.0\.9 request \d+-\d+ x{100}", line)]
    assert len(lines) == 8 * 100 and broken == []


def test_a_linked_file_in_the_cache_is_left_out_with_its_reason(lesson_cache, tmp_path, capsys, monkeypatch):
    """`check` follows the link and finds the file good; serve says why it does not serve it."""
    elsewhere = tmp_path / "elsewhere.csv"
    shutil.move(lesson_cache / WEATHER, elsewhere)
    (lesson_cache / WEATHER).symlink_to(elsewhere)
    monkeypatch.setattr(mirror.MirrorServer, "serve_forever", lambda self: None)
    assert mirror.serve("127.0.0.1", 0) == 0
    out = capsys.readouterr().out
    assert f"Not served: {WEATHER}: it is a symbolic link, or lies behind one" in out
    assert "put a copy of the file there instead" in out and "missing or not valid" not in out


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_the_mirror_listens_on_ipv6(lesson_cache, capsys, monkeypatch):
    server = mirror.make_server("::1", 0)
    port = server.server_address[1]
    with in_background(server):
        assert get(f"http://[::1]:{port}/{WEATHER}") == (lesson_cache / WEATHER).read_bytes()
    monkeypatch.setattr(mirror.MirrorServer, "serve_forever", lambda self: None)
    assert mirror.serve("::1", 0) == 0
    assert "DLHELPERS_MIRROR=http://[::1]:" in capsys.readouterr().out
