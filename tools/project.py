"""What pyproject.toml says about the project: the one reader of it for tools and tests.

Standard library only, so that tools/colab_check.py can use it in Colab's
environment before anything else is installed there.
"""

from __future__ import annotations

import functools
import tomllib

from tools.layout import ROOT

#: Modules the pages import that Colab's runtime does not ship, and their distributions:
#: the notebooks' install cell adds them (tools/build_notebooks.py); tools/colab_check.py
#: checks that Colab lacks them and that the install cells bring them.
COLAB_LACKS = {"keras_tuner": "keras-tuner"}


@functools.cache
def pyproject() -> dict:
    """pyproject.toml's ``[project]`` table."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def extra(name: str) -> list[str]:
    """An install set's requirements (``lesson`` or ``maintainer``), as written."""
    return [requirement.strip() for requirement in pyproject()["optional-dependencies"][name]]


def pin(distribution: str, install_set: str = "lesson") -> str:
    """``name==version`` for a distribution from an install set."""
    for requirement in extra(install_set):
        if requirement.split("==")[0].strip().lower() == distribution:
            return requirement
    raise KeyError(f"{distribution} has no pin in pyproject.toml's `{install_set}` set")


def repository_url() -> str:
    """The repository address, kept once in pyproject.toml."""
    return pyproject()["urls"]["Repository"].rstrip("/")


def site_url() -> str:
    """The lesson website's address on GitHub Pages, derived from the repository's address.

    ``https://github.com/OWNER/NAME`` is published at ``https://OWNER.github.io/NAME/``
    (.github/workflows/lesson.yml). The README, CITATION.cff and the notebooks
    show it; a test checks that they agree with this.
    """
    owner, name = repository_url().removeprefix("https://github.com/").split("/")[:2]
    return f"https://{owner.lower()}.github.io/{name}/"
