"""Copy the outputs of executed notebooks back into the output blocks of their pages.

    python tools/refresh_outputs.py [--from build/notebooks] [episodes/03-*.md ...]

For maintainers, after a change that moves the lesson's numbers (a new
Keras, another backend, other seeds): run the notebooks (``make
benchmark``), then this, then read ``git diff episodes/`` — the prose around
each changed number may need rewording — and regenerate the notebooks with
``python tools/build_notebooks.py``.

Every ```output and ```{.output .varies} block gets what its cell printed
(or the value of its last expression), as tools/build_notebooks.py stores
it. A block that abbreviates its output with a ``...`` line is left alone
and reported. Cells are matched to code blocks by position, as the
notebook generator numbers them: the generated setup cell first, then
every code block of the page in order.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_notebooks  # noqa: E402
import lesson  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cell_output(cell, code: lesson.Code) -> str | None:
    """What the page's output block should say for an executed cell, or None."""
    if build_notebooks.ends_in_expression(code.source):
        for output in cell.outputs:
            if output.output_type == "execute_result":
                return output.data.get("text/plain")
        return None
    text = "".join(o.text for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")
    return ANSI.sub("", text).rstrip("\n") or None


def refresh(page_path: Path, executed: Path) -> list[str]:
    """Rewrite one page's output blocks from its executed notebook; return what was done."""
    page = lesson.parse(page_path)
    notebook = nbformat.read(executed, as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"][1:]  # after the setup cell
    codes = [code for code, _ in page.code()]
    if len(cells) != len(codes):
        raise SystemExit(f"{executed} has {len(cells)} code cells after its setup cell, "
                         f"{page_path.name} {len(codes)} code blocks: regenerate and rerun it")
    lines = page_path.read_text(encoding="utf-8").split("\n")
    notes = []
    # From the end, so that replacing a block does not move the ones still to do.
    for code, cell in reversed(list(zip(codes, cells))):
        if code.output is None:
            continue
        where = f"{page_path.name}:{code.line}"
        if any(line.strip() == "..." for line in code.output.splitlines()):
            notes.append(f"{where}: abbreviated output left alone")
            continue
        new = cell_output(cell, code)
        if new is None:
            notes.append(f"{where}: the cell produced no output; block left alone")
            continue
        if new.rstrip("\n") == code.output.rstrip("\n"):
            continue
        start = _output_fence(lines, code.line)
        end = start + 1
        while not lines[end].startswith("```"):
            end += 1
        lines[start + 1:end] = new.rstrip("\n").split("\n")
        notes.append(f"{where}: output updated")
    page_path.write_text("\n".join(lines), encoding="utf-8")
    return notes[::-1]


def _output_fence(lines: list[str], code_line: int) -> int:
    """Index of the output fence that follows the code block opening at file line ``code_line``."""
    i = code_line  # the line after the opening fence (lines are 1-based)
    while not lines[i].startswith("```"):
        i += 1  # the code block's closing fence
    i += 1
    while not lines[i].startswith("```"):
        i += 1  # blank lines, then the output block's fence
    return i


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", type=Path, help="default: every page with an executed notebook")
    parser.add_argument("--from", dest="source", type=Path, default=lesson.ROOT / "build" / "notebooks",
                        help="the executed notebooks (default build/notebooks/)")
    args = parser.parse_args(argv)
    pages = args.pages or lesson.page_paths()
    for page_path in pages:
        executed = args.source / f"{Path(page_path).stem}.ipynb"
        if not executed.exists():
            print(f"{page_path}: no executed notebook in {args.source}; skipped")
            continue
        for note in refresh(Path(page_path), executed):
            print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
