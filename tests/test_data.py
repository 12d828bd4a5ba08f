"""The data registry, the cache, file validation, the mirror and the errors a learner sees.

Every bad-input case a workshop meets is reproduced here: a captive portal
answering every address with a web page, a download cut short, corrupt and
truncated files in the cache, a shared cache, interrupted downloads, env
vars as people write them, and a venue mirror, all over 127.0.0.1.
"""

import hashlib
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import dlhelpers as dlh
from dlhelpers import cache as dcache
from dlhelpers import cli, mirror, validate
from tools.run import standin
from tools.builders.check_site import in_background
from tools.layout import ROOT

SHARED = Path(os.environ["DLHELPERS_DATA"]) if os.environ.get("DLHELPERS_DATA") else None
MOBILENET = dlh.REGISTRY["mobilenet_v2"].path
WEATHER = dlh.REGISTRY["weather"].path
needs_shared = pytest.mark.skipif(
    not (SHARED and (SHARED / MOBILENET).is_file() and (SHARED / WEATHER).is_file()),
    reason="the staged real files (../shared/data) are not available",
)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def register(monkeypatch, name, **changes):
    monkeypatch.setitem(dcache.REGISTRY, name, replace(dcache.REGISTRY[name], **changes))


@contextmanager
def answering(respond):
    """An HTTP server on 127.0.0.1 whose GET handler is ``respond(handler)``; yields its address."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            respond(self)

        def log_message(self, *args):
            pass

    with in_background(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as address:
        yield address


def send(handler, body: bytes, length: bool = True, status: int = 200):
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html" if body.lstrip().startswith(b"<") else "application/octet-stream")
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def npy_bytes(array) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def cached_files(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())


# -- The registry and its documentation ----------------------------------------


def test_registry_entries_are_complete():
    for name, entry in dlh.REGISTRY.items():
        assert entry.url.startswith("https://"), name
        assert entry.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", entry.sha256), name
        assert entry.kind in validate.kinds(), name
        assert not Path(entry.path).is_absolute()
    with pytest.raises(ValueError, match="no content check for files of kind 'xml'; known: csv, npy-images"):
        validate.check_file(Path(__file__), "xml")


def test_data_readme_table_is_the_registrys(monkeypatch):
    """data/README.md's table is generated from the registry (tools/builders/tables.py): every file,
    its address, checksum, size limit and licence, and nothing else, whatever the registry's order."""
    from tools.builders import tables

    readme = (ROOT / "data" / "README.md").read_text()
    assert tables.fill(readme, "files", tables.data_table()) == readme
    monkeypatch.setattr(dlh, "REGISTRY", dict(reversed(list(dlh.REGISTRY.items()))))
    assert tables.fill(readme, "files", tables.data_table()) == readme
    for name, entry in dlh.REGISTRY.items():
        assert entry.licence, f"{name}: the registry names no licence"
        assert f"| `{name}` | `{entry.path}` | {entry.url} |" in readme


@needs_shared
def test_staged_real_files_pass_verification(monkeypatch):
    monkeypatch.setenv("DLHELPERS_DATA", str(SHARED))
    assert dcache.status("weather").detail.startswith("sha256 and")
    found = dcache.status("mobilenet_v2")
    assert found.ok and "104 layers of mobilenet_v2 weights" in found.detail


def test_weight_structures_are_those_keras_builds_and_a_densenet_file_loads(cache_with, tmp_path, monkeypatch):
    """The registered layouts match the networks; DenseNet121 goes through the real loader on a stand-in."""
    import keras

    mobilenet = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=None,
                                               input_shape=(224, 224, 3))
    assert validate.layout_digest(validate.model_layout(mobilenet)) == validate.WEIGHT_STRUCTURES["mobilenet_v2"]
    densenet = keras.applications.DenseNet121(include_top=False, weights=None)
    assert validate.layout_digest(validate.model_layout(densenet)) == validate.WEIGHT_STRUCTURES["densenet121"]
    path = cache_with("densenet121")
    write_keras_h5_weights(densenet, path)
    assert dlh.pretrained_weights("densenet121") == path
    loaded = keras.applications.DenseNet121(include_top=False, weights=str(path))
    np.testing.assert_array_equal(loaded.layers[2].weights[0].numpy(), densenet.layers[2].weights[0].numpy())
    # the other network's weights are refused by their size, and by their layout
    register_path = cache_with("mobilenet_v2")
    shutil.copy(path, register_path)
    with pytest.raises(dlh.DataCorruptError, match="29,108,896 bytes, more than the 4,194,304"):
        dlh.pretrained_weights("mobilenet_v2")
    monkeypatch.setitem(dlh.REGISTRY, "mobilenet_v2", replace(dlh.REGISTRY["mobilenet_v2"], max_bytes=2**30))
    with pytest.raises(dlh.DataCorruptError, match="does not hold the weights of mobilenet_v2"):
        dlh.pretrained_weights("mobilenet_v2")


@pytest.fixture
def cache_with(cache):
    """``cache_with(name)``: the path ``name`` has in an empty temporary cache (folders made)."""

    def path(name):
        target = cache / dlh.REGISTRY[name].path
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    return path


def test_unknown_name_lists_known_ones():
    with pytest.raises(dlh.UnknownDatasetError, match="Known names: .*weather"):
        dlh.fetch("wether")


# -- Downloads over 127.0.0.1 --------------------------------------------------


def test_download_is_verified_cached_and_readable_by_others(cache, http_server, monkeypatch):
    served, base = http_server
    (served / "w.csv").write_text("DATE,MONTH\n20000101,1\n")
    register(monkeypatch, "weather", url=f"{base}/w.csv", sha256=sha256(served / "w.csv"))
    old = os.umask(0o022)
    try:
        path = dlh.fetch("weather", progress=False)
    finally:
        os.umask(old)
    assert path.read_text() == (served / "w.csv").read_text()
    assert path.stat().st_mode & 0o777 == 0o644  # a shared cache: others can read it
    (served / "w.csv").unlink()  # a second fetch must not download
    assert dlh.fetch("weather", progress=False) == path
    assert cached_files(cache) == [WEATHER]  # no temporary file left


def test_download_with_wrong_checksum_is_discarded(cache, http_server, monkeypatch):
    served, base = http_server
    (served / "w.csv").write_text("something else")
    register(monkeypatch, "weather", url=f"{base}/w.csv", sha256="0" * 64)
    with pytest.raises(dlh.DataCorruptError, match="Nothing was saved"):
        dlh.fetch("weather", progress=False)
    assert cached_files(cache) == []


PORTAL = b"<html><head><title>Log in to Venue-WiFi</title></head><body>Accept</body></html>\n"


def test_captive_portal_page_is_never_taken_for_data(cache, monkeypatch, capsys):
    """Every address answers 200 with the same small web page, as behind a Wi-Fi login."""
    with answering(lambda h: send(h, PORTAL)) as portal:
        monkeypatch.setenv("DLHELPERS_MIRROR", portal)
        assert cli.main(["download"]) == 1
    captured = capsys.readouterr()
    for name, entry in dlh.REGISTRY.items():
        said = captured.out if entry.optional else captured.err
        optional = r" \(optional, only for an optional exercise; skipped\)" if entry.optional else ""
        assert re.search(rf"^corrupt +{name}{optional}: not downloaded: {portal}/\S+ -> ", said, re.M), name
    # The cause and the fix once, not once per file.
    assert captured.err.count("Cause: a web page came back instead of data (a Wi-Fi sign-in page") == 1
    assert captured.err.count("Fix: ") == 1
    assert "ok " not in captured.out
    assert cached_files(cache) == []  # nothing cached for good


def test_offline_download_is_one_line_per_file_then_the_cause_once(cache, monkeypatch, capsys):
    for name in dlh.REGISTRY:  # .invalid never resolves: what a laptop without network meets
        register(monkeypatch, name, url=f"https://{name}.invalid/{name}.bin")
    assert cli.main(["download"]) == 1
    captured = capsys.readouterr()
    needed = sum(not entry.optional for entry in dlh.REGISTRY.values())
    assert captured.err.endswith(f"{needed} file(s) could not be fetched.\n")
    lines = (captured.out + captured.err).splitlines()
    for name in dlh.REGISTRY:
        mine = [line for line in lines if re.match(rf"missing +{name}\b", line)]
        assert len(mine) == 1 and f"https://{name}.invalid/{name}.bin -> {cache}" in mine[0], name
    assert captured.err.count("Cause: no network: the servers' names could not be looked up") == 1
    assert captured.err.count("Fix: connect to the internet") == 1
    assert "urllib3" not in captured.err and "Max retries" not in captured.err  # no wall of text
    assert len(lines) == len(dlh.REGISTRY) + 3  # a line per file, the cause, the fix, the count


@pytest.mark.parametrize("kind", ["npy", "h5"])
def test_download_cut_short_without_length_is_rejected(cache, monkeypatch, kind):
    """The server closes the connection half-way and sent no Content-Length."""
    if kind == "npy":
        name, whole = "dollar_street_train_labels", npy_bytes(np.arange(1000, dtype=np.int32) % 10)
        expected = "incomplete"
    else:
        name = "mobilenet_v2"
        whole = (SHARED / MOBILENET).read_bytes() if SHARED and (SHARED / MOBILENET).is_file() else None
        if whole is None:
            pytest.skip("the staged MobileNetV2 file is not available")
        expected = "damaged or incomplete"
    with answering(lambda h: send(h, whole[: len(whole) // 2], length=False)) as server:
        monkeypatch.setenv("DLHELPERS_MIRROR", server)
        with pytest.raises(dlh.DataCorruptError, match=expected):
            dlh.fetch(name, progress=False)
    assert cached_files(cache) == []


def test_no_network_explains_manual_download_and_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLHELPERS_DATA", "relative/cache")  # as a learner might write it
    register(monkeypatch, "weather", url="http://127.0.0.1:9/weather.csv")  # nothing listens on 9
    with pytest.raises(dlh.DataMissingError) as error:
        dlh.fetch("weather", progress=False)
    message = str(error.value)
    assert "http://127.0.0.1:9/weather.csv" in message and "DLHELPERS_DATA" in message
    assert str(tmp_path / "relative" / "cache" / WEATHER) in message  # an absolute path
    assert not (tmp_path / "relative").exists()  # no empty folders left behind


# -- Bad files in the cache ----------------------------------------------------


def test_corrupt_cached_file_is_reported_and_kept(cache_with):
    bad = cache_with("weather")
    bad.write_text("truncated download")
    with pytest.raises(dlh.DataCorruptError) as error:
        dlh.fetch("weather")
    message = str(error.value)
    assert str(bad) in message and "python -m dlhelpers download weather" in message
    assert bad.read_text() == "truncated download"  # nothing is lost


def _flip_head_bytes(data: bytes) -> bytes:
    damaged = bytearray(data)
    for position in np.random.default_rng(0).integers(0, 2048, 8):
        damaged[position] ^= 0xFF
    return bytes(damaged)


def _nan_in_first_weight(path):
    import h5py

    with h5py.File(path, "r+") as file:
        layer = next(name for name in validate._names(file.attrs, "layer_names")
                     if validate._names(file[name].attrs, "weight_names"))
        weight = validate._names(file[layer].attrs, "weight_names")[0]
        values = file[layer][weight][()]
        values.flat[0] = np.nan
        file[layer][weight][...] = values


H5_DAMAGE = {
    "empty": (lambda d: b"", "empty"),
    "truncated": (lambda d: d[: len(d) // 3], "damaged or incomplete"),
    "flipped header bytes": (_flip_head_bytes, "HDF5"),
    "random bytes": (lambda d: np.random.default_rng(1).bytes(4096), "not an HDF5 file"),
    "web page": (lambda d: PORTAL, "captive portal"),
    "NaN weights": (None, "not numbers"),
}


@needs_shared
@pytest.mark.parametrize("damage", H5_DAMAGE)
def test_damaged_weights_file_gives_a_clear_error(cache_with, damage):
    path = cache_with("mobilenet_v2")
    change, expected = H5_DAMAGE[damage]
    original = (SHARED / MOBILENET).read_bytes()
    if change is None:
        path.write_bytes(original)
        _nan_in_first_weight(path)
    else:
        path.write_bytes(change(original))
    before = path.read_bytes()
    with pytest.raises(dlh.DataCorruptError) as error:
        dlh.pretrained_weights("mobilenet_v2")
    message = str(error.value)
    assert expected in message and str(path) in message
    assert "python -m dlhelpers download mobilenet_v2" in message
    assert path.read_bytes() == before  # left in place


NPY_DAMAGE = {
    "empty": (lambda a: b"", "empty"),
    "zip archive": (None, "not a NumPy .npy array file"),
    "random bytes": (lambda a: np.random.default_rng(2).bytes(5000), "not a NumPy .npy array file"),
    "zero rows": (lambda a: npy_bytes(a[:0]), "no rows"),
    "truncated": (lambda a: npy_bytes(a)[:-100], "incomplete"),
    "objects": (lambda a: _pickled_object_array(), "Python objects"),
    "wrong shape": (lambda a: npy_bytes(a[:, :32, :32]), "(n, 64, 64, 3) images were expected"),
    "floats": (lambda a: npy_bytes(a.astype(np.float32)), "integers were expected"),
    "web page": (lambda a: PORTAL, "captive portal"),
}


def _pickled_object_array():
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def write_tiny_dollar_street(folder, n=12):
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n, 64, 64, 3)).astype(np.int32),
        "train_labels": (np.arange(n) % 10).astype(np.int32),
        "test_images": rng.integers(0, 256, (4, 64, 64, 3)).astype(np.int32),
        "test_labels": np.arange(4).astype(np.int32),
    }
    (folder / "dollar_street_10").mkdir(parents=True, exist_ok=True)
    for part, array in arrays.items():
        np.save(folder / "dollar_street_10" / f"{part}.npy", array)
    return arrays


@pytest.fixture
def real_images(cache, monkeypatch):
    """A tiny Dollar Street 10 in the real format in the cache."""
    return write_tiny_dollar_street(cache)


@pytest.mark.parametrize("damage", NPY_DAMAGE)
def test_damaged_array_file_gives_a_clear_error(real_images, cache, damage):
    path = cache / "dollar_street_10" / "train_images.npy"
    change, expected = NPY_DAMAGE[damage]
    if change is None:
        np.savez(path.with_suffix(".npz"), real_images["train_images"])
        path.with_suffix(".npz").replace(path)
    else:
        path.write_bytes(change(real_images["train_images"]))
    with pytest.raises(dlh.DataCorruptError) as error:
        dlh.load_images()
    message = str(error.value)
    assert expected in message and str(path) in message and "python -m dlhelpers download" in message
    assert "allow_pickle" not in message and "pickle" not in message.lower()


def test_real_loader_reads_files_in_the_real_format(real_images):
    images = dlh.load_images()
    assert images.source == "Dollar Street 10"
    np.testing.assert_array_equal(images.train_images, real_images["train_images"])
    np.testing.assert_array_equal(images.val_labels, real_images["test_labels"])
    assert images.class_names == dlh.DOLLAR_STREET_CLASSES
    assert "12 training and 4 validation images of 64x64x3" in repr(images)


def test_images_and_labels_of_different_lengths_are_named_in_one_sentence(real_images, cache):
    np.save(cache / "dollar_street_10" / "train_labels.npy", np.zeros(3, dtype=np.int32))
    with pytest.raises(dlh.DataCorruptError, match=r"^The train images and labels differ in length \(12 against 3\)"):
        dlh.load_images()


def test_real_loader_rejects_labels_out_of_range(real_images, cache):
    np.save(cache / "dollar_street_10" / "train_labels.npy", np.full(12, 11, dtype=np.int32))
    with pytest.raises(dlh.DataCorruptError, match="integer labels in 0-9"):
        dlh.load_images()


def test_unreadable_cached_file_names_the_fix(cache_with, monkeypatch):
    path = cache_with("weather")
    path.write_text("DATE\n")
    real_access = os.access
    # The tests may run as root, who reads everything; act as another user.
    monkeypatch.setattr(dcache.os, "access", lambda p, mode: False if Path(p) == path else real_access(p, mode))
    with pytest.raises(dlh.DataUnreadableError, match=rf"chmod a\+r {re.escape(str(path))}"):
        dlh.fetch("weather")
    assert dcache.status("weather").state == "unreadable"


# -- check and download agree ---------------------------------------------------


@pytest.fixture
def lesson_cache(cache, monkeypatch):
    """A cache with the staged real files (weather, MobileNetV2); no images."""
    if not (SHARED and (SHARED / MOBILENET).is_file() and (SHARED / WEATHER).is_file()):
        pytest.skip("the staged real files (../shared/data) are not available")
    for path in (WEATHER, MOBILENET):
        (cache / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SHARED / path, cache / path)
    return cache


def test_check_passes_on_a_good_cache(lesson_cache, capsys):
    standin.write_dollar_street(lesson_cache / "dollar_street_10")  # read and checked as the real set
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  ok +weather: sha256 and text table", out, re.M)
    assert re.search(r"^  ok +mobilenet_v2: HDF5", out, re.M)
    assert re.search(r"^  missing +densenet121 \(optional\)", out, re.M)
    assert "Everything needed is installed and downloaded." in out


@pytest.mark.parametrize("name", ["weather", "mobilenet_v2"])
def test_check_and_download_fail_alike_on_a_corrupt_file(lesson_cache, capsys, name):
    path = lesson_cache / dlh.REGISTRY[name].path
    path.write_bytes(path.read_bytes()[:1000])
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert re.search(rf"^  corrupt +{name}: ", out, re.M) and "Fix the problems above." in out
    assert cli.main(["download", name]) == 1
    assert re.search(rf"^corrupt +{name}: ", capsys.readouterr().err, re.M)
    assert len(path.read_bytes()) == 1000  # kept for the learner to look at


def test_check_fails_when_a_needed_file_is_missing(lesson_cache, capsys):
    (lesson_cache / WEATHER).unlink()
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^  missing +weather, dollar_street_train_images, ", out, re.M)
    assert "PROBLEM: 5 data files are not downloaded yet: run `python -m dlhelpers download`," in out


def test_check_needs_the_images(lesson_cache, capsys):
    assert cli.main(["check"]) == 1
    assert re.search(r"^  missing +dollar_street_train_images, ", capsys.readouterr().out, re.M)


def test_check_on_a_fresh_install_names_each_missing_file_once(cache, capsys):
    """Nothing downloaded: one line for the missing files, one problem, one command (issue #30)."""
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    for name in dlh.REGISTRY:
        assert out.count(name) == 1, name
    lines = out[out.index("Data cache"):].splitlines()
    assert lines[1] == "  missing    " + ", ".join(
        name + (" (optional)" if dlh.REGISTRY[name].optional else "") for name in dlh.REGISTRY)
    needed = sum(not entry.optional for entry in dlh.REGISTRY.values())
    assert lines[2:] == [f"PROBLEM: {needed} data files are not downloaded yet: run "
                         "`python -m dlhelpers download`, which fetches every missing file "
                         "(the optional ones too).", "Fix the problems above."]


def test_interrupted_download_is_reported_by_check_and_removed_by_download(lesson_cache, monkeypatch, capsys):
    """A download killed with SIGKILL leaves its temporary file; check reports it, download removes it."""
    def slow(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"\x93NUMPY" + b"\0" * 994)
        handler.wfile.flush()
        time.sleep(30)

    with answering(slow) as server:
        env = dict(os.environ, DLHELPERS_MIRROR=server, DLHELPERS_DATA=str(lesson_cache))
        child = subprocess.Popen(
            [sys.executable, "-c", "import dlhelpers; dlhelpers.fetch('dollar_street_test_labels', progress=False)"],
            env=env)
        folder = lesson_cache / "dollar_street_10"
        for _ in range(300):
            if folder.is_dir() and list(folder.glob("*.part")):
                break
            time.sleep(0.1)
        child.send_signal(signal.SIGKILL)
        child.wait()
    [partial] = folder.glob("*.part")
    assert cli.main(["check"]) == 1  # the images are missing, and the leftover is reported
    assert f"1 unfinished download(s) left in the cache ({partial.name})" in capsys.readouterr().out
    os.utime(partial, (time.time() - 3600,) * 2)
    monkeypatch.setenv("DLHELPERS_MIRROR", "http://127.0.0.1:9")
    cli.main(["download", "dollar_street_test_labels"])
    assert f"removed {partial}" in capsys.readouterr().out
    assert not partial.exists()


# -- The venue mirror ------------------------------------------------------------


def test_mirror_serves_verified_files_read_only(lesson_cache, tmp_path, monkeypatch, capsys):
    (lesson_cache / "dollar_street_10").mkdir()
    (lesson_cache / "dollar_street_10" / "test_labels.npy").write_bytes(PORTAL)  # not valid: not served
    with in_background(mirror.make_server("127.0.0.1", 0)) as address:
        assert address.startswith("http://127.0.0.1:")
        learner = tmp_path / "learner"
        monkeypatch.setenv("DLHELPERS_DATA", str(learner))
        assert cli.main(["download", "--mirror", address, "weather", "mobilenet_v2"]) == 0
        out = capsys.readouterr().out
        assert f"downloaded from {address}/{WEATHER}" in out
        for path in (WEATHER, MOBILENET):
            assert (learner / path).read_bytes() == (lesson_cache / path).read_bytes()
        assert os.environ.get("DLHELPERS_MIRROR") is None  # --mirror was for that command only
        assert cli.main(["download", "--mirror", address, "dollar_street_test_labels"]) == 1
        err = capsys.readouterr().err
        assert "Cause: the mirror does not have this file (it answered 404)." in err
        assert "Fix: tell the instructor" in err and "connect to the internet" not in err
        import urllib.error
        import urllib.request

        for method in ("PUT", "POST", "DELETE"):
            request = urllib.request.Request(f"{address}/{WEATHER}", data=b"x", method=method)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request)
            assert refused.value.code == 501
        with pytest.raises(urllib.error.HTTPError):  # nothing outside the registry
            urllib.request.urlopen(f"{address}/../README.md")
        # A file changed on the instructor's machine after the start is no longer served.
        (lesson_cache / WEATHER).unlink()
        (lesson_cache / WEATHER).write_bytes(PORTAL)
        (learner / WEATHER).unlink()
        assert cli.main(["download", "--mirror", address, "weather"]) == 1
        captured = capsys.readouterr()
        assert "Cause: the mirror does not have this file (it answered 404)." in captured.err
        assert f"{WEATHER} changed or was removed since the mirror started: not served" in captured.out


# -- Environment variables ---------------------------------------------------------


def test_the_helpers_read_no_standin_switch(real_images, monkeypatch):
    """The stand-in is data the tests write (tools/run/standin.py); the package has no switch for it."""
    monkeypatch.setenv("DLHELPERS_STANDIN", "1")
    assert dlh.load_images().source == "Dollar Street 10"
    assert not standin.in_use()
    source = Path(dlh.__file__).parent
    assert not [p.name for p in source.glob("*.py") if "STANDIN" in p.read_text().upper().replace("STAND-IN", "")]


def test_cache_folder_is_expanded_and_absolute(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DLHELPERS_DATA", "~/lesson-data")
    assert dlh.cache_dir() == tmp_path / "lesson-data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLHELPERS_DATA", "data-here")
    assert dlh.cache_dir() == tmp_path / "data-here" and dlh.cache_dir().is_absolute()


# -- Graphviz present but broken -------------------------------------------------


def test_broken_graphviz_is_found_by_check_and_plot_model(tmp_path, monkeypatch, capsys):
    import keras

    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'dot: could not find plugin' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    from dlhelpers import models

    assert "fails to draw (dot: could not find plugin)" in models.graphviz_problem()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert dlh.plot_model(model) is None
    assert "Cannot draw the model" in capsys.readouterr().out
    cli.main(["check", "--no-data"])
    assert "Graphviz        not usable" in capsys.readouterr().out


# -- The other data sets -------------------------------------------------------------


@needs_shared
def test_real_weather_file(monkeypatch):
    monkeypatch.setenv("DLHELPERS_DATA", str(SHARED))
    frame = dlh.load_weather()
    assert frame.shape == (3654, 91)
    assert {"DATE", "MONTH", "BASEL_sunshine"} <= set(frame.columns)


def test_penguins_load_offline():
    frame = dlh.load_penguins()
    assert frame.shape == (344, 8)
    assert set(frame["species"]) == {"Adelie", "Chinstrap", "Gentoo"}


def test_unknown_image_dataset():
    with pytest.raises(dlh.UnknownDatasetError, match="cifar10' or 'mnist"):
        dlh.load_images("imagenet")
    with pytest.raises(dlh.UnknownDatasetError):
        dlh.pretrained_weights("resnet")


def test_real_size_standin_has_the_real_sets_size(cache):
    """--real-size: as many images as Dollar Street 10, for timing (make benchmark)."""
    standin.write_dollar_street(cache / "dollar_street_10", real_size=True)
    images = dlh.load_images()
    assert images.train_images.shape == (standin.REAL_N_TRAIN, 64, 64, 3) == (878, 64, 64, 3)
    assert len(images.val_images) == standin.REAL_N_TEST
    assert images.train_images.dtype == np.uint8 and images.train_labels.dtype == np.int32


def test_standin_has_the_real_format_and_is_deterministic(cache):
    standin.write_dollar_street(cache / "dollar_street_10")
    assert standin.in_use()
    images = dlh.load_images()  # the real loader, validation included
    assert images.source == "Dollar Street 10"
    assert images.train_images.shape == (standin.N_TRAIN, 64, 64, 3)
    assert images.train_images.dtype == np.uint8 and images.train_labels.dtype == np.int32
    assert set(images.train_labels) == set(range(10)) == set(images.val_labels)
    again, labels = standin.make_standin_images(standin.N_TRAIN, seed=0)
    np.testing.assert_array_equal(again, images.train_images)
    np.testing.assert_array_equal(labels, images.train_labels)


def test_every_image_source_gives_the_documented_dtypes(real_images, monkeypatch):
    """uint8 images and int32 labels of shape (n,), from files, stand-ins and keras.datasets alike."""
    import keras

    loaded = [dlh.load_images()]  # the real loader on int32 files
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", standin._load_cifar10)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", standin._load_mnist)
    loaded += [dlh.load_images(name) for name in ("cifar10", "mnist")]
    for images in loaded:
        for array in (images.train_images, images.val_images):
            assert array.dtype == np.uint8, images.source
        for array in (images.train_labels, images.val_labels):
            assert array.dtype == np.int32 and array.ndim == 1, images.source


def test_cifar10_standin_goes_through_the_keras_datasets_path(monkeypatch):
    import keras

    (x_train, y_train), _ = standin.cifar10_standin()
    assert x_train.shape == (standin.N_TRAIN, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (standin.N_TRAIN, 1)  # as keras.datasets.cifar10 returns labels
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", standin._load_cifar10)
    images = dlh.load_images("cifar10")
    assert images.source == "CIFAR-10"
    assert images.train_images.shape[1:] == (32, 32, 3)
    assert images.class_names == dlh.CIFAR10_CLASSES
    np.testing.assert_array_equal(images.train_labels, y_train.reshape(-1))


@pytest.mark.skipif(
    not (Path.home() / ".keras" / "datasets" / "cifar-10-batches-py").is_dir(),
    reason="the CIFAR-10 archive is not downloaded",
)
def test_cifar10_variant():
    images = dlh.load_images("cifar10")
    assert images.train_images.shape == (5000, 32, 32, 3) and len(images.val_images) == 10000
    assert images.class_names[0] == "airplane"
    assert len(dlh.load_images("cifar10", n_train=50000).train_images) == 50000


def test_cifar10_variant_keeps_a_5000_image_subset_by_default(monkeypatch):
    """The real loading path, on arrays shaped as keras.datasets.cifar10 returns them."""
    import keras

    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (6000, 32, 32, 3), dtype=np.uint8)
    y_train = rng.integers(0, 10, (6000, 1), dtype=np.uint8)
    x_test, y_test = x_train[:100], y_train[:100]
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: ((x_train, y_train), (x_test, y_test)))
    images = dlh.load_images("cifar10")
    assert len(images.train_images) == dlh.CIFAR10_SUBSET == 5000
    np.testing.assert_array_equal(images.train_images, x_train[:5000])
    np.testing.assert_array_equal(images.train_labels, y_train[:5000, 0])
    assert len(images.val_images) == 100
    assert repr(images).startswith("CIFAR-10, first 5,000 training images: 5000 training and 100")
    assert len(dlh.load_images("cifar10", n_train=6000).train_images) == 6000
    with pytest.raises(ValueError, match="at least 1"):
        dlh.load_images("cifar10", n_train=0)


def test_digits_standin_has_the_mnist_layout(monkeypatch):
    import keras

    monkeypatch.setattr(keras.datasets.mnist, "load_data", standin._load_mnist)
    digits = dlh.load_images("mnist")
    assert digits.source == "MNIST"
    assert digits.train_images.shape[1:] == (28, 28) and digits.train_images.dtype == np.uint8
    assert len(digits.train_images) + len(digits.val_images) == 1797
    assert digits.train_images.max() == 255 and digits.train_images[:, :2].max() == 0  # padded
    assert set(digits.val_labels) == set(range(10))


def test_standin_kernels_get_the_keras_loaders_replaced(tmp_path):
    """The IPython startup file that tools/run/standin.py writes: Keras imported later gets the stand-ins."""
    env = {**os.environ, **standin.prepare(tmp_path / "standin"), "KERAS_BACKEND": "jax"}
    code = ("import keras\n(x, y), (vx, vy) = keras.datasets.mnist.load_data()\n"
            "(cx, cy), _ = keras.datasets.cifar10.load_data()\nprint(x.shape[1:], len(x) + len(vx), cx.shape[1:])")
    ran = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "-c", code],
                         env=env, capture_output=True, text=True, timeout=300)
    assert "(28, 28) 1797 (32, 32, 3)" in ran.stdout, ran.stdout + ran.stderr
    assert standin.in_use(tmp_path / "standin" / "data")


def write_keras_h5_weights(model, path: Path) -> Path:
    """Write ``model``'s weights in the ``.h5`` layout of Keras's ImageNet weight files.

    Stands in for weight files these machines cannot download (DenseNet121):
    one group per layer with a ``weight_names`` attribute, as the files on
    Keras's storage have, so that ``keras.applications`` loads it by the
    same code as the real file.
    """
    import h5py
    import numpy as np

    with h5py.File(path, "w") as file:
        file.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        file.attrs["backend"] = b"tensorflow"
        file.attrs["keras_version"] = b"2.1.6"
        for layer in model.layers:
            group = file.create_group(layer.name)
            names = [f"{layer.name}/{weight.name}:0" for weight in layer.weights]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=np.asarray(weight.numpy()))
    return Path(path)
