"""Generate each page's two notebooks from the lesson page (the one source).

    python -m tools.builders.build_notebooks            # write notebooks/ and notebooks/exercises/
    python -m tools.builders.build_notebooks --check    # exit 1 if any notebook is stale

The page format is read by tools/pages/lesson.py; this module walks its tree.

The complete notebook, notebooks/NN-name.ipynb (executed by tools/run/execute.py
and judged against its page by tools/run/outputs.py):
- A generated first cell installs the helpers where they are missing (Colab);
  it changes nothing else.
- Every ```python block of a page becomes a code cell, in order, whose id is
  the block's id (tools/pages/lesson.py), so executed outputs are found by id.
- An ```output or ```{.output .seeded} block right after it becomes that
  cell's stored output, what learners catching up see and the tests compare:
  the value of the cell's last expression when the cell ends in one, else
  what it prints. The cell carries nbval's documented tags (nbval-ignore-output
  where nothing is checked), so that nbval can run the notebook as well.
- A ```{.output .varies} block is shown on the page but not checked (numbers
  that differ between machines); a code cell with no output block is run but
  its output is not compared (plots, training logs).
- A ```{.python .no-test} block is a code cell for learners that the tests
  and the benchmark skip (it needs a download these machines cannot make).
- Concept diagrams, ``![alt](fig/NAME.svg)``, are embedded as PNGs drawn by
  tools/builders/draw_figures.py, so they show wherever the notebook is opened.
- Each glossary term (learners/reference.md) links to the website's glossary
  at its first use, as on the site.
- Fenced divs become headed markdown: challenge, solution (its code cells are
  tagged "solution"), callout, discussion, questions, objectives, keypoints.
  Instructor notes stay on the page only.

The exercise version, notebooks/exercises/NN-name-exercises.ipynb, is the
same with every solution replaced by an empty answer cell and no stored
outputs; the tests run it with nbval, top to bottom, without comparing outputs.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import sys
from pathlib import Path

import nbformat

from tools import layout, project
from tools.builders import draw_figures, generated
from tools.pages import lesson
from tools.layout import ROOT
from tools.project import pin, repository_url, site_url


NOTEBOOKS = layout.NOTEBOOKS
EXERCISES = layout.EXERCISES
#: What an exercise notebook has where the solution was.
ANSWER_CELL = "# Your answer here\n"
#: ... and where the solution is words only.
ANSWER_TEXT = "*Your answer here (double-click to write).*"

#: Tags that make nbval and nbclient (the benchmark) skip a cell.
SKIP_TAGS = ["nbval-skip", "skip-execution"]


#: Modules pages import that Colab's runtime does not ship, and their distributions
#: (tools/project.py). The install cell adds them (pinned as in pyproject's `lesson`
#: set) on the pages that import them; `make colab` proves that this is all Colab lacks.
COLAB_LACKS = project.COLAB_LACKS


def colab_lacks(page: lesson.Page) -> list[str]:
    """The modules in :data:`COLAB_LACKS` that the page's code imports, in that order."""
    imported = set()
    for code, _ in page.code():
        for node in ast.walk(ast.parse(code.source)):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    return [module for module in COLAB_LACKS if module in imported]


class NotebookWriter:
    """Walks a page's tree and collects notebook cells."""

    def __init__(self, exercises: bool):
        self.exercises = exercises
        self.cells: list = []
        self.markdown: list[str] = []
        self.answers = 0
        # Each glossary term links to the website's glossary at its first use, as on the site.
        self.terms = lesson.TermLinker(lesson.glossary(), f"{site_url()}reference.html")

    def flush(self) -> None:
        text = "\n".join(self.markdown).strip("\n")
        self.markdown = []
        if text.strip():
            # An id from the text: editing one cell leaves the others' ids alone.
            digest = hashlib.sha1(text.encode()).hexdigest()[:8]
            cell_id = f"m{digest}"
            while any(c.id == cell_id for c in self.cells):
                cell_id += "x"
            self.cells.append(nbformat.v4.new_markdown_cell(text, id=cell_id))

    def code_cell(self, source: str, tags: list[str], cell_id: str):
        self.flush()
        cell = nbformat.v4.new_code_cell(source, id=cell_id)
        if tags:
            cell.metadata["tags"] = tags
        self.cells.append(cell)
        return cell

    def add_code(self, node: lesson.Code, divs: tuple) -> None:
        skip = node.kind == "no-test"
        if self.exercises:
            # Learners run it; nothing is stored or compared.
            self.code_cell(node.source, SKIP_TAGS.copy() if skip else [], node.id)
            return
        tags = SKIP_TAGS.copy() if skip else ["nbval-ignore-output"]
        if "solution" in divs:
            tags.append("solution")
        cell = self.code_cell(node.source, tags, node.id)
        if node.checked:
            tags.remove("nbval-ignore-output")
            if not tags:
                del cell.metadata["tags"]
            cell.outputs = [stored_output(node)]

    def add(self, nodes: list, divs: tuple = ()) -> None:
        for node in nodes:
            if isinstance(node, lesson.Text):
                self.markdown.extend(embed_diagrams(lesson.render_quotes(self.terms.line(line), html=False))
                                     for line in node.lines)
            elif isinstance(node, lesson.Code):
                self.add_code(node, divs)
            elif not lesson.BLOCKS[node.kind].in_notebooks:
                self.flush()
            elif self.exercises and node.kind == "solution":
                self.flush()
                self.answers += 1
                if has_code(node.children):
                    self.code_cell(ANSWER_CELL, ["answer"], f"answer-{self.answers}")
                else:  # a question answered in words
                    cell = nbformat.v4.new_markdown_cell(ANSWER_TEXT, id=f"answer-{self.answers}")
                    cell.metadata["tags"] = ["answer"]
                    self.cells.append(cell)
            else:
                self.flush()
                label = lesson.BLOCKS[node.kind].title
                level = "####" if node.kind == "solution" else "###"
                if node.title and node.title.lower() != label.lower():
                    label = f"{label}: {node.title}"
                self.markdown.append(f"{level} {label}")
                self.add(node.children, divs + (node.kind,))
                self.flush()


def has_code(nodes: list) -> bool:
    """Whether a div's content holds a code block, at any depth."""
    return any(isinstance(n, lesson.Code) or (isinstance(n, lesson.Div) and has_code(n.children))
               for n in nodes)


def embed_diagrams(line: str) -> str:
    """Show ``![alt](fig/NAME.svg)`` in the notebook as the same diagram, embedded.

    A path relative to the page would not resolve in Colab, and Colab does
    not show SVG images or cell attachments; an embedded PNG shows in
    JupyterLab, Colab and offline alike.
    """
    def embed(match):
        target = match[2]
        if target.startswith("fig/") and target.endswith(".svg"):
            return f"![{match[1]}]({draw_figures.png_data_uri(target)})"
        return match[0]

    return lesson.IMAGE.sub(embed, line)


def stored_output(node: lesson.Code):
    """The output nbval compares: the last expression's value, else what the cell prints."""
    text = node.output.rstrip("\n")
    if lesson.shows_value(node.source):
        return nbformat.v4.new_output("execute_result", data={"text/plain": text},
                                      execution_count=None)
    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def notebook_path(page: lesson.Page, exercises: bool = False) -> Path:
    """Where a page's complete or exercise notebook lives (tools/layout.py)."""
    return layout.notebook(page.name, exercises)


def build(page: Path | lesson.Page, exercises: bool = False) -> nbformat.NotebookNode:
    """The complete notebook for one lesson page, or its exercise version."""
    if not isinstance(page, lesson.Page):
        page = lesson.parse(page)
    writer = NotebookWriter(exercises)
    url = repository_url()
    colab = project.colab_url(notebook_path(page, exercises).relative_to(ROOT).as_posix())
    writer.markdown = [
        f"# {page.title}" + (" (exercises)" if exercises else ""),
        "",
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})",
        "",
    ]
    if exercises:
        writer.markdown += [
            "This is the **exercise version**: each challenge is followed by an empty cell "
            "for your answer, and the solutions are left out. They are on the lesson website, "
            f"{site_url()}{page.name}.html, and in the complete notebook "
            f"`notebooks/{page.name}.ipynb`. It is generated from "
            f"the lesson page `episodes/{page.path.name}`; edit the page, not the notebook.",
        ]
    else:
        writer.markdown += [
            f"This notebook is generated from the lesson page `episodes/{page.path.name}`; "
            f"edit the page, not the notebook. The lesson website: {site_url()}{page.name}.html",
        ]
    writer.flush()
    writer.code_cell(setup_source(url, colab_lacks(page)), [] if exercises else ["nbval-ignore-output"],
                     lesson.SETUP_ID)
    writer.add(page.body)
    writer.flush()

    count = 0
    for cell in writer.cells:
        if cell.cell_type == "code" and not exercises:
            # Numbered as after "Restart & Run All"; nbval needs the numbers.
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
    notebook = nbformat.v4.new_notebook(cells=writer.cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def setup_source(url: str, modules: list[str] = ()) -> str:
    """The generated first cell: install what is missing (on Colab: the helpers and `modules`).

    The helpers come from the release tag of pyproject's version, never a branch:
    a workshop runs the helpers its notebooks were tested with, whatever lands on
    main later. Colab's own TensorFlow, Keras and JAX stay: the helpers'
    requirements are floors that Colab's versions meet. The cell sets nothing: the page's own
    first block imports the helpers and sets the Keras backend where learners
    read it (``dlh.use_backend(...)``).
    """
    names = ", ".join(["dlhelpers", *modules])
    extras = "".join(f' "{pin(COLAB_LACKS[module])}"' for module in modules)
    what = " and ".join(["the lesson's helpers", *(COLAB_LACKS[m] for m in modules)])
    return "\n".join([
        f"# Install {what} where they are missing (e.g. on Colab).",
        "try:",
        f"    import {names}",
        "except ImportError:",
        f'    %pip install --quiet "dlhelpers @ git+{url}@{project.release_tag()}"{extras}',
    ])


def render(notebook) -> str:
    return nbformat.writes(notebook) + "\n"


def expected() -> dict[Path, str]:
    """Every notebook the pages generate, complete and exercise version, by path."""
    notebooks = {}
    for page in lesson.episodes():
        for exercises in (False, True):
            notebooks[notebook_path(page, exercises)] = render(build(page, exercises))
    return notebooks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    wanted = {path: text.encode("utf-8") for path, text in expected().items()}
    existing = [nb for folder in (NOTEBOOKS, EXERCISES) for nb in folder.glob("*.ipynb")]
    return generated.sync(wanted, existing, args.check, stale="out of date with its page",
                          orphan="no page generates",
                          fix="Run `python -m tools.builders.build_notebooks` and commit the notebooks.")


if __name__ == "__main__":
    sys.exit(main())
