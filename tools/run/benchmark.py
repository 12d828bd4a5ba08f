"""Execute every notebook in order and print one table of times and results.

    python -m tools.run.benchmark [--compare] [--out DIR] [notebooks/02-*.ipynb ...]

Each notebook runs on the Keras backend its page sets (``dlh.use_backend``
in its first cell), unless ``KERAS_BACKEND`` is set here: then on that one.
``--compare`` (``make benchmark``) also runs it on the other backend, so the
table shows both side by side: that measurement is what the lesson's choice
rests on. Notebooks are executed by tools/run/execute.py.

Each page marks its headline results (``.result`` output blocks, tools/pages/lesson.py);
the table reads them from the executed notebooks. The executed notebooks,
and the table as Markdown and JSON, are written to ``build/`` (git-ignored);
the other backend's runs go to ``build/other-backend/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import nbformat

from dlhelpers.backend import NAMES  # the backends a page may set, by display name
from tools import layout
from tools.pages import lesson
from tools.run import execute, outputs, standin

OUT = execute.OUT


def page_backend(notebook: Path) -> str:
    """The backend a notebook's page sets in its first block (TensorFlow, Keras's default, if none)."""
    page = layout.page(notebook)
    return (lesson.parse(page).backend if page.exists() else None) or "tensorflow"


def run(notebook: Path, out: Path, backend: str | None = None) -> dict:
    """tools/run/execute.py's row for one run, with the headline results its page marks."""
    row = execute.run(notebook, out, backend=backend)
    executed, page = layout.executed(notebook.stem, out), layout.page(notebook)
    row["results"] = (outputs.results(lesson.parse(page), nbformat.read(executed, as_version=4))
                      if executed.exists() and page.exists() else {})
    return row


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
    names = list(NAMES)
    lines = ["| notebook | " + " | ".join(f"{NAMES[b]} (s)" for b in names) + " | "
             + " | ".join(f"results on {NAMES[b]}" for b in names)
             + " | of which kernel start and stop (s) | slowest cells on the lesson's backend (s) |",
             "|---|" + "---:|" * len(names) + "---|" * len(names) + "---:|---|"]
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
        lesson_run = runs[row["backend"]]
        slowest = "; ".join(f"#{c['cell']} `{c['code']}` {c['seconds']:.1f}"
                            for c in lesson_run.get("slowest", []))
        kernel = lesson_run.get("kernel_seconds")
        cells = [row["notebook"], *times, *results, "–" if kernel is None else f"{kernel:.1f}", slowest]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lesson_total = sum(row["runs"][row["backend"]]["seconds"] for row in rows)
    lines.append("| all, on each notebook's lesson backend: " + f"{lesson_total:.1f} s | "
                 + " | ".join(f"{totals[b]:.1f}" if any(b in r["runs"] for r in rows) else "–"
                              for b in names) + " |" + " |" * (len(names) + 2))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every complete notebook")
    parser.add_argument("--out", type=Path, default=OUT, help="where results go (default build/)")
    parser.add_argument("--compare", action="store_true",
                        help="also run each notebook on the other backend, side by side")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    notebooks = [p.resolve() for p in args.notebooks] or [
        layout.notebook(path.stem) for path in lesson.page_paths()]
    rows = []
    chosen = os.environ.get("KERAS_BACKEND", "").strip() or None
    for notebook in notebooks:
        backend = chosen or page_backend(notebook)
        print(f"running {notebook.name} on {NAMES.get(backend, backend)} ...", flush=True)
        runs = {backend: run(notebook, out, backend=chosen)}
        if args.compare:
            for other in NAMES:
                if other != backend:
                    print(f"running {notebook.name} on {NAMES[other]} ...", flush=True)
                    runs[other] = run(notebook, out / "other-backend", backend=other)
        rows.append({"notebook": notebook.name, "backend": backend, "runs": runs})
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    data = "stand-in images (tools/run/standin.py)" if standin.in_use() else "real data"
    text = (f"Benchmark ({machine}; {data}; bold: the backend the lesson runs each notebook on)\n\n"
            f"{table(rows)}\n")
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.md").write_text(text)
    (out / "benchmark.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n" + text)
    print(f"Executed notebooks, logs and this table are in {execute.shown(out)}/.")
    return 1 if any(r["error"] for row in rows for r in row["runs"].values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
