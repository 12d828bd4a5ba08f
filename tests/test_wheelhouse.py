"""Installs from the room: a wheelhouse made from the lock, served by the mirror, checked by pip (issue #30).

The whole set (one learner, then four at once, from a served wheelhouse) is
measured by tools/maintain/room_install.py, not here: the tests install a small wheel
the test writes itself, through the same mirror, with pip's own hash checking.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from dlhelpers import lockfile, mirror
from tools import project
from tools.maintain import room_install, wheelhouse
from tools.builders.check_site import in_background
from tools.layout import ROOT

LOCK = lockfile.read_lock(project.LOCKS["lesson"].read_text())


def test_the_lock_is_read_whole():
    assert {project._name(e.name) for e in LOCK} == set(project.locked(project.LOCKS["lesson"].read_text()))
    assert all(entry.hashes for entry in LOCK) and len(LOCK) > 100


@pytest.mark.parametrize("platform, present, absent", [
    ("windows", {"colorama", "pywinpty"}, {"pexpect", "appnope"}),
    ("macos", {"appnope", "pexpect"}, {"colorama", "pywinpty"}),
    ("linux", {"pexpect"}, {"colorama", "pywinpty", "appnope"}),
])
def test_each_platform_gets_the_packages_its_pip_would_install(platform, present, absent):
    names = {entry.name for entry in wheelhouse.selected(LOCK, platform, "3.13", 0)}
    assert present <= names and not absent & names
    assert {"tensorflow", "jax", "keras"} <= names


def test_early_and_late_patch_releases_get_their_own_versions():
    # soupsieve's newest release needs Python 3.11.5: the lock keeps an older one for 3.11.0-3.11.4.
    versions = {patch: {e.version for e in wheelhouse.selected(LOCK, "linux", "3.11", patch)
                        if e.name == "soupsieve"} for patch in (0, 99)}
    assert len(versions[0]) == len(versions[99]) == 1 and versions[0] != versions[99]


def test_pip_gets_each_selected_package_once_with_its_hashes(monkeypatch, tmp_path, capsys):
    asked = []

    def pip(command, check):
        if command[3] == "wheel":  # the helpers' own wheel, from the lesson's folder
            asked.append(("wheel", command[-1]))
            return
        requirements = command[command.index("-r") + 1]
        asked.append((command[command.index("--python-version") + 1],
                      [command[i + 1] for i, word in enumerate(command) if word == "--platform"],
                      open(requirements).read().splitlines()))

    monkeypatch.setattr(wheelhouse.subprocess, "run", pip)
    assert wheelhouse.make(tmp_path, project.LOCKS["lesson"], ["windows"], ["3.11"], ROOT) == 0
    (early, tags, first), (late, _, last), helpers = asked
    assert (early, late, tags) == ("3.11.0", "3.11.99", ["win_amd64"])
    for lines, patch in ((first, 0), (last, 99)):
        chosen = wheelhouse.selected(LOCK, "windows", "3.11", patch)
        assert lines == [entry.line() for entry in chosen]
        assert all(";" not in line and "--hash=sha256:" in line for line in lines)
    assert helpers == ("wheel", str(ROOT))
    assert "windows, Python 3.11:" in capsys.readouterr().out


def lock_of(path, *wheels):
    """A lock (as uv writes one) naming each wheel's package and version with its hash."""
    path.write_text("".join(f"{w.name.split('-')[0]}=={w.name.split('-')[1]} \\\n"
                            f"    --hash=sha256:{hashlib.sha256(w.read_bytes()).hexdigest()}\n" for w in wheels))
    return path


def write_wheel(folder, version="1.0", body="ANSWER = 42\n", package="lessontoy"):
    """A tiny pure-Python wheel, as any build backend writes one; returns its path."""
    name = f"{package}-{version}"
    files = {
        f"{package}/__init__.py": body,
        f"{name}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n",
        f"{name}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
              f"{len(text.encode())}" for path, text in files.items()]
    files[f"{name}.dist-info/RECORD"] = "\n".join([*record, f"{name}.dist-info/RECORD,,"]) + "\n"
    path = folder / f"{name}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


@pytest.fixture
def house(tmp_path):
    """An empty wheelhouse folder."""
    (tmp_path / "wheels").mkdir()
    return tmp_path / "wheels"


def pip_install(base, lock, target, links=None):
    """pip from the mirror alone: no index, no configuration of this machine's, hashes required."""
    return subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                           "--find-links", links or f"{base}/{mirror.WHEELS}", "--target", str(target),
                           "-r", str(lock)], capture_output=True, text=True, env=room_install.pip_env())


def test_pip_installs_from_the_mirror_alone_and_refuses_an_altered_wheel(cache, tmp_path, house):
    wheel = write_wheel(house)
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"lessontoy==1.0 \\\n    --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n")

    with in_background(mirror.make_server("127.0.0.1", 0, wheelhouse=house)) as base:
        index = urllib.request.urlopen(f"{base}/{mirror.WHEELS}", timeout=10).read().decode()
        assert f'href="{wheel.name}#sha256={hashlib.sha256(wheel.read_bytes()).hexdigest()}"' in index
        installed = pip_install(base, lock, tmp_path / "good")
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "good" / "lessontoy" / "__init__.py").read_text() == "ANSWER = 42\n"

    # The same name, other bytes (a swapped or damaged file in the wheelhouse): the
    # mirror serves what is there, and pip refuses it against the lock.
    wheel.unlink()
    write_wheel(house, body="ANSWER = 'swapped'\n")
    with in_background(mirror.make_server("127.0.0.1", 0, wheelhouse=house)) as base:
        refused = pip_install(base, lock, tmp_path / "bad")
    assert refused.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in refused.stderr
    assert not (tmp_path / "bad" / "lessontoy").exists()


def test_the_mirror_serves_only_the_wheels_that_lie_in_the_folder(cache, tmp_path, house):
    outside = write_wheel(tmp_path, version="2.0")
    (house / outside.name).symlink_to(outside)       # a link: not served
    (house / "notes.txt").write_text("not a wheel")  # not a wheel: not served
    kept = write_wheel(house)
    served = mirror.wheels(house)
    assert list(served) == [mirror.WHEELS + kept.name]
    with in_background(mirror.make_server("127.0.0.1", 0, wheelhouse=house)) as base:
        for name in (outside.name, "notes.txt", "../requirements.txt"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{base}/{mirror.WHEELS}{name}", timeout=10)
            assert refused.value.code == 404, name
        kept.write_bytes(kept.read_bytes() + b"\0")  # changed after it was hashed: no longer served
        with pytest.raises(urllib.error.HTTPError) as changed:
            urllib.request.urlopen(f"{base}/{mirror.WHEELS}{kept.name}", timeout=10)
        assert changed.value.code == 404


def test_serve_says_how_learners_install_from_it(cache, tmp_path, house, capsys, monkeypatch):
    write_wheel(house)
    monkeypatch.setattr(mirror.MirrorServer, "serve_forever", lambda self: None)
    assert mirror.serve("127.0.0.1", 0, wheelhouse=house) == 0
    out = capsys.readouterr().out
    assert "And 1 wheels from" in out
    assert "--find-links http://127.0.0.1:" in out and "--no-index" in out and "-r requirements.txt" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert mirror.serve("127.0.0.1", 0, wheelhouse=empty) == 2
    assert "holds no wheel" in capsys.readouterr().err


def test_a_wheelhouse_needs_a_lock_with_hashes(tmp_path, capsys):
    plain = tmp_path / "requirements.txt"
    plain.write_text("keras==3.15.1\n")
    assert wheelhouse.make(tmp_path / "w", plain, ["linux"], ["3.13"], tmp_path) == 2
    assert "not a lock with hashes" in capsys.readouterr().err
    assert wheelhouse.make(tmp_path / "w", tmp_path / "nowhere.txt", ["linux"], ["3.13"], tmp_path) == 2
    assert "cannot read the lock" in capsys.readouterr().err


def pip_recorder(monkeypatch, fail_wheel=False):
    """subprocess.run for the wheelhouse: records pip's commands; the wheel build fails if asked."""
    asked = []

    def pip(command, check):
        asked.append(command)
        if fail_wheel and command[3] == "wheel":
            raise subprocess.CalledProcessError(1, command)
    monkeypatch.setattr(wheelhouse.subprocess, "run", pip)
    return asked


def copy_of_the_lesson(folder):
    folder.mkdir()
    shutil.copy(ROOT / "pyproject.toml", folder)
    shutil.copy(project.LOCKS["lesson"], folder / "requirements.txt")
    return folder


def test_a_lock_given_as_a_bare_relative_path_builds_that_folder(monkeypatch, tmp_path):
    """`--lock projx/requirements.txt` from the lesson's parent folder: pip gets the folder's absolute
    path, never the bare name `projx`, which it reads as a package on the index and builds from there."""
    lesson = copy_of_the_lesson(tmp_path / "projx")
    asked = pip_recorder(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert wheelhouse.main(["w", "--platform", "linux", "--python", "3.11",
                     "--lock", "projx/requirements.txt"]) == 0
    assert asked[-1][3] == "wheel" and asked[-1][-1] == str(lesson)


def test_a_lock_outside_the_lesson_builds_nothing_and_says_so(monkeypatch, tmp_path, capsys):
    lockdir = tmp_path / "lockdir"
    lockdir.mkdir()
    shutil.copy(project.LOCKS["lesson"], lockdir / "requirements.txt")  # no pyproject.toml beside it
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[project]\nname = "lockdir"\n')
    shutil.copy(project.LOCKS["lesson"], tmp_path / "other" / "requirements.txt")
    asked = pip_recorder(monkeypatch)
    monkeypatch.chdir(tmp_path)
    for folder in ("lockdir", "other"):
        assert wheelhouse.main(["w", "--platform", "linux", "--python", "3.11",
                         "--lock", f"{folder}/requirements.txt"]) == 2
        assert f"{tmp_path / folder} is not the lesson's folder" in capsys.readouterr().err
    assert asked == []


def test_a_failed_build_of_the_helpers_is_a_message_not_a_traceback(monkeypatch, tmp_path, capsys):
    copy_of_the_lesson(tmp_path / "projx")
    pip_recorder(monkeypatch, fail_wheel=True)  # offline: pip cannot fetch setuptools
    monkeypatch.chdir(tmp_path)
    assert wheelhouse.main(["w", "--platform", "linux", "--python", "3.11",
                     "--lock", "projx/requirements.txt"]) == 1
    assert "could not build the helpers' wheel" in capsys.readouterr().err


@pytest.mark.parametrize("version, links", [("1.0", "{base}/wheels"), ("1.0+room", None)],
                         ids=["the address without its final slash", "a local version, asked for as 1.0%2Broom"])
def test_pip_finds_the_wheels_as_it_asks_for_them(cache, tmp_path, house, version, links):
    lock = lock_of(tmp_path / "requirements.txt", write_wheel(house, version=version))
    with in_background(mirror.make_server("127.0.0.1", 0, wheelhouse=house)) as base:
        installed = pip_install(base, lock, tmp_path / "target", links=links and links.format(base=base))
    assert installed.returncode == 0, installed.stderr


def damaged_wheelhouse(tmp_path, monkeypatch):
    """A wheelhouse with one good wheel and each kind of file the mirror must leave out."""
    house = tmp_path / "wheels"
    house.mkdir()
    good = write_wheel(house, version="1.0")
    cut = write_wheel(house, version="2.0")
    unlisted = write_wheel(house, version="3.0", package="othertoy")
    lock = lock_of(tmp_path / "requirements.txt", good, cut)
    cut.write_bytes(cut.read_bytes()[:-200])  # cut short after the lock was written
    unlisted.write_bytes(unlisted.read_bytes()[:-200])  # not in the lock: its zip is read
    (house / "lessontoy-4.0-py3-none-any.whl").symlink_to(write_wheel(tmp_path, version="4.0"))
    (house / "lessontoy-5.0-py3-none-any.whl").mkdir()
    private = write_wheel(house, version="6.0")
    private.chmod(0o600)
    real_open = os.open

    def as_another_user(path, *args, **kwargs):  # root reads every file: refuse as for another user
        if Path(path).name == private.name:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(mirror.os, "open", as_another_user)
    return house, lock, good


LEFT_OUT = {
    "2.0": "its sha256 is none of the lock's for lessontoy 2.0",
    "3.0": "it is not a readable wheel",  # othertoy
    "4.0": "it is a symbolic link",
    "5.0": "it is a folder, not a wheel",
    "6.0": "you cannot read it (its permissions are 0o600",
}


def test_the_mirror_checks_each_wheel_and_names_each_one_it_leaves_out(cache, tmp_path, capsys, monkeypatch):
    house, lock, good = damaged_wheelhouse(tmp_path, monkeypatch)
    monkeypatch.setattr(mirror.MirrorServer, "serve_forever", lambda self: None)
    assert mirror.serve("127.0.0.1", 0, wheelhouse=house, lock=lock) == 0
    out = capsys.readouterr().out
    assert "And 1 wheels from" in out
    for version, why in LEFT_OUT.items():
        assert f"-{version}-py3-none-any.whl: {why}" in out and "Not served: wheels/" in out, out
    assert list(mirror.wheels(house, lock)) == [mirror.WHEELS + good.name]


def test_a_wheelhouse_of_wheels_left_out_says_why_each_is(cache, tmp_path, capsys, monkeypatch):
    house, lock, good = damaged_wheelhouse(tmp_path, monkeypatch)
    good.unlink()
    assert mirror.serve("127.0.0.1", 0, wheelhouse=house, lock=lock) == 2
    err = capsys.readouterr().err
    assert "holds no wheel that can be served" in err and "Traceback" not in err
    for version, why in LEFT_OUT.items():
        assert f"-{version}-py3-none-any.whl: {why}" in err, err


def test_a_wheel_of_another_version_than_the_lock_is_left_out(cache, tmp_path, house):
    lock = lock_of(tmp_path / "requirements.txt", write_wheel(tmp_path, version="1.0"))
    stale = write_wheel(house, version="0.9")
    assert mirror.check_wheel(stale, mirror.locked_hashes(lock)) == (
        "the lock installs lessontoy 1.0, not 0.9: a wheel of another lock")
