"""Keras training through tf-keras: fixed seeds, early stopping, optional augmentation, saved history.

Same inputs and seed give the same float model (within float tolerance): seeds are set for Python, NumPy and
TensorFlow, TensorFlow's ops run deterministically, and augmentation draws from a seeded NumPy generator.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow)
from shared.data import atomic_write_text
from shared.quiet import native_stderr_without

# tf.data in TF 2.21 logs an error line from C++ at every fit: a graph attribute its own op registry lacks, which
# it then ignores ("This may be expected if your graph generating binary is newer than this binary").
TF_DATA_NOTICE = r"NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition"

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class TrainSettings:
    """How the float model and its optimized variants are trained."""

    epochs: int = field(default=20, metadata={"doc": "maximum float training epochs"})
    batch_size: int = field(default=64, metadata={"doc": "samples per gradient step"})
    learning_rate: float = field(default=1e-3, metadata={"doc": "Adam learning rate"})
    patience: int = field(default=4, metadata={"doc": "early stopping: epochs without val_loss improvement"})
    reduce_lr_patience: int = field(default=2, metadata={"doc": "epochs without val_loss improvement before lr x0.3"})
    seed: int = field(default=1234, metadata={"doc": "seed for weights, shuffling and augmentation"})
    prune_sparsity: float = field(default=0.8, metadata={"doc": "target share of zero weights after pruning"})
    prune_epochs: int = field(default=3, metadata={"doc": "fine-tuning epochs while pruning"})
    clusters: int = field(default=16, metadata={"doc": "weight clusters per kernel"})
    cluster_epochs: int = field(default=2, metadata={"doc": "fine-tuning epochs while clustering"})
    qat_epochs: int = field(default=2, metadata={"doc": "quantization-aware training epochs"})
    mixup_alpha: float = field(default=0.0, metadata={"doc": "float training only: every batch blended with a "
                                                      "shuffled copy of itself, labels alike, weight of the own "
                                                      "sample max(l, 1-l), l ~ Beta(a, a) (0 = off)"})
    class_balance: float = field(default=0.0, metadata={"doc": "loss weight of class c: (mean class count / count "
                                                        "of c) ** class_balance in training (0 = every sample "
                                                        "alike, 1 = every class alike)"})
    refit: bool = field(default=False, metadata={"doc": "after early stopping, train a fresh model on the training "
                                                 "and validation data together for the epochs kept, the learning "
                                                 "rate stepping as it did (the validation data then teaches too)"})


def set_seeds(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def compile_classifier(model, learning_rate: float, soft_labels: bool = False):
    """Compile for softmax outputs (every demo's models end in softmax) and integer labels, or (soft_labels) rows of
    class probabilities, which mixup produces."""
    import tensorflow as tf

    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy" if soft_labels else "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer labels (N,) -> float32 rows of class probabilities (N, n_classes)."""
    return np.eye(n_classes, dtype=np.float32)[np.asarray(labels)]


def mix_batch(x: np.ndarray, y: np.ndarray, alpha: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Mixup: each sample blended with another of the batch (a random pairing), its label rows y alike.

    The own sample keeps the larger weight max(l, 1 - l), l ~ Beta(alpha, alpha) per sample, so the blend still
    mostly shows the sample it replaces. Returns new float32 arrays.
    """
    weight = rng.beta(alpha, alpha, size=len(x)).astype(np.float32)
    weight = np.maximum(weight, 1 - weight)
    partner = rng.permutation(len(x))
    x_weight = weight.reshape(-1, *[1] * (x.ndim - 1))  # one weight per sample, broadcast over its features
    mixed_x = x_weight * x + (1 - x_weight) * x[partner]
    mixed_y = weight[:, None] * y + (1 - weight[:, None]) * y[partner]
    return mixed_x.astype(np.float32), mixed_y.astype(np.float32)


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int, augment: Augment | None, seed: int,
             mixup_alpha: float = 0.0):
    """A Keras Sequence that reshuffles, augments and (mixup_alpha > 0, y as label rows) mixes every epoch from one
    seeded generator."""
    import tensorflow as tf

    class AugmentedBatches(tf.keras.utils.Sequence):
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return math.ceil(len(x) / batch_size)

        def __getitem__(self, index: int):
            picks = self.order[index * batch_size : (index + 1) * batch_size]
            batch = augment(x[picks].copy(), self.rng) if augment is not None else x[picks]
            if mixup_alpha > 0:
                return mix_batch(batch, y[picks], mixup_alpha, self.rng)
            return batch, y[picks]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(x))

    return AugmentedBatches()


def fit(model, x_train, y_train, x_val, y_val, settings: TrainSettings, epochs: int, augment: Augment | None = None,
        early_stopping: bool = True, callbacks: list | None = None, mixup_alpha: float = 0.0) -> dict[str, list[float]]:
    """Train a compiled model; returns the Keras history (loss/accuracy per epoch, train and validation).

    x_val None: no validation data (then early_stopping must be False).

    mixup_alpha > 0 needs labels as rows of class probabilities and a model compiled with soft_labels.
    """
    import tensorflow as tf

    weights = class_weights(y_train, settings.class_balance) if settings.class_balance > 0 else None
    all_callbacks = list(callbacks or [])
    if early_stopping:
        all_callbacks += [
            tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings.patience, restore_best_weights=True),
            tf.keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.3, patience=settings.reduce_lr_patience),
        ]
    with native_stderr_without(TF_DATA_NOTICE):
        validation = None if x_val is None else (x_val, y_val)
        if augment is None and mixup_alpha <= 0:
            history = model.fit(x_train, y_train, batch_size=settings.batch_size, epochs=epochs, verbose=2,
                                validation_data=validation, shuffle=True, callbacks=all_callbacks,
                                class_weight=weights)
        else:
            batches = _batches(x_train, y_train, settings.batch_size, augment, settings.seed, mixup_alpha)
            history = model.fit(batches, epochs=epochs, verbose=2, validation_data=validation,
                                callbacks=all_callbacks, class_weight=weights)
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def class_weights(y_train: np.ndarray, power: float) -> dict[int, float]:
    """Keras class_weight: class -> (mean class count / its count) ** power, from integer labels or rows of class
    probabilities (their column sums count)."""
    y = np.asarray(y_train)
    counts = y.sum(axis=0) if y.ndim == 2 else np.bincount(y.astype(np.int64))
    present = counts > 0
    mean = counts[present].mean()
    return {int(c): float((mean / counts[c]) ** power) for c in np.flatnonzero(present)}


def _refit(build_model: Callable[[], object], x: np.ndarray, y: np.ndarray, settings: TrainSettings,
           augment: Augment | None, history: dict[str, list[float]]):
    """A fresh model (the same seed) trained on x, y for the epochs early stopping kept in `history` (up to the
    lowest validation loss), each epoch at the learning rate that epoch had there."""
    import tensorflow as tf

    epochs = int(np.argmin(history["val_loss"])) + 1
    rates = history["lr"]  # each epoch's learning rate, as tf-keras's ReduceLROnPlateau logs it
    set_seeds(settings.seed)
    model = compile_classifier(build_model(), settings.learning_rate, soft_labels=y.ndim == 2)
    schedule = tf.keras.callbacks.LearningRateScheduler(lambda epoch, _: float(rates[epoch]))
    refit_history = fit(model, x, y, None, None, settings, epochs, augment, early_stopping=False,
                        callbacks=[schedule], mixup_alpha=settings.mixup_alpha)
    return model, refit_history


def train_float(build_model: Callable[[], object], x_train, y_train, x_val, y_val, settings: TrainSettings,
                augment: Augment | None = None, history_path: Path | None = None):
    """Build, compile and train the float model with early stopping; save the history as JSON if asked.

    With settings.mixup_alpha > 0 the labels become rows of class probabilities for this training (the returned
    model is compiled for them); the optimization variants fine-tune fresh copies on integer labels as before.
    With settings.refit the model returned is the refit one (`_refit`); its history is added under "refit_" keys.
    """
    set_seeds(settings.seed)
    soft = settings.mixup_alpha > 0
    model = compile_classifier(build_model(), settings.learning_rate, soft_labels=soft)
    if soft:
        n_classes = int(model.output_shape[-1])
        y_train, y_val = one_hot(y_train, n_classes), one_hot(y_val, n_classes)
    history = fit(model, x_train, y_train, x_val, y_val, settings, settings.epochs, augment,
                  mixup_alpha=settings.mixup_alpha)
    if settings.refit:
        model, refit_history = _refit(build_model, np.concatenate([x_train, x_val]),
                                      np.concatenate([y_train, y_val]), settings, augment, history)
        history.update({f"refit_{key}": values for key, values in refit_history.items()})
    if history_path is not None:
        history_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(history_path, json.dumps(history, indent=1))
    return model, history
