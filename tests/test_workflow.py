"""The GitHub workflow, which cannot run here, is linted here (issue #30).

actionlint checks its syntax, expressions and job graph; zizmor audits it for
the usual security faults (unpinned actions, leaked credentials, injection).
Both come with the maintainers' lock. The learner job must follow setup.md's
Windows and macOS sections word for word.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.builders import tables
from tools.layout import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TOOLS = Path(sys.executable).parent


def lint(*paths: Path) -> list[subprocess.CompletedProcess]:
    return [subprocess.run([str(TOOLS / "actionlint"), "-no-color", *map(str, paths)],
                           capture_output=True, text=True),
            subprocess.run([str(TOOLS / "zizmor"), "--offline", "--persona", "pedantic", "--no-progress",
                            *map(str, paths)], capture_output=True, text=True)]


def test_the_workflow_passes_actionlint_and_zizmor():
    assert WORKFLOWS
    for done in lint(*WORKFLOWS):
        assert done.returncode == 0, done.args[0] + ":\n" + done.stdout + done.stderr


def test_the_linters_catch_a_broken_and_an_unsafe_workflow(tmp_path):
    text = WORKFLOWS[0].read_text()
    broken = tmp_path / "broken.yml"
    broken.write_text(text.replace("runs-on: ${{ matrix.os }}", "runs-on: ${{ matrix.system }}"))
    actionlint, _ = lint(broken)
    assert actionlint.returncode != 0 and "matrix.system" in actionlint.stdout
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text(text.replace("run: bash .ci/run", 'run: echo "${{ github.head_ref }}" && bash .ci/run'))
    _, zizmor = lint(unsafe)
    assert zizmor.returncode != 0 and "template-injection" in zizmor.stdout


def _setup_block(heading: str, python: str) -> list[str]:
    """The commands of a setup.md section's environment code block, as its template writes
    them, with the newest Python spelled ``python``."""
    text = tables.SETUP_TEMPLATE.read_text().replace("{{ python.newest }}", python)
    section = text.split(f"## {heading}", 1)[1].split(":::", 1)[0]
    block = re.search(r"```(?:powershell|bash)\n(.*?)```", section, re.DOTALL)[1]
    return [line.strip() for line in block.strip().splitlines()]


@pytest.mark.parametrize("system, heading, python", [("Windows", "Windows (PowerShell)", "$env:PYTHON"),
                                                     ("macOS", "macOS (Terminal, Apple silicon)", "$PYTHON")])
def test_the_learner_job_runs_the_setup_page_word_for_word(system, heading, python):
    workflow = yaml.safe_load(WORKFLOWS[0].read_text())
    job = workflow["jobs"]["learner"]
    step = next(s for s in job["steps"] if s.get("if") == f"runner.os == '{system}'")
    assert step["env"]["PYTHON"] == "${{ needs.pythons.outputs.newest }}"
    lines = [line.strip() for line in step["run"].strip().splitlines()]
    commands = _setup_block(heading, python)
    start = lines.index(commands[0])
    assert lines[start:start + len(commands)] == commands
    assert lines[start + len(commands):][:2] == ["python -m dlhelpers download", "python -m dlhelpers check"]
    assert lines[-1] == "python -m tools.run.execute --episodes 1-3"


def _release_script() -> str:
    workflow = yaml.safe_load(WORKFLOWS[0].read_text())
    job = workflow["jobs"]["release"]
    assert job["needs"] == "test" and "refs/heads/main" in job["if"]
    return next(s["run"] for s in job["steps"] if "run" in s)


def _release(repo: Path, bin_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GITHUB_SHA": "abc123", "GH_TOKEN": "x", "HOME": str(repo)}
    return subprocess.run(["bash", "-e", "-c", _release_script()], cwd=repo, env=env,
                          capture_output=True, text=True)


def test_a_version_bump_on_main_is_tagged_and_released_once(tmp_path):
    """The release job's own script, run in a copy with `gh` replaced by a recorder."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "CHANGELOG.md"):
        (repo / name).write_text((ROOT / name).read_text())
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "c"], cwd=repo, check=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/gh-args\ncp notes.md {tmp_path}/gh-notes\n')
    gh.chmod(0o755)
    (bin_dir / "python3").symlink_to(sys.executable)

    from tools import project
    version = project.version()
    done = _release(repo, bin_dir)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "gh-args").read_text().split() == [
        "release", "create", f"v{version}", "--target", "abc123", "--title", "Release", version,
        "--notes-file", "notes.md"]
    notes = (tmp_path / "gh-notes").read_text()
    entry = (ROOT / "CHANGELOG.md").read_text().split(f"## {version}", 1)[1].split("\n## ", 1)[0]
    assert notes == f"## {version}{entry}\n" or notes == f"## {version}{entry}"

    (tmp_path / "gh-args").unlink()
    subprocess.run([*git, "tag", f"v{version}"], cwd=repo, check=True)
    done = _release(repo, bin_dir)
    assert done.returncode == 0 and "released already" in done.stdout
    assert not (tmp_path / "gh-args").exists()

    subprocess.run([*git, "tag", "-d", f"v{version}"], cwd=repo, check=True, capture_output=True)
    (repo / "CHANGELOG.md").write_text("# Changelog\n")
    done = _release(repo, bin_dir)
    assert done.returncode != 0 and f"no entry for {version}" in done.stderr
    assert not (tmp_path / "gh-args").exists()
