"""HAR models: feature MLPs (the textbook's Dense 100-100-6 and a smaller one), a small 1D-CNN on raw windows, and both.

Only ops the project's C code generator supports appear after conversion: FULLY_CONNECTED, CONV_2D, MAX_POOL_2D,
MEAN, SOFTMAX (ReLU is fused into the layers); mlp_cnn1d, both in one model, adds STRIDED_SLICE (Cropping2D),
RESHAPE (Flatten, of a fixed size) and CONCATENATION. The CNN is written with Conv2D over a (T, 1, 3) image instead of
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
from har.config import MODEL_INPUTS, N_AXES, WINDOW_SCALE, HarConfig


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


def rotations_about(axes: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """(B, 3, 3) rotations by `angles` (B,) radians about the directions `axes` (B, 3) (Rodrigues' formula)."""
    unit = axes / np.maximum(np.linalg.norm(axes, axis=1, keepdims=True), 1e-6)
    cross = np.zeros((len(unit), 3, 3))  # the cross-product matrix of the unit axis
    cross[:, 0, 1], cross[:, 0, 2], cross[:, 1, 2] = -unit[:, 2], unit[:, 1], -unit[:, 0]
    cross -= cross.transpose(0, 2, 1)
    angle = np.asarray(angles, np.float64)[:, None, None]
    return np.eye(3)[None] + np.sin(angle) * cross + (1 - np.cos(angle)) * (cross @ cross)


def augment_windows_yaw(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """augment_windows after a rotation by any angle about the window's mean direction (gravity): the phone turned
    about the vertical in the pocket. The posture (gravity in the phone's frame) is unchanged, the horizontal axes
    are not: the CNN must learn the motion whichever way the phone faces."""
    rotation = rotations_about(x.mean(axis=(1, 2)).astype(np.float64), rng.uniform(-np.pi, np.pi, len(x)))
    return augment_windows(np.einsum("bij,btkj->btki", rotation, x).astype(np.float32), rng)


CNN_AUGMENTATIONS = (augment_windows, augment_windows_yaw)  # mlp_cnn1d's CNN member i trains with the i-th


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


def feature_rows(n_features: int) -> int:
    """Rows of the combined input (mlp_cnn1d) that hold the features: n_features values, 3 a row, zero-padded."""
    return -(-n_features // N_AXES)


def combined_inputs(features: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """mlp_cnn1d's input (B, K + T, 1, 3) float32: the standardised features (B, F) row-major in the first
    K = feature_rows(F) rows (zero-padded to 3K values), then the raw window (B, T, 3) m/s^2 times WINDOW_SCALE, one
    float32 multiply per value (as app.c does it)."""
    return pack_combined(features, xyz.astype(np.float32) * np.float32(WINDOW_SCALE))


def pack_combined(features: np.ndarray, scaled_window: np.ndarray) -> np.ndarray:
    """The combined layout of standardised features (B, F) and an already scaled window (B, T, 3), float32."""
    count, n_features = features.shape
    head = np.zeros((count, N_AXES * feature_rows(n_features)), np.float32)
    head[:, :n_features] = features
    window = np.asarray(scaled_window, np.float32).reshape(count, -1, N_AXES)
    return np.concatenate([head.reshape(count, -1, N_AXES), window], axis=1)[:, :, None, :]


def combine_mlp_cnn1d(mlp, cnns: list, n_features: int) -> object:
    """One model of the trained feature MLP (merged or not) and the trained cnn1d models (one or more, on the same
    window) that computes softmax(mean of the MLP's logits and the CNNs' mean logits) from combined_inputs: the
    first feature_rows(n_features) rows sliced off (Cropping2D: STRIDED_SLICE) and flattened to the MLP's hidden
    layers (the first kernel gets zero rows for the padding), the rest to each CNN's layers (the first kernel
    divided by WINDOW_SCALE: the window arrives scaled); the last hidden outputs concatenated into one
    Dense(softmax) whose kernel stacks the output kernels, the MLP's halved and each of the n CNNs' divided by 2n,
    with the bias weighted alike. Only the inference layers are copied (no dropout)."""
    import tensorflow as tf

    layers = tf.keras.layers
    rows, window_samples = feature_rows(n_features), cnns[0].input_shape[1]
    inputs = tf.keras.Input(shape=(rows + window_samples, 1, N_AXES), name="features_window")
    head = layers.Cropping2D(((0, window_samples), (0, 0)), name="feature_rows")(inputs)
    hidden = layers.Flatten(name="features")(head)
    mlp_dense = [layer for layer in mlp.layers if isinstance(layer, layers.Dense)]
    weights = []
    for depth, layer in enumerate(mlp_dense[:-1]):
        kernel, bias = layer.get_weights()
        if depth == 0:
            kernel = np.concatenate([kernel, np.zeros((rows * N_AXES - n_features, kernel.shape[1]), np.float32)])
        hidden = layers.Dense(kernel.shape[1], activation="relu", name=f"mlp_{layer.name}")(hidden)
        weights.append((f"mlp_{layer.name}", [kernel, bias]))
    window = layers.Cropping2D(((rows, 0), (0, 0)), name="window")(inputs)
    joined, (mlp_kernel, mlp_bias) = [hidden], mlp_dense[-1].get_weights()
    kernels, bias = [mlp_kernel / 2], mlp_bias / 2
    for member, cnn in enumerate(cnns):
        prefix, branch = "cnn_" if member == 0 else f"cnn{member + 1}_", window
        inference = [layer for layer in cnn.layers if not isinstance(layer, (layers.Dropout, layers.Dense))]
        for index, layer in enumerate(inference):
            copy = layer.__class__.from_config({**layer.get_config(), "name": prefix + layer.name})
            branch = copy(branch)
            values = layer.get_weights()
            if values:
                if index == 0:
                    values = [values[0] / np.float32(WINDOW_SCALE), values[1]]
                weights.append((copy.name, values))
        joined.append(branch)
        cnn_kernel, cnn_bias = cnn.layers[-1].get_weights()
        kernels.append(cnn_kernel / (2 * len(cnns)))
        bias = bias + cnn_bias / (2 * len(cnns))
    scores = layers.Dense(len(mlp_bias), activation="softmax", name="scores")(
        layers.Concatenate(name="joined")(joined))
    weights.append(("scores", [np.concatenate(kernels), bias]))
    model = tf.keras.Model(inputs, scores, name="har_mlp_cnn1d")
    for name, values in weights:
        model.get_layer(name).set_weights([np.asarray(v, np.float32) for v in values])
    return model


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
    stopping on the validation split each) merged into one MLP (merge_mlps); the CNN: one training; mlp_cnn1d: both
    trained apart as above from their parts of the combined input, then combine_mlp_cnn1d."""
    from shared.train import compile_classifier, train_float

    if config.resolved_model == "mlp_cnn1d":
        mlp, cnns = train_parts(config, x_train, y_train, x_val, y_val, history_path)
        return compile_classifier(combine_mlp_cnn1d(mlp, cnns, mlp.input_shape[-1]), config.learning_rate)
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
    return compile_classifier(merge_mlps(models), config.learning_rate)


def train_parts(config: HarConfig, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                history_path=None) -> tuple[object, list]:
    """mlp_cnn1d's models, trained apart on their parts of combined_inputs: the feature MLP (as --model mlp trains
    it) and config.cnn_members cnn1d (as --model cnn1d trains it, on the window in m/s^2, the same seed; member i
    with the augmentation CNN_AUGMENTATIONS[i])."""
    from har.features import n_features
    from shared.train import train_float

    count = n_features(config)
    (f_train, w_train), (f_val, w_val) = split_combined(x_train, count), split_combined(x_val, count)
    mlp = train_model(dataclasses.replace(config, model="mlp"), f_train, y_train, f_val, y_val, history_path)
    cnn_config = dataclasses.replace(config, model="cnn1d")
    cnns = [train_float(model_builder(cnn_config, w_train.shape[1]), w_train, y_train, w_val, y_val,
                        train_settings(cnn_config), augment)[0] for augment in CNN_AUGMENTATIONS[:config.cnn_members]]
    return mlp, cnns


def split_combined(x: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """combined_inputs back to its parts: features (B, n_features) and the window (B, T, 1, 3) in m/s^2 (divided
    by WINDOW_SCALE: within float32 round-off of the raw window, for training the CNN)."""
    rows = feature_rows(n_features)
    features = x[:, :rows].reshape(len(x), -1)[:, :n_features]
    return np.ascontiguousarray(features), (x[:, rows:] / np.float32(WINDOW_SCALE)).astype(np.float32)


def model_builder(config: HarConfig, n_inputs: int) -> Callable[[], object]:
    """A zero-argument builder for the configured model (`n_inputs`: feature count; unused by the CNN and
    mlp_cnn1d, whose feature count is the config's)."""
    n_classes = len(config.labels)
    if config.resolved_model == "mlp_textbook":
        return lambda: build_mlp(n_inputs, (100, 100), n_classes, "har_mlp_textbook")
    if config.resolved_model == "mlp_cnn1d":  # untrained, one member: the architecture (train_model: the parts)
        from har.features import n_features

        count = n_features(config)
        return lambda: combine_mlp_cnn1d(model_builder(dataclasses.replace(config, model="mlp"), count)(),
                                         [build_cnn1d(config.window_samples, n_classes)
                                          for _ in range(config.cnn_members)], count)
    if config.resolved_model == "mlp":
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
        mlp = "mlp_textbook" if config.resolved_model == "mlp_textbook" else "mlp"
        kind = f"{mlp} on the {'orientation' if config.orientation_features else 'axes'} feature set"
        if mlp == "mlp" and config.ensemble_members > 1:
            kind += f", {config.ensemble_members} trainings merged into one MLP (mean logits)"
        if uses_window(config):
            cnns = ("cnn1d on the window" if config.cnn_members == 1 else
                    "two cnn1d on the window (rotations up to 15 degrees; also any turn about gravity), their logits "
                    "averaged")
            kind = (f"mlp_cnn1d: one model, input the features then the raw window x {WINDOW_SCALE}; the {kind} "
                    f"and {cnns}, trained apart, the MLP's and the CNN part's logits averaged")
    else:
        kind = f"{config.resolved_model} on the raw window"
    why = ("why: the --model/--set choice (default: model and feature_set auto, the source's window). On "
           "MotionSense's leave-one-subject-out over the 16 non-test subjects, int8 smoothed over 5 windows: "
           "mlp_cnn1d 97.38 % vs mlp 95.66 %, so auto is mlp_cnn1d there. On MotionSense's "
           "validation subjects (mlp with dropout, float32, mean of 4 seeds): 4 s windows and 27 features 89.5 %, "
           "8 s windows 92.5 %, the 14 rhythm features (band shares, autocorrelation) at 4 s 92.5 %, both 95.5 %; "
           "cnn1d on raw 4 s windows: leave-one-subject-out 90.4 %; 4 merged trainings: int8 96.0 % vs 95.3 % per "
           "window (3 seeds) (har/README.md)")
    smoothing = (f"; the board reports the argmax of the int8 scores summed over {config.smooth_windows} windows of "
                 "the stream" if config.smooth_windows > 1 else "")
    return f"deployed: models/int8.tflite, full-integer int8 {kind}; {why}{smoothing}"


def uses_features(config: HarConfig) -> bool:
    """True if the model reads the standardised features (the MLPs, mlp_cnn1d), False for the CNN on raw windows."""
    return MODEL_INPUTS[config.resolved_model] != "window"


def uses_window(config: HarConfig) -> bool:
    """True if the model reads the raw window (cnn1d, mlp_cnn1d)."""
    return MODEL_INPUTS[config.resolved_model] != "features"
