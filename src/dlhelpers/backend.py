"""Which Keras backend a page runs on, set by the page itself (episode 1).

Keras 3 runs the same model code on several backends: TensorFlow, JAX or
PyTorch do the arithmetic. The backend is read from the environment
variable ``KERAS_BACKEND`` once, when Keras is first imported. Every lesson
page therefore starts with one visible line, before anything imports Keras::

    dlh.use_backend("jax")

The lesson's choice was made by measurement (``make benchmark`` runs every
notebook on both and prints them side by side), on a 2-core CPU: the small
dense networks of episodes 1-3 and 6 train several times faster on **JAX**,
whose overhead per batch is far lower; convolutions (episodes 4, 5, bonus 2)
run several times faster on **TensorFlow**.

Importing :mod:`dlhelpers` sets nothing and imports no deep-learning
framework; only :func:`use_backend`, called by the page, sets the variable.
Code written for one backend runs unchanged on the other; only the random
streams differ, so a model trained on another backend prints slightly
different numbers from the page's. :func:`use_backend` says so, once, when
that happens.
"""

from __future__ import annotations

import logging
import os
import sys

#: The backends a lesson page may ask for, by display name.
NAMES = {"jax": "JAX", "tensorflow": "TensorFlow"}
ENV = "KERAS_BACKEND"
#: The backend the page asked for with :func:`use_backend` (None before it is called).
requested: str | None = None


def use_backend(name: str) -> str:
    """Run Keras on ``name`` ("jax" or "tensorflow") unless you chose otherwise (all episodes).

    Sets ``KERAS_BACKEND=name`` before Keras is imported, just as
    ``os.environ["KERAS_BACKEND"] = name`` would, and hides TensorFlow's
    start-up log lines (``TF_CPP_MIN_LOG_LEVEL=3`` unless you set it, and
    TensorFlow's Python warnings). Two things win over the page:

    - ``KERAS_BACKEND`` set already, e.g. in the shell that started Jupyter;
    - Keras imported before this call: Keras has already chosen.

    In both cases this prints one line saying that Keras runs on another
    backend than the page's: the code works the same, the trained models'
    numbers will differ a little from those on the page.

    Returns the backend Keras will run on.
    """
    if name not in NAMES:
        raise ValueError(f"unknown Keras backend {name!r}: the lesson uses {' or '.join(NAMES)}")
    global requested
    requested = name
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _quiet_tensorflow_warnings()
    running = _running_backend()
    if running is None:
        chosen = os.environ.get(ENV, "").strip()
        if chosen and chosen != name:
            running = chosen
            why = f"{ENV}={chosen} is set in your environment"
        else:
            os.environ[ENV] = name
            return name
    elif running != name:
        why = "Keras was imported before this line"
    else:
        return name
    print(f"Note: Keras runs on {NAMES.get(running, running)}, not on this page's "
          f"{NAMES[name]}, because {why}. The code works the same; trained models will "
          "print slightly different numbers from the page's.")
    return running


def mismatch() -> str | None:
    """Why Keras runs on another backend than the page asked for, or None (episode 1)."""
    running = _running_backend() or os.environ.get(ENV, "").strip() or "tensorflow"
    if requested is None or running == requested:
        return None
    return f"Keras runs on {running}, not the {requested} that use_backend asked for"


def describe(name: str | None = None) -> str:
    """Which backend Keras uses and on which device, e.g. ``jax on cpu`` (episode 1).

    With ``name``, that backend's device, without importing Keras.
    """
    if name is None:
        import keras

        name = keras.backend.backend()
    if name == "jax":
        import jax

        return f"jax on {jax.default_backend()}"
    return name


def _running_backend() -> str | None:
    """The backend of an already imported Keras, or None when Keras is not imported yet."""
    keras = sys.modules.get("keras")
    if keras is None or not hasattr(keras, "backend"):
        return None
    return keras.backend.backend()


class _ErrorsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


def _quiet_tensorflow_warnings() -> None:
    """Keep TensorFlow's Python warnings (retracing notices) out of the notebook.

    A filter rather than a level: TensorFlow sets its logger's level to INFO
    when it is first imported in a notebook. Errors still show.
    """
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _ErrorsOnly) for f in logger.filters):
        logger.addFilter(_ErrorsOnly())
