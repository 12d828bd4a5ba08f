"""Run and time notebooks: the one executor of the complete notebooks (nbclient).

    python -m tools.run.execute notebooks/02-keras.ipynb [--backend tensorflow] [--out build]
    python -m tools.run.execute --episodes 1-3      # the first three episodes' notebooks

Used by `make lesson` and `make benchmark` (through tools/run/benchmark.py) and by
the tests (conftest.py's ``executed``). A notebook runs in a fresh kernel with
the environment of this process; a ``backend`` sets ``KERAS_BACKEND`` in the
kernel's environment only, so the page's ``dlh.use_backend(...)`` gives way to
it and says so. The kernel's stderr goes to ``OUT/logs/NAME.log``. A notebook
that ran to the end is written to ``OUT/notebooks/`` (the website reads
``build/notebooks/``); one that failed goes to ``OUT/logs/NAME.ipynb`` instead,
so that no failed or old run stands where the site looks. Each executed
notebook says how it ran in its metadata (``lesson_run``: the backend when not
the page's, the kernel's variables that change what the backend compiles for,
and whether the stand-in images were in use), for the judge (tools/run/outputs.py)
and tools/run/refresh_outputs.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import layout
from tools.pages import lesson
from tools.run import outputs, standin

OUT = layout.BUILD


def run(notebook: Path, out: Path = OUT, backend: str | None = None,
        env: dict[str, str] | None = None) -> dict:
    """Execute one notebook top to bottom; return its time, error and slowest cells.

    ``backend``: run Keras on this backend instead of the page's. ``env``:
    further environment variables for the kernel.
    """
    nb = nbformat.read(notebook, as_version=4)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    log = out / "logs" / f"{notebook.stem}.log"
    with open(log, "w") as kernel_stderr:
        kernel_env = {**os.environ, **(env or {})}
        if backend:
            kernel_env["KERAS_BACKEND"] = backend
        client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                                resources={"metadata": {"path": str(notebook.parent)}})
        start = time.perf_counter()
        error = None
        try:
            client.execute(env=kernel_env, stderr=kernel_stderr, stdout=kernel_stderr)
        except CellExecutionError as exc:  # report and go on with the next notebook
            error = failure_summary(exc.ename, exc.evalue, log)
            kernel_stderr.write(f"\n{exc}\n")
        except Exception as exc:  # the kernel died, a timeout, ...
            error = failure_summary(type(exc).__name__, str(exc), log)
            kernel_stderr.write(f"\n{exc}\n")
        seconds = time.perf_counter() - start
    nb.metadata[outputs.RUN_KEY] = {"backend": backend, "variables": outputs.kernel_variables(kernel_env),
                                    "standin": standin.in_use(kernel_env.get("DLHELPERS_DATA") or None)}
    target = out / "notebooks" / notebook.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    nbformat.write(nb, log.with_suffix(".ipynb") if error else target)
    span = cells_span(nb)
    return {"notebook": notebook.name, "seconds": round(seconds, 1),
            "kernel_seconds": None if span is None else round(seconds - span, 1),
            "error": error, "slowest": slowest_cells(nb)}


def _stamp(cell, key: str) -> datetime | None:
    """One of the timestamps nbclient records in a cell's metadata; None if it did not run."""
    stamp = cell.metadata.get("execution", {}).get(key)
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def cell_seconds(cell) -> float | None:
    """How long a code cell took, from the timestamps nbclient records; None if it did not run."""
    begin, end = _stamp(cell, "iopub.execute_input"), _stamp(cell, "shell.execute_reply")
    return None if begin is None or end is None else (end - begin).total_seconds()


def cells_span(nb) -> float | None:
    """Seconds from the first code cell's start to the last run cell's end.

    A run's wall time less this is what starting and stopping the kernel took
    (stopping a kernel that imported TensorFlow or JAX takes a second or more).
    """
    begins = [t for c in nb.cells if c.cell_type == "code" if (t := _stamp(c, "iopub.status.busy"))]
    ends = [t for c in nb.cells if c.cell_type == "code" if (t := _stamp(c, "iopub.status.idle"))]
    return (max(ends) - min(begins)).total_seconds() if begins and ends else None


#: Calls where a cell's time goes: the statement holding the first of them labels the cell.
COSTLY_CALLS = ("fit", "search", "evaluate", "predict", "train_and_score", "load_images",
                "pairplot", "save", "load_model", "check_setup", "plot_model")


def costly_line(source: str) -> str:
    """The line that labels a cell in the timings: its first statement that calls a
    known costly function (``fit``, ``search``, ...), else its first statement that is
    not an import, a definition or an assignment of a constant."""
    import ast

    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython magics
        body = []
    lines = source.splitlines()

    def calls(node) -> set[str]:
        return {getattr(n.func, "attr", getattr(n.func, "id", "")) for n in ast.walk(node)
                if isinstance(n, ast.Call)}

    run = [st for st in body if not isinstance(st, (ast.FunctionDef, ast.ClassDef))]  # defining costs nothing
    for statement in run:
        if calls(statement) & set(COSTLY_CALLS):
            return lines[statement.lineno - 1].strip()
    for statement in run:
        if not isinstance(statement, (ast.Import, ast.ImportFrom)) and calls(statement):
            return lines[statement.lineno - 1].strip()
    return next((line.strip() for line in lines if line.strip()), "")


def slowest_cells(nb, count: int = 3) -> list[dict]:
    """The ``count`` code cells that took longest.

    Each is ``{"cell": N, "seconds": S, "code": the costly line}``, N counting
    code cells from 1 as Jupyter's execution counts do (see :func:`costly_line`).
    """
    timed = []
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        seconds = cell_seconds(cell)
        if seconds is not None:
            timed.append({"cell": number, "seconds": round(seconds, 1),
                          "code": costly_line(cell.source)[:60]})
    return sorted(timed, key=lambda t: -t["seconds"])[:count]


def failure_summary(ename: str, evalue: str, log: Path) -> str:
    """One line saying what failed (the error's first line) and where the full message is."""
    lines = [line for line in str(evalue).strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return f"{ename}: {first[:200]} (full message: {shown(log)})"


shown = layout.shown


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--episodes", metavar="SPAN",
                        help="also the complete notebooks of these episodes, by number in teaching order (1-3)")
    parser.add_argument("--backend", help="run Keras on this backend instead of the page's")
    parser.add_argument("--out", type=Path, default=OUT, help="where results go (default build/)")
    args = parser.parse_args(argv)
    try:
        chosen = [layout.notebook(name) for name in lesson.numbered(args.episodes)] if args.episodes else []
    except lesson.PageError as error:
        parser.error(str(error))
    if not args.notebooks + chosen:
        parser.error("name the notebooks to run, or --episodes")
    failed = 0
    for notebook in args.notebooks + chosen:
        row = run(notebook.resolve(), args.out.resolve(), args.backend)
        kernel = "" if row["kernel_seconds"] is None else f" (kernel start and stop: {row['kernel_seconds']:.1f} s)"
        print(f"{row['notebook']}: {row['seconds']:.1f} s{kernel}"
              + (f"; FAILED ({row['error']})" if row["error"] else ""))
        failed += bool(row["error"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
