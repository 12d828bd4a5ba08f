"""The checks on the pages' words: figures in the prose, and answers above their challenge.

Used by tests/test_prose_numbers.py; the page format itself (quotation marks
included) is read by tools/pages/lesson.py. Also the text by which the tests
find the pages they mean (``lesson.page_with``), each in one place.
"""

from __future__ import annotations

import re

from tools.layout import EPISODES
from tools.pages.lesson import _NOT_PROSE, QUOTE, Code, Div, Page, Text, parse, plain_text

#: The penguin classifier (episode 2), the weather regression (episode 3) and the
#: MNIST digits (bonus 2), by text that only they hold.
PENGUINS, WEATHER, DIGITS = "describes penguins of three species", "Basel-only 9-year test RMSE", "MNIST"

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
    """What a page prints for certain: its checked output blocks, its code, and the executed
    notebook's outputs, less its seeded results (see :func:`seeded_ranges`)."""
    seeded = {code.id for code, _ in page.code() if code.output_seeded}
    texts = [code.output for code, _ in page.code() if code.checked and code.id not in seeded]
    texts += [code.source for code, _ in page.code()]
    for cell in (executed.cells if executed is not None else []):
        if cell.get("id") in seeded:
            continue
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return plain_text("\n".join(texts))


def seeded_ranges(page: Page) -> list[tuple[float, float]]:
    """Each number of the page's seeded blocks as (lowest, highest) that the tests accept
    on some processor: the recorded value give or take its block's tolerance."""
    from tools.run.outputs import NUMBER, _tolerance

    found = []
    for code, _ in page.code():
        if code.output_seeded:
            for number in NUMBER.findall(code.output):
                spread = _tolerance(code.tolerance, float(number))
                found.append((float(number) - spread, float(number) + spread))
    return found


def _stated_within(figure: str, ranges: list[tuple[float, float]]) -> bool:
    """Whether ``figure`` says, at its precision, every value of one of ``ranges``."""
    digits = figure.rstrip("% ").replace(",", "")
    places = len(digits.split(".")[1]) if "." in digits else 0
    scale = 100 if figure.endswith("%") else 1
    return any(round(low * scale, places) == float(digits) == round(high * scale, places)
               for low, high in ranges)


def unprinted_figures(page: Page, printed: str, elsewhere: dict[str, str] | None = None) -> list[str]:
    """``"page.md:line: figure"`` for each prose figure that ``printed`` lacks and no mark quotes.

    ``elsewhere``: what other pages print, by name, for ``{.quoted from="NAME"}``.
    A seeded result (:func:`seeded_ranges`) may be stated only where every value
    its tolerance accepts reads the same at the prose's precision: learners on
    another processor see other last digits.
    """
    numbers = _numbers(printed)
    problems = []

    def unsaid(figure, numbers, text, seeded_page):
        if _printed(figure, numbers, text):
            return None
        ranges = seeded_ranges(seeded_page) if seeded_page is not None else []
        if _stated_within(figure, ranges):
            return None
        return ", which a seeded result prints differently on another processor" if any(
            _printed(figure, {low, high, (low + high) / 2}, "") for low, high in ranges) else ""

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
                        why = "" if other is None else unsaid(figure, _numbers(other), other,
                                                              parse(EPISODES / f"{quote[3]}.md"))
                        if why is not None:
                            problems.append(f"{page.path.name}: {figure} (quoted from {quote[3]}, "
                                            f"which does not print it{why})")
            for figure in FIGURE.findall(QUOTE.sub("", prose)):
                why = unsaid(figure, numbers, printed, page)
                if why is not None:
                    problems.append(f"{page.path.name}: {figure} in \"{line.strip()[:80]}\"{why}")
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


# -- Answers told in words ------------------------------------------------------------
# A heuristic, tuned on the giveaways a content review found (tests/test_prose_numbers.py
# restores them): a sentence above a challenge (prose, objectives, a figure's alt text
# or a code comment, since the previous challenge; objectives and questions from the
# top) tells its answer when it shares with the solution two or more *distinctive*
# words, two of them side by side, that the challenge itself does not give; or when it
# restates most of one of the statements a true/false or yes/no challenge asks about.
# Distinctive: used in few sentences of the whole lesson (DISTINCTIVE). What it cannot
# see: an answer in other words (a paraphrase), and one spread over several sentences.

#: Words too common to tell anything.
STOP_WORDS = set("""a an the and or but if then so of to in on at by for with from as is are was were be been
being it its this that these those there here which what who whom whose when where why how not no yes do
does did done can could would should will may might must than more most less few many much very also only
just each every all any some both either neither one two three four five six seven eight nine ten we you
they he she i our your their his her my me us them into over under about above below after before again
between out up down off same other such own too per via make makes made get gets got has have had having
use used uses using""".split())
#: A word is distinctive when at most this many sentences of the lesson use it.
DISTINCTIVE = 12
_WORD = re.compile(r"[a-z][a-z0-9-]*")
_NOT_WORDS = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|\{[^}]*\}|https?://\S+", re.S)
_OPTION = re.compile(r"\s*([A-H]|\d+)\.\s")
_VERDICT = re.compile(r"\b(true|false|yes|no)\b", re.I)


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(_NOT_WORDS.sub(" ", text.lower()))
            if w not in STOP_WORDS and len(w) > 2]


def _sentences(lines) -> list[str]:
    text = " ".join(line.strip() for line in lines if not line.lstrip().startswith("#"))
    return [s for s in re.split(r"(?<=[.!?:;])\s+|\s+-\s+", text) if s.strip()]


def _told(page: Page):
    """In page order: ("said", where, sentence) for what learners read, ("challenge", div) for each challenge."""
    def visit(nodes, divs=()):
        for node in nodes:
            shown = "solution" not in divs and "instructor" not in divs
            if isinstance(node, Text) and shown and "challenge" not in divs:
                where = next((d for d in ("objectives", "questions") if d in divs), "prose")
                for sentence in _sentences(node.lines):
                    yield "said", where, sentence
            elif isinstance(node, Code) and shown:
                if node.alt:
                    yield "said", "alt text", node.alt
                for line in node.source.splitlines():
                    if "#" in line:
                        yield "said", "comment", line.split("#", 1)[1]
            elif isinstance(node, Div):
                if node.kind == "challenge":
                    yield "challenge", node, None
                yield from visit(node.children, divs + (node.kind,))
    yield from visit(page.body)


def _lines(nodes) -> list[str]:
    """The text lines of nodes, at any depth."""
    lines = []
    for node in nodes:
        if isinstance(node, Text):
            lines += node.lines
        elif isinstance(node, Div):
            lines += _lines(node.children)
    return lines


def word_counts(pages: list[Page]):
    """How many sentences of the lesson use each word."""
    import collections

    counts = collections.Counter()
    for page in pages:
        counts.update(w for kind, _, sentence in _told(page) if kind == "said" for w in set(_words(sentence)))
    return counts


def answers_told_in_words(page: Page, counts) -> list[str]:
    """``"page.md:line: challenge: where: sentence"`` for each sentence above a challenge that tells its answer."""
    problems, since, always = [], [], []
    for kind, where, sentence in _told(page):
        if kind == "said":
            (always if where in ("objectives", "questions") else since).append((where, sentence))
            continue
        challenge = where
        solutions = [c for c in challenge.children if isinstance(c, Div) and c.kind == "solution"]
        asked = [c for c in challenge.children if c not in solutions]
        given_lines = _lines(asked)
        given = set(_words(" ".join(given_lines)))
        answer_text = " ".join(_lines(solutions))
        answer = {w for w in _words(answer_text) if w not in given and counts[w] <= DISTINCTIVE}
        statements = [{w for w in _words(line) if counts[w] <= DISTINCTIVE} for line in given_lines
                      if _OPTION.match(line)] if _VERDICT.search(answer_text) else []
        for place, text in always + since:
            said = _words(text)
            shared = answer & set(said)
            side_by_side = any(a in answer and b in answer for a, b in zip(said, said[1:]))
            enough = 3 if place == "objectives" else 2
            restated = any(len(s) >= 4 and len(s & set(said)) >= 0.6 * len(s) for s in statements)
            if (side_by_side and len(shared) >= enough) or restated:
                why = f"shares {', '.join(sorted(shared))}" if not restated else "restates a statement it asks about"
                problems.append(f"{page.path.name}:{challenge.line}: {challenge.title}: {place}: "
                                f"\"{text.strip()[:80]}\" ({why})")
        since = []
    return problems
