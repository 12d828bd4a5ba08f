"""Plots that more than one episode draws. Each returns its matplotlib Figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


class LessonFigure(Figure):
    """A matplotlib Figure that a notebook shows once, not twice.

    Jupyter draws every open pyplot figure at the end of a cell, and would
    draw a figure returned as the cell's last value a second time. This class
    draws itself and then closes, so whichever asks first shows it.
    """

    def _ipython_display_(self):
        from IPython.display import Image, display

        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(self)
        display(Image(buffer.getvalue()))


def _subplots(*args, **kwargs):
    return plt.subplots(*args, FigureClass=LessonFigure, **kwargs)


def plot_history(history, metrics: str | Sequence[str] = "loss", validation: bool = True):
    """Training curves of ``metrics`` per epoch, with their validation curves (episodes 2-5).

    ``history`` is what ``model.fit`` returns, or its ``.history`` dict. A
    metric's ``val_`` curve is drawn beside it when it was recorded, unless
    ``validation=False`` (episode 3 looks at the training curve first).
    """
    if isinstance(metrics, str):
        metrics = [metrics]
    values = history.history if hasattr(history, "history") else history
    frame = pd.DataFrame(values)
    missing = [m for m in metrics if m not in frame]
    if missing:
        raise KeyError(f"{missing} not in history; recorded: {list(frame.columns)}")
    fig, axes = _subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        epochs = np.arange(1, len(frame) + 1)
        ax.plot(epochs, frame[metric], label=f"training {metric}")
        if validation and f"val_{metric}" in frame:
            ax.plot(epochs, frame[f"val_{metric}"], label=f"validation {metric}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_predictions(true, predicted, title: str = "", unit: str = "", ax=None):
    """Scatter of predicted against true values, with the line of perfect predictions (episode 3)."""
    true = np.asarray(true).reshape(-1)
    predicted = np.asarray(predicted).reshape(-1)
    if ax is None:
        fig, ax = _subplots(figsize=(4.5, 4.5))
    else:
        fig = ax.figure
    ax.scatter(true, predicted, s=10, alpha=0.5)
    low = min(true.min(), predicted.min())
    high = max(true.max(), predicted.max())
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="perfect prediction")
    suffix = f" ({unit})" if unit else ""
    ax.set_xlabel("true" + suffix)
    ax.set_ylabel("predicted" + suffix)
    ax.set_title(title)
    ax.legend()
    return fig


def plot_images(images, labels, class_names: Sequence[str], n: int = 25, predicted=None):
    """A grid of the first ``n`` images titled with their class names (episodes 4-5).

    With ``predicted`` labels, each title reads ``predicted (true)`` and wrong
    predictions are drawn in red.
    """
    n = min(n, len(images))
    columns = min(5, n)
    rows = int(np.ceil(n / columns))
    fig, axes = _subplots(rows, columns, figsize=(2 * columns, 2.2 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        image = np.asarray(images[i])
        ax.imshow(image.astype("uint8") if image.max() > 1 else image)
        true = class_names[int(np.asarray(labels[i]).reshape(-1)[0])]
        if predicted is None:
            ax.set_title(true, fontsize=9)
        else:
            guess = class_names[int(predicted[i])]
            ax.set_title(f"{guess}\n({true})", fontsize=9, color="black" if guess == true else "red")
    fig.tight_layout()
    return fig


def plot_confusion_matrix(true, predicted, class_names: Sequence[str]):
    """Confusion matrix as a labelled heatmap: rows true class, columns predicted (episode 2)."""
    import seaborn as sns
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(true, predicted, labels=list(class_names))
    frame = pd.DataFrame(matrix, index=class_names, columns=class_names)
    fig, ax = _subplots(figsize=(1.2 * len(class_names) + 2, 1.0 * len(class_names) + 1.5))
    sns.heatmap(frame, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    return fig


def plot_functions(functions: Mapping[str, callable], x=None, ncols: int = 3):
    """One small plot per function of ``x``, e.g. activation functions (episode 1)."""
    x = np.linspace(-5, 5, 201) if x is None else np.asarray(x)
    rows = int(np.ceil(len(functions) / ncols))
    fig, axes = _subplots(rows, ncols, figsize=(3.3 * ncols, 2.6 * rows), squeeze=False)
    for ax, (name, function) in zip(axes.flat, functions.items()):
        ax.plot(x, function(x))
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.axvline(0, color="grey", linewidth=0.5)
        ax.set_title(name)
    for ax in list(axes.flat)[len(functions):]:
        ax.axis("off")
    fig.tight_layout()
    return fig
