"""The installation check behind ``python -m dlhelpers check`` (episode 1)."""

from __future__ import annotations

import importlib.metadata
import platform
import re
import sys
from pathlib import Path

from . import data
from .models import graphviz_available

#: Packages the check reports, by distribution name.
CHECKED = (
    "tensorflow", "keras", "numpy", "pandas", "matplotlib", "seaborn",
    "scikit-learn", "pooch", "palmerpenguins", "keras-tuner",
)
#: Major versions the lesson cannot run without; anything else is a warning.
REQUIRED_MAJOR = {"keras": 3, "tensorflow": 2}
PYTHON_RANGE = ((3, 11), (3, 12))

_REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"


def pinned_versions(path: Path = _REQUIREMENTS) -> dict[str, str]:
    """The ``name==version`` pins of the lesson's requirements.txt (empty outside a checkout)."""
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
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
    python = platform.python_version()
    low, high = PYTHON_RANGE
    print(f"Python          {python}")
    if not low <= sys.version_info[:2] <= high:
        problems.append(
            f"Python {python} is not supported: use Python {low[0]}.{low[1]}-{high[0]}.{high[1]} "
            "(TensorFlow wheels exist only for those)."
        )
    pins = pinned_versions()
    for name in CHECKED:
        version = _installed(name)
        pin = pins.get(name)
        note = f"(lesson tested with {pin})" if pin and pin != version else ""
        print(f"{name:<15} {version or 'MISSING':<10} {note}")
        if version is None:
            problems.append(f"{name} is not installed: run `pip install -r requirements.txt`.")
            continue
        major = REQUIRED_MAJOR.get(name)
        if major is not None and int(version.split(".")[0]) != major:
            problems.append(
                f"{name} {version} is installed but the lesson needs {name} {major}.x: "
                f"run `pip install -r requirements.txt` (pins {name}=={pin or f'{major}.*'})."
            )
        elif pin and pin.split(".")[:2] != version.split(".")[:2]:
            warnings.append(f"{name} {version} differs from the tested {pin}; most things should still work.")
    _report_gpu()
    if graphviz_available():
        print("Graphviz        found (keras.utils.plot_model can draw models)")
    else:
        print("Graphviz        not found (optional: only for drawing models in episode 2)")
    if show_data:
        print(f"Data cache      {data.cache_dir()}")
        for name, entry in data.REGISTRY.items():
            state = "cached" if data.is_cached(name) else "not downloaded yet"
            print(f"  {entry.path:<76} {state}")
    return problems, warnings


def _report_gpu() -> None:
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
    except Exception:  # TensorFlow missing or broken: reported above
        gpus = []
    if gpus:
        print(f"GPU             {len(gpus)} found; Keras will use it automatically")
    else:
        print("GPU             none found; the lesson runs on the CPU (Colab offers a GPU)")


def check_setup() -> bool:
    """Print versions, GPU, Graphviz and cached data, then a verdict (episode 1).

    Returns True when the lesson can run.
    """
    problems, warnings = run_checks()
    for warning in warnings:
        print("Note:", warning)
    for problem in problems:
        print("PROBLEM:", problem)
    print("Everything needed is installed." if not problems else "Fix the problems above.")
    return not problems
