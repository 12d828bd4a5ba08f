"""The installation check behind ``python -m dlhelpers check`` (episode 1)."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import re
import sys

from . import backend, cache, validate
from .models import graphviz_problem

#: Packages the check reports, by distribution name.
CHECKED = (
    "tensorflow", "jax", "keras", "numpy", "pandas", "matplotlib", "seaborn",
    "scikit-learn", "pooch", "palmerpenguins", "keras-tuner",
)
#: Major versions the lesson cannot run without; anything else is a warning.
REQUIRED_MAJOR = {"keras": 3, "tensorflow": 2}
#: Where no TensorFlow wheel exists at all, whatever the Python: (system, machine).
NO_TENSORFLOW = {("Darwin", "x86_64"): "Intel Macs", ("Windows", "ARM64"): "Windows on ARM"}
SETUP_PAGE = "the setup page's section for your system"


def _python_version() -> tuple[int, int]:
    return sys.version_info[:2]


def on_colab() -> bool:
    """Whether this runs in a Google Colab runtime (Colab sets ``COLAB_RELEASE_TAG``)."""
    return bool(os.environ.get("COLAB_RELEASE_TAG")) or "google.colab" in sys.modules


def supported_pythons() -> tuple[str, ...]:
    """The Pythons the lesson's pins install on, oldest first ("3.11", ...).

    pyproject.toml's classifiers are their one home, read here from the
    installed package's metadata; empty where the helpers are not installed.
    """
    try:
        classifiers = importlib.metadata.metadata("dlhelpers").get_all("Classifier") or []
    except importlib.metadata.PackageNotFoundError:
        return ()
    found = [m[1] for c in classifiers if (m := re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", c))]
    return tuple(sorted(found, key=lambda version: int(version.split(".")[1])))


def python_problem(version: tuple[int, int] | None = None) -> str | None:
    """What is wrong with this Python for the lesson, with how to get a suitable one; None if fine."""
    version = version or _python_version()
    pythons = supported_pythons()
    if not pythons or f"{version[0]}.{version[1]}" in pythons:
        return None
    newest = pythons[-1]
    return (f"Python {version[0]}.{version[1]} is not supported: the lesson's TensorFlow has wheels "
            f"for Python {', '.join(pythons)} only, so `pip install` fails with \"No matching distribution "
            f"found for tensorflow\". Install Python {newest} (python.org; on Windows `py install "
            f"{newest}`; or Miniforge with environment.yml, see {SETUP_PAGE}), make a new "
            "virtual environment with it, or use Colab.")


def platform_problem(system: str | None = None, machine: str | None = None) -> str | None:
    """Say so on a system with no TensorFlow wheel (Intel Macs, Windows on ARM); else None."""
    where = NO_TENSORFLOW.get((system or platform.system(), machine or platform.machine()))
    if where is None:
        return None
    return (f"TensorFlow publishes no wheels for {where}, so episodes 4 and 5 cannot run here: "
            "use Colab for the lesson (the setup page's Colab section).")


def install_advice() -> str:
    """How to install what is missing, where this runs."""
    if on_colab():
        return "run the notebook's first code cell, which installs what Colab lacks"
    return "run `pip install -r requirements.txt` in the lesson's environment"



def pinned_versions() -> dict[str, str]:
    """The versions the lesson is tested with: the ``lesson`` extra's ``name==version`` pins.

    Read from the installed package's own metadata (pyproject.toml is their
    one home), so this works wherever dlhelpers is installed.
    """
    try:
        requires = importlib.metadata.requires("dlhelpers") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    pins = {}
    for requirement in requires:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)\s*;.*extra\s*==\s*['\"]lesson['\"]",
                         requirement)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def run_checks(show_data: bool = True) -> tuple[list[str], list[str]]:
    """Print the installation report; return (problems, warnings)."""
    problems: list[str] = []
    warnings: list[str] = []
    colab = on_colab()
    major, minor = _python_version()
    print(f"Python          {major}.{minor}" + (" (Google Colab)" if colab else ""))
    for problem in (python_problem(), platform_problem()):
        if problem:
            problems.append(problem)
    pins = pinned_versions()
    for name in CHECKED:
        version = _installed(name)
        pin = pins.get(name)
        note = f"(lesson tested with {pin})" if pin and pin != version else ""
        print(f"{name:<15} {version or 'MISSING':<10} {note}")
        if version is None and name == "jax":
            warnings.append(
                "jax is not installed, so the pages that ask for JAX run on TensorFlow: the lesson "
                "runs, more slowly, and trained models print numbers a little different from the "
                f"pages. To install it, {install_advice()}.")
            continue
        if version is None:
            problems.append(f"{name} is not installed: {install_advice()}.")
            continue
        major = REQUIRED_MAJOR.get(name)
        if major is not None and int(version.split(".")[0]) != major:
            problems.append(
                f"{name} {version} is installed but the lesson needs {name} {major}.x: "
                f"run `pip install -r requirements.txt` (pins {name}=={pin or f'{major}.*'})."
            )
        elif pin and pin.split(".")[:2] != version.split(".")[:2] and not colab:
            # Colab's own versions are tested too (`make colab`), so they are no surprise there.
            warnings.append(f"{name} {version} differs from the tested {pin}; most things should still work.")
    described = _report_backend(warnings)
    _report_gpu(described, warnings)
    graphviz = graphviz_problem()
    if graphviz is None:
        print("Graphviz        working (keras.utils.plot_model can draw models)")
    else:
        print(f"Graphviz        not usable: {graphviz} (optional: only for drawing models in episode 2)")
    if show_data:
        problems += check_data(warnings)
    return problems, warnings


def needed(name: str) -> bool:
    """Whether the lesson's notebooks need file ``name`` (not optional)."""
    return not cache.REGISTRY[name].optional


def check_data(warnings: list[str]) -> list[str]:
    """Verify every cached file; return the problems with what is needed.

    A file that is there gets a line of its own, saying what was verified (or
    what is wrong and its fix). The files not downloaded yet share one line,
    and one command fetches them all.
    """
    problems = []
    folder = cache.cache_dir()
    origin = f"set by {cache.CACHE_ENV}" if os.environ.get(cache.CACHE_ENV, "").strip() else "default"
    print(f"Data cache      {folder} ({origin})")
    states = {name: cache.status(name) for name in cache.REGISTRY}
    missing = [name for name, found in states.items() if found.state == "missing"]
    for name, found in states.items():
        if found.state == "missing":
            continue
        print(f"  {found.state:<10} {name}{'' if needed(name) else ' (optional)'}: {found.detail}")
        if not found.ok and needed(name):
            problems.append(f"{name} ({found.path}) is {found.state}: {found.detail}.")
    if missing:
        print(f"  {'missing':<10} " + ", ".join(name + ("" if needed(name) else " (optional)")
                                           for name in missing))
        lacking = [name for name in missing if needed(name)]
        if lacking:
            files = "1 data file is" if len(lacking) == 1 else f"{len(lacking)} data files are"
            problems.append(f"{files} not downloaded yet: run `python -m dlhelpers download`, "
                            "which fetches every missing file (the optional ones too).")
    # As loading does: each set's images and labels must have one row each.
    for what in ("train", "test"):
        images, labels = (states[f"dollar_street_{what}_{part}"] for part in ("images", "labels"))
        if images.ok and labels.ok:
            try:
                validate.check_same_length(images.path, labels.path, what)
            except validate.ContentError as error:
                problems.append(f"Dollar Street 10: {error}. Delete the dollar_street_10 folder in "
                                "the cache and run `python -m dlhelpers download` again.")
    strays = cache.stray_partials()
    if strays:
        warnings.append(
            f"{len(strays)} unfinished download(s) left in the cache ({', '.join(p.name for p in strays)}); "
            "`python -m dlhelpers download` removes them."
        )
    return problems


def _report_backend(warnings: list[str]) -> str:
    """Print the backend Keras runs on and its device; return that, e.g. ``jax on cpu``.

    In a notebook, after the page's ``dlh.use_backend(...)``, that is the
    page's backend; from the command line, where no page chose one, the
    backends the lesson uses are listed instead.
    """
    if backend.requested is None:
        found = [f"{shown} ({'installed' if _installed(name) else 'MISSING'})"
                 for name, shown in backend.NAMES.items()]
        print(f"Keras backends  {', '.join(found)}; each page sets its own")
        if not _installed("jax"):
            return ""
        try:  # the dense pages' backend: its device decides what the GPU line says
            with _native_stderr_silenced():
                return backend.describe("jax")
        except Exception:  # JAX broken: reported above
            return "jax"
    try:
        with _native_stderr_silenced():
            described = backend.describe()
    except Exception as exc:  # Keras missing or broken: reported above
        print(f"Keras backend   not usable: {type(exc).__name__}: {exc}")
        return ""
    why = backend.mismatch()
    print(f"Keras backend   {described}" + ("" if why is None else f" (the page asked for {backend.requested})"))
    if why is not None:
        warnings.append(f"{why}; numbers will differ a little from the page's.")
    return described


def _report_gpu(described: str, warnings: list[str]) -> None:
    try:
        with _native_stderr_silenced():  # TensorFlow's C++ start-up lines
            import tensorflow as tf

            tf_gpus = len(tf.config.list_physical_devices("GPU"))
    except Exception:  # TensorFlow missing or broken: reported above
        tf_gpus = 0
    if described.startswith("jax"):
        if described.endswith("gpu"):
            print("GPU             found; Keras (on JAX) uses it automatically")
            return
        if tf_gpus:
            print(f"GPU             {tf_gpus} found by TensorFlow, but JAX has no GPU support installed")
            jax_pin = pinned_versions().get("jax") or _installed("jax")  # pyproject's pin, the one home
            warnings.append(
                f'JAX runs on the CPU although there is a GPU: install `pip install "jax[cuda12]=={jax_pin}"` '
                "(setup page, 'A GPU'), or set KERAS_BACKEND=tensorflow to use TensorFlow's GPU support.")
            return
    elif tf_gpus:
        print(f"GPU             {tf_gpus} found; Keras will use it automatically")
        return
    print("GPU             none found; the lesson runs on the CPU (Colab offers a GPU)")


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send what C++ libraries write to the process's stderr to /dev/null for a moment."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def check_setup(data: bool = True) -> bool:
    """Print versions, GPU, Graphviz and every data file verified, then a verdict (episode 1).

    Returns True when the lesson can run: everything needed is installed,
    and, with ``data=True``, every file the notebooks need is cached and valid.
    """
    problems, warnings = run_checks(show_data=data)
    for warning in warnings:
        print("Note:", warning)
    for problem in problems:
        print("PROBLEM:", problem)
    what = "installed and downloaded" if data else "installed"
    print(f"Everything needed is {what}." if not problems else "Fix the problems above.")
    return not problems
