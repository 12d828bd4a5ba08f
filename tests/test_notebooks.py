"""Every complete notebook, run once by tools/run/execute.py, judged against its page.

The page is the promise (tools/pages/lesson.py): every checked output block must be
what its cell printed; seeded results only where they must match (the page's
backend and the lesson's pins, tools/run/outputs.py); every result block's bounds
must hold, the stand-in's bounds too where the data folder holds the stand-in
(tools/run/standin.py). Learners' code only prints; the judging is all here.
The exercise notebooks run separately, with nbval (pyproject.toml's testpaths).
"""

import copy

import pytest

from tools.pages import lesson
from tools.run import outputs

PAGES = lesson.episodes()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_notebook_prints_what_its_page_shows(page, executed):
    row, notebook = executed(page)
    assert row["error"] is None, row["error"]
    mode, why = outputs.seeded_judgement(page, notebook)
    problems = outputs.differences(page, notebook, seeded=mode)
    assert problems == [], f"(seeded results judged {mode}: {why})\n" + "\n\n".join(problems)


@pytest.mark.parametrize("page", [p for p in PAGES if any(c.result for c, _ in p.code())],
                         ids=lambda p: p.name)
def test_results_keep_their_bounds(page, executed):
    row, notebook = executed(page)
    assert row["error"] is None, row["error"]
    assert outputs.results(page, notebook), "no result printed"
    seeded = outputs.seeded_judgement(page, notebook)[0] is not None
    problems = outputs.bound_failures(page, notebook, standin=outputs.standin_in_use(), seeded=seeded)
    assert problems == [], "\n".join(problems)


def _with_bound(page: lesson.Page, key: str, value: str) -> lesson.Page:
    """A copy of the page whose scaled model's result block has ``key=value`` as its only bound."""
    changed = copy.deepcopy(page)
    block = next(code for code, _ in changed.code() if code.result and "scaled model test accuracy" in code.output)
    block.bounds = {key: value}
    return changed


def test_an_impossible_bound_fails(executed):
    """Episode 2's scaled model, held to more than 100 % accuracy, fails; its real bound holds."""
    page = lesson.page_with("scaled model test accuracy")
    _, notebook = executed(page)
    assert outputs.bound_failures(page, notebook) == []
    failures = outputs.bound_failures(_with_bound(page, "at-least", "1.01"), notebook)
    assert len(failures) == 1 and "below its bound at-least=1.01" in failures[0], failures
    failures = outputs.bound_failures(_with_bound(page, "at-most", "first model test accuracy"), notebook)
    assert "above its bound at-most=first model test accuracy" in failures[0], failures
    # A stand-in bound applies only on the stand-in.
    strict = _with_bound(page, "standin-at-least", "1.01")
    assert outputs.bound_failures(strict, notebook) == []
    assert outputs.bound_failures(strict, notebook, standin=True)
    unknown = _with_bound(page, "at-most", "a result never printed")
    assert "names no result printed above" in outputs.bound_failures(unknown, notebook)[0]


def test_a_changed_output_is_reported_with_a_diff(executed):
    page = lesson.page_with("scaled model test accuracy")
    _, notebook = executed(page)
    changed = copy.deepcopy(page)
    block = next(code for code, _ in changed.code() if code.checked and not code.output_seeded)
    block.output = block.output + "\nan extra line"
    problems = outputs.differences(changed, notebook)
    assert len(problems) == 1 and "+" not in problems[0].splitlines()[0]
    assert "-an extra line" in problems[0]
