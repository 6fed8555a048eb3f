"""Quantization error per layer: the float Keras model's activations vs the int8 model's tensors in LiteRT.

LiteRT runs the int8 model with every tensor preserved (`experimental_preserve_all_tensors=True`) and its reference
kernels (`BUILTIN_REF`, the kernels TFLM's integer arithmetic matches), one sample at a time; each op's int8 output
is dequantized with its own scale and zero point.

Layer matching (stated in every report): the converter names each op's output tensor after the Keras ops it came
from, e.g. "cnn/re_lu/Relu;cnn/batch_normalization/FusedBatchNormV3;cnn/conv2d/Conv2D". The name is split at ";"
and "/"; the Keras layers whose names appear as whole pieces are candidates and the LAST of them in the Keras
model's layer order is the match (a fused conv + batch norm + ReLU is compared with the ReLU's output). The model's
output tensor (renamed "StatefulPartitionedCall:0" by the converter) matches the layer that produces the Keras
model's output. A CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED matched to a layer whose activation the op cannot
fuse (softmax, sigmoid, tanh, ...) is compared with that layer's pre-activation (the layer re-run with a linear
activation on its recorded input); the separate activation op that follows is compared with the layer's output.
A tensor with no candidate, or whose element count per sample differs from its match, is reported unmatched.
Keras layers no tensor matched (folded batch norm, dropout, the ones fused away) are listed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow)
from shared.codegen.graph import Graph
from shared.evaluate import dequantize

FUSABLE_ACTIVATIONS = {"linear", "relu", "relu6"}  # what CONV_2D / FC carry as fused activation
WEIGHTED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}
KERAS_BATCH = 64


@dataclass
class Match:
    """How one op's output tensor is matched to the Keras model: layer name and which value of it."""

    layer: str | None  # Keras layer name, None when unmatched
    value: str  # "output", "pre-activation" or the reason it is unmatched


def name_pieces(tensor_name: str) -> set[str]:
    return {piece for part in tensor_name.split(";") for piece in part.split("/")}


def keras_layers(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def activation_name(layer) -> str:
    activation = getattr(layer, "activation", None)
    return "linear" if activation is None else getattr(activation, "__name__", str(activation))


def match_layers(model, graph: Graph) -> dict[int, Match]:
    """Op index -> Match for every op of the int8 graph (see the module doc for the rule)."""
    layers = keras_layers(model)
    order = {layer.name: i for i, layer in enumerate(layers)}
    output_layer = next((layer for layer in layers if layer.output is model.outputs[0]), layers[-1])
    matches = {}
    for op in graph.ops:
        tensor = graph.tensors[op.outputs[0]]
        candidates = [name for name in name_pieces(tensor.name) if name in order]
        if candidates:
            layer = layers[max(order[name] for name in candidates)]
        elif op.outputs[0] in graph.outputs:
            layer = output_layer
        else:
            matches[op.index] = Match(None, f"no Keras layer named in tensor {tensor.name!r}")
            continue
        pre = op.kind in WEIGHTED_OPS and activation_name(layer) not in FUSABLE_ACTIVATIONS
        per_sample = int(np.prod(layer.output.shape[1:]))
        if per_sample != tensor.size:
            matches[op.index] = Match(None, f"{layer.name} has {per_sample} values per sample, the tensor "
                                            f"{tensor.size}")
            continue
        matches[op.index] = Match(layer.name, "pre-activation" if pre else "output")
    return matches


def keras_activations(model, matches: dict[int, Match], x_float: np.ndarray) -> dict[int, np.ndarray]:
    """Op index -> (N, size) float32 activations of the matched Keras values (inference mode)."""
    import tensorflow as tf

    by_name = {layer.name: layer for layer in keras_layers(model)}
    wanted = [(index, by_name[m.layer], m.value) for index, m in matches.items() if m.layer is not None]
    if not wanted:
        return {}
    tensors = [layer.input if value == "pre-activation" else layer.output for _, layer, value in wanted]
    probe = tf.keras.Model(model.inputs, tensors)
    chunks: list[list[np.ndarray]] = [[] for _ in wanted]
    for start in range(0, len(x_float), KERAS_BATCH):
        batch = tf.constant(x_float[start : start + KERAS_BATCH], dtype=tf.float32)
        values = probe(batch, training=False)
        values = values if isinstance(values, (list, tuple)) else [values]
        for slot, ((_, layer, value), result) in enumerate(zip(wanted, values, strict=True)):
            if value == "pre-activation":
                result = pre_activation(layer, result)
            chunks[slot].append(np.asarray(result, dtype=np.float32).reshape(len(batch), -1))
    return {index: np.concatenate(chunk) for (index, _, _), chunk in zip(wanted, chunks, strict=True)}


def pre_activation(layer, layer_input):
    """The layer's output with its activation switched to linear (restored afterwards)."""
    import tensorflow as tf

    saved = layer.activation
    layer.activation = tf.keras.activations.linear
    try:
        return layer(layer_input, training=False)
    finally:
        layer.activation = saved


def litert_tensors(model_bytes: bytes, x_int8: np.ndarray, tensors: list[int]) -> dict[int, np.ndarray]:
    """Tensor index -> (N, size) int8 values of LiteRT (reference kernels, all tensors preserved)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=bytes(model_bytes), experimental_preserve_all_tensors=True,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF, num_threads=1)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    values: dict[int, list[np.ndarray]] = {t: [] for t in tensors}
    for sample in x_int8:
        interpreter.set_tensor(detail["index"], np.asarray(sample, np.int8).reshape(detail["shape"]))
        interpreter.invoke()
        for t in tensors:
            values[t].append(np.array(interpreter.get_tensor(t), copy=True).reshape(-1))
    return {t: np.stack(v) for t, v in values.items()}


def error_metrics(reference: np.ndarray, int8: np.ndarray, scale: float, zero_point: int) -> dict:
    """SNR (dB; None when the int8 values are exact), max abs error in output LSB, cosine similarity."""
    approx = dequantize(int8, scale, zero_point).astype(np.float64).reshape(-1)
    exact = np.asarray(reference, dtype=np.float64).reshape(-1)
    noise = float(np.sum((approx - exact) ** 2))
    signal = float(np.sum(exact**2))
    if noise == 0.0:
        snr = None
    elif signal == 0.0:
        snr = -math.inf
    else:
        snr = 10.0 * math.log10(signal / noise)
    norms = float(np.linalg.norm(exact) * np.linalg.norm(approx))
    cosine = float(np.dot(exact, approx) / norms) if norms > 0 else (1.0 if noise == 0.0 else 0.0)
    return {"snr_db": None if snr is None else round(max(snr, -999.0), 2),
            "max_abs_error_lsb": round(float(np.max(np.abs(approx - exact))) / scale, 2),
            "cosine": round(cosine, 5)}


def unmatched_layers(model, matches: dict[int, Match]) -> list[str]:
    used = {m.layer for m in matches.values()}
    return [layer.name for layer in keras_layers(model) if layer.name not in used]
