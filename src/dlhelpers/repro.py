"""Reproducible training: the same seed gives every learner the same numbers."""

from __future__ import annotations


def set_seed(seed: int = 42) -> None:
    """Seed Python, NumPy and Keras, and make TensorFlow's operations deterministic (episode 2).

    Call it once before building a model, and again before each model you
    want to compare fairly. On JAX, training is deterministic as it is; on
    TensorFlow, deterministic operations can be a little slower on a GPU.
    Keras also seeds TensorFlow whenever it is installed, so the first call
    imports it (about 1.5 s) even where Keras runs on JAX.
    """
    import keras

    keras.utils.set_random_seed(seed)  # seeds random, numpy, the backend and TensorFlow
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
