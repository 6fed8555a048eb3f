"""Per-op bit-exactness: seeded random shapes, strides, paddings, channels and quantization → tiny tf-keras
models → int8 converter → generated C (gcc -std=c99 -Wall -Wextra -Werror, ASan+UBSan) vs the TFLM runtime.

All models are converted once per module (conversion dominates the time); each case is its own test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from shared.codegen import generate
from shared.codegen.emit_c import emit_layer
from shared.codegen.graph import read_graph
from shared.codegen.ops import SLIDING_OPS, column_as_row, is_column
from tests.codegen.keras_models import assert_bit_exact, build_case

ACTIVATIONS = (None, "relu", "relu6")


def conv2d_case(rng):
    kernel = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    strides = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    options = {"filters": int(rng.integers(1, 10)), "kernel_size": kernel, "strides": strides,
               "padding": str(rng.choice(["same", "valid"])), "activation": rng.choice(ACTIVATIONS),
               "use_bias": bool(rng.random() < 0.8)}
    shape = (int(rng.integers(kernel[0] * 2 + 1, 14)), int(rng.integers(kernel[1] * 2 + 1, 14)),
             int(rng.integers(1, 9)))
    return shape, lambda L, x: L.Conv2D(**options)(x)


def conv1d_case(rng):
    options = {"filters": int(rng.integers(1, 9)), "kernel_size": int(rng.integers(1, 6)),
               "strides": int(rng.integers(1, 3)), "padding": str(rng.choice(["same", "valid"])),
               "activation": rng.choice(ACTIVATIONS)}
    return (int(rng.integers(12, 40)), int(rng.integers(1, 7))), lambda L, x: L.Conv1D(**options)(x)


def first_conv_case(rng, in_c):
    """the first conv of a keyword spotter or an image model (1 or 3 input channels, stride 2, SAME): windows at the
    image edges staged with the zero point, output pixels paired across row ends (odd row widths), then a narrow 1x1
    conv (depth 6 or 8) and a Dense head (per-tensor weights after per-channel convs)"""
    kernel = (10, 4) if in_c == 1 else (3, 3)
    shape = (int(rng.integers(12, 16)), int(rng.integers(9, 12)), in_c)

    def build(L, x):
        x = L.Conv2D(int(rng.integers(6, 9)), kernel, strides=2, padding="same", activation="relu")(x)
        x = L.Conv2D(5, 1, activation="relu6")(x)
        return L.Dense(3)(L.Flatten()(x))

    return shape, build


def gather_case(rng):
    """a first conv whose windows cg_conv_gather fills (3x3 over 3 channels, 5x3 or 3x3 over 1), stride 1 or 2,
    SAME or VALID, odd and even image sizes"""
    kernel, in_c = [((3, 3), 3), ((5, 3), 1), ((3, 3), 1)][int(rng.integers(0, 3))]
    options = {"filters": int(rng.integers(3, 9)), "kernel_size": kernel, "strides": int(rng.integers(1, 3)),
               "padding": str(rng.choice(["same", "valid"])), "activation": rng.choice(ACTIVATIONS)}
    shape = (int(rng.integers(kernel[0] + 2, 14)), int(rng.integers(kernel[1] + 2, 14)), in_c)
    return shape, lambda L, x: L.Conv2D(**options)(x)


def depthwise_case(rng):
    kernel = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    options = {"kernel_size": kernel, "strides": (int(rng.integers(1, 3)),) * 2,
               "padding": str(rng.choice(["same", "valid"])), "depth_multiplier": int(rng.integers(1, 4)),
               "activation": rng.choice(ACTIVATIONS), "use_bias": bool(rng.random() < 0.8)}
    shape = (int(rng.integers(kernel[0] + 2, 12)), int(rng.integers(kernel[1] + 2, 12)), int(rng.integers(1, 7)))
    return shape, lambda L, x: L.DepthwiseConv2D(**options)(x)


def dense_case(rng):
    options = {"units": int(rng.integers(1, 40)), "activation": rng.choice(ACTIVATIONS),
               "use_bias": bool(rng.random() < 0.8)}
    return (int(rng.integers(1, 70)),), lambda L, x: L.Dense(**options)(x)


def pool_case(rng, layer_name):
    size = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    options = {"pool_size": size, "strides": (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
               "padding": str(rng.choice(["same", "valid"]))}
    shape = (int(rng.integers(size[0] + 1, 12)), int(rng.integers(size[1] + 1, 12)), int(rng.integers(1, 6)))
    return shape, lambda L, x: getattr(L, layer_name)(**options)(x)


def add_case(rng):
    channels = int(rng.integers(1, 6))
    broadcast = rng.random() < 0.5

    def build(L, x):
        a = L.Conv2D(channels, 1, activation="relu")(x)
        b = L.Conv2D(channels, 3, padding="same")(x)
        if broadcast:
            b = L.GlobalAveragePooling2D(keepdims=True)(b)
        return L.Add()([a, b])

    return (int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(1, 4))), build


def concat_case(rng):
    def build(L, x):
        a = L.Conv2D(int(rng.integers(1, 5)), 1)(x)
        return L.Concatenate()([a, L.Conv2D(int(rng.integers(1, 5)), 3, padding="same")(x)])

    return (int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(1, 4))), build


def pad_case(rng):
    padding = ((int(rng.integers(0, 3)), int(rng.integers(0, 3))), (int(rng.integers(0, 3)), int(rng.integers(1, 3))))
    return (int(rng.integers(2, 8)), int(rng.integers(2, 8)), int(rng.integers(1, 4))), \
        lambda L, x: L.Conv2D(2, 2)(L.ZeroPadding2D(padding)(x))


def head_case(rng, activation):
    units = int(rng.integers(2, 30))
    return (int(rng.integers(2, 40)),), lambda L, x: L.Activation(activation)(L.Dense(units)(x))


def standalone_relu_case(rng, layer):
    return (int(rng.integers(2, 30)),), lambda L, x: L.Dense(3)(getattr(L, layer[0])(**layer[1])(x))


def mean_case(rng, rank):
    shape = (int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(1, 9)))[: rank]
    layer = "GlobalAveragePooling2D" if rank == 3 else "GlobalAveragePooling1D"
    return shape, lambda L, x: getattr(L, layer)()(x)


def slice_case(rng):
    """a random slice of each axis of a conv's output (Lambda -> STRIDED_SLICE): steps 1, 2, 3, -1, -2"""
    shape = (int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(2, 7)))

    def axis_slice(size: int) -> slice:
        step = int(rng.choice([1, 1, 2, 3, -1, -2]))
        low, high = int(rng.integers(0, size // 2 + 1)), int(rng.integers(size // 2 + 1, size + 1))
        return slice(low, high, step) if step > 0 else slice(high - 1, low - 1 if low > 0 else None, step)

    slices = (slice(None), *(axis_slice(size) for size in shape))
    return shape, lambda L, x: L.Dense(3)(L.Flatten()(L.Lambda(lambda t: t[slices])(L.Conv2D(shape[2], 1)(x))))


def column_case(rng, index: int):
    """a 1-D conv down an Hx1 column (the generator takes it as a 1xT row, ops.column_as_row) then a pool down the
    column, which it may fuse: a HAR-shaped Conv2D (k, 1) over (T, 1, C) with a MaxPooling2D / AveragePooling2D
    (p, 1), or a Keras Conv1D with a MaxPooling1D / AveragePooling1D (index odd); SAME (index % 4 < 2) or VALID,
    stride 1 or 2 (index % 8 >= 4), odd lengths"""
    padding, stride = ("same", "valid")[index % 4 // 2], 1 + index % 8 // 4
    kernel, length, in_c = int(rng.integers(2, 6)), 2 * int(rng.integers(6, 20)) + 1, int(rng.integers(1, 6))
    pool = str(rng.choice(["Max", "Average"]))
    pool_options = {"pool_size": int(rng.integers(1, 4)), "strides": int(rng.integers(1, 3)),
                    "padding": str(rng.choice(["same", "valid"]))}
    conv_options = {"filters": int(rng.integers(2, 17)), "padding": padding, "activation": rng.choice(ACTIVATIONS)}
    if index % 2:
        def build(L, x):
            x = L.Conv1D(kernel_size=kernel, strides=stride, **conv_options)(x)
            return L.Dense(3)(L.Flatten()(getattr(L, f"{pool}Pooling1D")(**pool_options)(x)))

        return (length, in_c), build

    pool_options = {key: (value, 1) if key != "padding" else value for key, value in pool_options.items()}

    def build(L, x):
        x = L.Conv2D(kernel_size=(kernel, 1), strides=(stride, 1), **conv_options)(x)
        return L.Dense(3)(L.Flatten()(getattr(L, f"{pool}Pooling2D")(**pool_options)(x)))

    return (length, 1, in_c), build


def column_depthwise_case(rng, index: int):
    """DEPTHWISE_CONV_2D down an Hx1 column (taken as a row): (k, 1) over (T, 1, C), depth multiplier 1 or 2, SAME
    or VALID, stride 1 or 2, odd lengths"""
    options = {"kernel_size": (int(rng.integers(2, 6)), 1), "strides": (1 + index // 2, 1),
               "padding": ("same", "valid")[index % 2], "depth_multiplier": int(rng.integers(1, 3)),
               "activation": rng.choice(ACTIVATIONS)}
    shape = (2 * int(rng.integers(6, 20)) + 1, 1, 2 * int(rng.integers(1, 5)))
    return shape, lambda L, x: L.Dense(3)(L.Flatten()(L.DepthwiseConv2D(**options)(x)))


def case_makers():
    makers = []
    for i in range(8):
        makers.append((f"conv2d_{i}", conv2d_case))
    for i in range(3):
        makers.append((f"conv1d_{i}", conv1d_case))
    for i in range(2):
        makers.append((f"first_conv_1ch_{i}", lambda rng: first_conv_case(rng, 1)))
        makers.append((f"first_conv_3ch_{i}", lambda rng: first_conv_case(rng, 3)))
    for i in range(5):
        makers.append((f"depthwise_{i}", depthwise_case))
    for i in range(5):
        makers.append((f"dense_{i}", dense_case))
    for i in range(3):
        makers.append((f"maxpool_{i}", lambda rng: pool_case(rng, "MaxPooling2D")))
        makers.append((f"avgpool_{i}", lambda rng: pool_case(rng, "AveragePooling2D")))
    for i in range(2):
        makers.append((f"add_{i}", add_case))
        makers.append((f"concat_{i}", concat_case))
        makers.append((f"pad_{i}", pad_case))
        makers.append((f"mean2d_{i}", lambda rng: mean_case(rng, 3)))
        makers.append((f"mean1d_{i}", lambda rng: mean_case(rng, 2)))
    for i in range(3):
        makers.append((f"softmax_{i}", lambda rng: head_case(rng, "softmax")))
        makers.append((f"sigmoid_{i}", lambda rng: head_case(rng, "sigmoid")))
    makers.append(("relu_standalone", lambda rng: standalone_relu_case(rng, ("ReLU", {}))))
    makers.append(("relu6_standalone", lambda rng: standalone_relu_case(rng, ("ReLU", {"max_value": 6.0}))))
    for i in range(4):  # last: the cases above keep their seeds
        makers.append((f"slice_{i}", slice_case))
    for i in range(6):
        makers.append((f"gather_{i}", gather_case))
    for i in range(8):
        makers.append((f"column_{i}", lambda rng, i=i: column_case(rng, i)))
    for i in range(4):
        makers.append((f"column_depthwise_{i}", lambda rng, i=i: column_depthwise_case(rng, i)))
    return makers


CASES = case_makers()


@pytest.fixture(scope="module")
def converted():
    """Every case's .tflite, converted once (seeded: case i uses seed 1000 + i)."""
    models = {}
    for i, (case_id, make) in enumerate(CASES):
        rng = np.random.default_rng(1000 + i)
        shape, build = make(rng)
        models[case_id] = build_case(build, shape, seed=1000 + i)
    return models


@pytest.mark.parametrize("case_id", [case_id for case_id, _ in CASES])
def test_op_matches_tflm(converted, case_id, tmp_path):
    assert_bit_exact(converted[case_id]["tflite"], case_id, tmp_path, seed=converted[case_id]["seed"])


def test_cases_cover_every_op(converted):
    kinds = {op.kind for case in converted.values() for op in read_graph(case["tflite"]).ops}
    expected = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "ADD",
                "CONCATENATION", "PAD", "SOFTMAX", "LOGISTIC", "RELU", "RELU6", "RESHAPE", "EXPAND_DIMS",
                "STRIDED_SLICE"}
    assert expected <= kinds, f"ops not exercised: {sorted(expected - kinds)}"


@pytest.mark.parametrize("case_id", [case_id for case_id, _ in CASES if case_id.startswith("column")])
def test_column_cases_run_as_rows(converted, case_id):
    """Every conv and pool of the column cases runs along a row in the generated C: the Conv2D (k, 1) and its pool
    and the depthwise (k, 1) run down an Hx1 column in the model and the generator takes them as rows; the
    converter already makes a Conv1D a 1xT row (EXPAND_DIMS on axis 1), but its Pooling1D a Tx1 column."""
    graph = read_graph(converted[case_id]["tflite"])
    sliding = [op for op in graph.ops if op.kind in SLIDING_OPS]
    columns = {op.index for op in sliding if is_column(graph, op)}
    rows = {op.index for op in sliding if graph.tensors[op.inputs[0]].shape[1] == 1}
    assert columns and columns | rows == {op.index for op in sliding}, [op.kind for op in sliding]
    generated = generate(converted[case_id]["tflite"], "m", "m.tflite")
    as_rows = {layer.op_index for layer in generated.layers if "taken as the row it is in memory" in layer.summary}
    fused = {layer.op_index for layer in generated.layers if layer.reads == ["fused"]}
    assert columns - fused <= as_rows and not as_rows - columns, (columns, as_rows, fused)


def params_of(struct_text: str) -> dict[str, str]:
    """The `.field = value` pairs of a generated params struct (the first of each name)."""
    fields: dict[str, str] = {}
    for key, value in re.findall(r"\.(\w+) = (-?\w+)", struct_text):
        fields.setdefault(key, value)
    return fields


def test_column_as_row_swaps_shapes_options_and_padding():
    """A 4x1 stride-2 SAME conv down a 9x1 column (5 outputs: 3 rows of padding, 1 before and 2 after, TFLite's
    split) and a 3x1 stride-2 SAME max pool after it (3 outputs, 1 padding row before, 1 after): as rows, the
    tensors are 1 high, the filter 1x4, the strides 1x2, the padding before the row 1 and above it 0; the bytes
    are the model's; the model's graph is unchanged; a 2-D conv and a dense layer stay as they are."""
    def build(L, x):
        x = L.Conv2D(4, (4, 1), strides=(2, 1), padding="same")(x)
        x = L.MaxPooling2D((3, 1), strides=(2, 1), padding="same")(x)
        return L.Dense(2)(L.Flatten()(L.Conv2D(2, 2)(L.Reshape((3, 2, 2))(x))))

    graph = read_graph(build_case(build, (9, 1, 3), seed=77)["tflite"])
    conv, pool = [op for op in graph.ops if op.kind in ("CONV_2D", "MAX_POOL_2D")][:2]
    assert (conv.kind, pool.kind) == ("CONV_2D", "MAX_POOL_2D")
    rows, row_conv = column_as_row(graph, conv)
    x, weights, y = (conv.inputs[0], conv.inputs[1], conv.outputs[0])
    assert [rows.tensors[i].shape for i in (x, weights, y)] == [(1, 1, 9, 3), (4, 1, 4, 3), (1, 1, 5, 4)]
    assert [graph.tensors[i].shape for i in (x, weights, y)] == [(1, 9, 1, 3), (4, 4, 1, 3), (1, 5, 1, 4)]
    assert rows.tensors[weights].data.tobytes() == graph.tensors[weights].data.tobytes()
    assert (row_conv.options.strideH, row_conv.options.strideW) == (1, 2)
    assert (conv.options.strideH, conv.options.strideW) == (2, 1)
    conv_params = params_of(emit_layer(graph, conv, "m").tables[-1])
    assert conv_params == {**conv_params, "in_h": "1", "in_w": "9", "out_h": "1", "out_w": "5", "filter_h": "1",
                           "filter_w": "4", "stride_h": "1", "stride_w": "2", "pad_top": "0", "pad_left": "1"}
    row_pool = column_as_row(graph, pool)[1]
    assert (row_pool.options.filterHeight, row_pool.options.filterWidth) == (1, 3)
    assert (row_pool.options.strideH, row_pool.options.strideW) == (1, 2)
    pool_params = params_of(emit_layer(graph, pool, "m").tables[-1])
    assert pool_params == {**pool_params, "in_h": "1", "in_w": "5", "out_h": "1", "out_w": "3", "filter_h": "1",
                           "filter_w": "3", "stride_h": "1", "stride_w": "2", "pad_top": "0", "pad_left": "1"}
    others = [op for op in graph.ops if op.kind in ("CONV_2D", "FULLY_CONNECTED")][1:]
    assert [op.kind for op in others] == ["CONV_2D", "FULLY_CONNECTED"]
    for op in others:
        assert not is_column(graph, op) and column_as_row(graph, op) == (graph, op)
