"""The checks on the pages' words: figures in the prose, and answers above their challenge.

Used by tests/test_prose_numbers.py; the page format itself (quotation marks
included) is read by tools/lesson.py.
"""

from __future__ import annotations

import re

from tools.lesson import _NOT_PROSE, QUOTE, Code, Div, Page, Text, plain_text

#: A figure the prose-number check looks at: a thousands separator, a decimal point, or a percentage.
FIGURE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+(?:\.\d+)?\s?%)(?![\w])")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


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
