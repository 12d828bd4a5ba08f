"""Every figure a page's prose states is printed by its code or marked as quoted (tools/lesson.py).

A figure is a number with a decimal point or a thousands separator, or a
percentage. It must appear in what the page prints (its checked output
blocks, its code, and the outputs of its notebook as the test run executed
it, at the prose's precision) or stand in a marked quotation:
``[about 28%]{.published}``, ``[60,000 images]{.quoted}``, or
``[3.71]{.quoted from="03-monitor-the-model"}``, which that page must print.
The notebooks are run once per test session (conftest.py's ``executed``).
"""

import pytest

from tests import prose
from tools import lesson

PAGES = lesson.episodes()


@pytest.fixture(scope="module")
def printed(executed):
    """What every page prints, by name, from this test run's executions (conftest.py)."""
    texts = {}
    for page in PAGES:
        row, notebook = executed(page)
        assert row["error"] is None, row["error"]
        texts[page.name] = prose.page_texts(page, notebook)
    return texts


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_figure_in_the_prose_is_printed_or_quoted(page, printed):
    assert prose.unprinted_figures(page, printed[page.name], printed) == []


# The errors the content review found, restored on a copy of each page: the check must catch each.
RESTORED = [
    ("04-advanced-layer-types", "(6 × 6 × 50 =\n1,800 instead", "(5 × 5 × 50 =\n1,250 instead", "1,250"),
    ("03-monitor-the-model", "(about 3.4). Too small", "(about 3.4, against 3.85 for the first model). Too small", "3.85"),
    ("06-outlook", 'RMSE [3.765]{.quoted from="03-monitor-the-model"}', "RMSE 3.98", "3.98"),
    ("06-outlook", 'RMSE [3.765]{.quoted from="03-monitor-the-model"}',
     'RMSE [3.98]{.quoted from="03-monitor-the-model"}', "3.98 (quoted from 03-monitor-the-model"),
    ("04-advanced-layer-types", "[about 28%]{.published}", "[about 28%]\n{.published}", "does not open and close"),
]


@pytest.mark.parametrize("name, now, before, reported", RESTORED, ids=[r[2][:24] for r in RESTORED])
def test_the_check_catches_a_restored_error(name, now, before, reported, printed, tmp_path):
    page = next(p for p in PAGES if p.name == name)
    text = page.path.read_text(encoding="utf-8")
    assert now in text
    copy = tmp_path / page.path.name
    copy.write_text(text.replace(now, before), encoding="utf-8")
    problems = prose.unprinted_figures(lesson.parse(copy), printed[name], printed)
    assert any(reported in problem for problem in problems), problems


def test_quotes_are_shown_plain_in_notebooks_and_labelled_on_the_site():
    line = "reports [about 28%]{.published} and [3.71]{.quoted from=\"03-monitor-the-model\"}."
    assert lesson.render_quotes(line, html=False) == "reports about 28% and 3.71."
    html = lesson.render_quotes(line, html=True)
    assert '<span class="quote published" title="published result">about 28%' in html
    assert 'title="quoted from 03-monitor-the-model"' in html and "{." not in html


# -- Ask before telling -------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_challenge_answer_stands_in_the_prose_above_it(page):
    """No figure a solution states (two or more digits, or a decimal point) is told above it,
    apart from what the challenge gives and what the code and outputs above show."""
    assert prose.answers_above(page) == []


def test_the_answer_check_catches_a_restored_giveaway(tmp_path):
    page = next(p for p in PAGES if p.name == "02-keras")
    text = page.path.read_text(encoding="utf-8")
    copy = tmp_path / page.path.name
    copy.write_text(text.replace("describes penguins of three species", "describes 344 penguins of three species"),
                    encoding="utf-8")
    assert any(": The data set: 344" in problem for problem in prose.answers_above(lesson.parse(copy)))
