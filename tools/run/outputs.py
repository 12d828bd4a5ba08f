"""Judge an executed notebook against its page: outputs, seeded results and bounds.

The tests (tests/test_notebooks.py, tests/test_portability.py), the
other-backend and Colab runs use it on the notebooks tools/run/execute.py has run.
What it compares is what the page promises (tools/pages/lesson.py reads the format):

- every checked output block (```` ```output ````) against what its cell
  printed, after the substitutions of tests/sanitize.cfg (nbval's format, so
  that nbval's runs and these compare alike);
- every seeded block (```` ```{.output .seeded tolerance=0.1} ````) as the
  run's environment allows (:func:`seeded_judgement`): exactly where the run's
  environment is the one that recorded the page (``RECORDED``: backend,
  pinned versions, device, and the processor as the backend compiles for it);
  each number within the block's tolerance on another processor or a GPU,
  the rest of the text exactly; not at all on another backend or under other
  versions, where the same seed trains other models (the bounds of the
  unseeded results still judge);
- every ``.result`` block's bounds against the numbers its cell printed, and,
  without running anything, against every value its tolerance accepts
  (:func:`bounds_within_tolerance`), so that a claim resting on a bound holds
  wherever the tests pass.
"""

from __future__ import annotations

import configparser
import difflib
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from importlib import metadata

import yaml

from tools import layout, project
from tools.pages import lesson

SANITIZE = layout.ROOT / "tests" / "sanitize.cfg"
#: The environment that recorded each page's seeded blocks; tools/run/refresh_outputs.py writes it.
RECORDED = layout.EPISODES / "recorded-on.yaml"
#: Where tools/run/execute.py describes the run in an executed notebook's metadata.
RUN_KEY = "lesson_run"
#: A result line: ``name: number``.
RESULT_LINE = re.compile(r"^(?P<name>[^:\n]+):\s+(?P<value>-?\d[\d.eE+-]*)\s*$")
#: A number in an output, for the comparison within a tolerance.
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
#: The packages whose versions decide what a seed trains to, by backend.
DECISIVE = {"jax": ("keras", "numpy", "jax", "jaxlib"), "tensorflow": ("keras", "numpy", "tensorflow")}
#: The kernel's environment variables that change what the backend compiles for or runs on.
BACKEND_VARIABLES = ("XLA_FLAGS", "JAX_PLATFORMS", "ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS",
                     "CUDA_VISIBLE_DEVICES")


@functools.cache
def _substitutions() -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser()
    parser.read(SANITIZE, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def sanitized(text: str) -> str:
    for pattern, replacement in _substitutions():
        text = pattern.sub(replacement, text)
    return text.rstrip("\n")


# -- The run's environment -------------------------------------------------------

# Asked of the backend itself in a short-lived process with the kernel's variables:
# XLA names the processor it compiles for (its CPU topology: the LLVM target and
# its features, which --xla_cpu_max_isa caps); oneDNN prints the instruction set
# it dispatches to. Each prints one line of JSON: the device, and the processor.
_PROBES = {
    "jax": r"""
import glob, json, os, re, sys, jax
jax.jit(lambda x: x + 1)(1.0)
text = open(glob.glob(os.path.join(sys.argv[1], "*", "topology.textproto"))[0], "rb").read()
match = re.search(rb"\\022\\\d{3}([\w.-]+)\\032", text)
features = set(re.findall(rb"\+(avx512f|avx2|avx|sse4\.2)\b", text))
isa = next((n for f, n in ((b"avx512f", "AVX-512"), (b"avx2", "AVX2"), (b"avx", "AVX"),
                           (b"sse4.2", "SSE4.2")) if f in features), "")
name = match[1].decode() if match else "unknown"
print(json.dumps({"device": jax.default_backend(), "processor": f"{name} ({isa})" if isa else name}))
""",
    "tensorflow": r"""
import json, os, sys
os.environ["ONEDNN_VERBOSE"] = "1"
import tensorflow as tf
device = "gpu" if tf.config.list_physical_devices("GPU") else "cpu"
tf.matmul(tf.ones((64, 64)), tf.ones((64, 64)))
print(json.dumps({"device": device}))
""",
}


@functools.cache
def _probe(backend: str, variables: tuple) -> dict:
    env = {**os.environ, **dict(variables), "TF_CPP_MIN_LOG_LEVEL": "0"}
    with tempfile.TemporaryDirectory() as dump:
        if backend == "jax":
            env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_dump_to={dump}".strip()
        done = subprocess.run([sys.executable, "-c", _PROBES[backend], dump], env=env,
                              capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"device": "unknown", "processor": "unknown"}
    found = json.loads(lines[-1])
    if backend == "tensorflow":  # oneDNN's own line: "onednn_verbose,...,info,cpu,isa:Intel AVX2 ..."
        isa = re.search(r"isa:([^,\n]+)", done.stdout)
        found["processor"] = isa[1].strip() if isa else "oneDNN off"
    return found


def kernel_variables(env: dict) -> dict:
    """The variables of a kernel's environment that change what the backend compiles for or runs on."""
    return {key: env[key] for key in BACKEND_VARIABLES if env.get(key)}


def run_environment(backend: str, variables: dict | None = None) -> dict:
    """What decides the numbers a seed trains to, on this machine, in a kernel with these variables.

    The backend, the decisive packages' versions, the device (``cpu``, ``gpu``)
    and the processor as the backend compiles for it (XLA's target CPU with its
    widest vector instructions, e.g. ``znver3 (AVX2)``; oneDNN's instruction set).
    """
    versions = {}
    for name in DECISIVE.get(backend, ()):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"backend": backend, "versions": versions,
            **_probe(backend, tuple(sorted((variables or {}).items())))}


def run_of(executed) -> dict:
    """How tools/run/execute.py ran a notebook: its ``backend`` (when not the page's), kernel
    ``variables`` and whether the ``standin`` images were in use."""
    return executed.metadata.get(RUN_KEY) or {}


def recorded() -> dict:
    """Each page's recording environment (``RECORDED``), by page name."""
    return yaml.safe_load(RECORDED.read_text(encoding="utf-8")) or {} if RECORDED.exists() else {}


def pinned(backend: str) -> dict:
    """The lesson's pins of the packages that decide what a seed trains to on ``backend``."""
    return {name: project.pin(name).split("==")[1] for name in DECISIVE.get(backend, ())}


def seeded_judgement(page: lesson.Page, executed) -> tuple[str | None, str]:
    """How this run's seeded results are judged: ``"exact"``, ``"close"`` or None, and why."""
    run = run_of(executed)
    page_backend = page.backend or "tensorflow"
    backend = run.get("backend") or page_backend
    if backend != page_backend:
        return None, (f"Keras ran on {backend}, not on the page's {page_backend}: the same seed draws "
                      "other weights there, so only the bounds judge")
    if not any(code.output_seeded for code, _ in page.code()):
        return "exact", "the page has no seeded blocks"
    here = run_environment(backend, run.get("variables"))
    for name, pin in pinned(page_backend).items():
        if here["versions"].get(name) != pin:
            return None, f"{name} {here['versions'].get(name)} ran, not the lesson's {pin}: only the bounds judge"
    record = recorded().get(page.name)
    if record is None:
        return "close", f"{RECORDED.name} holds no environment for {page.name}"
    differ = [f"{key} {here.get(key)!r}, not the recorded {record.get(key)!r}"
              for key in ("backend", "versions", "device", "processor") if here.get(key) != record.get(key)]
    if differ:
        return "close", "; ".join(differ)
    return "exact", "the environment that recorded the page"


def _tolerance(written: str, recorded_value: float) -> float:
    if written.endswith("%"):
        return abs(recorded_value) * float(written[:-1]) / 100
    return float(written)


def _beyond_tolerance(code: lesson.Code, printed: str) -> list[str]:
    """How ``printed`` departs from a seeded block more than its tolerance allows; [] if it does not."""
    want, got = sanitized(code.output), sanitized(printed)
    if NUMBER.sub("#", want) != NUMBER.sub("#", got):
        return [f"the text differs, not only its numbers:\n  page:    {want!r}\n  printed: {got!r}"]
    found = []
    for line_want, line_got in zip(want.splitlines(), got.splitlines()):
        for a, b in zip(NUMBER.findall(line_want), NUMBER.findall(line_got)):
            allowed = _tolerance(code.tolerance or "0", float(a))
            if abs(float(a) - float(b)) > allowed + 1e-12:
                found.append(f"{b} printed where the page says {a} (in \"{line_want.strip()}\"): "
                             f"{abs(float(a) - float(b)):.4g} apart, beyond tolerance={code.tolerance}")
    return found


def differences(page: lesson.Page, executed, seeded: str | None = "exact") -> list[str]:
    """Each checked output block whose cell printed something else, with a diff.

    ``seeded``: how seeded blocks are judged (:func:`seeded_judgement`):
    ``"exact"``, ``"close"`` (within each block's tolerance), or None (not at all).
    """
    cells = lesson.cells_by_id(executed)
    problems = []
    for code, _ in page.code():
        if not code.checked or (code.output_seeded and not seeded) or code.kind == "no-test":
            continue
        cell = lesson.current_cell(cells, code)
        if cell is None:
            problems.append(f"{page.path.name}:{code.line}: the executed notebook does not hold "
                            f"this block as it stands: {layout.rerun(page.name)}")
            continue
        printed = lesson.output_text(cell, code) or ""
        if code.output_seeded and seeded == "close":
            problems += [f"{page.path.name}:{code.line}: {p}" for p in _beyond_tolerance(code, printed)]
            continue
        want, got = sanitized(code.output), sanitized(printed)
        if want != got:
            diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(),
                                                  "page", "printed", lineterm="", n=1))
            problems.append(f"{page.path.name}:{code.line}: the output differs from the page's\n{diff}")
    return problems


def judge(page: lesson.Page, executed, standin: bool | None = None) -> list[str]:
    """Everything the page promises of this run: its outputs as the environment allows, and its bounds."""
    mode, why = seeded_judgement(page, executed)
    problems = differences(page, executed, seeded=mode)
    if mode != "exact" and any(code.output_seeded for code, _ in page.code()):
        problems = [f"{p}\n  (seeded results judged {mode or 'by their bounds only'}: {why})" for p in problems]
    return problems + bound_failures(page, executed, standin_in_use() if standin is None else standin,
                                     seeded=mode is not None)


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


def bound_failures(page: lesson.Page, executed, standin: bool = False, seeded: bool = True) -> list[str]:
    """Each bound of the page's ``.result`` blocks that its run broke, or could not be read.

    ``standin``: the run used the test machines' stand-in images, so the
    ``standin-`` bounds apply as well. ``seeded=False``: the run trained other
    models from the page's seeds (another backend, other versions), so the
    seeded blocks' bounds, which state what the page's models do, are not judged.
    """
    cells = lesson.cells_by_id(executed)

    def ranges(code):
        if code.output_seeded and not seeded:
            return None
        return {name: (value, value) for name, value in _printed_results(cells.get(code.id), code).items()}
    return _broken_bounds(page, ranges, standin)


def bounds_within_tolerance(page: lesson.Page) -> list[str]:
    """Each bound that some value a seeded block's tolerance accepts would break.

    Read from the page alone: each result is its recorded value, give or take
    its block's tolerance (none for a checked block; a ``.varies`` result is not
    known and not judged here). A claim in words that rests on a bound then
    holds for every run the tests accept, on any processor.
    """
    def ranges(code):
        if not code.checked:
            return None
        found = {}
        for line in code.output.splitlines():
            match = RESULT_LINE.match(line.strip())
            if match:
                value = float(match["value"])
                spread = _tolerance(code.tolerance, value) if code.tolerance else 0.0
                found[match["name"].strip()] = (value - spread, value + spread)
        return found
    return _broken_bounds(page, ranges, standin=False)


def _broken_bounds(page: lesson.Page, ranges, standin: bool) -> list[str]:
    """The bounds broken by results known as ``ranges(code)``: {name: (lowest, highest)} per
    block, or None for a block whose values are not known (not judged)."""
    seen: dict[str, tuple[float, float]] = {}
    unknown = set()  # results not judged here, and the bounds that name them
    problems = []
    for code, _ in page.code():
        if not code.result:
            continue
        where = f"{page.path.name}:{code.line}"
        printed = ranges(code)
        if printed is None:
            unknown |= {line.split(":")[0].strip() for line in (code.output or "").splitlines()}
            continue
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
                    bound = (float(limit), float(limit))
                except ValueError:
                    if limit in unknown and limit not in seen:
                        continue
                    if limit not in seen:
                        problems.append(f"{where}: {key}={limit!r} names no result printed above")
                        continue
                    bound = seen[limit]
                edge = bound[1] if lower else bound[0]
                for name, (low, high) in printed.items():
                    worst = low if lower else high
                    if not (worst >= edge if lower else worst <= edge):
                        known = f"is {worst:g}" if low == high else f"may print {worst:g} within its tolerance"
                        problems.append(f"{where}: {name} {known}, {'below' if lower else 'above'} "
                                        f"its bound {key}={limit}" + ("" if limit == str(edge) else f" ({edge:g})"))
    return problems


def standin_in_use() -> bool:
    """Whether this run's data folder holds the test machines' stand-in images (tools/run/standin.py)."""
    from tools.run import standin

    return standin.in_use(os.environ.get("DLHELPERS_DATA"))
