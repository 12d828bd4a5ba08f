"""Measure a room installing the lesson from the venue mirror: one learner, then several at once.

    python -m tools.maintain.wheelhouse build/wheels --platform linux --python 3.11
    python -m tools.maintain.room_install build/wheels [--learners 4]

Starts ``python -m dlhelpers serve --wheels`` on 127.0.0.1, then, in fresh
virtual environments, runs the learners' two install commands (setup.md)
against it alone: no index, none of this machine's pip settings, every hash
checked by pip. Prints, for one learner and then for ``--learners`` at once,
each install's wall time, the bytes the mirror sent, and the mirror's peak
memory (Linux: the process's VmHWM). Nothing is asserted: this is a
measurement for the instructor notes, like tools/run/benchmark.py.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.layout import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, seconds: float = 120) -> None:
    """Until the mirror listens (it hashes every wheel first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the mirror did not start listening on port {port} within {seconds} s")


def pip_env() -> dict[str, str]:
    """This environment without any pip setting of this machine's (an index, a find-links folder)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def install(venv: Path, base: str) -> float:
    """The learners' two commands, from the mirror alone; their wall time in seconds."""
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    links = ["--no-index", "--disable-pip-version-check", "--quiet", "--find-links", f"{base}/wheels/"]
    start = time.perf_counter()
    for args in (["-r", str(ROOT / "requirements.txt")], ["--no-deps", "dlhelpers"]):
        subprocess.run([str(python), "-m", "pip", "install", *links, *args], check=True, env=pip_env())
    return time.perf_counter() - start


def peak_memory(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "n/a"
    kilobytes = int(re.search(r"VmHWM:\s+(\d+)", status)[1])
    return f"{kilobytes / 1024:,.0f} MB"


def bytes_sent(log: Path, folder: Path, after: int) -> int:
    """Bytes of the wheels the mirror answered 200 for, in its log from offset ``after``."""
    sizes = {path.name: path.stat().st_size for path in folder.glob("*.whl")}
    text = log.read_text()[after:]
    return sum(sizes.get(name, 0) for name in re.findall(r'"GET /wheels/([^ "?]+) HTTP/1\.[01]" 200', text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheelhouse", type=Path)
    parser.add_argument("--learners", type=int, default=4)
    args = parser.parse_args(argv)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "mirror.log"
        with open(log, "w") as out:
            server = subprocess.Popen([sys.executable, "-m", "dlhelpers", "serve", "--host", "127.0.0.1",
                                       "--port", str(port), "--wheels", str(args.wheelhouse)],
                                      stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(port)
            print(f"Mirror on {base}, serving {args.wheelhouse}; idle: {peak_memory(server.pid)} peak memory")
            print("\n| learners at once | each install (s) | wall time (s) | bytes sent | mirror peak memory |")
            print("|---|---|---|---|---|")
            for learners in (1, args.learners):
                venvs = [Path(scratch) / f"round{learners}-learner{n}" for n in range(learners)]
                for venv in venvs:
                    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
                offset = len(log.read_text())
                start = time.perf_counter()
                with ThreadPoolExecutor(learners) as pool:
                    times = list(pool.map(lambda venv: install(venv, base), venvs))
                wall = time.perf_counter() - start
                sent = bytes_sent(log, args.wheelhouse, offset)
                print(f"| {learners} | {', '.join(f'{t:.0f}' for t in times)} | {wall:.0f} | "
                      f"{sent / 1e6:,.0f} MB | {peak_memory(server.pid)} |", flush=True)
                for venv in venvs:
                    subprocess.run([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1])",
                                    str(venv)], check=True)
        finally:
            server.terminate()
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
