"""The one reader of the lesson pages' format.

A page (``episodes/*.md``, ``setup.md``, ``instructors/*.md``) is Carpentries
markdown: YAML front matter, then text with fenced code blocks and fenced
divs (``::: challenge`` ... ``:::``). :func:`parse` turns it into a tree of
:class:`Text`, :class:`Code` and :class:`Div` nodes. Everything that turns a
page into something else walks this tree and reads the format nowhere else:

- ``tools/builders/build_notebooks.py``: the complete and the exercise notebooks;
- ``tools/builders/build_site.py``: the lesson website;
- ``tests/test_pages.py``: the checks on the pages themselves.

Code blocks
    ```` ```python ````                 a code cell;
    ```` ```{.python .no-test} ````     a code cell the tests and the benchmark skip;
    ```` ```output ````                 right after a python block: its checked output;
    ```` ```{.output .varies} ````      right after a python block: shown, not checked;
    ```` ```{.output .seeded tolerance=0.1} ````
                                        right after a python block: what a seeded model
                                        trains to. Compared exactly where the run's
                                        environment is the one that recorded the page
                                        (episodes/recorded-on.yaml), each number within
                                        ``tolerance`` (absolute, or ``5%`` relative) on
                                        another processor or a GPU, and not at all on
                                        another backend or other versions
                                        (tools/run/outputs.py).
    ```` ```{.output .varies .result at-least=0.2} ````
                                        ``.result``: a headline result, lines of
                                        ``name: number`` that the page's code prints; the
                                        benchmark's table collects them. Its bounds, which the
                                        tests check (tools/run/outputs.py): ``at-least`` and
                                        ``at-most``, each a number or the name of a result
                                        printed above (several, separated by ``;``), and
                                        ``standin-at-least`` / ``standin-at-most``, which
                                        apply on the test machines' stand-in images only.
    A python block may carry attributes after the language, e.g.
    ```` ```python fig-alt="Loss falls over 100 epochs" ````: the alternative
    text of the figures the block draws (required for every block that draws one).
    Any other fence (```` ```bash ````) is text.

Divs
    ``::: kind`` (or ``::: {.kind}``) opens, a bare ``:::`` closes (any
    number of colons, 3 or more). A first line ``## Title`` inside a div is
    its title. :data:`BLOCKS` lists the kinds and how each is shown.

Also here, so that no other module knows them: the list and order of the
pages (``config.yaml``, :func:`config`, :func:`episodes`); each code block's
id, which its notebook cell carries, so executed outputs are found by id
(:func:`cells_by_id`); the generated setup cell's id (:data:`SETUP_ID`); the
page's Keras backend, read from its first code block (:attr:`Page.backend`);
and how outputs are normalised (:func:`shows_value`, :func:`plain_text`).

Quoted figures
    Prose states only figures the page's code prints, or marks them as
    quoted, in Pandoc's span syntax: ``[about 28%]{.published}`` for a result
    of the published lesson (measured on the real photos with its own code),
    ``[60,000 images]{.quoted}`` for a fact quoted from elsewhere (a data
    set's documentation), ``[3.71]{.quoted from="03-monitor-the-model"}`` for
    a figure another page prints. tests/prose.py lists the unmarked ones;
    :func:`render_quotes` shows the marks in notebooks and on the site.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools.layout import EPISODES, ROOT

CONFIG = ROOT / "config.yaml"
#: The id of the notebooks' generated first cell (the Colab install); no page block has it.
SETUP_ID = "setup"

DIV_OPEN = re.compile(r"^:{3,}\s*\{?\s*\.?([A-Za-z-]+)\s*\}?\s*$")
DIV_CLOSE = re.compile(r"^:{3,}\s*$")
FENCE = re.compile(r"^```+\s*(\S*.*?)\s*$")
HEADING = re.compile(r"^(#{2,})\s+(.*?)\s*$")
#: Carpentries' attributes after an image, ``![alt](path){width=50%}``: dropped on reading.
IMAGE_ATTRS = re.compile(r"(!\[[^\]]*\]\([^)]*\))\{[^}]*\}")
#: A markdown image, ``![alternative text](target)``.
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")

#: Fence info strings, normalised to a kind.
CODE_FENCES = {"python": "python", "{.python .no-test}": "no-test"}
#: An output block's classes besides ``.output``: how it is checked, and whether it is a result.
OUTPUT_CLASSES = {"varies", "seeded", "result"}
#: An output block's attributes: the bounds of a ``.result`` block.
BOUNDS = ("at-least", "at-most", "standin-at-least", "standin-at-most")
#: A seeded block's attribute: how far each of its numbers may move on another processor.
TOLERANCE = "tolerance"
#: Terminal colour codes in outputs (Keras's rich summary): removed wherever text is compared or shown.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class BlockKind:
    """A div kind a lesson page may use, and how each output shows it."""
    title: str             # default title: the notebook's heading, the site's box title
    in_notebooks: bool     # whether its content reaches the notebooks (instructor notes do not)
    site_class: str        # the CSS class of the site's box (challenges: sphinx-exercise's own)


#: Every div kind a page may use (``::: kind``), the one table of them.
BLOCKS = {
    "questions": BlockKind("Questions", True, "questions"),
    "objectives": BlockKind("Objectives", True, "objectives"),
    "keypoints": BlockKind("Key points", True, "keypoints"),
    "challenge": BlockKind("Challenge", True, "exercise"),
    "solution": BlockKind("Solution", True, "solution dropdown"),
    "callout": BlockKind("Note", True, "note"),
    "discussion": BlockKind("Discussion", True, "discussion"),
    "hint": BlockKind("Hint", True, "hint"),
    "caution": BlockKind("Caution", True, "caution"),
    "testimonial": BlockKind("Testimonial", True, "testimonial"),
    "instructor": BlockKind("Instructor note", False, "instructor dropdown"),
}
DIV_KINDS = set(BLOCKS)


class PageError(ValueError):
    """A page breaks the format; the message names the file and line."""


@dataclass
class Text:
    """Markdown lines, as written (blank lines included; image attributes dropped)."""
    lines: list[str]


@dataclass
class Code:
    """A code block and, when one follows it, its output block."""
    source: str
    kind: str = "python"          # "python" or "no-test"
    attrs: dict = field(default_factory=dict)
    output: str | None = None
    output_varies: bool = False
    #: What a seeded model trains to (``{.output .seeded tolerance=...}``): see tools/run/outputs.py.
    output_seeded: bool = False
    #: A seeded block's ``tolerance`` as written (``0.1`` or ``5%``); None elsewhere.
    tolerance: str | None = None
    #: A headline result (``.result``): its ``name: number`` lines, and their bounds by attribute.
    result: bool = False
    bounds: dict = field(default_factory=dict)
    line: int = 0
    #: File lines (1-based) of the output block's opening and closing fences.
    output_span: tuple[int, int] | None = None
    #: The block's id, carried by its notebook cell: from its code, unique on the page.
    id: str = ""

    @property
    def checked(self) -> bool:
        """Whether the tests compare the cell's output with the page's."""
        return self.output is not None and not self.output_varies

    @property
    def alt(self) -> str | None:
        return self.attrs.get("fig-alt")


@dataclass
class Div:
    kind: str
    title: str | None = None
    children: list = field(default_factory=list)
    line: int = 0


@dataclass
class Page:
    path: Path
    meta: dict
    body: list
    #: A bonus page (config.yaml's ``bonus:``): not part of the workshop's schedule.
    bonus: bool = False

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def backend(self) -> str | None:
        """The Keras backend the page's first code block sets: ``dlh.use_backend("jax")``."""
        codes = self.code()
        if not codes:
            return None
        for node in ast.walk(ast.parse(codes[0][0].source)):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
                    == "use_backend" and node.args and isinstance(node.args[0], ast.Constant)):
                return node.args[0].value
        return None

    @property
    def title(self) -> str:
        return self.meta.get("title", self.name)

    def walk(self, nodes=None, divs=()):
        """Yield (node, enclosing div kinds) for every node, depth first, in page order."""
        for node in self.body if nodes is None else nodes:
            yield node, divs
            if isinstance(node, Div):
                yield from self.walk(node.children, divs + (node.kind,))

    def code(self) -> list[tuple[Code, tuple]]:
        """Every code block with its enclosing div kinds, in order."""
        return [(n, d) for n, d in self.walk() if isinstance(n, Code)]

    def divs(self, kind: str) -> list[Div]:
        return [n for n, _ in self.walk() if isinstance(n, Div) and n.kind == kind]

    def images(self) -> list[tuple[str, str]]:
        """(alternative text, target) of every image the page's text shows, in order."""
        return [(m[1], m[2]) for n, _ in self.walk() if isinstance(n, Text)
                for line in n.lines for m in IMAGE.finditer(line)]

    def minutes(self) -> tuple[int, int]:
        return int(self.meta.get("teaching", 0)), int(self.meta.get("exercises", 0))


def split_front_matter(text: str, name: str = "page") -> tuple[dict, str, int]:
    """(metadata, body, line number where the body starts)."""
    if not text.startswith("---\n"):
        raise PageError(f"{name}: a page must start with YAML front matter")
    head, body = text[4:].split("\n---\n", 1)
    meta = {}
    for line in head.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            meta[key.strip()] = value.strip().strip("'\"")
    return meta, body, head.count("\n") + 4  # "---", the head, "---"


def _output_fence(info: str, where: str) -> tuple[set, dict] | None:
    """An output fence's classes and attributes (``{.output .varies at-least=0.2}``); None if not one."""
    if info == "output":
        return set(), {}
    if not (info.startswith("{") and info.endswith("}")):
        return None
    words = shlex.split(info[1:-1])
    if ".output" not in words:
        return None
    classes = {w[1:] for w in words if w.startswith(".") and w != ".output"}
    attrs = dict(w.partition("=")[::2] for w in words if not w.startswith("."))
    unknown = sorted(classes - OUTPUT_CLASSES) + sorted(set(attrs) - {*BOUNDS, TOLERANCE})
    if unknown or {"varies", "seeded"} <= classes:
        raise PageError(f"{where}: output block {info}: {', '.join(unknown) or 'varies or seeded, not both'} "
                        f"(known: .{', .'.join(sorted(OUTPUT_CLASSES))}; {', '.join(BOUNDS)}, {TOLERANCE})")
    if set(attrs) & set(BOUNDS) and "result" not in classes:
        raise PageError(f"{where}: bounds belong on a result block: {{.output .result ...}}")
    if ("seeded" in classes) != (TOLERANCE in attrs):
        raise PageError(f"{where}: a seeded block, and only a seeded block, says how far its numbers may "
                        f"move on another processor: {{.output .seeded {TOLERANCE}=0.1}} (or 5%)")
    if TOLERANCE in attrs and not re.fullmatch(r"\d+(\.\d+)?%?", attrs[TOLERANCE]):
        raise PageError(f"{where}: {TOLERANCE}={attrs[TOLERANCE]!r}: a number, or a percentage such as 5%")
    return classes, attrs


def _fence_attrs(info: str, where: str) -> tuple[str, dict]:
    """Split ``python fig-alt="..."`` into its language and attributes."""
    if info in CODE_FENCES:
        return info, {}
    language, _, rest = info.partition(" ")
    attrs = {}
    if language == "python" and rest:
        for item in shlex.split(rest):
            key, eq, value = item.partition("=")
            if not eq or key not in ("fig-alt",):
                raise PageError(f"{where}: unknown code block attribute {item!r} (known: fig-alt)")
            attrs[key] = value
    return language, attrs


def parse(path: Path, text: str | None = None) -> Page:
    """Read one page into a tree; raise :class:`PageError` where it breaks the format."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    meta, body, first = split_front_matter(text, path.name)
    lines = body.splitlines()
    root: list = []
    stack: list[Div] = []
    awaiting_title: Div | None = None

    def children() -> list:
        return stack[-1].children if stack else root

    def add_text(line: str, where: str = "") -> None:
        line = IMAGE_ATTRS.sub(r"\1", line)
        for image in IMAGE.finditer(line):
            if not image[1].strip():
                raise PageError(f"{where}: the image {image[2]} needs alternative text: "
                                "![what it shows](path)")
        nodes = children()
        if nodes and isinstance(nodes[-1], Text):
            nodes[-1].lines.append(line)
        else:
            nodes.append(Text([line]))

    i = 0
    while i < len(lines):
        line = lines[i]
        where = f"{path.name}:{first + i}"
        fence = FENCE.match(line)
        if fence:
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if j == len(lines):
                raise PageError(f"{where}: code block never closed")
            content = "\n".join(lines[i + 1:j])
            output = _output_fence(fence[1], where)
            info, attrs = _fence_attrs(fence[1], where) if output is None else (fence[1], {})
            if info in CODE_FENCES:
                children().append(Code(content, CODE_FENCES[info], attrs, line=first + i))
            elif output is not None:
                nodes = children()
                if nodes and isinstance(nodes[-1], Text) and not "".join(nodes[-1].lines).strip():
                    nodes.pop()  # blank lines between a code block and its output
                previous = nodes[-1] if nodes else None
                if (not isinstance(previous, Code) or previous.output is not None
                        or previous.kind != "python"):
                    raise PageError(f"{where}: an output block must follow a python block")
                classes, bounds = output
                previous.output = content
                previous.output_varies = "varies" in classes
                previous.output_seeded = "seeded" in classes
                previous.result = "result" in classes
                previous.tolerance = bounds.pop(TOLERANCE, None)
                previous.bounds = bounds
                previous.output_span = (first + i, first + j)
            else:
                for raw in lines[i:j + 1]:
                    add_text(raw)
            awaiting_title = None
            i = j + 1
            continue
        opened = DIV_OPEN.match(line)
        if opened:
            kind = opened[1]
            if kind not in DIV_KINDS:
                raise PageError(f"{where}: unknown block '::: {kind}' (known: {', '.join(sorted(DIV_KINDS))})")
            div = Div(kind, line=first + i)
            children().append(div)
            stack.append(div)
            awaiting_title = div
        elif DIV_CLOSE.match(line):
            if not stack:
                raise PageError(f"{where}: a ':::' closes no open block")
            stack.pop()
            awaiting_title = None
        else:
            heading = HEADING.match(line)
            if awaiting_title is not None and heading:
                awaiting_title.title = heading[2]
                awaiting_title = None
            else:
                if line.strip():
                    awaiting_title = None
                add_text(line, where)
        i += 1
    if stack:
        raise PageError(f"{path.name}: blocks left open: {[d.kind for d in stack]} "
                        f"(opened at lines {[d.line for d in stack]})")
    page = Page(path, meta, root)
    seen: dict[str, int] = {}
    for code, _ in page.code():
        digest = "b" + hashlib.sha1(code.source.encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        code.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
    return page


# -- The list of pages: config.yaml ---------------------------------------------

@functools.cache
def config() -> dict:
    """The lesson's config.yaml (the Carpentries Workbench's keys, plus ``bonus:``)."""
    with open(CONFIG, encoding="utf-8") as file:
        return yaml.safe_load(file)


def page_paths(bonus: bool = True) -> list[Path]:
    """The episodes' files in teaching order, then the bonus pages' (``bonus=False``: not those)."""
    names = list(config()["episodes"]) + (list(config().get("bonus") or []) if bonus else [])
    return [EPISODES / name for name in names]


def numbered(span: str) -> list[str]:
    """The names of the episodes ``span`` numbers in teaching order: ``"1-3"`` or ``"2"``."""
    names = [path.stem for path in page_paths(bonus=False)]
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", span)
    start, stop = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
    if not 1 <= start <= stop <= len(names):
        raise PageError(f"episodes {span!r}: give a number or a span such as 1-3, within 1-{len(names)}")
    return names[start - 1:stop]


def episodes(bonus: bool = True) -> list[Page]:
    """The episodes, parsed, in teaching order, then the bonus pages (marked ``bonus``)."""
    bonus_names = set(config().get("bonus") or [])
    pages = []
    for path in page_paths(bonus):
        page = parse(path)
        page.bonus = path.name in bonus_names
        pages.append(page)
    return pages


def page_with(text: str) -> Page:
    """The one page, episode or bonus, whose source holds ``text``.

    A page meant by what it teaches rather than by its file name (as the tests
    mean one), so that renaming a page changes config.yaml and nothing else.
    """
    found = [page for page in episodes() if text in page.path.read_text(encoding="utf-8")]
    if len(found) != 1:
        raise PageError(f"{len(found)} pages hold {text!r}: look a page up by text that only it holds")
    return found[0]


def extra_pages(key: str) -> list[Path]:
    """config.yaml's ``learners:``, ``profiles:`` or ``instructors:`` pages.

    Each lives in the folder named by its key (learners/, profiles/,
    instructors/), as in the Workbench; setup.md stays at the top level,
    where learners look for it first.
    """
    return [ROOT / name if (ROOT / name).is_file() else ROOT / key / name
            for name in config().get(key) or []]


# -- Notebook cells and outputs --------------------------------------------------

def cells_by_id(notebook) -> dict:
    """A notebook's code cells by id: the page's block ids and :data:`SETUP_ID`."""
    return {cell.get("id"): cell for cell in notebook.cells if cell.cell_type == "code"}


def current_cell(cells: dict, code: Code):
    """The executed cell (from :func:`cells_by_id`) that ran ``code`` as the page has it now.

    None when the notebook lacks the block or ran other code: the one test of
    whether an executed notebook is current, for the site, the judge and
    tools/run/refresh_outputs.py (the advice they give: :func:`tools.layout.rerun`).
    """
    cell = cells.get(code.id)
    return cell if cell is not None and cell.source == code.source else None


def shows_value(source: str) -> bool:
    """Whether Jupyter shows the value of a cell's last line: an expression, not print(), no ';'."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics
        return False
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    value = tree.body[-1].value
    if isinstance(value, ast.Call) and getattr(value.func, "id", None) in ("print", "display"):
        return False
    return not source.rstrip().endswith(";")


def plain_text(text: str) -> str:
    """Output text as compared and shown: no terminal colour codes."""
    return ANSI.sub("", text)


def output_text(cell, code: Code) -> str | None:
    """What a page's output block says for an executed cell: its value, else its printed text."""
    if shows_value(code.source):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "execute_result":
                return plain_text(output["data"].get("text/plain", "")).rstrip("\n") or None
        return None
    text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return plain_text(text).rstrip("\n") or None


# -- Figures in prose -------------------------------------------------------------

#: A marked quotation: ``[text]{.published}``, ``[text]{.quoted}``, ``[text]{.quoted from="page"}``.
QUOTE = re.compile(r'\[([^\]]+)\]\{\.(published|quoted)(?:\s+from="([\w-]+)")?\}')
#: What is not prose: inline code, link targets, addresses.
_NOT_PROSE = re.compile(r"`[^`]*`|\]\([^)]*\)|https?://\S+")

#: How the marks read where they are shown.
QUOTE_LABELS = {"published": "published result", "quoted": "quoted"}


def render_quotes(line: str, html: bool) -> str:
    """A prose line with its quotation marks shown: labelled spans on the site, plain in notebooks."""
    def shown(match):
        if not html:
            return match[1]
        label = QUOTE_LABELS[match[2]] + (f" from {match[3]}" if match[3] else "")
        return (f'<span class="quote {match[2]}" title="{label}">{match[1]}'
                f'<sup class="quote-label">{QUOTE_LABELS[match[2]]}</sup></span>')
    return QUOTE.sub(shown, line)


# -- The glossary: terms linked at first use ----------------------------------

#: The glossary page: one ``## Term`` heading per term, its definition below.
GLOSSARY = ROOT / "learners" / "reference.md"
#: What a term is never linked inside: code, links, marks, maths, HTML, addresses.
_PROTECTED = re.compile(r"`[^`]*`|\[[^\]]*\]\([^)]*\)|\[[^\]]*\]\{[^}]*\}|\$[^$]*\$|<[^>]+>|https?://\S+")


@functools.cache
def glossary() -> dict[str, str]:
    """The glossary's terms, in its order, with their anchors on the site (``myst_heading_anchors``)."""
    terms = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            term = line[3:].strip()
            terms[term] = re.sub(r"[^\w\- ]", "", term.lower()).strip().replace(" ", "-")
    return terms


class TermLinker:
    """Links each glossary term at its first use in a page's prose, once per page."""

    def __init__(self, terms: dict[str, str], target: str = "reference.md"):
        self.target = target
        # Longest first, so that "batch normalisation" is linked before "batch" is looked for.
        self.patterns = {term: re.compile(rf"(?<![\w-])({re.escape(term)}(?:s|es)?)(?![\w-])", re.I)
                         for term in sorted(terms, key=len, reverse=True)}
        self.anchors = terms
        self.linked: list[str] = []

    def line(self, line: str) -> str:
        """The line with the first use of each term not yet linked made a link to the glossary."""
        if line.lstrip().startswith(("#", ":::", "|", "!")):
            return line  # headings, fences, tables, images
        for term, pattern in self.patterns.items():
            if term in self.linked or not pattern.search(line):
                continue
            # Split again for each term: a link just made protects what it holds.
            pieces = _PROTECTED.split(line)
            protected = _PROTECTED.findall(line)
            for i, piece in enumerate(pieces):
                match = pattern.search(piece)
                if match:
                    link = f"[{match[1]}]({self.target}#{self.anchors[term]})"
                    pieces[i] = piece[:match.start()] + link + piece[match.end():]
                    self.linked.append(term)
                    line = "".join(part for pair in zip(pieces, protected + [""]) for part in pair)
                    break
        return line
