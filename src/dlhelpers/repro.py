"""Reproducible training: the same seed gives every learner the same numbers."""

from __future__ import annotations

import sys


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and Keras, and make TensorFlow's operations deterministic (episode 2).

    Call it once before building a model, and again before each model you
    want to compare fairly. On JAX, training is deterministic as it is;
    on TensorFlow, deterministic operations can be a little slower on a GPU.
    """
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        keras.utils.set_random_seed(seed)  # seeds random, numpy and TensorFlow
        tf.config.experimental.enable_op_determinism()
    else:
        with _tensorflow_left_alone():
            keras.utils.set_random_seed(seed)  # seeds random, numpy and the backend


class _Unavailable:
    available = False


class _tensorflow_left_alone:
    """Keep ``keras.utils.set_random_seed`` from importing TensorFlow (2 s) just to seed it.

    Keras seeds TensorFlow whenever it is installed, for ``tf.data`` pipelines;
    the lesson has none on other backends. Where TensorFlow is already
    imported, it is seeded as usual.
    """

    def __enter__(self):
        self.module = None
        if "tensorflow" not in sys.modules:
            try:
                from keras.src.utils import rng_utils
            except ImportError:  # another Keras layout: seed the usual way
                return
            self.module, self.saved = rng_utils, rng_utils.tf
            rng_utils.tf = _Unavailable()

    def __exit__(self, *exc):
        if self.module is not None:
            self.module.tf = self.saved
