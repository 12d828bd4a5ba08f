"""Reproducible training: the same seed gives every learner the same numbers."""

from __future__ import annotations


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and Keras, and make TensorFlow's operations deterministic (episode 2).

    Call it once before building a model, and again before each model you
    want to compare fairly. Deterministic operations can be a little slower
    on a GPU; on a CPU the difference is small.
    """
    import keras

    keras.utils.set_random_seed(seed)  # seeds random, numpy and the backend
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
