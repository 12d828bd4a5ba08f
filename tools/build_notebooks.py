"""Generate each episode's notebook from its lesson page (the one source).

    python tools/build_notebooks.py            # write notebooks/*.ipynb
    python tools/build_notebooks.py --check    # exit 1 if any notebook is stale

Rules (see CONTRIBUTING in README.md):
- Every ```python block of a page becomes a code cell, in order.
- An ```output block right after it becomes that cell's stored output, which
  nbval compares when the test suite re-executes the notebook. The output is
  the value of the cell's last expression when the cell ends in one, else what
  it prints.
- A ```{.output .varies} block is shown on the page but not checked (numbers
  that differ between machines); a code cell with no output block is run but
  its output is not compared (plots, training logs).
- A ```{.python .no-test} block is a code cell for learners that the tests
  and the benchmark skip (it needs a download these machines cannot make).
- Fenced divs become headed markdown: challenge, solution (its code cells are
  tagged "solution"), callout, discussion, questions, objectives, keypoints.
  Instructor notes stay on the page only.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "episodes"
NOTEBOOKS = ROOT / "notebooks"

DIV_OPEN = re.compile(r"^:{3,}\s*\{?\s*\.?([A-Za-z-]+)\s*\}?\s*$")
DIV_CLOSE = re.compile(r"^:{3,}\s*$")
FENCE = re.compile(r"^```+\s*(\S*.*?)\s*$")
IMAGE_ATTRS = re.compile(r"(!\[[^\]]*\]\([^)]*\))\{[^}]*\}")

HEADINGS = {
    "questions": "Questions",
    "objectives": "Objectives",
    "keypoints": "Key points",
    "challenge": "Challenge",
    "discussion": "Discussion",
    "callout": "Note",
    "solution": "Solution",
}
HIDDEN_DIVS = {"instructor"}
VARIES_FENCES = {"{.output .varies}", "{.varies .output}"}
NO_TEST_FENCES = {"{.python .no-test}"}
#: Tags that make nbval and nbclient (the benchmark) skip a cell.
SKIP_TAGS = ["nbval-skip", "skip-execution"]


def repository_url() -> str:
    """The repository address, kept once in pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["urls"]["Repository"].rstrip("/")


def split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        raise ValueError("page must start with YAML front matter")
    head, body = text[4:].split("\n---\n", 1)
    meta = {}
    for line in head.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            meta[key.strip()] = value.strip().strip("'\"")
    return meta, body


def ends_in_expression(code: str) -> bool:
    """Whether a cell's output is the value of its last expression (not printed text)."""
    tree = ast.parse(code)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    value = tree.body[-1].value
    if isinstance(value, ast.Call) and getattr(value.func, "id", None) in ("print", "display"):
        return False
    return not code.rstrip().endswith(";")


class Builder:
    def __init__(self, name: str, meta: dict):
        self.name = name
        self.meta = meta
        self.cells: list = []
        self.markdown: list[str] = []
        self.divs: list[str] = []
        self.merge_heading = False
        self.setup_cell = None

    # -- cells -----------------------------------------------------------
    def flush(self) -> None:
        text = "\n".join(self.markdown).strip("\n")
        self.markdown = []
        if text.strip():
            self.cells.append(nbformat.v4.new_markdown_cell(text))

    def add_code(self, code: str, skip: bool = False) -> None:
        self.flush()
        cell = nbformat.v4.new_code_cell(code.rstrip("\n"))
        tags = SKIP_TAGS.copy() if skip else ["nbval-ignore-output"]
        if "solution" in self.divs:
            tags.append("solution")
        cell.metadata["tags"] = tags
        self.cells.append(cell)

    def set_output(self, text: str, varies: bool) -> None:
        cell = self.cells[-1] if self.cells else None
        text_between = "\n".join(self.markdown).strip()
        if (cell is None or cell.cell_type != "code" or cell.outputs
                or cell is self.setup_cell or text_between):
            raise ValueError(f"{self.name}: an output block must follow a python block")
        if varies:
            return  # shown on the page, not compared
        cell.metadata["tags"].remove("nbval-ignore-output")
        if not cell.metadata["tags"]:
            del cell.metadata["tags"]
        text = text.rstrip("\n")
        if ends_in_expression(cell.source):
            cell.outputs = [nbformat.v4.new_output(
                "execute_result", data={"text/plain": text}, execution_count=None)]
        else:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]

    # -- divs ------------------------------------------------------------
    def open_div(self, kind: str) -> None:
        self.flush()
        self.divs.append(kind)
        if kind in HEADINGS and not self.hidden:
            self.merge_heading = True
            level = "####" if kind == "solution" else "###"
            self.markdown.append(f"{level} {HEADINGS[kind]}")

    def close_div(self) -> None:
        if not self.divs:
            raise ValueError(f"{self.name}: a ':::' closes no open block")
        if not self.hidden:
            self.flush()
        self.divs.pop()

    @property
    def hidden(self) -> bool:
        return any(d in HIDDEN_DIVS for d in self.divs)

    def add_text(self, line: str) -> None:
        if self.hidden:
            return
        line = IMAGE_ATTRS.sub(r"\1", line)
        heading = re.match(r"^#{2,}\s+(.*)$", line)
        if self.merge_heading and heading:
            # "## Title" opening a challenge or callout joins its label.
            self.merge_heading = False
            label = self.markdown[0]
            if heading[1].lower() != label.split(" ", 1)[1].lower():
                self.markdown[0] = f"{label}: {heading[1]}"
            return
        if line.strip():
            self.merge_heading = False
        self.markdown.append(line)


def build(page: Path) -> nbformat.NotebookNode:
    """The notebook for one lesson page."""
    meta, body = split_front_matter(page.read_text(encoding="utf-8"))
    builder = Builder(page.name, meta)
    url = repository_url()
    path = url.removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{path}/blob/main/notebooks/{page.stem}.ipynb"
    builder.markdown = [
        f"# {meta['title']}",
        "",
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})",
        "",
        f"This notebook is generated from the lesson page `episodes/{page.name}`; "
        "edit the page, not the notebook.",
    ]
    builder.flush()
    setup = (
        "# Install the lesson's helpers where they are missing (e.g. on Colab).\n"
        "try:\n"
        "    import dlhelpers as dlh\n"
        "except ImportError:\n"
        f'    %pip install --quiet "dlhelpers @ git+{url}"\n'
        "    import dlhelpers as dlh\n"
        "# TensorFlow may print start-up messages here (e.g. that no GPU was found);\n"
        "# they are harmless.\n"
        "import keras\n"
        "dlh.quiet_tensorflow()"
    )
    cell = nbformat.v4.new_code_cell(setup)
    cell.metadata["tags"] = ["nbval-ignore-output"]
    builder.cells.append(cell)
    builder.setup_cell = cell

    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            info = fence[1]
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if j == len(lines):
                raise ValueError(f"{page.name}:{i + 1}: code block never closed")
            content = "\n".join(lines[i + 1:j])
            if builder.hidden:
                pass
            elif info == "python" or info in NO_TEST_FENCES:
                builder.add_code(content, skip=info in NO_TEST_FENCES)
            elif info == "output" or info in VARIES_FENCES:
                builder.set_output(content, varies=info != "output")
            else:
                builder.markdown.extend(lines[i:j + 1])
            i = j + 1
            continue
        opened = DIV_OPEN.match(line)
        if opened:
            builder.open_div(opened[1])
        elif DIV_CLOSE.match(line):
            builder.close_div()
        else:
            builder.add_text(line)
        i += 1
    if builder.divs:
        raise ValueError(f"{page.name}: blocks left open: {builder.divs}")
    builder.flush()

    count = 0
    for number, cell in enumerate(builder.cells):
        cell.id = f"c{number:03d}"
        if cell.cell_type == "code":
            # Numbered as after "Restart & Run All"; nbval needs the numbers.
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
    notebook = nbformat.v4.new_notebook(cells=builder.cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def render(notebook) -> str:
    return nbformat.writes(notebook) + "\n"


def pages() -> list[Path]:
    return sorted(PAGES.glob("*.md"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    stale = []
    for page in pages():
        target = NOTEBOOKS / f"{page.stem}.ipynb"
        text = render(build(page))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(target.relative_to(ROOT))
        if not args.check:
            target.parent.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
    orphans = sorted(
        nb.relative_to(ROOT) for nb in NOTEBOOKS.glob("*.ipynb")
        if not (PAGES / f"{nb.stem}.md").exists()
    )
    if args.check:
        for path in stale:
            print(f"out of date with its page: {path}")
        for path in orphans:
            print(f"no page generates: {path}")
        if stale or orphans:
            print("Run `python tools/build_notebooks.py` and commit the notebooks.")
            return 1
        return 0
    for path in stale:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
