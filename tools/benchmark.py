"""Execute every notebook in order and print one table of times and results.

    python tools/benchmark.py [notebooks/02-*.ipynb ...]

Each notebook reports its headline results through ``dlh.report``; they are
collected here, so nothing is scraped from outputs. The executed notebooks,
and the table as Markdown and JSON, are written to ``build/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build"


def run(notebook: Path) -> dict:
    nb = nbformat.read(notebook, as_version=4)
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as results:
        os.environ["DLHELPERS_RESULTS"] = results.name
        start = time.perf_counter()
        error = None
        try:
            NotebookClient(nb, timeout=1800, kernel_name="python3",
                           resources={"metadata": {"path": str(notebook.parent)}}).execute()
        except Exception as exc:  # report and go on with the next notebook
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
        seconds = time.perf_counter() - start
        reported = [json.loads(line) for line in Path(results.name).read_text().splitlines()]
    os.unlink(results.name)
    (OUT / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT / "notebooks" / notebook.name)
    return {"notebook": notebook.name, "seconds": round(seconds, 1),
            "results": {r["name"]: r["value"] for r in reported}, "error": error}


def table(rows: list[dict]) -> str:
    lines = ["| notebook | wall time (s) | results |", "|---|---:|---|"]
    for row in rows:
        results = "; ".join(
            f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in row["results"].items())
        if row["error"]:
            results = f"FAILED ({row['error']})" + (f"; {results}" if results else "")
        lines.append(f"| {row['notebook']} | {row['seconds']:.1f} | {results} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    notebooks = [Path(a).resolve() for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    rows = []
    for notebook in notebooks:
        print(f"running {notebook.name} ...", flush=True)
        rows.append(run(notebook))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    data = "stand-in images" if os.environ.get("DLHELPERS_STANDIN") else "real data"
    text = f"Benchmark ({machine}; {data})\n\n{table(rows)}\n"
    OUT.mkdir(exist_ok=True)
    (OUT / "benchmark.md").write_text(text)
    (OUT / "benchmark.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n" + text)
    print(f"Executed notebooks and this table are in {OUT.relative_to(ROOT)}/.")
    return 1 if any(row["error"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
