"""A mirror and cache left running in a workshop room (issue #19), over 127.0.0.1 only.

One test per numbered finding; each works on temporary copies, never the shared files.
"""

import io
import os
import resource
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
from tests.test_data import MOBILENET, WEATHER, answering, lesson_cache  # noqa: F401  (a fixture)
from tools.check_site import in_background


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
    # A link in the cache at start-up is not served at all.
    (lesson_cache / WEATHER).symlink_to(secret)
    assert WEATHER not in mirror.servable()


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


# 4. Timeouts and a bound on connections; the load test
def test_idle_connections_do_not_block_downloads(lesson_cache, tmp_path):
    server = mirror.make_server("127.0.0.1", 0)
    files = {path: served.sha256 for path, served in server.files.items()}
    assert set(files) == {WEATHER, MOBILENET}
    with in_background(server) as address:
        port = int(address.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(200)]
        results, started = [], time.perf_counter()

        def client():
            import hashlib
            results.append(all(hashlib.sha256(get(f"{address}/{p}", timeout=120)).hexdigest() == digest
                               for p, digest in files.items()))

        threads = [threading.Thread(target=client) for _ in range(150)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        seconds = time.perf_counter() - started
        for sock in idle:
            sock.close()
    print(f"150 clients, each every served file, with 200 idle connections open: {seconds:.1f} s")
    assert results == [True] * 150


def test_connections_over_the_limit_get_a_quick_503(lesson_cache):
    server = mirror.make_server("127.0.0.1", 0, max_connections=2)
    with in_background(server) as address:
        port = int(address.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        time.sleep(0.5)
        with pytest.raises(urllib.error.HTTPError) as busy:
            get(f"{address}/{WEATHER}", timeout=10)
        assert busy.value.code == 503
        for sock in idle:
            sock.close()


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
@pytest.mark.parametrize("value", ["notaurl", "ftp://host/x", "file:///etc", "", "http://"])
def test_a_malformed_mirror_address_is_refused(cache, monkeypatch, capsys, value):
    monkeypatch.setenv("DLHELPERS_MIRROR", value)
    assert cli.main(["download", "weather"]) == 2
    err = capsys.readouterr().err
    assert "is not a mirror's address" in err and "http://192.168.1.20:8765" in err


# 9. Optional files do not fail `download`
def test_optional_file_missing_on_the_mirror_does_not_fail_download(lesson_cache, capsys, monkeypatch):
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        monkeypatch.setenv("DLHELPERS_DATA", str(lesson_cache.parent / "learner"))
        monkeypatch.setenv("DLHELPERS_MIRROR", address)
        monkeypatch.setitem(dcache.REGISTRY, "dollar_street_train_images",
                            replace(dcache.REGISTRY["dollar_street_train_images"], optional=True))
        for part in ("train_labels", "test_images", "test_labels"):
            monkeypatch.delitem(dcache.REGISTRY, f"dollar_street_{part}")
        assert cli.main(["download"]) == 0
    out = capsys.readouterr().out
    assert "densenet121 (optional, only for an optional exercise; skipped)" in out


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


def test_sigterm_during_a_download_leaves_no_partial_file(cache, tmp_path):
    def slow(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1536155")
        handler.end_headers()
        try:
            for _ in range(600):
                handler.wfile.write(b"a,b\n" * 64)
                time.sleep(0.05)
        except OSError:
            pass
    with answering(slow) as address:
        child = subprocess.Popen([sys.executable, "-m", "dlhelpers", "download", "weather"],
                                 env={**os.environ, "DLHELPERS_DATA": str(cache), "DLHELPERS_MIRROR": address},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(200):
            if list(cache.rglob("*.part")):
                break
            time.sleep(0.05)
        child.terminate()
        out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "Stopped; no partial file was kept" in err and "Traceback" not in err
    assert list(cache.rglob("*.part")) == []


def test_a_client_that_disconnects_is_one_line(lesson_cache, capsys):
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        port = int(address.rsplit(":", 1)[1])
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
        port = int(address.rsplit(":", 1)[1])
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
