"""Looking at models (episode 2)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

GRAPHVIZ_HELP = (
    "Drawing a model needs the pydot package and the Graphviz program `dot`. "
    "Install Graphviz with `conda install graphviz`, `sudo apt install graphviz` "
    "or `brew install graphviz` (Windows: graphviz.org/download), then restart "
    "the kernel. model.summary() shows the same layers as text."
)


def graphviz_available() -> bool:
    """Whether ``keras.utils.plot_model`` can draw: pydot importable and ``dot`` on the PATH."""
    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


def plot_model(model, **kwargs):
    """Draw ``model`` as a graph of layers with shapes, or explain what is missing (episode 2).

    Returns what ``keras.utils.plot_model`` returns (an image in a notebook),
    or ``None`` after printing how to install Graphviz when it is absent.
    """
    if not graphviz_available():
        print(GRAPHVIZ_HELP)
        return None
    import keras

    kwargs.setdefault("show_shapes", True)
    kwargs.setdefault("to_file", str(Path(tempfile.mkdtemp()) / f"{model.name}.png"))
    return keras.utils.plot_model(model, **kwargs)
