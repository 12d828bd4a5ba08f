"""Judge an executed notebook against its page: outputs, seeded results and bounds.

The tests (tests/test_notebooks.py), the other-backend and Colab runs use it
on the notebooks tools/execute.py has run. What it compares is what the page
promises (tools/lesson.py reads the format):

- every checked output block (```` ```output ````, ```` ```{.output .seeded} ````)
  against what its cell printed, after the substitutions of tests/sanitize.cfg
  (nbval's format, so that nbval's runs and these compare alike);
- seeded results only where they must match: on the page's backend with the
  lesson's pinned Keras, NumPy and backend (:func:`seeded_mismatch_reason`);
- every ``.result`` block's bounds against the numbers its cell printed.
"""

from __future__ import annotations

import configparser
import difflib
import functools
import os
import re

from tools import layout, lesson

SANITIZE = layout.ROOT / "tests" / "sanitize.cfg"
#: A result line: ``name: number``.
RESULT_LINE = re.compile(r"^(?P<name>[^:\n]+):\s+(?P<value>-?\d[\d.eE+-]*)\s*$")


@functools.cache
def _substitutions() -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser()
    parser.read(SANITIZE, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def sanitized(text: str) -> str:
    for pattern, replacement in _substitutions():
        text = pattern.sub(replacement, text)
    return text.rstrip("\n")


def differences(page: lesson.Page, executed, seeded: bool = True) -> list[str]:
    """Each checked output block whose cell printed something else, with a diff.

    ``seeded=False``: seeded results are not compared (another backend, other versions).
    """
    cells = lesson.cells_by_id(executed)
    problems = []
    for code, _ in page.code():
        if not code.checked or (code.output_seeded and not seeded) or code.kind == "no-test":
            continue
        cell = cells.get(code.id)
        if cell is None or cell.source != code.source:
            problems.append(f"{page.path.name}:{code.line}: the executed notebook does not hold "
                            "this block as it stands (run `make lesson` or tools.execute again)")
            continue
        want = sanitized(code.output)
        got = sanitized(lesson.output_text(cell, code) or "")
        if want != got:
            diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(),
                                                  "page", "printed", lineterm="", n=1))
            problems.append(f"{page.path.name}:{code.line}: the output differs from the page's\n{diff}")
    return problems


def seeded_differences(page: lesson.Page, executed) -> list[tuple[lesson.Code, str]]:
    """The page's seeded blocks that the executed notebook printed otherwise, with what it printed."""
    cells = lesson.cells_by_id(executed)
    found = []
    for code, _ in page.code():
        if code.output_seeded and code.id in cells:
            printed = (lesson.output_text(cells[code.id], code) or "").strip()
            if printed != code.output.strip():
                found.append((code, printed))
    return found


def seeded_mismatch_reason(page: lesson.Page, backend: str | None = None) -> str | None:
    """Why the page's seeded results cannot match here; None where they must.

    ``backend``: the backend the notebook ran on, when not the page's.
    """
    from dlhelpers import checks

    page_backend = page.backend or "tensorflow"
    if backend and backend != page_backend:
        return f"Keras ran on {backend}, not on the page's {page_backend}"
    pins = checks.pinned_versions()
    for name in ("keras", "numpy", page_backend):
        installed = checks._installed(name)
        if pins.get(name) != installed:
            return f"{name} {installed} is installed, not the lesson's {pins.get(name)}"
    return None


def _printed_results(cell, code: lesson.Code) -> dict[str, float]:
    """The ``name: number`` lines an executed cell printed."""
    found = {}
    for line in (lesson.output_text(cell, code) or "").splitlines() if cell is not None else []:
        match = RESULT_LINE.match(line.strip())
        if match:
            found[match["name"].strip()] = float(match["value"])
    return found


def results(page: lesson.Page, executed) -> dict[str, float]:
    """The headline results the page's ``.result`` blocks printed, by name, in page order."""
    cells = lesson.cells_by_id(executed)
    found = {}
    for code, _ in page.code():
        if code.result:
            found.update(_printed_results(cells.get(code.id), code))
    return found


def bound_failures(page: lesson.Page, executed, standin: bool = False) -> list[str]:
    """Each bound of the page's ``.result`` blocks that its run broke, or could not be read.

    ``standin``: the run used the test machines' stand-in images, so the
    ``standin-`` bounds apply as well.
    """
    cells = lesson.cells_by_id(executed)
    seen: dict[str, float] = {}
    problems = []
    for code, _ in page.code():
        if not code.result:
            continue
        where = f"{page.path.name}:{code.line}"
        printed = _printed_results(cells.get(code.id), code)
        if not printed:
            problems.append(f"{where}: a result block whose cell printed no `name: number` line")
            continue
        seen.update(printed)
        for key, limits in code.bounds.items():
            if key.startswith("standin-") and not standin:
                continue
            lower = key.endswith("at-least")
            for limit in (part.strip() for part in limits.split(";")):
                try:
                    bound = float(limit)
                except ValueError:
                    if limit not in seen:
                        problems.append(f"{where}: {key}={limit!r} names no result printed above")
                        continue
                    bound = seen[limit]
                for name, value in printed.items():
                    if not (value >= bound if lower else value <= bound):
                        problems.append(f"{where}: {name} is {value:g}, {'below' if lower else 'above'} "
                                        f"its bound {key}={limit}" + ("" if limit == str(bound) else f" ({bound:g})"))
    return problems


def standin_in_use() -> bool:
    """Whether this run's data folder holds the test machines' stand-in images (tools/standin.py)."""
    from tools import standin

    return standin.in_use(os.environ.get("DLHELPERS_DATA"))
