"""Lesson pages are the one source; notebooks are generated from them."""

import ast
import re
import subprocess
import sys

import nbformat
import pytest
from pyflakes.checker import Checker
from pyflakes.messages import UndefinedName

from tools.builders import build_notebooks, draw_figures
from tests import prose
from tools.pages import lesson
from tools.layout import ROOT


PAGES = lesson.page_paths()


def test_there_are_pages():
    assert PAGES, "no lesson pages under episodes/"


def test_committed_notebooks_match_their_pages():
    result = subprocess.run([sys.executable, "-m", "tools.builders.build_notebooks", "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_has_carpentries_structure(page):
    parsed = lesson.parse(page)
    assert parsed.meta["title"]
    assert int(parsed.meta["teaching"]) >= 0 and int(parsed.meta["exercises"]) >= 0
    for block in ("questions", "objectives", "keypoints"):
        assert len(parsed.divs(block)) == 1, f"one {block} block"
    challenges = parsed.divs("challenge")
    assert challenges, "no challenge"
    for challenge in challenges:
        assert any(isinstance(c, lesson.Div) and c.kind == "solution" for c in challenge.children), \
            f"{page.name}:{challenge.line}: a challenge without a solution"


def test_every_page_is_listed_once_in_config():
    """config.yaml lists every page under episodes/ once, and nothing else."""
    listed = [p.name for p in lesson.page_paths()]
    assert sorted(listed) == sorted(p.name for p in (ROOT / "episodes").glob("*.md"))
    assert len(set(listed)) == len(listed)
    assert [p.path.name for p in lesson.episodes() if p.bonus] == lesson.config()["bonus"]
    for key in ("learners", "instructors"):
        assert all(path.is_file() for path in lesson.extra_pages(key)), key


def test_episodes_are_chosen_by_number_not_name():
    """`--episodes 1-3` (the newest Python's run, the workflow's learner job) names no file."""
    names = [path.stem for path in lesson.page_paths(bonus=False)]
    assert lesson.numbered("1-3") == names[:3] and lesson.numbered("2") == names[1:2]
    for wrong in ("0-2", "3-1", "x", f"1-{len(names) + 1}", "1-"):
        with pytest.raises(lesson.PageError, match="give a number or a span"):
            lesson.numbered(wrong)
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                "tests/test_notebooks.py", "--episodes", "2"],
                               cwd=ROOT, capture_output=True, text=True)
    chosen = re.findall(r"::(\w+)\[([\w-]+)\]", collected.stdout)
    assert chosen and {page for _, page in chosen} == {names[1]}, collected.stdout
    assert "test_an_impossible_bound_fails" in collected.stdout  # tests without a page stay


def test_parser_counts_challenges_in_either_spelling(tmp_path):
    text = ('---\ntitle: "x"\n---\n\n::: challenge\nA\n::: solution\nB\n:::\n:::\n\n'
            '::::: {.challenge}\nC\n::: {.solution}\nD\n:::\n:::::\n')
    assert len(lesson.parse(tmp_path / "x.md", text).divs("challenge")) == 2


def test_every_code_block_has_a_unique_id_carried_by_its_cell():
    for page in lesson.episodes():
        ids = [code.id for code, _ in page.code()]
        assert len(set(ids)) == len(ids), page.name
        notebook = nbformat.read(build_notebooks.notebook_path(page), as_version=4)
        cells = lesson.cells_by_id(notebook)
        for code, divs in page.code():
            if "instructor" not in divs:
                assert cells[code.id].source == code.source, f"{page.name}:{code.line}"
        assert lesson.SETUP_ID in cells


SAMPLE = '''---
title: "Sample"
teaching: 1
exercises: 1
---

::: questions
- Why?
:::

```python
x = 2
x * 3
```

```output
6
```

```python
print("printed")
```

```output
printed
```

```python
import random
random.random()
```

```{.output .varies}
0.123
```

::: challenge
## Try it
Compute it.
::: solution
```python
x + 1
```
:::
:::

::: instructor
Hidden from learners' notebooks.
:::

```{.python .no-test}
download_something()
```
'''


def test_generator_turns_output_blocks_into_checked_outputs(tmp_path):
    page = tmp_path / "99-sample.md"
    page.write_text(SAMPLE)
    cells = build_notebooks.build(page).cells
    code = [c for c in cells if c.cell_type == "code"]
    setup, value, printed, varies, solution, skipped = code
    assert "nbval-ignore-output" in setup.metadata["tags"] and setup.id == lesson.SETUP_ID
    assert "KERAS_BACKEND" not in setup.source and "use_backend" not in setup.source
    assert value.outputs[0].output_type == "execute_result"
    assert value.outputs[0].data["text/plain"] == "6"
    assert "tags" not in value.metadata  # checked by nbval
    assert printed.outputs[0].text == "printed\n"
    assert varies.outputs == [] and varies.metadata["tags"] == ["nbval-ignore-output"]
    assert "solution" in solution.metadata["tags"]
    assert {"nbval-skip", "skip-execution"} <= set(skipped.metadata["tags"])
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "### Challenge: Try it" in markdown and "#### Solution" in markdown
    assert "Hidden from learners" not in markdown
    assert "colab.research.google.com/github/" in markdown


def test_exercise_version_replaces_solutions_with_answer_cells(tmp_path):
    page = tmp_path / "99-sample.md"
    page.write_text(SAMPLE)
    cells = build_notebooks.build(page, exercises=True).cells
    sources = [c.source for c in cells]
    assert "x + 1" not in sources and "#### Solution" not in "\n".join(sources)
    answer = sources.index(build_notebooks.ANSWER_CELL)
    assert sources[answer - 1].startswith("### Challenge: Try it")
    assert all(not c.get("outputs") for c in cells if c.cell_type == "code")
    assert "exercise version" in sources[0]


def test_parser_reads_figure_alt_text_and_rejects_unknown_attributes(tmp_path):
    head = '---\ntitle: "Alt"\nteaching: 1\nexercises: 1\n---\n\n'
    page = lesson.parse(tmp_path / "a.md", head + '```python fig-alt="A rising line"\nplot()\n```\n')
    (code, divs), = page.code()
    assert code.alt == "A rising line" and code.line == 7 and divs == ()
    with pytest.raises(lesson.PageError, match="a.md:7: unknown code block attribute"):
        lesson.parse(tmp_path / "a.md", head + '```python colour=red\nplot()\n```\n')


@pytest.mark.parametrize("body", ["```output\n1\n```\n", "```python\nx = 1\n```\n\nSome words.\n\n```output\n1\n```\n"],
                         ids=["without code", "after text"])
def test_generator_rejects_an_output_that_follows_no_code(tmp_path, body):
    page = tmp_path / "98-bad.md"
    page.write_text(f'---\ntitle: "Bad"\nteaching: 1\nexercises: 1\n---\n\n{body}')
    with pytest.raises(ValueError, match="must follow a python block"):
        build_notebooks.build(page)


def undefined_names(blocks: list[str]) -> list[str]:
    """Names used before anything defines or imports them, in a sequence of code blocks."""
    # IPython magics and shell escapes are not Python; they define nothing.
    source = "\n".join(re.sub(r"^\s*[%!].*$", "pass", block, flags=re.M) for block in blocks)
    checker = Checker(ast.parse(source), filename="page")
    return sorted({m.message_args[0] for m in checker.messages if isinstance(m, UndefinedName)})


def test_undefined_names_are_found():
    assert undefined_names(["import keras", "keras.Input(shape=(2,))"]) == []
    assert undefined_names(["model = keras.Sequential()", "%pip install x"]) == ["keras"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_imports_what_it_uses(page):
    """A learner typing along from the page, without the notebook's generated first cell."""
    code = [c.source for c, divs in lesson.parse(page).code() if "instructor" not in divs]
    assert undefined_names(code) == [], "the page uses names it never imports or defines"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_exercise_version_needs_no_solution(page):
    """No code outside a solution may use a name that only a solution defines."""
    code = [c.source for c, divs in lesson.parse(page).code()
            if "solution" not in divs and "instructor" not in divs]
    assert undefined_names(code) == [], "code after a challenge depends on its solution"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_exercise_notebook_has_no_solutions(page):
    parsed = lesson.parse(page)
    notebook = nbformat.read(build_notebooks.notebook_path(parsed, exercises=True), as_version=4)
    cells = "\n".join(cell.source for cell in notebook.cells)
    solutions = parsed.divs("solution")
    for solution in solutions:
        for node, _ in parsed.walk(solution.children):
            if isinstance(node, lesson.Code):
                assert node.source not in cells, f"solution code in the exercise notebook:\n{node.source}"
            elif isinstance(node, lesson.Text):
                for line in node.lines:
                    if len(line.strip()) > 30:
                        assert line not in cells, f"solution text in the exercise notebook: {line}"
    answers = [c for c in notebook.cells if "answer" in c.metadata.get("tags", [])]
    assert len(answers) == len(solutions)
    # A code cell where the solution has code; a text cell where it is words only.
    for cell, solution in zip(answers, solutions):
        if build_notebooks.has_code(solution.children):
            assert cell.cell_type == "code" and cell.source == build_notebooks.ANSWER_CELL
            assert not cell.get("outputs")
        else:
            assert cell.cell_type == "markdown" and cell.source == build_notebooks.ANSWER_TEXT


# -- concept diagrams ---------------------------------------------------------

def test_committed_diagrams_match_their_drawing():
    """episodes/fig/*.svg are exactly what tools/builders/draw_figures.py draws (run it after a change)."""
    result = subprocess.run([sys.executable, "-m", "tools.builders.draw_figures", "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("page", PAGES + [ROOT / "setup.md"], ids=lambda p: p.name)
def test_every_image_a_page_links_exists(page):
    for alt, target in lesson.parse(page).images():
        assert not target.startswith(("http:", "https:", "//")), \
            f"{target}: keep images in the repository (learners may be offline)"
        assert (page.parent / target).is_file(), f"{page.name} links a missing image: {target}"


def test_every_diagram_is_shown_on_a_page():
    shown = {target for page in lesson.episodes() for _, target in page.images()}
    drawn = {f"fig/{name}.svg" for name in draw_figures.FIGURES}
    assert drawn <= shown, f"drawn but on no page: {sorted(drawn - shown)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_notebooks_embed_the_pages_diagrams(page):
    """Both notebooks show every diagram of the page, embedded so that Colab shows it too."""
    parsed = lesson.parse(page)
    for exercises in (False, True):
        notebook = nbformat.read(build_notebooks.notebook_path(parsed, exercises), as_version=4)
        markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        for alt, target in parsed.images():
            uri = draw_figures.png_data_uri(target)
            assert f"![{alt}]({uri})" in markdown, f"{target} is not embedded"
        assert "](fig/" not in markdown


def test_parser_requires_alternative_text_for_images(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('---\ntitle: "x"\n---\n\nSee ![](fig/neuron.svg) here.\n')
    with pytest.raises(lesson.PageError, match="page.md:5: .*needs alternative text"):
        lesson.parse(page)
    page.write_text('---\ntitle: "x"\n---\n\n![A neuron](fig/neuron.svg){width=50%}\n')
    assert lesson.parse(page).images() == [("A neuron", "fig/neuron.svg")]


# -- the workshop schedule ------------------------------------------------------

def test_the_episode_tables_are_generated_from_the_pages():
    """README's episode table, the instructor schedule and data/README's files: `tables --check`."""
    from tools.builders import tables

    assert tables.main(["--check"]) == 0
    assert "| total | 465 | 245 | about 11.8 hours" not in tables.fill(
        "a\n<!-- generated by `python -m tools.builders.tables`: schedule -->\n| total | 465 | 245 | about 11.8 hours |\n"
        "<!-- end of the generated schedule -->\nb", "schedule", "| total | 1 | 2 |")
    for page in lesson.episodes():
        missing = ({"summary", "data"} | ({"schedule"} if not page.bonus else set())) - set(page.meta)
        assert not missing, f"{page.path.name}: front matter lacks {', '.join(sorted(missing))}"


@pytest.mark.parametrize("page", lesson.episodes(bonus=False), ids=lambda p: p.name)
def test_minutes_are_no_fewer_than_a_read_through_takes(page):
    """The front matter's minutes are at least tools/pages/minutes.py's estimate (live coding, callouts read aloud)."""
    from tools.pages import minutes

    teaching, exercises = minutes.estimate(page)
    assert page.minutes() >= (minutes.rounded(teaching), minutes.rounded(exercises)), \
        f"{page.name}: {page.minutes()} minutes; a read-through takes {teaching:.0f} and {exercises:.0f}"


def test_schedule_fits_a_two_day_workshop():
    """Two days of about six hours of teaching each, besides breaks: 8 to 12 hours in all."""
    minutes = sum(sum(p.minutes()) for p in lesson.episodes(bonus=False))
    assert minutes >= 8 * 60, f"the episodes take {minutes / 60:.1f} hours: too little for two days"
    assert minutes <= 12 * 60, (
        f"the episodes take {minutes} minutes ({minutes / 60:.1f} hours), more than two days of "
        f"teaching hold (720): list the new page under `bonus:` in config.yaml, or shorten the "
        f"episodes by {minutes - 720} minutes (CONTRIBUTING, Add an episode)")
    # The concepts episode stays a workshop's first session, not a lecture course.
    introduction = sum(lesson.episodes(bonus=False)[0].minutes())
    assert introduction <= 80, f"episode 1 takes {introduction} minutes"


def test_seeded_outputs_are_checked(tmp_path):
    """{.output .seeded}: stored and checked (no ignore tag); tools/run/outputs.py knows it is seeded."""
    text = ('---\ntitle: "x"\n---\n\n```python\nprint(1)\n```\n\n```{.output .seeded tolerance=0}\n1\n```\n\n'
            '```python\nprint(2)\n```\n\n```{.output .varies}\n2\n```\n')
    page = tmp_path / "99-x.md"
    page.write_text(text)
    (seeded, _), (varies, _) = lesson.parse(page).code()
    assert seeded.checked and seeded.output_seeded and not varies.checked
    cells = lesson.cells_by_id(build_notebooks.build(page))
    assert "tags" not in cells[seeded.id].metadata and cells[seeded.id].outputs
    assert "nbval-ignore-output" in cells[varies.id].metadata["tags"]


def test_result_blocks_carry_their_bounds(tmp_path):
    """``{.output .varies .result at-least=0.2 ...}``: bounds in the page format, beside the output."""
    text = ('---\ntitle: "x"\n---\n\n```python\nprint("a: 1")\n```\n\n'
            '```{.output .seeded .result tolerance=5% at-most="2; b"}\na: 1\n```\n\n'
            '```python\nprint("b: 3")\n```\n\n```{.output .varies .result standin-at-least=0.6}\nb: …\n```\n')
    (first, _), (second, _) = lesson.parse(tmp_path / "x.md", text).code()
    assert first.result and first.output_seeded and first.bounds == {"at-most": "2; b"}
    assert first.tolerance == "5%" and second.tolerance is None
    assert second.result and not second.checked and second.bounds == {"standin-at-least": "0.6"}
    for wrong, said in [("{.output at-least=1}", "bounds belong on a result block"),
                        ("{.output .result at_least=1}", "at_least"),
                        ("{.output .varies .seeded}", "not both"),
                        ("{.output .seeded .result}", "says how far its numbers may move"),
                        ("{.output .result tolerance=0.1}", "only a seeded block"),
                        ("{.output .seeded tolerance=some}", "a number, or a percentage")]:
        with pytest.raises(lesson.PageError, match=said):
            lesson.parse(tmp_path / "x.md", text.replace("{.output .seeded .result tolerance=5% at-most=\"2; b\"}", wrong))


def test_no_page_code_judges_its_own_results():
    """Learners' code only prints: no bounds, asserts or test switches in the pages' code."""
    for page in lesson.episodes():
        for code, _ in page.code():
            for word in ("at_least", "at_most", "assert ", "STANDIN", "standin"):
                assert word not in code.source, f"{page.name}:{code.line}: {word}"


# -- Seeded results: recorded once, judged everywhere --------------------------------

def test_every_seeded_page_names_the_environment_that_recorded_it():
    """episodes/recorded-on.yaml: the page's backend and the lesson's pins (refresh after a bump)."""
    from tools.run import outputs

    recorded = outputs.recorded()
    for page in lesson.episodes():
        if any(code.output_seeded for code, _ in page.code()):
            record = recorded.get(page.name)
            assert record, f"{page.name}: not in {outputs.RECORDED.name}; run tools.run.refresh_outputs"
            assert record["backend"] == page.backend, page.name
            assert record["versions"] == outputs.pinned(page.backend), \
                f"{page.name}: recorded with {record['versions']}; the pins moved: refresh its outputs"
            assert record["device"] and record["processor"] not in (None, "unknown"), page.name


@pytest.mark.parametrize("page", lesson.episodes(), ids=lambda p: p.name)
def test_every_bound_holds_for_every_value_the_tolerance_accepts(page):
    """A claim resting on a bound holds on every processor the tests accept, not only on the recording one."""
    from tools.run import outputs

    assert outputs.bounds_within_tolerance(page) == []


def test_a_tolerance_wider_than_a_claim_allows_is_caught(tmp_path):
    from tools.run import outputs

    page = lesson.page_with(prose.WEATHER)
    text = page.path.read_text(encoding="utf-8")
    for now, wider, said in [
            ('tolerance=0.015 at-most="3.40;', 'tolerance=0.05 at-most="3.40;',
             "Basel-only 9-year test RMSE may print 3.431 within its tolerance, above its bound at-most=3.40"),
            ("tolerance=0.2 at-least=2.5 at-most=3}", "tolerance=0.3 at-least=2.5 at-most=3}",
             "its train RMSE may print 3.04 within its tolerance, above its bound at-most=3")]:
        assert now in text
        problems = outputs.bounds_within_tolerance(lesson.parse(page.path, text.replace(now, wider)))
        assert any(said in p for p in problems), problems


def test_notebooks_link_glossary_terms_to_the_websites_glossary():
    """Each term at its first use, as on the site, to an anchor the glossary has."""
    from tools.project import site_url

    page = lesson.page_with(prose.PENGUINS)
    for exercises in (False, True):
        text = "\n".join(c.source for c in build_notebooks.build(page, exercises).cells
                         if c.cell_type == "markdown")
        anchors = re.findall(rf"\]\({re.escape(site_url())}reference\.html#([\w-]+)\)", text)
        assert "dense-network" in anchors and len(anchors) == len(set(anchors)), anchors
        assert set(anchors) <= set(lesson.glossary().values())
