"""How long each episode takes to teach: a read-through at fixed speeds.

    python -m tools.pages.minutes        # the estimate beside each episode's front matter

The method (instructors/instructor-notes.md, "Timing"): the instructor live-codes
every code block outside solutions and instructor notes at TYPING characters a
minute (typing, saying what each line does, running it; cells that train for
a while run as the instructor explains the next step) and reads aloud every
callout and the prose at SPEAKING words a minute. Exercise minutes: each challenge gets READING minutes to
read and think, plus its solution's code typed at the same pace and the
discussion of its answer, read aloud; optional challenges are for fast learners
and count nothing. The pages' front
matter holds the minutes rounded up to 5; tests/test_pages.py checks that none
is below this estimate.
"""

from __future__ import annotations

import math
import re

from tools.pages import lesson

#: Characters of code an instructor live-codes a minute, explaining as they type.
TYPING = 60
#: Words a minute read aloud.
SPEAKING = 130
#: Minutes a challenge takes to read and think about, before any code.
READING = 3

_WORDS = re.compile(r"[A-Za-z0-9']+")


def _words(lines) -> int:
    return sum(len(_WORDS.findall(line)) for line in lines)


def estimate(page: lesson.Page) -> tuple[float, float]:
    """(teaching, exercise) minutes for one page, unrounded."""
    code = prose = callouts = 0.0
    for node, divs in page.walk():
        if "solution" in divs or "challenge" in divs:
            continue
        if isinstance(node, lesson.Code) and "instructor" not in divs:
            code += len(node.source) / TYPING
        elif isinstance(node, lesson.Text) and "instructor" not in divs:
            words = _words(node.lines) / SPEAKING
            if set(divs) & {"callout", "discussion", "caution"}:
                callouts += words
            else:
                prose += words
    exercises = 0.0
    for challenge in page.divs("challenge"):
        if (challenge.title or "").startswith("(Optional)"):
            continue  # for fast learners, outside the schedule
        exercises += READING
        for node, divs in page.walk(challenge.children):
            if isinstance(node, lesson.Code):
                exercises += len(node.source) / TYPING
            elif isinstance(node, lesson.Text) and "solution" in divs:
                exercises += _words(node.lines) / SPEAKING
    return code + prose + callouts, exercises


def rounded(minutes: float) -> int:
    return 5 * math.ceil(minutes / 5)


def main() -> int:
    print("| episode | teaching (estimate) | exercises (estimate) |")
    print("|---|---:|---:|")
    total = [0, 0]
    for page in lesson.episodes(bonus=False):
        teaching, exercises = estimate(page)
        total[0] += rounded(teaching)
        total[1] += rounded(exercises)
        print(f"| {page.name} | {rounded(teaching)} ({teaching:.0f}) | {rounded(exercises)} ({exercises:.0f}) |")
    print(f"| total | {total[0]} | {total[1]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
