"""Run the lesson as Colab would: Colab's package versions, the notebooks' install cell, every notebook.

    python -m tools.maintain.colab_check        (``make colab`` builds the environment first)

Run by the Python of an environment that holds exactly the versions in
tools/maintain/colab-versions.txt (Google Colab's published runtime) and nothing of
the lesson's. It then does what "Run all" does on Colab, in order:

1. checks that the environment is Colab's: every version as listed, and the
   helpers and keras-tuner absent (Colab ships neither);
2. runs each notebook's install cell's ``%pip install`` line, with the git
   address of the helpers replaced by this checkout (the code under test);
3. checks that the install left Colab's versions alone, and lists what it added;
4. runs ``python -m dlhelpers check`` as on Colab, which must report no problem;
5. executes every complete notebook (tools/run/execute.py; the harness, nbclient,
   is installed now, after step 3, and must not move a Colab package either)
   and judges it against its page as the tests do (tools/run/outputs.py), seeded
   results apart, on the stand-ins where .ci/run set them up (offline machines).

Writes build/colab.md (which notebooks pass, and the failing cells' first
lines) and exits non-zero when any step fails.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from tools import project
from tools.layout import ROOT


VERSIONS = Path(__file__).with_name("colab-versions.txt")
NOTEBOOKS = ROOT / "notebooks"
REPORT = ROOT / "build" / "colab.md"
#: What the notebooks' install cells must add on Colab (Colab's runtime lacks them).
#: The helpers, their one dependency that Colab lacks, and what the pages import that it lacks.
LACKING = ("dlhelpers", "palmerpenguins", *project.COLAB_LACKS.values())
#: The harness that runs and judges the notebooks, from pyproject's `maintainer` set.
HARNESS = ("nbclient", "nbformat", "pyyaml")


def colab_python() -> str:
    """Colab's Python ("3.13"), as tools/maintain/colab-versions.txt names it.

    ``python -m tools.maintain.colab_check --python`` prints it for the Makefile,
    .ci/run and the workflow.
    """
    return re.search(r"^# Colab's Python: (3\.\d+)$", VERSIONS.read_text(), re.MULTILINE)[1]


def colab_versions() -> dict[str, str]:
    """Colab's versions as listed in tools/maintain/colab-versions.txt, by lower-case name."""
    pins = {}
    for line in VERSIONS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def installed() -> dict[str, str]:
    return {dist.metadata["Name"].lower().replace("_", "-"): dist.version
            for dist in importlib.metadata.distributions()}


def moved(before: dict[str, str], after: dict[str, str], watched: dict[str, str]) -> list[str]:
    """The watched packages whose version an install changed, as ``name a -> b``."""
    return [f"{name} {before.get(name)} -> {after.get(name)}"
            for name in watched if before.get(name) != after.get(name)]


def install_lines(notebooks: list[Path]) -> list[str]:
    """Each distinct ``%pip install`` line of the notebooks' first code cells, in order."""
    lines = []
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        first = next(cell for cell in cells if cell["cell_type"] == "code")
        for line in "".join(first["source"]).splitlines():
            line = line.strip()
            if line.startswith("%pip install") and line not in lines:
                lines.append(line)
    return lines


def as_local(line: str) -> list[str]:
    """A cell's ``%pip install`` line as pip arguments, with this checkout for the helpers' git address."""
    words = shlex.split(line.removeprefix("%pip"))
    return [f"dlhelpers @ {ROOT.as_uri()}" if re.match(r"dlhelpers @ git\+", word) else word
            for word in words]


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def harness_pins() -> list[str]:
    return [project.pin(name, "maintainer") for name in HARNESS]


def _one_line(text: str) -> str:
    """Text for a Markdown table cell."""
    return text.strip().replace("\n", "; ")


def run_notebook(path: Path, out: Path) -> tuple[list[str], list[str]]:
    """Execute one notebook and judge it; (its problems, the seeded results that differ)."""
    import nbformat

    from tools import layout
    from tools.pages import lesson
    from tools.run import execute, outputs

    row = execute.run(path, out)
    if row["error"]:
        return [row["error"]], []
    page = lesson.parse(layout.page(path))
    executed = nbformat.read(layout.executed(page.name, out), as_version=4)
    problems = [p.splitlines()[0] for p in outputs.judge(page, executed)]
    differ = [f"`{_one_line(printed)}` (page: `{_one_line(code.output)}`)"
              for code, printed in outputs.seeded_differences(page, executed)]
    return problems, differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every complete notebook")
    parser.add_argument("--python", action="store_true", help="only print Colab's Python version")
    args = parser.parse_args(argv)
    if args.python:
        print(colab_python())
        return 0
    notebooks = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    colab = colab_versions()
    report = [f"# The lesson on Colab's versions (Python {sys.version.split()[0]})", ""]
    failed = False

    # 1. The environment is Colab's.
    before = installed()
    wrong = [f"{name} {before.get(name, 'missing')} (Colab: {version})"
             for name, version in colab.items() if before.get(name) != version]
    present = [name for name in LACKING if name in before]
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if python != colab_python():
        wrong.insert(0, f"Python {python} (Colab: {colab_python()})")
    if wrong or present:
        print("Not Colab's environment:", "; ".join(wrong + [f"{n} already installed" for n in present]))
        print("Build it with `make colab`, which starts from an empty environment.")
        return 2
    report.append(f"Colab's {len(colab)} listed versions installed; {', '.join(LACKING)} absent.")

    # 2-3. The install cells, then nothing of Colab's moved.
    for line in install_lines(notebooks):
        print("install cell:", line)
        pip(*as_local(line))
    after = installed()
    changed = moved(before, after, colab)
    added = sorted(f"{name} {after[name]}" for name in after.keys() - before.keys())
    missing = [name for name in LACKING if name not in after]
    report.append(f"The install cells added: {', '.join(added)}.")
    if changed or missing:
        failed = True
        report.append(f"**FAILED**: changed {changed or 'nothing'}; still missing {missing or 'nothing'}.")
    else:
        report.append("They left every Colab version as it was.")

    # 4. The check, as on Colab.
    env = dict(os.environ, COLAB_RELEASE_TAG=os.environ.get("COLAB_RELEASE_TAG", "make-colab"))
    check = subprocess.run([sys.executable, "-m", "dlhelpers", "check", "--no-data"],
                           env=env, capture_output=True, text=True)
    print(check.stdout, end="")
    problems = [line for line in check.stdout.splitlines() if line.startswith("PROBLEM")]
    if check.returncode or problems:
        failed = True
        report.append(f"**FAILED**: `python -m dlhelpers check` on Colab: {problems or check.stderr[-300:]}")
    else:
        notes = [line for line in check.stdout.splitlines() if line.startswith("Note")]
        report.append(f"`python -m dlhelpers check` as on Colab: no problem, {len(notes)} note(s).")

    # 5. The notebooks, with the harness added (which must not move Colab's versions either).
    pip("install", "--quiet", *harness_pins())
    harness_moved = moved(after, installed(), colab)
    if harness_moved:
        failed = True
        report.append(f"**FAILED**: installing the test harness changed {harness_moved}.")
    report += ["", "Seeded results (`{.output .seeded}`) are checked with the lesson's pins only;",
               "the last column lists those that Colab's versions train to otherwise.", "",
               "| notebook | result | problems | seeded results that differ |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as keep:
        for path in notebooks:
            failures, differ = run_notebook(path, Path(keep))
            passed = not failures
            failed |= not passed
            print(f"{path.name}: {'passed' if passed else 'FAILED ' + ', '.join(failures)}"
                  + (f"; seeded results differ: {'; '.join(differ)}" if differ else ""))
            report.append(f"| {path.stem} | {'passed' if passed else '**failed**'} | "
                          f"{'; '.join(failures) or '-'} | {'; '.join(differ) or '-'} |")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(report) + "\n")
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
