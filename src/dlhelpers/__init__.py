"""Helpers for the lesson *Introduction to deep learning with Keras*.

Notebooks use them as ``import dlhelpers as dlh``. Each function's docstring
names the episode that first uses it.
"""

import os as _os

from .backend import LESSON_BACKEND, choose_backend

# The lesson's Keras backend (JAX), set before Keras is imported: see
# backend.py, the one place it is chosen. KERAS_BACKEND set by you wins.
choose_backend()

# Keep TensorFlow's C++ log chatter out of the learners' notebooks; errors
# still raise exceptions as usual. Set TF_CPP_MIN_LOG_LEVEL=0 before importing
# to see everything.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def quiet_tensorflow() -> None:
    """Hide TensorFlow's Python warnings, such as retracing notices (all episodes).

    TensorFlow sets its logger to INFO when first imported in a notebook, so
    where TensorFlow is Keras's backend this imports Keras (and TensorFlow)
    and then quiets it; every notebook's first cell calls it. On the lesson's
    backend, JAX, it imports nothing.
    """
    import sys

    backend = _os.environ.get("KERAS_BACKEND", "").strip()
    if "tensorflow" not in sys.modules and backend not in ("", "tensorflow"):
        return
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")


from .checks import check_setup  # noqa: E402
from .cache import (  # noqa: E402
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
from .datasets import (  # noqa: E402
    CIFAR10_CLASSES,
    DIGIT_CLASSES,
    DOLLAR_STREET_CLASSES,
    ImageDataset,
    load_images,
    load_penguins,
    load_weather,
    pretrained_weights,
)
from .models import plot_model  # noqa: E402
from .plots import (  # noqa: E402
    plot_confusion_matrix,
    plot_functions,
    plot_history,
    plot_images,
    plot_predictions,
)
from .report import report  # noqa: E402
from .repro import set_seed  # noqa: E402

__version__ = "1.0.0"
