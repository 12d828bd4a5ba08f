"""Helpers for the lesson *Introduction to deep learning with Keras*.

Notebooks use them as ``import dlhelpers as dlh``. Each function's docstring
names the episode that first uses it.
"""

import importlib.metadata

from .backend import use_backend
from .checks import check_setup
from .cache import (
    REGISTRY,
    DataCorruptError,
    DataError,
    DataMissingError,
    DataUnreadableError,
    SettingError,
    UnknownDatasetError,
    cache_dir,
    fetch,
)
from .datasets import (
    CIFAR10_CLASSES,
    CIFAR10_SUBSET,
    DIGIT_CLASSES,
    DOLLAR_STREET_CLASSES,
    ImageDataset,
    load_images,
    load_penguins,
    load_weather,
    pretrained_weights,
)
from .models import plot_model
from .plots import (
    plot_confusion_matrix,
    plot_functions,
    plot_history,
    plot_images,
    plot_predictions,
)
from .repro import set_seed

try:
    __version__ = importlib.metadata.version("dlhelpers")  # pyproject.toml, the one place
except importlib.metadata.PackageNotFoundError:  # imported from a folder, not installed
    __version__ = "unknown"
