"""Helpers for the lesson *Introduction to deep learning with Keras*.

Notebooks use them as ``import dlhelpers as dlh``. Each function's docstring
names the episode that first uses it.

A name is imported from its module when first used, so that the parts that
need no plotting or data (the venue mirror, the lock reader, the builder's
tools) load neither pandas nor matplotlib.
"""

import importlib
import importlib.metadata

#: Each public name and the module that holds it.
_WHERE = {
    "use_backend": "backend",
    "check_setup": "checks",
    "REGISTRY": "registry",
    **dict.fromkeys(["DataCorruptError", "DataError", "DataMissingError",
                     "DataUnreadableError", "SettingError", "UnknownDatasetError",
                     "cache_dir", "fetch"], "cache"),
    **dict.fromkeys(["CIFAR10_CLASSES", "CIFAR10_SUBSET", "DIGIT_CLASSES", "DOLLAR_STREET_CLASSES",
                     "ImageDataset", "load_images", "load_penguins", "load_weather",
                     "pretrained_weights"], "datasets"),
    "plot_model": "models",
    **dict.fromkeys(["plot_confusion_matrix", "plot_functions", "plot_history", "plot_images",
                     "plot_predictions"], "plots"),
    "set_seed": "repro",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'dlhelpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


try:
    __version__ = importlib.metadata.version("dlhelpers")  # pyproject.toml, the one place
except importlib.metadata.PackageNotFoundError:  # imported from a folder, not installed
    __version__ = "unknown"
