"""Every figure a page's prose states is printed by its code or marked as quoted (tools/pages/lesson.py).

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
from tools.pages import lesson

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
# Each page is found by the text to restore; episode 3 (the weather regression) is quoted by name.
WEATHER_PAGE = lesson.page_with(prose.WEATHER).name
RESTORED = [
    ("(6 × 6 × 50 =\n1,800 instead", "(5 × 5 × 50 =\n1,250 instead", "1,250"),
    ("ends at the value printed above", "ends at 3.85, the value printed above", "3.85"),
    (f'RMSE [3.88]{{.quoted from="{WEATHER_PAGE}"}}', "RMSE 3.98", "3.98"),
    (f'RMSE [3.88]{{.quoted from="{WEATHER_PAGE}"}}', f'RMSE [3.98]{{.quoted from="{WEATHER_PAGE}"}}',
     f"3.98 (quoted from {WEATHER_PAGE}"),
    # A seeded figure stated more precisely than its tolerance allows: other processors print otherwise.
    ("model has not seen, in hours of sunshine.", "model has not seen, about 3.8 hours.",
     "which a seeded result prints differently on another processor"),
    ("RMSE a little below the baseline's", f'RMSE [3.765]{{.quoted from="{WEATHER_PAGE}"}}',
     f"3.765 (quoted from {WEATHER_PAGE}, which does not print it, which a seeded result prints"),
    ("[about 28%]{.published}", "[about 28%]\n{.published}", "does not open and close"),
]


@pytest.mark.parametrize("now, before, reported", RESTORED, ids=[r[1][:24] for r in RESTORED])
def test_the_check_catches_a_restored_error(now, before, reported, printed, tmp_path):
    page = lesson.page_with(now)
    text = page.path.read_text(encoding="utf-8")
    copy = tmp_path / page.path.name
    copy.write_text(text.replace(now, before), encoding="utf-8")
    problems = prose.unprinted_figures(lesson.parse(copy), printed[page.name], printed)
    assert any(reported in problem for problem in problems), problems


def test_quotes_are_shown_plain_in_notebooks_and_labelled_on_the_site():
    line = "reports [about 28%]{.published} and [3.71]{.quoted from=\"another-page\"}."
    assert lesson.render_quotes(line, html=False) == "reports about 28% and 3.71."
    html = lesson.render_quotes(line, html=True)
    assert '<span class="quote published" title="published result">about 28%' in html
    assert 'title="quoted from another-page"' in html and "{." not in html


# -- Ask before telling -------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_challenge_answer_stands_in_the_prose_above_it(page):
    """No figure a solution states (two or more digits, or a decimal point) is told above it,
    apart from what the challenge gives and what the code and outputs above show."""
    assert prose.answers_above(page) == []


def test_the_answer_check_catches_a_restored_giveaway(tmp_path):
    page = lesson.page_with(prose.PENGUINS)
    text = page.path.read_text(encoding="utf-8")
    copy = tmp_path / page.path.name
    copy.write_text(text.replace("describes penguins of three species", "describes 344 penguins of three species"),
                    encoding="utf-8")
    assert any(": The data set: 344" in problem for problem in prose.answers_above(lesson.parse(copy)))


# -- Ask before telling, in words ---------------------------------------------------

#: Challenges, by title, whose solutions restate by design what the text above gives them,
#: each reviewed and found to tell nothing the challenge asks for.
RESTATED_BY_DESIGN = {
    "Deep learning workflow": "the solution walks the ten steps listed above",
    "The data set": "the solution names the columns the text calls body measurements",
    "Pair plot": "the alt text names the measurements plotted, the solution which pair separates",
    "Other baselines": "the solution compares other baselines with the one above",
    "How many features does one image have?": "the size above is what to multiply",
    "Recognise the workflow": "the solution finds the ten steps in the sketch described above",
}


@pytest.fixture(scope="module")
def counts():
    return prose.word_counts(PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_challenge_answer_is_told_in_words_above_it(page, counts):
    problems = [p for p in prose.answers_told_in_words(page, counts)
                if p.split(": ")[1] not in RESTATED_BY_DESIGN]
    assert problems == [], "\n".join(problems)


def _move_challenge_below_lists(text: str) -> str:
    """Episode 1 as it was: the lists of what deep learning is good for above its challenge."""
    start = text.index("::::::::::::::::::::::::::::::::::::: challenge\n\n## Deep learning problems")
    end = text.index("The answers rest on what deep learning is and is not good for.")
    challenge = text[start:end]
    text = text[:start] + text[end:].replace(
        "The answers rest on what deep learning is and is not good for. It shines\nwhere",
        "Deep learning shines where", 1)
    lists_end = text.index("## The deep learning workflow")
    return text[:lists_end] + challenge + text[lists_end:]


# The answers a content review found told above their challenges, restored on a copy of
# each page. The check catches five of the seven; it cannot see the other two, which
# tell in other words than their solutions use: 03's objective "a single linear output
# neuron" (its solution: "None: a linear output") and 03's "This is overfitting" above
# "Is the model as good as you expected?".
RESTORED_WORDS = [
    ("Deep learning problems", _move_challenge_below_lists),
    ("Training and test sets", lambda text: text.replace(
        "as a **test set**, the penguins the model\nis judged on at the end.",
        "as a **test set** to judge the finished\nmodel on penguins it has never seen.")),
    ("The training curve", lambda text: text.replace(
        "What matters is the shape of the curve, which\nthe next challenge asks you to read.",
        "The loss changes\nonly in its seventh digit, which matplotlib draws as wild swings.")),
    ("Reading the grid search", lambda text: text.replace(
        "Our grid search gets two depths and two dropout rates, for",
        "A grid search tries every combination: here two depths times two dropout rates, for")),
    ("Total versus trainable parameters", lambda text: text.replace(
        "base_model.trainable = False\n",
        "base_model.trainable = False  # freeze: keep the ImageNet weights as they are\n").replace(
        "1. Which layers hold the 67,120 trainable parameters? The base has batch\n"
        "   normalisation layers too: do their weights change while we train?",
        "1. Why are so few of the parameters trainable?").replace(
        text[text.index("1. All of them are in the head"):text.index("2. 7,093,360 parameters")],
        "1. The base is frozen; only the head and the scale and shift of its batch\n"
        "   normalisation are trained.\n")),
]


@pytest.mark.parametrize("challenge, restore", RESTORED_WORDS, ids=[r[0] for r in RESTORED_WORDS])
def test_the_words_check_catches_a_restored_giveaway(challenge, restore, counts, tmp_path):
    page = lesson.page_with(f"## {challenge}\n")
    text = page.path.read_text(encoding="utf-8")
    restored = restore(text)
    assert restored != text, "the text to restore is no longer on the page"
    copy = tmp_path / page.path.name
    copy.write_text(restored, encoding="utf-8")
    assert not any(f": {challenge}: " in p for p in prose.answers_told_in_words(page, counts))
    problems = prose.answers_told_in_words(lesson.parse(copy), counts)
    assert any(f": {challenge}: " in p for p in problems), problems
