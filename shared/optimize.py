"""Model optimization with TFMOT: pruning, weight clustering and quantization-aware training.

Each technique starts from a fresh copy of the trained float model (clustering the same object twice raises
StopIteration in TFMOT 0.8), fine-tunes it, strips the wrappers, and checks that it did what it says: measured
sparsity for pruning, at most N distinct values per kernel for clustering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow: TFMOT does not support Keras 3)
from shared.train import TrainSettings, compile_classifier, fit, set_seeds


class OptimizationError(RuntimeError):
    """A technique did not reach what it promised (sparsity, cluster count)."""


@dataclass(frozen=True)
class Sparsity:
    """Zero weights over all kernels (Dense/Conv weight matrices, not biases)."""

    zeros: int
    total: int

    @property
    def share(self) -> float:
        return self.zeros / self.total if self.total else 0.0


def fresh_copy(model):
    """A new model object with the same architecture and weights."""
    import tensorflow as tf

    copy = tf.keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def kernels(model) -> list[np.ndarray]:
    """The weight matrices that pruning and clustering act on: kernels of Dense/Conv layers.

    Depthwise kernels ("depthwise_kernel") are left out: TFMOT 0.8 neither prunes nor clusters them.
    """
    found = []
    for layer in model.layers:
        for weight in layer.weights:
            name = weight.name.split("/")[-1]
            if name.startswith("kernel") and len(weight.shape) >= 2:
                found.append(weight.numpy())
    return found


def measure_sparsity(model) -> Sparsity:
    """Count exact zeros in the model's kernels."""
    arrays = kernels(model)
    return Sparsity(sum(int(np.sum(a == 0)) for a in arrays), sum(a.size for a in arrays))


def unique_values_per_kernel(model) -> list[int]:
    """Number of distinct values in each kernel (≤ N after clustering with N clusters)."""
    return [int(np.unique(a).size) for a in kernels(model)]


def _steps_per_epoch(n_samples: int, settings: TrainSettings) -> int:
    return max(1, math.ceil(n_samples / settings.batch_size))


def prune(model, x_train, y_train, x_val, y_val, settings: TrainSettings):
    """Magnitude pruning to `settings.prune_sparsity` with a polynomial-decay schedule, then strip_pruning.

    The schedule updates every tenth of the run: TFMOT's default frequency=100 steps would leave a training of fewer
    than 100 steps at 0 % sparsity.
    """
    import tensorflow_model_optimization as tfmot

    set_seeds(settings.seed)
    end_step = _steps_per_epoch(len(x_train), settings) * settings.prune_epochs
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=settings.prune_sparsity, begin_step=0,
        end_step=max(1, end_step - 1), frequency=max(1, end_step // 10),
    )
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(fresh_copy(model), pruning_schedule=schedule)
    compile_classifier(wrapped, settings.learning_rate / 2)
    fit(wrapped, x_train, y_train, x_val, y_val, settings, settings.prune_epochs, early_stopping=False,
        callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    stripped = tfmot.sparsity.keras.strip_pruning(wrapped)
    measured = measure_sparsity(stripped)
    if measured.share < settings.prune_sparsity - 0.02:
        raise OptimizationError(f"pruning reached {measured.share:.1%} sparsity, target {settings.prune_sparsity:.0%}")
    return compile_classifier(stripped, settings.learning_rate), measured


def cluster(model, x_train, y_train, x_val, y_val, settings: TrainSettings):
    """Weight clustering (k-means++ centroids, `settings.clusters` per kernel), fine-tuned, then strip_clustering."""
    import tensorflow_model_optimization as tfmot

    set_seeds(settings.seed)
    clustering = tfmot.clustering.keras
    wrapped = clustering.cluster_weights(
        fresh_copy(model), number_of_clusters=settings.clusters,
        cluster_centroids_init=clustering.CentroidInitialization.KMEANS_PLUS_PLUS,
    )
    if wrapped is None:
        raise OptimizationError("cluster_weights returned None: the model is a Keras 3 object, not tf-keras")
    compile_classifier(wrapped, settings.learning_rate / 2)
    fit(wrapped, x_train, y_train, x_val, y_val, settings, settings.cluster_epochs, early_stopping=False)
    stripped = clustering.strip_clustering(wrapped)
    counts = unique_values_per_kernel(stripped)
    if max(counts) > settings.clusters:
        raise OptimizationError(f"a kernel has {max(counts)} distinct values after clustering to {settings.clusters}")
    return compile_classifier(stripped, settings.learning_rate), counts


def quantization_aware(model, x_train, y_train, x_val, y_val, settings: TrainSettings):
    """Quantization-aware training: fake-quant wrappers learn int8 ranges while fine-tuning."""
    import tensorflow_model_optimization as tfmot

    set_seeds(settings.seed)
    wrapped = tfmot.quantization.keras.quantize_model(fresh_copy(model))
    compile_classifier(wrapped, settings.learning_rate / 2)
    fit(wrapped, x_train, y_train, x_val, y_val, settings, settings.qat_epochs, early_stopping=False)
    return wrapped
