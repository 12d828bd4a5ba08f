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
    ```` ```{.output .varies} ````      right after a python block: shown, not checked.
    A python block may carry attributes after the language, e.g.
    ```` ```python fig-alt="Loss falls over 100 epochs" ````: the alternative
    text of the figures the block draws (required for every block that draws one).
    Any other fence (```` ```bash ````) is text.

Divs
    ``::: kind`` opens, a bare ``:::`` closes (any number of colons, 3 or
    more). A first line ``## Title`` inside a div is its title.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EPISODES = ROOT / "episodes"

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
OUTPUT_FENCES = {"output": False, "{.output .varies}": True, "{.varies .output}": True}
#: Div kinds a lesson page may use.
DIV_KINDS = {"questions", "objectives", "keypoints", "challenge", "solution",
             "callout", "discussion", "instructor", "hint", "caution", "testimonial"}


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
    line: int = 0

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

    @property
    def name(self) -> str:
        return self.path.stem

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
                previous.output_varies = OUTPUT_FENCES[info]
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
    return Page(path, meta, root)


def page_paths() -> list[Path]:
    """The lesson pages' files under episodes/, in order."""
    return sorted(EPISODES.glob("*.md"))


def episodes() -> list[Page]:
    """Every lesson page under episodes/, parsed, in order."""
    return [parse(p) for p in page_paths()]
