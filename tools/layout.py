"""Where the lesson's files live: the one module that knows the repository's layout.

Sources: the pages (``episodes/NAME.md``). Generated from them and committed:
the complete notebook ``notebooks/NAME.ipynb`` and the exercise version
``notebooks/exercises/NAME-exercises.ipynb``. Built, never committed, under
``build/``: the executed notebooks (``build/notebooks/``, written only by
tools/run/execute.py, the one executor), their logs, the website and its sources,
and the reports (benchmark, Colab).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EPISODES = ROOT / "episodes"
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = NOTEBOOKS / "exercises"
BUILD = ROOT / "build"
#: The executed complete notebooks: what the website shows and the tests judge.
EXECUTED = BUILD / "notebooks"
SITE = BUILD / "site"
SITE_SOURCE = BUILD / "site-src"
#: Written beside the site for its browser test: what each page must show.
SITE_MANIFEST = BUILD / "site-manifest.json"
EXERCISE_SUFFIX = "-exercises"


def notebook(page_name: str, exercises: bool = False) -> Path:
    """Where a page's complete or exercise notebook lives."""
    if exercises:
        return EXERCISES / f"{page_name}{EXERCISE_SUFFIX}.ipynb"
    return NOTEBOOKS / f"{page_name}.ipynb"


def page(notebook_path: Path) -> Path:
    """The page a notebook (complete, exercise or executed copy) is generated from."""
    return EPISODES / f"{Path(notebook_path).stem.removesuffix(EXERCISE_SUFFIX)}.md"


def executed(page_name: str, out: Path = BUILD) -> Path:
    """Where tools/run/execute.py writes a page's executed complete notebook under ``out``."""
    return out / "notebooks" / f"{page_name}.ipynb"


def shown(path: Path) -> str:
    """A path as printed: relative to the repository where it is inside it."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def rerun(page_name: str) -> str:
    """What to do when an executed notebook does not hold a page's code as it stands."""
    return (f"run `make notebooks`, then `make lesson` (or `python -m tools.run.execute "
            f"{shown(notebook(page_name))}`)")
