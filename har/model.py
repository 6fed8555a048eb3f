"""HAR models: feature MLPs (the textbook's Dense 100-100-6 and a smaller one) and a small 1D-CNN on raw windows.

Only ops the project's C code generator supports appear after conversion: FULLY_CONNECTED, CONV_2D, MAX_POOL_2D,
MEAN, SOFTMAX (ReLU is fused into the layers). The CNN is written with Conv2D over a (T, 1, 3) image instead of
Conv1D: Keras' Conv1D converts through EXPAND_DIMS/SQUEEZE around the convolution, Conv2D with a (k, 1) kernel is
the same computation and converts to plain CONV_2D. Its input is (T, 1, 3), not (T, 3) plus a Reshape layer: with
a free batch size the Reshape converts to SHAPE/STRIDED_SLICE/PACK ops. (T, 1, 3) has the memory layout of the
interleaved x/y/z window the device fills, so the board passes its buffer unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow)
from har.config import N_AXES, HarConfig


def build_mlp(n_features: int, hidden: tuple[int, ...], n_classes: int, name: str, dropout: float = 0.0):
    """Dense(h, relu) for each h in `hidden` (each followed by Dropout(dropout) if > 0: training only, no op after
    conversion), then Dense(n_classes, softmax). Input: standardised features."""
    import tensorflow as tf

    layers = [tf.keras.Input(shape=(n_features,), name="features")]
    for i, width in enumerate(hidden):
        layers.append(tf.keras.layers.Dense(width, activation="relu", name=f"dense_{i}"))
        if dropout > 0:
            layers.append(tf.keras.layers.Dropout(dropout, name=f"dropout_{i}"))
    layers.append(tf.keras.layers.Dense(n_classes, activation="softmax", name="scores"))
    return tf.keras.Sequential(layers, name=name)


def build_cnn1d(window_samples: int, n_classes: int):
    """Raw window (T, 1, 3) m/s^2 -> 3 conv blocks over time -> global average -> softmax.

    Input stays in m/s^2 (|a| < 40 for WISDM): the int8 input scale absorbs the range, no rescaling on the device.
    """
    import tensorflow as tf

    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(window_samples, 1, N_AXES), name="window"),
            layers.Conv2D(16, (5, 1), padding="same", activation="relu", name="conv_0"),
            layers.MaxPooling2D((2, 1), name="pool_0"),
            layers.Conv2D(24, (5, 1), padding="same", activation="relu", name="conv_1"),
            layers.MaxPooling2D((2, 1), name="pool_1"),
            layers.Conv2D(32, (3, 1), padding="same", activation="relu", name="conv_2"),
            layers.GlobalAveragePooling2D(name="mean"),
            layers.Dropout(0.3, name="dropout"),  # training only; no op after conversion
            layers.Dense(n_classes, activation="softmax", name="scores"),
        ],
        name="har_cnn1d",
    )


def augment_windows(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training-batch augmentation for raw windows (B, T, 1, 3) m/s^2: what differs between users and phones.

    A random rotation of up to 15 degrees per axis (the phone sits differently in each pocket), an intensity scale
    of 0.85..1.15 applied to the motion only (gravity keeps 1 g), and 0.2 m/s^2 of white noise.
    """
    batch = len(x)
    angles = rng.uniform(-np.radians(15), np.radians(15), (batch, 3))
    cos, sin = np.cos(angles), np.sin(angles)
    one, zero = np.ones(batch), np.zeros(batch)
    rx = np.stack([one, zero, zero, zero, cos[:, 0], -sin[:, 0], zero, sin[:, 0], cos[:, 0]], 1).reshape(-1, 3, 3)
    ry = np.stack([cos[:, 1], zero, sin[:, 1], zero, one, zero, -sin[:, 1], zero, cos[:, 1]], 1).reshape(-1, 3, 3)
    rz = np.stack([cos[:, 2], -sin[:, 2], zero, sin[:, 2], cos[:, 2], zero, zero, zero, one], 1).reshape(-1, 3, 3)
    rotation = rz @ ry @ rx  # (B, 3, 3)
    mean = x.mean(axis=1, keepdims=True)  # (B, 1, 1, 3): gravity and posture
    motion = (x - mean) * rng.uniform(0.85, 1.15, (batch, 1, 1, 1))
    rotated = np.einsum("bij,btkj->btki", rotation, mean + motion)
    return (rotated + rng.normal(0.0, 0.2, x.shape)).astype(np.float32)


def merge_mlps(members: list) -> object:
    """One MLP that computes softmax(mean of the members' logits): the members' (Dense-only, same widths) layers side
    by side. First layer: the kernels concatenated along the outputs; hidden layers: block-diagonal; output layer:
    the kernels stacked along the inputs, divided by the member count, and the mean bias. Plain FULLY_CONNECTED
    layers after conversion (the generated C has no ADD or CONCATENATION), e.g. 4 x (41-32-16-6) -> 41-128-64-6."""
    import tensorflow as tf

    dense = [[layer for layer in member.layers if isinstance(layer, tf.keras.layers.Dense)] for member in members]
    count, n_inputs = len(members), members[0].input_shape[-1]
    layers = [tf.keras.Input(shape=(n_inputs,), name="features")]
    weights = []
    for depth, group in enumerate(zip(*dense, strict=True)):
        kernels = [layer.get_weights()[0] for layer in group]
        biases = [layer.get_weights()[1] for layer in group]
        last = depth == len(dense[0]) - 1
        if last:
            kernel, bias = np.concatenate(kernels, axis=0) / count, np.mean(biases, axis=0)
        elif depth == 0:
            kernel, bias = np.concatenate(kernels, axis=1), np.concatenate(biases)
        else:
            kernel, bias = _block_diagonal(kernels), np.concatenate(biases)
        activation = "softmax" if last else "relu"
        layers.append(tf.keras.layers.Dense(kernel.shape[1], activation=activation,
                                            name="scores" if last else f"dense_{depth}"))
        weights.append([kernel.astype(np.float32), bias.astype(np.float32)])
    merged = tf.keras.Sequential(layers, name=f"{members[0].name}_x{count}")
    for layer, values in zip([layer for layer in merged.layers], weights, strict=True):
        layer.set_weights(values)
    return merged


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)), np.float32)
    row = col = 0
    for block in blocks:
        out[row : row + block.shape[0], col : col + block.shape[1]] = block
        row, col = row + block.shape[0], col + block.shape[1]
    return out


def train_model(config: HarConfig, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                history_path=None):
    """The float model: for the feature MLPs config.ensemble_members trainings (seeds seed, seed + 1, ...; early
    stopping on the validation split each) merged into one MLP (merge_mlps); the CNN: one training."""
    from shared.train import train_float

    members = config.ensemble_members if uses_features(config) else 1
    augment = None if uses_features(config) else augment_windows
    models = []
    for index in range(members):
        member = dataclasses.replace(config, seed=config.seed + index)
        model, _ = train_float(model_builder(member, x_train.shape[1]), x_train, y_train, x_val, y_val,
                               train_settings(member), augment, history_path if index == 0 else None)
        models.append(model)
    if members == 1:
        return models[0]
    from shared.train import compile_classifier

    return compile_classifier(merge_mlps(models), config.learning_rate)


def model_builder(config: HarConfig, n_inputs: int) -> Callable[[], object]:
    """A zero-argument builder for the configured model (`n_inputs`: feature count; unused by the CNN)."""
    n_classes = len(config.labels)
    if config.model == "mlp_textbook":
        return lambda: build_mlp(n_inputs, (100, 100), n_classes, "har_mlp_textbook")
    if config.model == "mlp":
        # dropout 0.2: validation subjects (MotionSense, 8 s, 41 features), float32 mean of 4 seeds 95.5 % vs 94.5 %
        return lambda: build_mlp(n_inputs, (32, 16), n_classes, "har_mlp", dropout=0.2)
    return lambda: build_cnn1d(config.window_samples, n_classes)


def train_settings(config: HarConfig):
    """shared TrainSettings from the HAR config's fields of the same name; the rest keep shared's defaults."""
    from shared.train import TrainSettings

    names = {f.name for f in dataclasses.fields(TrainSettings)}
    return TrainSettings(**{key: value for key, value in dataclasses.asdict(config).items() if key in names})


def deploy_note(config: HarConfig) -> str:
    """What models/int8.tflite is and why, for the report."""
    if uses_features(config):
        kind = f"{config.model} on the {'orientation' if config.orientation_features else 'axes'} feature set"
        if config.ensemble_members > 1:
            kind += f", {config.ensemble_members} trainings merged into one MLP (mean logits)"
    else:
        kind = f"{config.model} on the raw window"
    why = ("why: the --model/--set choice (default: mlp, feature_set auto, the source's window). On MotionSense's "
           "validation subjects (mlp with dropout, float32, mean of 4 seeds): 4 s windows and 27 features 89.5 %, "
           "8 s windows 92.5 %, the 14 rhythm features (band shares, autocorrelation) at 4 s 92.5 %, both 95.5 %; "
           "cnn1d on raw 4 s windows: leave-one-subject-out 90.4 %; 4 merged trainings: int8 96.0 % vs 95.3 % per "
           "window (3 seeds) (har/README.md)")
    smoothing = (f"; the board reports the argmax of the int8 scores summed over {config.smooth_windows} windows of "
                 "the stream" if config.smooth_windows > 1 else "")
    return f"deployed: models/int8.tflite, full-integer int8 {kind}; {why}{smoothing}"


def uses_features(config: HarConfig) -> bool:
    """True for the feature MLPs, False for the CNN on raw windows."""
    return config.model != "cnn1d"
