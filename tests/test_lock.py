"""The locks hold exactly what pyproject.toml pins, with a hash for every file (issue #30).

`make lock` writes them with uv from pyproject.toml: requirements.txt for
learners (every platform and Python the setup page supports), and
tools/requirements-maintainer.txt for `make setup`. pip installs either in
hash-checking mode, so a file that differs from the one locked is refused.
"""

import re

import pytest

from tools import project

LESSON = project.LOCKS["lesson"].read_text()
MAINTAINER = project.LOCKS["maintainer"].read_text()


def test_the_learners_lock_holds_every_lesson_pin():
    assert project.lock_disagreements(project.extra("lesson"), LESSON) == []


def test_the_maintainers_lock_holds_both_sets():
    both = project.extra("lesson") + project.extra("maintainer")
    assert project.lock_disagreements(both, MAINTAINER) == []


def test_a_pin_changed_alone_is_caught():
    changed = [re.sub(r"^keras==.*", "keras==3.99.0", pin) for pin in project.extra("lesson")]
    assert project.lock_disagreements(changed, LESSON) == [
        f"pyproject pins keras==3.99.0, the lock has {project.pin('keras').split('==')[1]}"]
    added = [*project.extra("lesson"), "altair==5.0.0"]
    assert project.lock_disagreements(added, LESSON) == ["pyproject pins altair==5.0.0, the lock has nothing"]


def test_maintainers_run_the_learners_versions():
    learner, maintainer = project.locked(LESSON), project.locked(MAINTAINER)
    assert {name: maintainer.get(name) for name in learner} == learner


def test_the_helpers_own_requirements_are_in_the_lock():
    # The helpers install with --no-deps after the lock: it must hold what they import.
    names = [re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0] for r in project.pyproject()["dependencies"]]
    assert [n for n in names if project._name(n) not in project.locked(LESSON)] == []
    assert "dlhelpers" not in project.locked(LESSON)


@pytest.mark.parametrize("text", [LESSON, MAINTAINER], ids=["lesson", "maintainer"])
def test_every_locked_package_carries_hashes(text):
    entries = re.findall(r"^([A-Za-z0-9][^\n]*?)\\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
                         text, re.MULTILINE)
    assert len(entries) == len(re.findall(r"^[A-Za-z0-9][^\n]*==", text, re.MULTILINE)) > 100


def test_the_lock_is_universal():
    # Resolved for every platform, not the machine that wrote it: Windows- and
    # macOS-only packages are there, with their markers.
    assert "colorama==" in LESSON and "sys_platform == 'win32'" in LESSON
    assert "appnope==" in LESSON and "sys_platform == 'darwin'" in LESSON


def test_installing_needs_the_oldest_supported_python():
    """pyproject's classifiers list the Pythons (their one home); requires-python names the oldest."""
    oldest = project.pythons()[0]
    assert project.pyproject()["requires-python"] == f">={oldest}"
