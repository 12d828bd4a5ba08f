"""A folder of wheels for the room, from the lock (workshop set-up; instructor notes, plan B).

The night before a workshop, on a good network, the instructor runs

    python -m tools.maintain.wheelhouse wheels/ --platform windows --platform macos --platform linux

in the lesson's folder (it builds the helpers' wheel from there: builder code,
not part of the helpers). For each platform and Python asked for, pip downloads
the wheel of every package the lock (requirements.txt) selects there, and
checks each against the lock's hashes; the helpers' own wheel is built from
the folder. ``python -m dlhelpers serve --wheels wheels/`` then serves the
folder beside the data, and learners install with pip from the mirror alone;
pip checks every file against the same hashes there.

Which packages a platform needs is read from the lock's markers (for example
``colorama ; sys_platform == 'win32'``): pip evaluates markers for the machine
it runs on, not for the ``--platform`` it downloads for, so this module does
that part, with ``packaging``, and hands pip the resulting list.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from dlhelpers.lockfile import Locked, read_lock
from tools import project

#: The platforms setup.md supports: marker values, and the platform tags of the wheels
#: their pip installs, oldest system first given to pip's --platform (which, given a
#: tag, takes no older one by itself): Linux with glibc 2.31 or later (Ubuntu 20.04,
#: Debian 11), macOS 12 or later on Apple silicon, 64-bit Windows.
PLATFORMS = {
    "linux": ({"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux",
               "platform_machine": "x86_64"},
              [f"manylinux_2_{minor}_x86_64" for minor in range(31, 16, -1)]
              + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]),
    "windows": ({"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
                 "platform_machine": "AMD64"}, ["win_amd64"]),
    "macos": ({"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin",
               "platform_machine": "arm64"},
              [f"macosx_{major}_0_{arch}" for major in (12, 11) for arch in ("arm64", "universal2")]
              + [f"macosx_10_{minor}_universal2" for minor in range(16, 8, -1)]),
}
#: The Pythons the lesson supports (pyproject.toml's classifiers).
PYTHONS = tuple(project.pythons())


def environment(platform: str, python: str, patch: int = 0) -> dict[str, str]:
    """The marker environment of a learner's CPython ``python`` (e.g. "3.13") on ``platform``."""
    values, _ = PLATFORMS[platform]
    return {**values, "python_version": python, "python_full_version": f"{python}.{patch}",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "implementation_version": f"{python}.{patch}", "platform_release": "", "platform_version": ""}


def selected(entries: list[Locked], platform: str, python: str, patch: int) -> list[Locked]:
    """The entries a learner's pip installs on CPython ``python``.``patch`` there."""
    from packaging.markers import Marker

    here = environment(platform, python, patch)
    return [entry for entry in entries if entry.marker is None or Marker(entry.marker).evaluate(here)]


def download(entries: list[Locked], platform: str, python: str, folder: Path) -> None:
    """pip downloads each entry's wheel for ``platform`` and ``python``, checking the lock's hashes."""
    _, tags = PLATFORMS[platform]
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(entry.line() for entry in entries) + "\n")
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
                   *(word for tag in tags for word in ("--platform", tag)),
                   "--dest", str(folder), "--require-hashes", "-r", str(requirements)]
        subprocess.run(command, check=True)


def lesson_folder(source: Path) -> Path | None:
    """``source`` as an absolute path if it is the lesson's folder (its pyproject.toml builds
    the helpers), else None: pip reads a bare name such as ``lesson`` as a package on the index."""
    import tomllib

    folder = source.resolve()
    try:
        project = tomllib.loads((folder / "pyproject.toml").read_text()).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return folder if project.get("name") == "dlhelpers" else None


def build_helpers(source: Path, folder: Path) -> None:
    """The helpers' own wheel, built from the lesson's folder (not in the lock: it is this project).

    ``source`` is given to pip as an absolute path, which pip never takes for a
    package's name on the index.
    """
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(folder), str(source.resolve())], check=True)


def make(folder: Path, lock: Path, platforms: list[str], pythons: list[str], source: Path) -> int:
    """Fill ``folder`` for every platform and Python asked for; print what it holds."""
    try:
        entries = read_lock(lock.read_text())
    except OSError as error:
        print(f"PROBLEM: cannot read the lock {lock} ({error.strerror}): run this in the lesson's "
              "folder, or give --lock.", file=sys.stderr)
        return 2
    if not entries or any(not entry.hashes for entry in entries):
        print(f"PROBLEM: {lock} is not a lock with hashes (`make lock` writes one).", file=sys.stderr)
        return 2
    if lesson_folder(source) is None:
        print(f"PROBLEM: {source.resolve()} is not the lesson's folder (its pyproject.toml does not "
              "build dlhelpers), and the helpers' wheel is built only from there: give the lesson's "
              "requirements.txt as --lock, or run this in the lesson's folder.", file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    for platform in platforms:
        for python in pythons:
            # The lock may pick other versions for early and late patch releases (a
            # package's Requires-Python): both sets, so that any 3.x.y finds its own.
            first, last = (selected(entries, platform, python, patch) for patch in (0, 99))
            print(f"{platform}, Python {python}: {len(set(first) | set(last))} packages", flush=True)
            for chosen, patch in ((first, 0), (last, 99)) if first != last else ((first, 0),):
                try:
                    download(chosen, platform, f"{python}.{patch}", folder)
                except subprocess.CalledProcessError:
                    print(f"PROBLEM: pip could not download every wheel for {platform}, Python "
                          f"{python} (its message is above); nothing it refused was kept.",
                          file=sys.stderr)
                    return 1
    try:
        build_helpers(source, folder)
    except subprocess.CalledProcessError:
        print(f"PROBLEM: pip could not build the helpers' wheel from {source.resolve()} (its message "
              "is above; offline, it cannot fetch the build backend, setuptools): run this again "
              "where pip can reach the package index.", file=sys.stderr)
        return 1
    wheels = sorted(folder.glob("*.whl"))
    size = sum(path.stat().st_size for path in wheels)
    print(f"\n{folder}: {len(wheels)} wheels, {size / 1e6:,.0f} MB. Serve them beside the data with\n"
          f"    python -m dlhelpers serve --wheels {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.maintain.wheelhouse",
        description="Download the wheels of the lock for the room's platforms (for `python -m dlhelpers "
                    "serve --wheels`).")
    parser.add_argument("folder", type=Path, help="where to put the wheels (created if need be)")
    parser.add_argument("--platform", action="append", choices=list(PLATFORMS),
                        help="a platform in the room (repeat it; default: all three)")
    parser.add_argument("--python", action="append", choices=list(PYTHONS),
                        help="a Python version in the room (repeat it; default: every supported one)")
    parser.add_argument("--lock", type=Path, default=Path("requirements.txt"),
                        help="the lock to follow (default: requirements.txt, in the lesson's folder)")
    args = parser.parse_args(argv)
    try:
        return make(args.folder, args.lock, args.platform or list(PLATFORMS),
                    args.python or list(PYTHONS), source=args.lock.parent)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
