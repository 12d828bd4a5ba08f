"""Copy the outputs of executed notebooks back into the checked output blocks of their pages.

    python -m tools.run.refresh_outputs [--from build/notebooks] [--standin] [episodes/03-*.md ...]

For maintainers, after a change that moves the lesson's numbers (a new
Keras, another backend, other seeds): run the notebooks (``make lesson``),
then this, then read ``git diff episodes/`` — the prose around each changed
number may need rewording — and regenerate the notebooks with
``python -m tools.builders.build_notebooks``.

It records only what the recording environment must reproduce: every
```output and ```{.output .seeded} block gets what its cell printed (or the
value of its last expression), normalised as the notebook generator stores
it (tools/pages/lesson.py); cells are found by the id of their page block. A
```{.output .varies} block is never touched: it shows what differs between
machines, often as a placeholder (``…``). A block that abbreviates its
output with a ``...`` line is left alone and reported, and so is a block
whose cell is missing or printed nothing. Seeded blocks are refreshed only
from a run on the page's backend with the lesson's pins, and the
environment of that run (backend, versions, device, processor) is written to
episodes/recorded-on.yaml: the judge compares seeded results exactly there
only (tools/run/outputs.py). A run on the stand-in images (tools/run/standin.py) is
refused unless ``--standin`` says that is meant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

from tools import layout
from tools.pages import lesson
from tools.run import outputs

HEADER = """\
# The environment that recorded each page's seeded output blocks, written by
# `python -m tools.run.refresh_outputs` (never by hand). Where a run's environment
# is this one, the tests compare seeded results exactly; elsewhere each number
# within its block's tolerance (tools/run/outputs.py). `processor` is what the
# backend compiles for: XLA's target CPU and its widest vector instructions.
"""


class Refused(Exception):
    """An executed notebook whose outputs must not become the page's."""


def refresh(page_path: Path, executed: Path, standin_ok: bool = False) -> list[str]:
    """Rewrite one page's checked output blocks from its executed notebook; return what was done."""
    page = lesson.parse(page_path)
    notebook = nbformat.read(executed, as_version=4)
    run = outputs.run_of(notebook)
    if run.get("standin") and not standin_ok:
        raise Refused(f"{executed}: run on the stand-in images (tools/run/standin.py), whose outputs are not "
                      "the lesson's; run it on the real data, or pass --standin if you mean it")
    seeded_from = None
    if any(code.output_seeded for code, _ in page.code()):
        mode, why = outputs.seeded_judgement(page, notebook)
        seeded_from = None if mode is None else why
    cells = lesson.cells_by_id(notebook)
    lines = page_path.read_text(encoding="utf-8").split("\n")
    notes = []
    seeded_changed = False
    # From the end, so that replacing a block does not move the ones still to do.
    for code, _ in reversed(page.code()):
        if not code.checked:
            continue
        where = f"{page_path.name}:{code.line}"
        if code.output_seeded and seeded_from is None:
            notes.append(f"{where}: seeded block left alone ({why})")
            continue
        if any(line.strip() == "..." for line in code.output.splitlines()):
            notes.append(f"{where}: abbreviated output left alone")
            continue
        cell = lesson.current_cell(cells, code)
        if cell is None:
            notes.append(f"{where}: not in {executed.name} as it stands; block left alone: "
                         f"{layout.rerun(page.name)}")
            continue
        new = lesson.output_text(cell, code)
        if new is None:
            notes.append(f"{where}: the cell produced no output; block left alone")
            continue
        if new == code.output.rstrip("\n"):
            continue
        start, end = code.output_span  # the fences' file lines, 1-based
        lines[start:end - 1] = new.split("\n")
        seeded_changed |= code.output_seeded
        notes.append(f"{where}: output updated")
    page_path.write_text("\n".join(lines), encoding="utf-8")
    notes.reverse()
    if seeded_changed:
        record(page.name, outputs.run_environment(run.get("backend") or page.backend, run.get("variables")))
        notes.append(f"{page_path.name}: recording environment written to {outputs.RECORDED.name}")
    return notes


def record(page_name: str, environment: dict) -> None:
    """Write the environment that recorded a page's seeded blocks (tools/run/outputs.py reads it)."""
    recorded = outputs.recorded()
    recorded[page_name] = environment
    body = yaml.safe_dump(dict(sorted(recorded.items())), sort_keys=False, default_flow_style=None)
    outputs.RECORDED.write_text(HEADER + body, encoding="utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=Path, help="default: every page with an executed notebook")
    parser.add_argument("--from", dest="source", type=Path, default=lesson.ROOT / "build" / "notebooks",
                        help="the executed notebooks (default build/notebooks/)")
    parser.add_argument("--standin", action="store_true",
                        help="accept runs on the stand-in images (their checked blocks are the same)")
    args = parser.parse_args(argv)
    refused = 0
    for page_path in args.pages or lesson.page_paths():
        executed = args.source / f"{Path(page_path).stem}.ipynb"
        if not executed.exists():
            print(f"{page_path}: no executed notebook in {args.source}; skipped")
            continue
        try:
            notes = refresh(Path(page_path), executed, args.standin)
        except Refused as refusal:
            print(f"refused: {refusal}")
            refused += 1
            continue
        for note in notes:
            print(note)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
