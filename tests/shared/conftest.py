"""A tiny trained classifier shared by the core's tests (trained once per session, ~2 s)."""

import numpy as np
import pytest

import shared  # noqa: F401
from shared.train import TrainSettings, train_float

N_FEATURES = 12
N_CLASSES = 3


def separable_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs: class k has its mean raised on feature k."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    x = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    x[np.arange(n), y] += 3.0
    return x, y


def build_mlp():
    import tensorflow as tf

    return tf.keras.Sequential([
        tf.keras.Input((N_FEATURES,)),
        tf.keras.layers.Dense(96, activation="relu"),  # > 1024 weights: dynamic-range skips smaller
        tf.keras.layers.Dense(N_CLASSES, activation="softmax"),
    ])


SETTINGS = TrainSettings(epochs=8, batch_size=32, prune_epochs=2, cluster_epochs=1, qat_epochs=1, clusters=8)


@pytest.fixture(scope="session")
def blobs():
    return separable_data(600, 1), separable_data(200, 2), separable_data(300, 3)


@pytest.fixture(scope="session")
def trained(blobs):
    (x, y), (xv, yv), _ = blobs
    model, history = train_float(build_mlp, x, y, xv, yv, SETTINGS)
    return model, history
