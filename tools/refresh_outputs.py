"""Copy the outputs of executed notebooks back into the output blocks of their pages.

    python -m tools.refresh_outputs [--from build/notebooks] [episodes/03-*.md ...]

For maintainers, after a change that moves the lesson's numbers (a new
Keras, another backend, other seeds): run the notebooks (``make
benchmark``), then this, then read ``git diff episodes/`` — the prose around
each changed number may need rewording — and regenerate the notebooks with
``python -m tools.build_notebooks``.

Every ```output and ```{.output .varies} block gets what its cell printed
(or the value of its last expression), normalised as the notebook generator
stores it (tools/lesson.py). Cells are found by the id of their page block.
A block that abbreviates its output with a ``...`` line is left alone and
reported, and so is a block whose cell is missing or printed nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from tools import lesson


def refresh(page_path: Path, executed: Path) -> list[str]:
    """Rewrite one page's output blocks from its executed notebook; return what was done."""
    page = lesson.parse(page_path)
    cells = lesson.cells_by_id(nbformat.read(executed, as_version=4))
    lines = page_path.read_text(encoding="utf-8").split("\n")
    notes = []
    # From the end, so that replacing a block does not move the ones still to do.
    for code, _ in reversed(page.code()):
        if code.output is None:
            continue
        where = f"{page_path.name}:{code.line}"
        if any(line.strip() == "..." for line in code.output.splitlines()):
            notes.append(f"{where}: abbreviated output left alone")
            continue
        cell = cells.get(code.id)
        if cell is None or cell.source != code.source:
            notes.append(f"{where}: not in {executed.name} as it stands; regenerate and rerun it")
            continue
        new = lesson.output_text(cell, code)
        if new is None:
            notes.append(f"{where}: the cell produced no output; block left alone")
            continue
        if new == code.output.rstrip("\n"):
            continue
        start, end = code.output_span  # the fences' file lines, 1-based
        lines[start:end - 1] = new.split("\n")
        notes.append(f"{where}: output updated")
    page_path.write_text("\n".join(lines), encoding="utf-8")
    return notes[::-1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=Path, help="default: every page with an executed notebook")
    parser.add_argument("--from", dest="source", type=Path, default=lesson.ROOT / "build" / "notebooks",
                        help="the executed notebooks (default build/notebooks/)")
    args = parser.parse_args(argv)
    for page_path in args.pages or lesson.page_paths():
        executed = args.source / f"{Path(page_path).stem}.ipynb"
        if not executed.exists():
            print(f"{page_path}: no executed notebook in {args.source}; skipped")
            continue
        for note in refresh(Path(page_path), executed):
            print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
