"""The Carpentries' files around the lesson agree with the one place each fact lives."""

import json
import re
import subprocess

import pytest
import yaml

from tools import project
from tools.builders import build_notebooks, build_site, tables
from tools.pages import lesson
from tools.layout import ROOT


def test_site_address_is_derived_from_the_repository_and_shown_where_people_look():
    assert project.repository_url() == "https://github.com/deep-learning-keras/intro-deep-learning-keras"
    site = project.site_url()
    assert site == "https://deep-learning-keras.github.io/intro-deep-learning-keras/"
    assert site in (ROOT / "README.md").read_text()
    page = lesson.episodes()[1]
    notebook = build_notebooks.build(page, exercises=True)
    assert f"{site}{page.name}.html" in notebook.cells[0].source  # where the solutions are


def test_citation_agrees_with_pyproject():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["title"] == lesson.config()["title"]
    assert citation["version"] == project.pyproject()["version"]
    assert citation["repository-code"] == project.repository_url()
    assert citation["url"] == project.site_url()


def test_version_tag_install_cells_changelog_and_citation_agree():
    version, tag = project.version(), project.release_tag()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version) and tag == f"v{version}"
    assert yaml.safe_load((ROOT / "CITATION.cff").read_text())["version"] == version
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(r"^## (\S+)", changelog, re.MULTILINE)[1] == version  # the newest entry
    # What Colab opens: every committed notebook installs the helpers from this tag.
    for path in sorted(ROOT.glob("notebooks/**/*.ipynb")):
        first = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        installs = re.findall(r"dlhelpers @ git\+(\S+?)\"", "".join(first["source"]))
        assert installs == [f"{project.repository_url()}@{tag}"], path.name
    assert tag in build_site.version_footer() and version in build_site.version_footer()


def test_a_released_version_keeps_its_helpers():
    """Once vX.Y.Z is tagged, the helpers may not change under that version: bump it first."""
    tag = project.release_tag()
    tags = subprocess.run(["git", "tag", "--list", tag], cwd=ROOT, capture_output=True, text=True)
    if tag not in tags.stdout.split():
        pytest.skip(f"{tag} is not tagged in this clone: an unreleased version")
    changed = subprocess.run(["git", "diff", "--name-only", tag, "--", "src/dlhelpers"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert changed == [], (f"{', '.join(changed)} changed since {tag}: raise the version in "
                           "pyproject.toml and add its CHANGELOG entry (CONTRIBUTING: releases)")


def test_code_of_conduct_and_contributing_are_linked():
    readme = (ROOT / "README.md").read_text()
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert "(CONTRIBUTING.md)" in readme and "(CODE_OF_CONDUCT.md)" in readme
    assert "(CODE_OF_CONDUCT.md)" in contributing
    assert "Carpentries Code of Conduct" in (ROOT / "CODE_OF_CONDUCT.md").read_text()
    # The page -> notebook rules live in CONTRIBUTING.md, not twice.
    assert "make notebooks" in contributing and "make notebooks" not in readme
    assert (ROOT / "AUTHORS").read_text().strip()


def test_learner_profiles_and_glossary_are_site_pages():
    listed = {path.name for key in ("learners", "profiles") for path in lesson.extra_pages(key)}
    assert {"learner-profiles.md", "reference.md"} <= listed
    assert list(build_site.glossary())[:2] == ["Accuracy", "Activation function"]


def test_setup_page_has_a_path_per_system_and_the_supported_pythons():
    text = (ROOT / "setup.md").read_text()
    for system in ("Windows (PowerShell)", "macOS (Terminal, Apple silicon)", "Linux (a terminal)",
                   "Any system: Miniforge and environment.yml", "Colab"):
        assert f"## {system}" in text, system
    # The supported Pythons and the GPU pins come from pyproject.toml (tools/builders/tables.py,
    # whose --check a test runs): the template names none of their numbers itself.
    template = tables.SETUP_TEMPLATE.read_text()
    assert not re.findall(r"(?<![\d.])3\.1\d(?![\d.])", template)  # Python 3.1x, not "3.5 GB"
    newest = project.pythons()[-1]
    assert f"py -{newest} -m venv .venv" in text and "Activate.ps1" in text
    assert f"python{newest} -m venv .venv" in text and f"brew install python@{newest}" in text
    assert "{{" not in text
    assert '"jax[cuda12]=={{ pin.jax }}" "tensorflow[and-cuda]=={{ pin.tensorflow }}"' in template
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert tables.conda_python().removeprefix("  - ") in environment["dependencies"]
    assert "Set-ExecutionPolicy -Scope CurrentUser RemoteSigned" in text and "260 characters" in text
    assert text.count("python -m dlhelpers check") >= 1


def test_setup_template_fields_are_filled_from_pyproject(monkeypatch):
    monkeypatch.setattr(project, "pythons", lambda: ["3.12", "3.13", "3.14"])
    text = tables.render("**Python {{ python.supported }}** (not {{ python.unsupported }}), "
                         "py -{{python.newest}}, outside {{ python.range }}, jax {{ pin.jax }}")
    assert text == (f"**Python 3.12, 3.13 or 3.14** (not 3.15), py -3.14, outside 3.12-3.14, "
                    f"jax {project.pin('jax').split('==')[1]}")
    monkeypatch.setattr(project, "pythons", lambda: ["3.13"])
    assert tables.render("Python {{ python.supported }}") == "Python 3.13"
    with pytest.raises(ValueError, match="unknown field .*python.latest"):
        tables.render("{{ python.latest }}")


def _closure(requirements: list[str]) -> set[str]:
    """Every installed distribution that ``requirements`` pull in (markers other than extras ignored)."""
    import importlib.metadata
    import re

    seen, todo = set(), [re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower().replace("_", "-")
                         for r in requirements]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0].lower().replace("_", "-")
                 for r in requires if "extra ==" not in r]
    return seen


def test_the_learner_set_holds_no_maintainer_only_package():
    learner = _closure(project.extra("lesson") + project.pyproject()["dependencies"])
    for tool in ("sphinx", "myst-parser", "sphinx-book-theme", "nbval", "pytest", "pyflakes",
                 "playwright"):  # (pyyaml and nbclient come with JupyterLab anyway)
        assert tool in _closure(project.extra("maintainer")), tool
        assert tool not in learner, f"{tool} would reach every learner's laptop"
    # What learners install points at the learner set only.
    assert project.locked(project.LOCKS["lesson"].read_text()).keys().isdisjoint(
        ["sphinx", "myst-parser", "nbval", "pytest", "pyflakes", "playwright"])
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge", "nodefaults"]
    assert {"pip": ["-r requirements.txt"]} in environment["dependencies"]
