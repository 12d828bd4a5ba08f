"""Draw the lesson's concept diagrams, the pictures no code cell produces.

    python -m tools.builders.draw_figures            # (re)write episodes/fig/*.svg
    python -m tools.builders.draw_figures --check    # exit 1 if a committed SVG differs from its drawing

Every diagram is a function below that draws on a matplotlib Figure. The
SVGs under ``episodes/fig/`` are committed and shown on the website; the
notebook generator draws the same diagrams as small PNGs and embeds them in
the notebooks (``png_data_uri``), so they show in JupyterLab and Colab alike,
offline too. ``tests/test_pages.py`` checks that the committed SVGs are what
this script draws and that every image a page links exists.

The output is deterministic for fixed matplotlib and Pillow versions
(requirements.txt pins both): no dates in the metadata, fixed SVG ids, text
kept as text.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure  # no pyplot: drawing needs no display backend
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch, Rectangle

from tools.builders import generated
from tools.layout import ROOT

FIG = ROOT / "episodes" / "fig"

STYLE = {
    "svg.fonttype": "none",        # text stays text: small files, searchable
    "svg.hashsalt": "dl-lesson",   # fixed element ids
    "font.family": "DejaVu Sans",  # ships with matplotlib, so the layout is the same everywhere
    "font.size": 11,
}
BLUE, ORANGE, GREEN, GREY, RED = "#4C72B0", "#DD8452", "#55A868", "#8C8C8C", "#C44E52"
LIGHT = {"blue": "#DCE6F2", "orange": "#F8E0D0", "green": "#DDEEDF", "grey": "#EEEEEE"}


# ---------------------------------------------------------------- drawing helpers

def _canvas(width: float, height: float, xlim, ylim):
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _node(ax, x, y, text="", color=BLUE, fill="white", r=0.32, size=11):
    ax.add_patch(Circle((x, y), r, facecolor=fill, edgecolor=color, linewidth=2, zorder=3))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=4)


def _arrow(ax, start, end, color="black", shrink=14, width=1.3, style="-|>", **kwargs):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color,
                                 linewidth=width, shrinkA=shrink, shrinkB=shrink, zorder=2,
                                 **kwargs))


def _box(ax, x, y, w, h, text, edge=BLUE, fill="white", size=11, **text_kwargs):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=fill, edgecolor=edge, linewidth=2, zorder=3))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, zorder=4,
            **text_kwargs)


def _grid(ax, x0, y0, values, cell=0.5, fills=None, size=10, edge=GREY):
    """A table of numbers drawn as squares; row 0 at the top."""
    values = np.asarray(values)
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            fill = fills[r][c] if fills is not None else "white"
            x, y = x0 + c * cell, y0 + (rows - 1 - r) * cell
            ax.add_patch(Rectangle((x, y), cell, cell, facecolor=fill, edgecolor=edge,
                                   linewidth=1, zorder=2))
            ax.text(x + cell / 2, y + cell / 2, f"{values[r, c]:g}", ha="center", va="center",
                    fontsize=size, zorder=3)


# ---------------------------------------------------------------- the diagrams

def ai_ml_dl():
    """Episode 1: deep learning inside machine learning inside artificial intelligence."""
    fig, ax = _canvas(6, 3.6, (0, 10), (0, 6))
    for (w, h, y, fill, edge, label, label_y) in (
        (9.6, 5.8, 3.0, LIGHT["grey"], GREY, "Artificial intelligence", 5.3),
        (7.4, 4.3, 2.45, LIGHT["blue"], BLUE, "Machine learning", 4.05),
        (4.6, 2.4, 1.8, LIGHT["orange"], ORANGE, "Deep learning", 1.8),
    ):
        ax.add_patch(Ellipse((5, y), w, h, facecolor=fill, edgecolor=edge, linewidth=2))
        ax.text(5, label_y, label, ha="center", va="center", fontsize=13, fontweight="bold")
    ax.text(5, 1.25, "neural networks with many layers", ha="center", fontsize=10)
    ax.text(5, 3.45, "learns rules from data", ha="center", fontsize=10)
    ax.text(5, 4.85, "computers doing tasks that seem to need intelligence", ha="center",
            fontsize=10)
    return fig


def neuron():
    """Episode 1: one neuron, output = f(sum of x_i * w_i + b)."""
    fig, ax = _canvas(7, 3.2, (0, 11), (0, 5))
    for i, y in enumerate((4.0, 2.5, 1.0)):
        _node(ax, 1, y, f"$x_{i + 1}$", color=GREEN)
        _arrow(ax, (1, y), (5, 2.5))
        ax.text(3.0, (y + 2.5) / 2 + 0.25, f"$w_{i + 1}$", ha="center", fontsize=12, color=BLUE)
    _node(ax, 5.3, 2.5, r"$\Sigma$", r=0.7, size=18)
    ax.text(5.3, 3.55, "+ bias $b$", ha="center", fontsize=11)
    _box(ax, 6.9, 1.9, 1.5, 1.2, "$f$", edge=ORANGE, size=16)
    ax.text(7.65, 1.45, "activation", ha="center", fontsize=10)
    _arrow(ax, (6.0, 2.5), (6.9, 2.5), shrink=2)
    _arrow(ax, (8.4, 2.5), (9.6, 2.5), shrink=2)
    ax.text(9.7, 2.5, "output", va="center", fontsize=11)
    ax.text(5.5, 0.25, r"output $= f\,(x_1 w_1 + x_2 w_2 + x_3 w_3 + b)$", ha="center",
            fontsize=12)
    return fig


def network_two_relu():
    """Episode 1: the network with two hidden ReLU neurons of the optional logic-gate challenge."""
    fig, ax = _canvas(7, 3.8, (0, 11), (-0.6, 5.4))
    inputs, hidden, output = [(1.5, 3.8), (1.5, 1.2)], [(5.5, 3.8), (5.5, 1.2)], (9.2, 2.5)
    weights = {(0, 0): "1", (0, 1): "−1", (1, 0): "−1", (1, 1): "1"}
    for (i, j), w in weights.items():
        (x0, y0), (x1, y1) = inputs[i], hidden[j]
        _arrow(ax, (x0, y0), (x1, y1), shrink=20)
        # the weight sits on its own arrow, a quarter of the way along
        ax.text(x0 + 0.27 * (x1 - x0), y0 + 0.27 * (y1 - y0) + 0.22, w, ha="center",
                fontsize=12, color=BLUE, fontweight="bold",
                bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
    for h in hidden:
        _arrow(ax, h, output, shrink=20)
        ax.text(h[0] + 0.5 * (output[0] - h[0]), h[1] + 0.5 * (output[1] - h[1]) + 0.25, "1",
                ha="center", fontsize=12, color=BLUE, fontweight="bold",
                bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
    for k, p in enumerate(inputs):
        _node(ax, *p, f"$x_{k + 1}$", color=GREEN, r=0.45)
    for k, p in enumerate(hidden):
        _node(ax, *p, "ReLU", color=ORANGE, r=0.55, size=10)
    _node(ax, *output, "out", color=BLUE, r=0.5, size=10)
    for x, label in ((1.5, "input layer"), (5.5, "hidden layer"), (9.2, "output layer")):
        ax.text(x, -0.4, label, ha="center", fontsize=11, color="#333333")
    ax.text(5.5, 5.0, "all biases 0", ha="center", fontsize=10, color=GREY)
    return fig


def deep_network():
    """Episode 1: a deep network, every neuron of a layer connected to every neuron of the next."""
    sizes, gap = (3, 5, 5, 5, 5, 2), 1.7
    fig, ax = _canvas(7.5, 3.9, (-0.6, gap * (len(sizes) - 1) + 0.6), (-1.1, 4.9))
    columns = [[(k * gap, 2 + (n - 1) / 2 * 0.85 - i * 0.85) for i in range(n)] for k, n in enumerate(sizes)]
    for left, right in zip(columns, columns[1:]):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.plot((x0, x1), (y0, y1), color=GREY, linewidth=0.6, zorder=1)
    for k, column in enumerate(columns):
        color = GREEN if k == 0 else BLUE if k == len(columns) - 1 else ORANGE
        for x, y in column:
            _node(ax, x, y, color=color, r=0.22)
    hidden = [x for x, _ in columns[1]] + [x for x, _ in columns[-2]]
    ax.text(0, -0.75, "input layer", ha="center", fontsize=11)
    ax.text((min(hidden) + max(hidden)) / 2, -0.75, "hidden layers", ha="center", fontsize=11)
    ax.text(columns[-1][0][0], -0.75, "output layer", ha="center", fontsize=11)
    return fig


def gradient_descent():
    """Episodes 1 and 3: steps against the slope of a loss curve, for two learning rates."""
    fig = Figure(figsize=(8, 3.2))
    axes = fig.subplots(1, 2)
    w = np.linspace(-3, 3, 200)

    def loss(x):
        return 0.5 * x**2 + 0.3

    for ax, rate, title in ((axes[0], 0.3, "small learning rate: steady steps downhill"),
                            (axes[1], 1.8, "too large: the steps overshoot")):
        ax.plot(w, loss(w), color=GREY, linewidth=2)
        x = -2.6
        points = [x]
        for _ in range(6):
            x = x - rate * x  # gradient of 0.5 x^2 is x
            points.append(x)
        points = np.array(points)
        ax.plot(points, loss(points), "o", color=ORANGE, zorder=3)
        for a, b in zip(points[:-1], points[1:]):
            ax.annotate("", (b, loss(b)), (a, loss(a)),
                        arrowprops=dict(arrowstyle="-|>", color=BLUE, linewidth=1.3,
                                        shrinkA=4, shrinkB=4))
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("weight")
        ax.set_ylabel("loss")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylim(0, 5)
        ax.annotate("minimum", (0, 0.3), (0.6, 1.6), fontsize=10,
                    arrowprops=dict(arrowstyle="->", color="black"))
    fig.tight_layout()
    return fig


def convolution():
    """Episode 4: a 3x3 kernel sliding over a zero-padded image."""
    fig, ax = _canvas(9, 3.7, (0, 17.2), (-0.9, 6.2))
    image = np.array([[0, 0, 0, 0, 0, 0, 0],
                      [0, 9, 9, 9, 9, 9, 0],
                      [0, 9, 9, 9, 9, 9, 0],
                      [0, 0, 0, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0]])
    kernel = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]])
    fills = [["white"] * 7 for _ in range(7)]
    for r in range(7):
        for c in range(7):
            if r in (0, 6) or c in (0, 6):
                fills[r][c] = LIGHT["grey"]
    for r in range(3):
        for c in range(3):
            fills[r][c] = LIGHT["orange"]  # where the kernel is now
    cell = 0.8
    _grid(ax, 0.2, 0.2, image, cell=cell, fills=fills)
    ax.add_patch(Rectangle((0.2, 0.2 + 4 * cell), 3 * cell, 3 * cell, fill=False,
                           edgecolor=ORANGE, linewidth=3, zorder=4))
    ax.text(3.0, -0.55, "image, padded with a border of zeros (grey)", ha="center", fontsize=10)
    ax.text(7.0, 3.0, "×", ha="center", va="center", fontsize=22)
    _grid(ax, 7.7, 1.8, kernel, cell=cell, fills=[[LIGHT["blue"]] * 3] * 3)
    ax.text(8.9, 1.1, "3×3 kernel", ha="center", fontsize=10)
    ax.text(10.7, 3.0, "=", ha="center", va="center", fontsize=22)
    out = np.zeros((5, 5), dtype=int)
    for r in range(5):
        for c in range(5):
            out[r, c] = int((image[r:r + 3, c:c + 3] * kernel).sum())
    out_fills = [["white"] * 5 for _ in range(5)]
    out_fills[0][0] = LIGHT["orange"]
    _grid(ax, 11.4, 1.0, out, cell=cell, fills=out_fills)
    ax.text(13.4, 0.3, "output: one weighted sum per\nkernel position (orange: the one shown)", ha="center", va="top",
            fontsize=10)
    return fig


def max_pooling():
    """Episode 4: 2x2 max pooling halves height and width."""
    fig, ax = _canvas(6.5, 2.8, (0, 11), (-0.7, 4.1))
    values = np.array([[1, 3, 2, 0], [5, 2, 1, 1], [0, 1, 7, 2], [2, 4, 3, 6]])
    colours = [LIGHT["blue"], LIGHT["orange"], LIGHT["green"], LIGHT["grey"]]
    fills = [[colours[(r // 2) * 2 + c // 2] for c in range(4)] for r in range(4)]
    _grid(ax, 0.5, 0.3, values, cell=0.85, fills=fills, size=12)
    pooled = values.reshape(2, 2, 2, 2).max(axis=(1, 3))
    _grid(ax, 7.2, 1.15, pooled, cell=0.85, fills=[colours[:2], colours[2:]], size=12)
    _arrow(ax, (4.3, 2.0), (6.9, 2.0), shrink=2)
    ax.text(5.6, 2.3, "max of each\n2×2 block", ha="center", va="bottom", fontsize=10)
    ax.text(2.2, -0.5, "4×4 feature map", ha="center", fontsize=10)
    ax.text(8.05, 0.6, "2×2 output", ha="center", fontsize=10)
    return fig


def dropout():
    """Episode 4: dropout switches off random neurons at each training step."""
    fig = Figure(figsize=(8, 3.3))
    axes = fig.subplots(1, 2)
    layers = [3, 5, 5, 2]
    rng = np.random.default_rng(3)
    dropped = {1: set(rng.choice(5, 2, replace=False)), 2: set(rng.choice(5, 2, replace=False))}
    for ax, title, drop in ((axes[0], "prediction: every neuron used", {}),
                            (axes[1], "one training step with dropout 0.4", dropped)):
        ax.set_xlim(-0.5, 3.5)
        ax.set_ylim(-0.6, 4.6)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=11)
        positions = [[(i, 2 + (k - (n - 1) / 2)) for k in range(n)] for i, n in enumerate(layers)]
        for i in range(len(layers) - 1):
            for k, a in enumerate(positions[i]):
                for m, b in enumerate(positions[i + 1]):
                    off = k in drop.get(i, ()) or m in drop.get(i + 1, ())
                    ax.plot(*zip(a, b), color="#DDDDDD" if off else GREY,
                            linewidth=0.6 if off else 1.0, zorder=1)
        for i, column in enumerate(positions):
            for k, (x, y) in enumerate(column):
                off = k in drop.get(i, ())
                ax.add_patch(Circle((x, y), 0.22, facecolor="white",
                                    edgecolor="#CCCCCC" if off else BLUE, linewidth=2, zorder=3))
                if off:
                    ax.plot([x - 0.15, x + 0.15], [y - 0.15, y + 0.15], color=RED, zorder=4)
                    ax.plot([x - 0.15, x + 0.15], [y + 0.15, y - 0.15], color=RED, zorder=4)
    fig.tight_layout()
    return fig


def transfer_learning():
    """Episode 5: a frozen pretrained base and a new, trained head."""
    fig, ax = _canvas(9, 3.0, (0, 18), (-0.4, 5.6))
    _box(ax, 0.2, 1.8, 2.2, 1.6, "photo\n64×64", edge=GREEN)
    _box(ax, 3.2, 1.8, 2.3, 1.6, "resize and\nrescale", edge=GREY)
    ax.add_patch(FancyBboxPatch((6.3, 0.9), 5.6, 3.4, boxstyle="round,pad=0.02,rounding_size=0.2",
                                facecolor=LIGHT["blue"], edgecolor=BLUE, linewidth=2))
    for k in range(4):
        ax.add_patch(Rectangle((6.7 + k * 1.3, 1.4 + 0.25 * k), 0.9, 2.4 - 0.5 * k,
                               facecolor="white", edgecolor=BLUE, linewidth=1.5))
    ax.text(9.1, 4.75, "pretrained base (ImageNet): frozen", ha="center", fontsize=11,
            fontweight="bold", color=BLUE)
    ax.text(9.1, 0.25, "weights kept as they are", ha="center", fontsize=10, color=BLUE)
    _box(ax, 12.8, 1.8, 2.3, 1.6, "features", edge=GREY)
    _box(ax, 15.8, 1.3, 2.0, 2.6, "new\nhead", edge=ORANGE, fill=LIGHT["orange"], size=12,
         fontweight="bold")
    ax.text(16.8, 0.25, "10 classes", ha="center", fontsize=10)
    for a, b in ((2.4, 3.2), (5.5, 6.3), (11.9, 12.8), (15.1, 15.8)):
        _arrow(ax, (a, 2.6), (b, 2.6), shrink=1)
    return fig


def siamese():
    """Episode 6: a Siamese network compares two inputs with one shared embedder."""
    fig, ax = _canvas(8.5, 3.4, (0, 17), (-0.3, 6.6))
    for y, name in ((4.6, "spectrum A"), (0.8, "spectrum B")):
        _box(ax, 0.2, y, 2.8, 1.2, name, edge=GREEN)
        _box(ax, 9.2, y, 2.4, 1.2, "embedding", edge=GREY)
        _arrow(ax, (3.0, y + 0.6), (5.0, 3.3 + (0.5 if y > 3 else -0.5)), shrink=2)
        _arrow(ax, (8.2, 3.3 + (0.5 if y > 3 else -0.5)), (9.2, y + 0.6), shrink=2)
        _arrow(ax, (11.6, y + 0.6), (12.9, 3.3), shrink=2)
    _box(ax, 5.0, 2.2, 3.2, 2.2, "embedder\n(shared\nweights)", edge=ORANGE, fill=LIGHT["orange"])
    _box(ax, 12.9, 2.5, 3.9, 1.6, "cosine\nsimilarity", edge=BLUE, fill=LIGHT["blue"])
    ax.text(6.6, 5.3, "one network,\nused twice", ha="center", fontsize=10, color=ORANGE)
    return fig


#: File name (without .svg) -> drawing function.
FIGURES = {
    "ai-ml-dl": ai_ml_dl,
    "neuron": neuron,
    "network-two-relu": network_two_relu,
    "deep-network": deep_network,
    "gradient-descent": gradient_descent,
    "convolution": convolution,
    "max-pooling": max_pooling,
    "dropout": dropout,
    "transfer-learning": transfer_learning,
    "siamese": siamese,
}


# ---------------------------------------------------------------- output

def render(name: str, fmt: str = "svg") -> bytes:
    """One diagram as SVG text or PNG bytes, the same on every run."""
    with matplotlib.rc_context(STYLE):
        fig = FIGURES[name]()
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=72 if fmt == "png" else 100,
                    bbox_inches="tight", pad_inches=0.05, facecolor="white")
    data = buffer.getvalue()
    if fmt == "png":
        data = _small_png(data)
    return data


def _small_png(data: bytes) -> bytes:
    """A PNG reduced to a 32-colour palette: a few kilobytes for a diagram."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(32)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_data_uri(svg_path: str) -> str:
    """The diagram behind ``fig/NAME.svg`` as a PNG ``data:`` URI for a notebook."""
    name = Path(svg_path).stem
    return "data:image/png;base64," + base64.b64encode(render(name, "png")).decode("ascii")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    wanted = {FIG / f"{name}.svg": render(name) for name in FIGURES}
    return generated.sync(wanted, list(FIG.glob("*.svg")), args.check,
                          stale="differs from its drawing", orphan="no function draws",
                          fix="Run `python -m tools.builders.draw_figures` (or `make figures`) "
                              "and commit episodes/fig/.")


if __name__ == "__main__":
    sys.exit(main())
