"""Test settings shared by the unit tests and the notebook re-execution (nbval)."""

import os

import pytest

from tools.check_site import serve  # a quiet file server on 127.0.0.1

# The image episodes run on the real Dollar Street photos, downloaded once,
# unless DLHELPERS_STANDIN=1 asks for the generated stand-in: .ci/run sets it
# on the offline test machines only. Kernels that nbval starts inherit it.
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


# -- Two uses of nbval beyond its options --------------------------------------
# nbval has no option for either, so both rest on its attributes, named here
# once; tests/test_nbval_internals.py fails with a clear message when an nbval
# release renames them.
#: IPyNbFile.skip_compare: the output keys nbval does not compare.
#: IPyNbFile.nb: the notebook being run; IPyNbCell.cell / .test_outputs: a cell and what it printed.
#: IPyNbCell.options["check"]: whether nbval compares the cell's output.
NBVAL_ATTRIBUTES = {"IPyNbFile": ("skip_compare", "nb"),
                    "IPyNbCell": ("cell", "test_outputs", "options")}


#: Exercise notebooks whose run without solutions another test already makes,
#: under other settings: episode 4's runs on CIFAR-10 in tests/test_variants.py.
RUN_ELSEWHERE = {"04-advanced-layer-types-exercises.ipynb"}


def pytest_ignore_collect(collection_path, config):
    """Skip collecting a notebook listed in RUN_ELSEWHERE (one full run saved per test run)."""
    return True if collection_path.name in RUN_ELSEWHERE else None


def pytest_collection_modifyitems(session, config, items):
    """Seeded results are checked where Keras runs as the page is tested: its backend, its pins.

    A cell tagged ``lesson-seeded`` (a ```{.output .seeded} block) prints what a
    seeded model trains to with the page's backend and the lesson's pinned
    versions. With KERAS_BACKEND set to another backend, or other versions of
    Keras, its backend or NumPy installed (Colab's, `make colab`), the same
    code trains to other numbers, so nbval runs the cell without comparing
    it. Every other checked output is still compared.
    """
    from pathlib import Path

    from tools import lesson

    why = {}  # per notebook: the same for all its cells
    for item in items:
        if hasattr(item, "cell") and lesson.SEEDED_TAG in item.cell.metadata.get("tags", []):
            notebook = Path(str(item.parent.fspath))
            if notebook not in why:
                why[notebook] = seeded_results_differ(notebook)
            if why[notebook]:
                item.options["check"] = False


def seeded_results_differ(notebook) -> str | None:
    """Why a notebook's seeded results cannot match its page here; None when they must."""
    from dlhelpers import checks
    from tools import benchmark

    page_backend = benchmark.page_backend(notebook)
    chosen = os.environ.get("KERAS_BACKEND")
    if chosen and chosen != page_backend:
        return f"Keras runs on {chosen}, not on the page's {page_backend}"
    pins = checks.pinned_versions()
    for name in ("keras", "numpy", page_backend):
        if pins.get(name) != checks._installed(name):
            return f"{name} {checks._installed(name)} is installed, not the lesson's {pins.get(name)}"
    return None


def _compare_text_not_html():
    """nbval: compare a DataFrame's text form; its HTML form is the same table."""
    from nbval.plugin import IPyNbFile

    original = IPyNbFile.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.skip_compare = self.skip_compare + ("text/html",)

    IPyNbFile.__init__ = __init__


_compare_text_not_html()


# -- Executed notebooks for the lesson website ------------------------------
# nbval executes every notebook once; the site is built from those same
# outputs (figures included), so a test run does not execute anything twice.
# Each complete notebook is written to build/notebooks/ as soon as its last
# cell has run, before the site test (tests/test_site.py) needs it.

# A test that runs a notebook under other settings keeps it elsewhere (DLHELPERS_NBVAL_KEEP).
EXECUTED = os.environ.get("DLHELPERS_NBVAL_KEEP") or os.path.join(os.path.dirname(__file__), "build", "notebooks")


def pytest_runtest_teardown(item, nextitem):
    if not hasattr(item, "cell"):
        return  # not a notebook cell
    notebook_file = item.parent
    if nextitem is not None and nextitem.parent is notebook_file:
        return  # not the notebook's last cell yet
    _write_executed(notebook_file)


def _write_executed(notebook_file):
    import copy

    import nbformat

    path = str(notebook_file.fspath)
    if os.path.basename(os.path.dirname(path)) != "notebooks":
        return  # only the complete notebooks (not the exercise versions)
    from tools import lesson

    ran = {i.cell.get("id"): i for i in notebook_file.session.items if i.parent is notebook_file}
    notebook = copy.deepcopy(notebook_file.nb)
    failed = False
    for cell_id, cell in lesson.cells_by_id(notebook).items():
        item = ran.get(cell_id)
        outputs = item.test_outputs if item is not None else None
        if outputs is None and "nbval-skip" not in cell.metadata.get("tags", []):
            failed = True  # a cell that should have run did not
        cell.outputs = [nbformat.from_dict(dict(o)) for o in outputs or []]
        failed = failed or any(o.output_type == "error" for o in cell.outputs)
    target = os.path.join(EXECUTED, os.path.basename(path))
    if failed:
        if os.path.exists(target):
            os.remove(target)  # never leave an old run where a failed one should be
        return
    os.makedirs(EXECUTED, exist_ok=True)
    nbformat.write(notebook, target)
