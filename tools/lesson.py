"""The one reader of the lesson pages' format.

A page (``episodes/*.md``, ``setup.md``, ``instructors/*.md``) is Carpentries
markdown: YAML front matter, then text with fenced code blocks and fenced
divs (``::: challenge`` ... ``:::``). :func:`parse` turns it into a tree of
:class:`Text`, :class:`Code` and :class:`Div` nodes. Everything that turns a
page into something else walks this tree and reads the format nowhere else:

- ``tools/build_notebooks.py``: the complete and the exercise notebooks;
- ``tools/build_site.py``: the lesson website;
- ``tests/test_pages.py``: the checks on the pages themselves.

Code blocks
    ```` ```python ````                 a code cell;
    ```` ```{.python .no-test} ````     a code cell the tests and the benchmark skip;
    ```` ```output ````                 right after a python block: its checked output;
    ```` ```{.output .varies} ````      right after a python block: shown, not checked;
    ```` ```{.output .seeded} ````      right after a python block: a seeded result, the
                                        same on every run on the page's backend with the
                                        lesson's pins, and checked there only (conftest.py).
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
    a figure another page prints. :func:`unprinted_figures` lists the rest;
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

ROOT = Path(__file__).resolve().parents[1]
EPISODES = ROOT / "episodes"
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
OUTPUT_FENCES = {"output": "checked", "{.output .varies}": "varies", "{.varies .output}": "varies",
                 "{.output .seeded}": "seeded", "{.seeded .output}": "seeded"}
#: The notebook tag of a cell whose output is checked on the page's backend and pins only.
SEEDED_TAG = "lesson-seeded"
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
    #: Checked, but only on the page's backend with the lesson's pins (``{.output .seeded}``).
    output_seeded: bool = False
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


def _fence_attrs(info: str, where: str) -> tuple[str, dict]:
    """Split ``python fig-alt="..."`` into its language and attributes."""
    if info in CODE_FENCES or info in OUTPUT_FENCES:
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
            info, attrs = _fence_attrs(fence[1], where)
            if info in CODE_FENCES:
                children().append(Code(content, CODE_FENCES[info], attrs, line=first + i))
            elif info in OUTPUT_FENCES:
                nodes = children()
                if nodes and isinstance(nodes[-1], Text) and not "".join(nodes[-1].lines).strip():
                    nodes.pop()  # blank lines between a code block and its output
                previous = nodes[-1] if nodes else None
                if (not isinstance(previous, Code) or previous.output is not None
                        or previous.kind != "python"):
                    raise PageError(f"{where}: an output block must follow a python block")
                previous.output = content
                previous.output_varies = OUTPUT_FENCES[info] == "varies"
                previous.output_seeded = OUTPUT_FENCES[info] == "seeded"
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


def episodes(bonus: bool = True) -> list[Page]:
    """The episodes, parsed, in teaching order, then the bonus pages (marked ``bonus``)."""
    bonus_names = set(config().get("bonus") or [])
    pages = []
    for path in page_paths(bonus):
        page = parse(path)
        page.bonus = path.name in bonus_names
        pages.append(page)
    return pages


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


def seeded_differences(page: Page, executed) -> list[tuple[Code, str]]:
    """The page's ``{.output .seeded}`` blocks that an executed notebook printed otherwise.

    Each as (block, what the cell printed). Seeded results are checked only on
    the page's backend with the lesson's pins (conftest.py); another backend or
    other versions train to other numbers from the same seed.
    """
    cells = cells_by_id(executed)
    found = []
    for code, _ in page.code():
        if code.output_seeded and code.id in cells:
            printed = (output_text(cells[code.id], code) or "").strip()
            if printed != code.output.strip():
                found.append((code, printed))
    return found


# -- Figures in prose -------------------------------------------------------------

#: A figure the prose-number check looks at: a thousands separator, a decimal point, or a percentage.
FIGURE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+(?:\.\d+)?\s?%)(?![\w])")
#: A marked quotation: ``[text]{.published}``, ``[text]{.quoted}``, ``[text]{.quoted from="page"}``.
QUOTE = re.compile(r'\[([^\]]+)\]\{\.(published|quoted)(?:\s+from="([\w-]+)")?\}')
#: What is not prose: inline code, link targets, addresses.
_NOT_PROSE = re.compile(r"`[^`]*`|\]\([^)]*\)|https?://\S+")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
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


# -- The glossary ---------------------------------------------------------------

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


def _numbers(text: str) -> set[float]:
    found = set()
    for number in _NUMBER.findall(text):
        try:
            found.add(float(number.replace(",", "")))
        except ValueError:
            pass
    return found


def _printed(figure: str, numbers: set[float], text: str) -> bool:
    """Whether ``figure`` (as written in prose) is one of ``numbers``, at the prose's precision.

    ``3.71`` is printed by an output holding 3.7134; ``28%`` by one holding
    28% or 0.28; ``1,800`` by 1800 or 1,800.
    """
    digits = figure.rstrip("% ").replace(",", "")
    value = float(digits)
    places = len(digits.split(".")[1]) if "." in digits else 0
    if figure.endswith("%"):
        return f"{figure.rstrip('% ')}%" in text or any(
            round(n * 100, places) == value for n in numbers if n <= 1)
    return any(round(n, places) == value for n in numbers)


def page_texts(page: Page, executed=None) -> str:
    """What a page prints: its checked output blocks, its code, and the executed notebook's outputs."""
    texts = [code.output for code, _ in page.code() if code.checked]
    texts += [code.source for code, _ in page.code()]
    for cell in (executed.cells if executed is not None else []):
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return plain_text("\n".join(texts))


def unprinted_figures(page: Page, printed: str, elsewhere: dict[str, str] | None = None) -> list[str]:
    """``"page.md:line: figure"`` for each prose figure that ``printed`` lacks and no mark quotes.

    ``elsewhere``: what other pages print, by name, for ``{.quoted from="NAME"}``.
    """
    numbers = _numbers(printed)
    problems = []
    for node, _ in page.walk():
        if not isinstance(node, Text):
            continue
        for line in node.lines:
            prose = _NOT_PROSE.sub("", line)
            if len(re.findall(r"\{\.(?:published|quoted)\b", prose)) != len(QUOTE.findall(prose)):
                problems.append(f"{page.path.name}: a quotation mark that does not open and close "
                                f"on one line: \"{line.strip()[:80]}\"")
            for quote in QUOTE.finditer(prose):
                if quote[3]:  # quoted from another page: that page must print it
                    other = (elsewhere or {}).get(quote[3])
                    for figure in FIGURE.findall(quote[1]):
                        if other is None or not _printed(figure, _numbers(other), other):
                            problems.append(f"{page.path.name}: {figure} (quoted from {quote[3]}, "
                                            "which does not print it)")
            for figure in FIGURE.findall(QUOTE.sub("", prose)):
                if not _printed(figure, numbers, printed):
                    problems.append(f"{page.path.name}: {figure} in \"{line.strip()[:80]}\"")
    return problems


# -- Ask before telling ------------------------------------------------------------

#: A figure a solution states: two or more digits, or a decimal point.
ANSWER_FIGURE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d{2,})(?![\w])")


def _answer_figures(lines) -> set[str]:
    return {figure.replace(",", "") for line in lines
            for figure in ANSWER_FIGURE.findall(_NOT_PROSE.sub("", QUOTE.sub(r"\1", line)))}


def answers_above(page: Page) -> list[str]:
    """``"page.md:line: challenge title: figures"`` where prose above a challenge states its answer.

    An answer figure is one its solution's text states, apart from those the
    challenge itself gives and those the code or outputs above show (the
    givens a solution restates). Solutions and instructor notes above do not
    count: they are collapsed or hidden.
    """
    problems = []
    prose: set[str] = set()
    shown: set[str] = set()

    def visit(nodes, divs=()):
        for node in nodes:
            if isinstance(node, Code):
                if "solution" not in divs:
                    for text in (node.source, node.output or ""):
                        shown.update(n.replace(",", "").replace("_", "")
                                     for n in re.findall(r"\d[\d,_]*(?:\.\d+)?", text))
            elif isinstance(node, Text):
                if "solution" not in divs and "instructor" not in divs:
                    prose.update(_answer_figures(node.lines))
            else:
                if node.kind == "challenge":
                    solutions = [c for c in node.children if isinstance(c, Div) and c.kind == "solution"]
                    stated = {f for s in solutions for n, _ in page.walk(s.children)
                              if isinstance(n, Text) for f in _answer_figures(n.lines)}
                    given = {f for n, _ in page.walk([c for c in node.children if c not in solutions])
                             if isinstance(n, Text) for f in _answer_figures(n.lines)}
                    told = sorted((stated - given - shown) & prose)
                    if told:
                        problems.append(f"{page.path.name}:{node.line}: {node.title}: {', '.join(told)}")
                visit(node.children, divs + (node.kind,))

    visit(page.body)
    return problems
