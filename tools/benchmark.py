"""Execute every notebook in order and print one table of times and results.

    python tools/benchmark.py [--out DIR] [notebooks/02-*.ipynb ...]

Each notebook reports its headline results through ``dlh.report``; they are
collected here, so nothing is scraped from outputs. The executed notebooks,
and the table as Markdown and JSON, are written to ``build/`` (git-ignored).
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

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build"


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


def table(rows: list[dict]) -> str:
    lines = ["| notebook | wall time (s) | results | slowest cells (s) |", "|---|---:|---|---|"]
    for row in rows:
        results = "; ".join(
            f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in row["results"].items())
        if row["error"]:
            results = f"FAILED ({row['error']})" + (f"; {results}" if results else "")
        slowest = "; ".join(f"#{c['cell']} `{c['code']}` {c['seconds']:.1f}"
                            for c in row.get("slowest", []))
        cells = [row["notebook"], f"{row['seconds']:.1f}", results, slowest]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every complete notebook")
    parser.add_argument("--out", type=Path, default=OUT, help="where results go (default build/)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    rows = []
    for notebook in notebooks:
        print(f"running {notebook.name} ...", flush=True)
        rows.append(run(notebook, out))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    from dlhelpers.datasets import use_standin

    data = "stand-in images" if use_standin() else "real data"
    text = f"Benchmark ({machine}; {data})\n\n{table(rows)}\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.md").write_text(text)
    (out / "benchmark.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n" + text)
    print(f"Executed notebooks, logs and this table are in {_shown(out)}/.")
    return 1 if any(row["error"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
