"""The lesson's Keras backend, chosen in this one place (episode 1).

Keras 3 runs the same model code on several backends: TensorFlow, JAX or
PyTorch do the arithmetic. Chosen by measurement (``make benchmark`` runs
every notebook on both and prints them side by side), on a 2-core CPU:

- the lesson's small dense networks train much faster on **JAX**: most of
  the time ``fit`` takes is the framework's own overhead per batch, and
  JAX's is far lower. JAX is the lesson's default, :data:`LESSON_BACKEND`;
- convolutions run several times faster on **TensorFlow**, so the
  convolutional episodes (4, 5, bonus 2) ask for it in their page's front
  matter (``backend: tensorflow``), which their notebooks' first cell turns
  into ``os.environ.setdefault("KERAS_BACKEND", "tensorflow")``.

``import dlhelpers`` sets the ``KERAS_BACKEND`` environment variable to
:data:`LESSON_BACKEND` before Keras is imported, unless

- ``KERAS_BACKEND`` is set already (by you, or by such a first cell);
- Keras was imported before ``dlhelpers``: Keras has already chosen;
- JAX is not installed: Keras uses TensorFlow, its default.

Code written for one backend runs unchanged on the other; only the random
streams differ, so trained models reach slightly different numbers from
those printed on the lesson pages. TensorFlow stays installed either way:
TensorBoard and keras-tuner use it.
"""

from __future__ import annotations

import importlib.util
import os
import sys

#: The backend the lesson's pages and their printed numbers come from.
LESSON_BACKEND = "jax"
#: The backends a page may run on (front matter ``backend:``), by display name.
NAMES = {"jax": "JAX", "tensorflow": "TensorFlow"}
ENV = "KERAS_BACKEND"
#: What :func:`choose_backend` wrote into KERAS_BACKEND in this process, if anything.
_set_here: str | None = None


def choose_backend() -> str | None:
    """Set KERAS_BACKEND to the lesson's backend where nothing else decided (all episodes).

    Returns the backend set, or None when the choice was left to the
    learner's setting, an already imported Keras, or Keras's default.
    """
    if os.environ.get(ENV, "").strip() or "keras" in sys.modules:
        return None
    if importlib.util.find_spec(LESSON_BACKEND) is None:
        return None
    global _set_here
    os.environ[ENV] = _set_here = LESSON_BACKEND
    return LESSON_BACKEND


def user_backend() -> str | None:
    """KERAS_BACKEND as the user set it, or None; not the value :func:`choose_backend` set.

    Tools that start notebooks (the benchmark, the tests) use it: their
    kernels must pick each page's own backend unless the user chose one.
    """
    value = os.environ.get(ENV, "").strip()
    return value if value and value != _set_here else None


def describe() -> str:
    """Which backend Keras uses and on which device, e.g. ``jax on cpu`` (episode 1)."""
    import keras

    name = keras.backend.backend()
    if name == "jax":
        import jax

        return f"jax on {jax.default_backend()}"
    return name


def why_not_lesson_backend() -> str | None:
    """Why Keras does not run on the lesson's backend, or None when it does."""
    import keras

    name = keras.backend.backend()
    if name == LESSON_BACKEND:
        return None
    if os.environ.get(ENV, "").strip() == name:
        return f"{ENV}={name} is set"
    if importlib.util.find_spec(LESSON_BACKEND) is None:
        return f"{LESSON_BACKEND} is not installed"
    return "Keras was imported before dlhelpers"
