"""Test settings shared by the unit tests and the notebook re-execution (nbval)."""

import functools
import os

import pytest

from tools.builders.check_site import serve  # a quiet file server on 127.0.0.1

# The image episodes run on the real Dollar Street photos, downloaded once,
# unless DLHELPERS_DATA points at a folder that holds the generated stand-in
# (tools/run/standin.py; .ci/run writes it on the offline test machines only).
# No MPLBACKEND here: kernels must keep Jupyter's inline backend, or figures
# drawn with plain pyplot (seaborn's pair plot) never reach the outputs the
# site shows. Without a display, matplotlib in this process falls back to Agg.


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty, temporary data cache."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("DLHELPERS_DATA", str(folder))
    return folder


@pytest.fixture
def http_server(tmp_path):
    """A file server on the loopback address; yields (folder, base_url)."""
    folder = tmp_path / "served"
    folder.mkdir()
    with serve(folder) as base:
        yield folder, base.rstrip("/")


@functools.cache
def run_elsewhere() -> set:
    """Exercise notebooks whose run without solutions another test already makes, under other
    settings: the page offering the CIFAR-10 variant (episode 4) runs in tests/test_variants.py."""
    from tests.test_variants import VARIANT
    from tools import layout
    from tools.pages import lesson

    return {layout.notebook(lesson.page_with(VARIANT).name, exercises=True).name}


def pytest_addoption(parser):
    parser.addoption("--episodes", metavar="SPAN",
                     help="deselect the tests that take a `page` of other episodes (numbers in teaching "
                          "order: 1-3); name the tests to run, as `make test-newest` does")


def pytest_collection_modifyitems(config, items):
    """With ``--episodes``: deselect the tests of other pages (those that take a ``page``)."""
    if not config.getoption("--episodes"):
        return
    from tools.pages import lesson

    try:
        chosen = set(lesson.numbered(config.getoption("--episodes")))
    except lesson.PageError as error:
        raise pytest.UsageError(str(error)) from None
    def other(item) -> bool:
        page = item.callspec.params.get("page") if hasattr(item, "callspec") else None
        return page is not None and page.name not in chosen

    deselected = [item for item in items if other(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not other(item)]


def pytest_ignore_collect(collection_path, config):
    """Skip collecting a notebook another test runs (one full run saved per test run)."""
    return True if collection_path.suffix == ".ipynb" and collection_path.name in run_elsewhere() else None


# -- The complete notebooks, executed once per test run ------------------------
# tools/run/execute.py (nbclient) is the one executor of the complete notebooks: it
# writes build/notebooks/, which the notebook tests judge (tests/test_notebooks.py)
# and the website is built from (tests/test_site.py), whichever runs first.
# LESSON_BUILD names another folder (the newest Python's run: build/newest-python).

@pytest.fixture(scope="session")
def executed():
    """``executed(page)``: the page's complete notebook run once this session; (row, notebook)."""
    import nbformat

    from tools import layout
    from tools.run import execute

    out = layout.ROOT / os.environ["LESSON_BUILD"] if os.environ.get("LESSON_BUILD") else layout.BUILD
    runs = {}

    def run(page):
        if page.name not in runs:
            row = execute.run(layout.notebook(page.name), out)
            path = layout.executed(page.name, out)
            runs[page.name] = (row, nbformat.read(path, as_version=4) if path.exists() else None)
        return runs[page.name]

    return run
