"""What pyproject.toml says about the project: the one reader of it for tools and tests.

Standard library only, so that tools/maintain/colab_check.py can use it in Colab's
environment before anything else is installed there.
"""

from __future__ import annotations

import functools
import re
import tomllib

from tools.layout import ROOT

#: Modules the pages import that Colab's runtime does not ship, and their distributions:
#: the notebooks' install cell adds them (tools/builders/build_notebooks.py); tools/maintain/colab_check.py
#: checks that Colab lacks them and that the install cells bring them.
COLAB_LACKS = {"keras_tuner": "keras-tuner"}


@functools.cache
def pyproject() -> dict:
    """pyproject.toml's ``[project]`` table."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def pythons() -> list[str]:
    """The Pythons the lesson supports, oldest first: pyproject's classifiers, their one home."""
    prefix = "Programming Language :: Python :: "
    found = [c.removeprefix(prefix) for c in pyproject()["classifiers"] if re.fullmatch(
        re.escape(prefix) + r"3\.\d+", c)]
    return sorted(found, key=lambda version: int(version.split(".")[1]))


def extra(name: str) -> list[str]:
    """An install set's requirements (``lesson`` or ``maintainer``), as written."""
    return [requirement.strip() for requirement in pyproject()["optional-dependencies"][name]]


def pin(distribution: str, install_set: str = "lesson") -> str:
    """``name==version`` for a distribution from an install set."""
    for requirement in extra(install_set):
        if requirement.split("==")[0].strip().lower() == distribution:
            return requirement
    raise KeyError(f"{distribution} has no pin in pyproject.toml's `{install_set}` set")


def version() -> str:
    """The lesson's version, kept once in pyproject.toml (releases are tagged ``v`` + it)."""
    return pyproject()["version"]


def release_tag() -> str:
    """The git tag of this version's release, which the notebooks' install cells name."""
    return f"v{version()}"


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


def colab_url(path: str) -> str:
    """The "Open in Colab" address of a notebook at ``path`` in the repository."""
    repo = repository_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/main/{path}"


#: The locks `make lock` writes from pyproject.toml (uv): the learners' set, and the
#: maintainers' set, which holds every learner version too.
LOCKS = {"lesson": ROOT / "requirements.txt",
         "maintainer": ROOT / "tools" / "requirements-maintainer.txt"}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def locked(text: str) -> dict[str, set[str]]:
    """A lock's versions by normalised name (a set: a universal lock may pin two by Python version)."""
    from dlhelpers.lockfile import read_lock  # the one reader of the lock (standard library only)

    versions: dict[str, set[str]] = {}
    for entry in read_lock(text):
        versions.setdefault(_name(entry.name), set()).add(entry.version)
    return versions


def lock_disagreements(requirements: list[str], lock_text: str) -> list[str]:
    """Where a lock does not hold the ``name==version`` pins of an install set, one line each."""
    versions = locked(lock_text)
    problems = []
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        found = versions.get(_name(name.split("[")[0].strip()))
        if found != {version.strip()}:
            problems.append(f"pyproject pins {requirement.strip()}, the lock has "
                            f"{', '.join(sorted(found)) if found else 'nothing'}")
    return problems


if __name__ == "__main__":  # `python -m tools.project pythons`: for the Makefile, .ci/run and the workflow
    import sys

    if sys.argv[1:] != ["pythons"]:
        raise SystemExit("usage: python -m tools.project pythons")
    print(" ".join(pythons()))
