"""Execute every notebook in order and print one table of times and results.

    python tools/benchmark.py [--compare] [--out DIR] [notebooks/02-*.ipynb ...]

Each notebook runs on the Keras backend the lesson gives it (JAX, or the one
its page's front matter names; see src/dlhelpers/backend.py). ``--compare``
(``make benchmark``) also runs it on the other backend, so the table shows
both side by side: that measurement is what the lesson's choice rests on.

Each notebook reports its headline results through ``dlh.report``; they are
collected here, so nothing is scraped from outputs. The executed notebooks,
and the table as Markdown and JSON, are written to ``build/`` (git-ignored);
the other backend's runs go to ``build/other-backend/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import lesson  # tools/lesson.py (this folder): the reader of the pages
from dlhelpers import backend as backends

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build"


def page_backend(notebook: Path) -> str:
    """The backend a notebook's page asks for, else the lesson's (JAX)."""
    page = lesson.EPISODES / f"{notebook.stem}.md"
    chosen = lesson.parse(page).meta.get("backend") if page.exists() else None
    return chosen or backends.LESSON_BACKEND


def lesson_backend(notebook: Path) -> str:
    """The backend a notebook runs on: KERAS_BACKEND if the user set it, else its page's."""
    return backends.user_backend() or page_backend(notebook)


def run_on(notebook: Path, backend: str, out: Path) -> dict:
    """Execute a notebook with KERAS_BACKEND set to ``backend``."""
    saved = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = backend
    try:
        return run(notebook, out)
    finally:
        if saved is None:
            del os.environ["KERAS_BACKEND"]
        else:
            os.environ["KERAS_BACKEND"] = saved


def run(notebook: Path, out: Path = OUT) -> dict:
    """Execute one notebook; its kernel's stderr (TensorFlow's C++ lines, Jupyter's
    warnings) goes to OUT/logs/NAME.log instead of the terminal."""
    nb = nbformat.read(notebook, as_version=4)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    log = out / "logs" / f"{notebook.stem}.log"
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as results, \
            open(log, "w") as kernel_stderr:
        os.environ["DLHELPERS_RESULTS"] = results.name
        start = time.perf_counter()
        error = None
        try:
            NotebookClient(nb, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": str(notebook.parent)}}
                           ).execute(stderr=kernel_stderr, stdout=kernel_stderr)
        except CellExecutionError as exc:  # report and go on with the next notebook
            error = failure_summary(exc.ename, exc.evalue, log)
            kernel_stderr.write(f"\n{exc}\n")
        except Exception as exc:  # the kernel died, a timeout, ...
            error = failure_summary(type(exc).__name__, str(exc), log)
            kernel_stderr.write(f"\n{exc}\n")
        seconds = time.perf_counter() - start
        reported = [json.loads(line) for line in Path(results.name).read_text().splitlines()]
    os.unlink(results.name)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / "notebooks" / notebook.name)
    return {"notebook": notebook.name, "seconds": round(seconds, 1),
            "results": {r["name"]: r["value"] for r in reported}, "error": error,
            "slowest": slowest_cells(nb)}


def slowest_cells(nb, count: int = 3) -> list[dict]:
    """The ``count`` code cells that took longest, from the timings nbclient records.

    Each is ``{"cell": N, "seconds": S, "code": first line}``, N counting code
    cells from 1 as Jupyter's execution counts do.
    """
    from datetime import datetime

    timed = []
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        stamps = cell.metadata.get("execution", {})
        if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            begin, end = (datetime.fromisoformat(stamps[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            timed.append({"cell": number, "seconds": round((end - begin).total_seconds(), 1),
                          "code": first.strip()[:60]})
    return sorted(timed, key=lambda t: -t["seconds"])[:count]


def failure_summary(ename: str, evalue: str, log: Path) -> str:
    """One line saying what failed (the error's first line) and where the full message is."""
    lines = [line for line in str(evalue).strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return f"{ename}: {first[:200]} (full message: {_shown(log)})"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def results_text(row: dict | None) -> str:
    if row is None:
        return "not run"
    results = "; ".join(
        f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
        for k, v in row["results"].items())
    if row["error"]:
        results = f"FAILED ({row['error']})" + (f"; {results}" if results else "")
    return results


def table(rows: list[dict]) -> str:
    """Markdown: per notebook, wall time and results on each backend, the lesson's in bold."""
    names = list(backends.NAMES)
    lines = ["| notebook | " + " | ".join(f"{backends.NAMES[b]} (s)" for b in names) + " | "
             + " | ".join(f"results on {backends.NAMES[b]}" for b in names)
             + " | slowest cells on the lesson's backend (s) |",
             "|---|" + "---:|" * len(names) + "---|" * len(names) + "---|"]
    totals = dict.fromkeys(names, 0.0)
    for row in rows:
        runs = row["runs"]
        times = []
        for b in names:
            if b not in runs:
                times.append("–")
                continue
            totals[b] += runs[b]["seconds"]
            shown = f"{runs[b]['seconds']:.1f}"
            times.append(f"**{shown}**" if b == row["backend"] else shown)
        results = [results_text(runs.get(b)) for b in names]
        slowest = "; ".join(f"#{c['cell']} `{c['code']}` {c['seconds']:.1f}"
                            for c in runs[row["backend"]].get("slowest", []))
        cells = [row["notebook"], *times, *results, slowest]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lesson_total = sum(row["runs"][row["backend"]]["seconds"] for row in rows)
    lines.append("| all, on each notebook's lesson backend: " + f"{lesson_total:.1f} s | "
                 + " | ".join(f"{totals[b]:.1f}" if any(b in r["runs"] for r in rows) else "–"
                              for b in names) + " |" + " |" * (len(names) + 1))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every complete notebook")
    parser.add_argument("--out", type=Path, default=OUT, help="where results go (default build/)")
    parser.add_argument("--compare", action="store_true",
                        help="also run each notebook on the other backend, side by side")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    rows = []
    for notebook in notebooks:
        backend = lesson_backend(notebook)
        print(f"running {notebook.name} on {backends.NAMES.get(backend, backend)} ...", flush=True)
        runs = {backend: run_on(notebook, backend, out)}
        if args.compare:
            for other in backends.NAMES:
                if other != backend:
                    print(f"running {notebook.name} on {backends.NAMES[other]} ...", flush=True)
                    runs[other] = run_on(notebook, other, out / "other-backend")
        rows.append({"notebook": notebook.name, "backend": backend, "runs": runs})
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    from dlhelpers.datasets import use_standin

    data = "stand-in images" if use_standin() else "real data"
    text = (f"Benchmark ({machine}; {data}; bold: the backend the lesson runs each notebook on)\n\n"
            f"{table(rows)}\n")
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.md").write_text(text)
    (out / "benchmark.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n" + text)
    print(f"Executed notebooks, logs and this table are in {_shown(out)}/.")
    return 1 if any(r["error"] for row in rows for r in row["runs"].values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
