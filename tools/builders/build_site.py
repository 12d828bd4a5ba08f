"""Build the lesson website: every page with its code, outputs and figures.

    python -m tools.builders.build_site          # build/site/index.html

The pages (``episodes/*.md``, ``setup.md``, ``instructors/*.md``) are read by
``tools/pages/lesson.py``, the one reader of their format, and written out as MyST
markdown under ``build/site-src/``; Sphinx (``site/conf.py``) turns that into
HTML under ``build/site/``. Outputs and figures come from the executed
notebooks in ``build/notebooks/``, which tools/run/execute.py writes (`make
lesson`, and the test suite). Nothing is generated or executed here: an
executed notebook that is missing, or whose code cells are not the page's
blocks as they stand (by block id, a hash of the code), is an error that names
the command to run. Sphinx gets the settings that depend on this build
(where the notebooks are, the repository's address) as ``-D`` options, so
``site/conf.py`` imports nothing of the tools.

Everything the site loads is local: maths is typeset by a MathJax copy that
ships with a Python package, and there are no remote fonts or badges.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools import layout, project
from tools.pages import lesson
from tools.pages.lesson import TermLinker, glossary
from tools.layout import ROOT


EXECUTED = layout.EXECUTED
SOURCE = layout.SITE_SOURCE
SITE = layout.SITE
CONF = ROOT / "site"
MANIFEST = layout.SITE_MANIFEST

class SiteError(Exception):
    """The site cannot be built as the pages stand; the message says why and what to do."""


@dataclass
class SitePage:
    """One page of the site: its source page and where it goes."""
    page: lesson.Page
    slug: str
    kind: str  # "episode", "bonus", "setup" (learners' pages), "profile" or "instructor"


def site_pages() -> list[SitePage]:
    """The site's pages after the index, in config.yaml's order (previous/next follow it)."""
    pages = [SitePage(lesson.parse(path), path.stem, "setup") for path in lesson.extra_pages("learners")]
    for page in lesson.episodes():
        pages.append(SitePage(page, page.name, "bonus" if page.bonus else "episode"))
    pages += [SitePage(lesson.parse(path), path.stem, "profile") for path in lesson.extra_pages("profiles")]
    for path in lesson.extra_pages("instructors"):
        pages.append(SitePage(lesson.parse(path), path.stem, "instructor"))
    return pages


# -- executed notebooks ------------------------------------------------------

def executed_notebook(page: lesson.Page):
    """The page's notebook as tools/run/execute.py ran it; a :class:`SiteError` if none is current."""
    path = layout.executed(page.name)
    if not path.exists():
        raise SiteError(f"{layout.shown(path)} is missing: {layout.rerun(page.name)}, "
                        "then build the site again.")
    notebook = nbformat.read(path, as_version=4)
    cells = lesson.cells_by_id(notebook)
    stale = [code for code, divs in page.code()
             if "instructor" not in divs and lesson.current_cell(cells, code) is None]
    if stale:
        raise SiteError(f"{layout.shown(path)} is out of date with {page.path.name} (line {stale[0].line} "
                        f"and {len(stale) - 1} more blocks changed): {layout.rerun(page.name)}.")
    return notebook


# -- rendering ---------------------------------------------------------------

def fence(body: str, colons: int = 3) -> int:
    """Colons for a directive around ``body``: one more than any fence inside it."""
    inner = [len(m) for m in re.findall(r"^(:{3,})", body, re.M)]
    return max([colons] + [n + 1 for n in inner])


def directive(name: str, argument: str, body: str, **options: str) -> str:
    marks = ":" * fence(body)
    lines = [f"{marks}{{{name}}} {argument}".rstrip()]
    lines += [f":{key}: {value}" for key, value in options.items() if value]
    if body.strip():
        lines += ["", body.strip("\n"), ""]
    return "\n".join(lines + [marks]) + "\n"


class PageWriter:
    """Writes one page as MyST markdown, with its outputs and figures."""

    def __init__(self, page: lesson.Page, notebook, figures: Path, linker: TermLinker | None = None):
        self.page = page
        self.linker = linker  # glossary links at first use (episodes and bonus pages)
        self.figures = figures
        self.cells = lesson.cells_by_id(notebook) if notebook else {}
        self.exercise_count = 0
        self.figure_count = 0
        self.problems: list[str] = []

    # Code and its outputs
    def code(self, node: lesson.Code, divs: tuple) -> str:
        parts = [f"```python\n{node.source}\n```\n"]
        if not self.cells or "instructor" in divs:
            # A page without a notebook (setup, notes), or code hidden from notebooks:
            # show the page's own output block, if any.
            if node.output is not None:
                parts.append(self.text_output(node.output))
            return "\n".join(parts)
        cell = lesson.current_cell(self.cells, node)
        if cell is None:
            raise SiteError(f"{self.page.path.name}:{node.line}: the executed notebook does not "
                            f"hold this block as it stands: {layout.rerun(self.page.name)}")
        before = self.figure_count
        parts += self.outputs(cell.outputs, node)
        images = self.figure_count - before
        if node.kind == "no-test" and not cell.outputs:
            parts.append("*(Not run when the lesson is built: this cell needs a download.)*\n")
        if images and not node.alt:
            self.problems.append(f"{self.page.path.name}:{node.line}: this block draws a figure; "
                                 'give it alternative text: ```python fig-alt="..."')
        if node.alt and not images and node.kind != "no-test":
            self.problems.append(f"{self.page.path.name}:{node.line}: fig-alt is set but the "
                                 "block drew no figure")
        return "\n".join(p for p in parts if p)

    def text_output(self, text: str) -> str:
        text = lesson.plain_text(text).rstrip("\n")
        if not text.strip():
            return ""
        return directive("code-block", "text", text, **{"class": "output"})

    def outputs(self, outputs, node: lesson.Code) -> list[str]:
        """The cell's outputs as the notebook shows them; adjacent texts or tables merged."""
        pieces: list[tuple[str, str]] = []  # (kind, content); kind "text", "html" or "image"
        for output in outputs:
            kind = output.output_type
            if kind == "error":
                raise SiteError(f"{self.page.path.name}:{node.line}: this cell failed in "
                                f"build/notebooks/{self.page.name}.ipynb ({output.ename}: "
                                f"{output.evalue}); fix it and run `make lesson` or `make site` again")
            if kind == "stream":
                # Warnings on stderr are left out; the notebooks show them.
                if output.name == "stdout":
                    pieces.append(("text", output.text))
                continue
            if kind == "execute_result" and not lesson.shows_value(node.source):
                continue
            data = output.get("data", {})
            if "image/png" in data:
                self.figure_count += 1
                name = f"{self.page.name}-{self.figure_count:02d}.png"
                (self.figures / name).write_bytes(base64.b64decode(data["image/png"]))
                pieces.append(("image", name))
            elif "text/html" in data:
                pieces.append(("html", data["text/html"]))
            elif "text/plain" in data:
                pieces.append(("text", data["text/plain"] + "\n"))
            # anything else (widgets such as progress bars) exists only in a live notebook
        merged: list[list[str]] = []
        for kind, content in pieces:
            if merged and kind != "image" and merged[-1][0] == kind:
                merged[-1][1] += content
            else:
                merged.append([kind, content])
        rendered = []
        for kind, content in merged:
            if kind == "image":
                alt = (node.alt or "").replace("\n", " ")
                rendered.append(directive("image", f"figures/{content}", "", alt=alt,
                                          **{"class": "lesson-figure"}))
            elif kind == "html":
                # Focusable, so that a keyboard can scroll a wide table (WCAG 2.1.1).
                wrapper = '<div class="output html" tabindex="0" role="region" aria-label="Output">'
                rendered.append(directive("raw", "html", f"{wrapper}\n{content}\n</div>"))
            else:
                rendered.append(self.text_output(content))
        return [r for r in rendered if r]

    # Divs
    def div(self, node: lesson.Div, divs: tuple) -> str:
        if node.kind == "challenge":
            return self.challenge(node, divs)
        kind = lesson.BLOCKS[node.kind]
        body = self.render(node.children, divs + (node.kind,))
        title = node.title or kind.title
        if node.kind == "instructor" and node.title:
            title = f"Instructor note: {node.title}"
        return directive("admonition", title, body, **{"class": kind.site_class})

    def challenge(self, node: lesson.Div, divs: tuple) -> str:
        """A challenge as an exercise box, each solution after it collapsed until clicked."""
        self.exercise_count += 1
        label = f"{self.page.name}-exercise-{self.exercise_count}"
        prompt = [c for c in node.children if not (isinstance(c, lesson.Div) and c.kind == "solution")]
        solutions = [c for c in node.children if isinstance(c, lesson.Div) and c.kind == "solution"]
        inner = divs + ("challenge",)
        # Unnumbered: numbers would run on across the whole site.
        parts = [directive("exercise", node.title or "", self.render(prompt, inner), label=label,
                           nonumber=" ")]
        for solution in solutions:
            body = self.render(solution.children, inner + ("solution",))
            parts.append(directive("solution", label, body, **{"class": "dropdown"}))  # sphinx-exercise's
        return "\n".join(parts)

    def render(self, nodes: list, divs: tuple = ()) -> str:
        parts = []
        for node in nodes:
            if isinstance(node, lesson.Text):
                lines = [self.linker.line(line) if self.linker else line for line in node.lines]
                parts.append("\n".join(lesson.render_quotes(line, html=True) for line in lines))
            elif isinstance(node, lesson.Code):
                parts.append(self.code(node, divs))
            else:
                parts.append(self.div(node, divs))
        return "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def links(site_page: SitePage) -> str:
    """Minutes, notebook downloads and Colab links at the top of an episode."""
    page = site_page.page
    teaching, exercises = page.minutes()
    complete = layout.notebook(page.name).relative_to(ROOT).as_posix()
    practice = layout.notebook(page.name, exercises=True).relative_to(ROOT).as_posix()
    return directive("raw", "html", textwrap.dedent(f"""\
        <div class="lesson-links">
        <p class="lesson-minutes">Teaching: {teaching} min &middot; Exercises: {exercises} min</p>
        <p>Notebooks:
        <a class="notebook-download" href="{practice}" download>exercise version</a>
        (<a class="colab" href="{html.escape(project.colab_url(practice))}">open in Colab</a>)
        &middot;
        <a class="notebook-download" href="{complete}" download>complete, with solutions</a>
        (<a class="colab" href="{html.escape(project.colab_url(complete))}">open in Colab</a>)
        </p>
        </div>"""))


def write_page(site_page: SitePage, figures: Path) -> dict:
    page = site_page.page
    notebook = executed_notebook(page) if site_page.kind in ("episode", "bonus") else None
    linker = TermLinker(glossary()) if site_page.kind in ("episode", "bonus") else None
    writer = PageWriter(page, notebook, figures, linker)
    head = [f"# {page.title}\n"]
    if notebook is not None:
        head.append(links(site_page))
    body = writer.render(page.body)
    if writer.problems:
        raise SiteError("\n".join(writer.problems))
    (SOURCE / f"{site_page.slug}.md").write_text("\n".join(head) + "\n" + body, encoding="utf-8")
    return {
        "slug": site_page.slug,
        "title": page.title,
        "kind": site_page.kind,
        "figures": writer.figure_count,
        "declared_figures": sum(1 for c, d in page.code() if c.alt and "instructor" not in d),
        "exercises": writer.exercise_count,
        "solutions": len(page.divs("solution")),
        "diagrams": len(page.images()),
        "glossary": list(linker.linked) if linker else [],
        "maths": bool(re.search(r"\$[^$\n]+\$", "\n".join(
            line for n, _ in page.walk() if isinstance(n, lesson.Text) for line in n.lines))),
    }


def write_index(pages: list[SitePage]) -> None:
    """The landing page: what the lesson is, its schedule from the pages' minutes, licence."""
    intro = (CONF / "index.md").read_text(encoding="utf-8")
    rows = ["| | page | teaching | exercises |", "|---|---|---:|---:|"]
    total = [0, 0]
    for n, site_page in enumerate(p for p in pages if p.kind == "episode"):
        teaching, exercises = site_page.page.minutes()
        total[0] += teaching
        total[1] += exercises
        rows.append(f"| {n + 1} | [{site_page.page.title}]({site_page.slug}.md) "
                    f"| {teaching} | {exercises} |")
    rows.append(f"| | **total** | **{total[0]}** | **{total[1]}** |")
    bonus = [f"- [{p.page.title}]({p.slug}.md)" for p in pages if p.kind == "bonus"]
    toctree = "\n".join(p.slug for p in pages)
    text = intro.format(schedule="\n".join(rows), bonus="\n".join(bonus),
                        hours=round(sum(total) / 60, 1))
    text += f"\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toctree}\nlicense\n```\n"
    (SOURCE / "index.md").write_text(text, encoding="utf-8")
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    (SOURCE / "license.md").write_text(
        "# Licence\n\n" + directive("code-block", "text", licence), encoding="utf-8")


def copy_notebooks() -> None:
    """The committed notebooks (without outputs), for the download links."""
    for exercises in (False, True):
        for page in lesson.episodes():
            source = layout.notebook(page.name, exercises)
            target = SOURCE / "_extra" / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def version_footer() -> str:
    """Every page's footer: the lesson's version and its release notes (CHANGELOG.md at its tag)."""
    tag = project.release_tag()
    notes = f"{project.repository_url()}/blob/{tag}/CHANGELOG.md"
    return f'<p>Lesson version {project.version()} (<a href="{notes}">release notes</a>)</p>'


def build(quiet_sphinx: bool = True) -> Path:
    if SOURCE.exists():
        shutil.rmtree(SOURCE)
    figures = SOURCE / "figures"
    figures.mkdir(parents=True)
    pages = site_pages()
    manifest = [write_page(p, figures) for p in pages]
    write_index(pages)
    copy_notebooks()
    # The concept diagrams the pages link as fig/NAME.svg (Sphinx fails on a missing one).
    shutil.copytree(lesson.EPISODES / "fig", SOURCE / "fig")
    if SITE.exists():
        shutil.rmtree(SITE)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
               "-c", str(CONF), str(SOURCE), str(SITE),
               # Settings of this build (site/conf.py imports nothing of the tools):
               "-D", f"html_extra_path={SOURCE / '_extra'}",
               "-D", f"html_theme_options.repository_url={project.repository_url()}",
               "-D", f"html_theme_options.extra_footer={version_footer()}"]
    if quiet_sphinx:
        command.insert(3, "-q")
    subprocess.run(command, check=True)
    order = ["index"] + [p.slug for p in pages] + ["license"]
    MANIFEST.write_text(json.dumps({"order": order, "pages": manifest}, indent=1) + "\n")
    return SITE / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's own messages")
    args = parser.parse_args(argv)
    try:
        index = build(quiet_sphinx=not args.verbose)
    except SiteError as error:
        print(f"The site was not built:\n{error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError:
        print("Sphinx failed; see its messages above.", file=sys.stderr)
        return 1
    print(f"The lesson website is at {index.relative_to(ROOT)}: open it in a browser "
          f"(file://{index}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
