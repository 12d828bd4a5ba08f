"""Looking at models (episode 2)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

GRAPHVIZ_HELP = (
    "Drawing a model needs the pydot package and a working Graphviz program `dot`. "
    "Install Graphviz with `conda install graphviz`, `sudo apt install graphviz` "
    "or `brew install graphviz` (Windows: graphviz.org/download), then restart "
    "the kernel. model.summary() shows the same layers as text."
)


def graphviz_problem() -> str | None:
    """What stops ``keras.utils.plot_model`` from drawing, or ``None`` when it can (episode 2).

    Draws a one-node graph with ``dot``, so a ``dot`` that is present but
    broken is found here rather than in the middle of a notebook.
    """
    try:
        import pydot  # noqa: F401
    except ImportError:
        return "the pydot package is not installed"
    dot = shutil.which("dot")
    if dot is None:
        return "the Graphviz program `dot` is not on the PATH"
    try:
        run = subprocess.run([dot, "-Tpng"], input=b"digraph { a }", capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{dot}` cannot be run ({error})"
    if run.returncode != 0 or not run.stdout.startswith(b"\x89PNG"):
        said = run.stderr.decode(errors="replace").strip().splitlines()
        return f"`{dot}` is installed but fails to draw ({said[-1] if said else f'exit code {run.returncode}'})"
    return None


def plot_model(model, **kwargs):
    """Draw ``model`` as a graph of layers with shapes, or explain what is missing (episode 2).

    Returns what ``keras.utils.plot_model`` returns (an image in a notebook),
    or ``None`` after printing what is wrong and how to install Graphviz.
    """
    problem = graphviz_problem()
    if problem is not None:
        print(f"Cannot draw the model: {problem}.\n{GRAPHVIZ_HELP}")
        return None
    import keras

    kwargs.setdefault("show_shapes", True)
    kwargs.setdefault("to_file", str(Path(tempfile.mkdtemp()) / f"{model.name}.png"))
    return keras.utils.plot_model(model, **kwargs)
