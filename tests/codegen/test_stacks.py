"""Whole random multi-layer models (CNN, depthwise-separable CNN, Conv1D, MLP) against TFLM, and the memory plan's
invariants on them: buffers alive at the same time never share bytes (except an in-place op's input and output),
and the arena is what the plan says."""

from __future__ import annotations

import numpy as np
import pytest

from shared.codegen import generate
from shared.codegen.bench.models import BENCH_MODELS
from shared.codegen.emit_c import build_layers, plan_layers
from shared.codegen.graph import read_graph
from tests.codegen.keras_models import assert_bit_exact, build_case


def cnn(rng):
    filters = int(rng.integers(2, 9))

    def build(L, x):
        x = L.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = L.DepthwiseConv2D(3, depth_multiplier=int(rng.integers(1, 3)), activation="relu6")(x)
        x = L.MaxPooling2D()(x)
        x = L.GlobalAveragePooling2D()(x)
        return L.Dense(int(rng.integers(2, 11)), activation="softmax")(x)

    return (int(rng.integers(10, 20)), int(rng.integers(10, 20)), int(rng.integers(1, 4))), build


def ds_cnn(rng):
    """Keyword-spotting style: strided conv, depthwise-separable blocks with batch norm, average pool, dense."""

    def build(L, x):
        x = L.Conv2D(8, (5, 3), strides=2, padding="same", use_bias=False)(x)
        x = L.ReLU()(L.BatchNormalization()(x))
        for _ in range(2):
            x = L.ReLU()(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)))
            x = L.ReLU()(L.BatchNormalization()(L.Conv2D(8, 1, use_bias=False)(x)))
        x = L.AveragePooling2D(pool_size=x.shape[1:3])(x)
        return L.Dense(5, activation="softmax")(L.Dropout(0.2)(L.Flatten()(x)))

    return (int(rng.integers(20, 33)), 13, 1), build


def mobilenet_like(rng):
    """Depthwise-separable blocks whose 1x1 convolutions widen (8 -> 16 -> 24 channels), one after a stride 2."""

    def build(L, x):
        x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
        x = L.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
        x = L.Conv2D(16, 1, activation="relu6")(x)
        x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
        x = L.Conv2D(24, 1, activation="relu6")(x)
        x = L.GlobalAveragePooling2D()(x)
        return L.Dense(3, activation="softmax")(x)

    return (int(rng.integers(16, 25)), int(rng.integers(16, 25)), 3), build


def conv1d(rng):
    """Activity-recognition style: Conv1D blocks over (time, axes), max pool, global average pool, dense."""

    def build(L, x):
        x = L.Conv1D(int(rng.integers(4, 12)), 5, activation="relu")(x)
        x = L.MaxPooling1D(2)(x)
        x = L.Conv1D(8, 3, padding="same", activation="relu")(x)
        x = L.GlobalAveragePooling1D()(x)
        return L.Dense(6, activation="softmax")(L.Dense(16, activation="relu")(x))

    return (int(rng.integers(30, 80)), 3), build


def mlp(rng):
    sizes = [int(s) for s in rng.integers(4, 64, size=int(rng.integers(1, 4)))]

    def build(L, x):
        for size in sizes:
            x = L.Dense(size, activation=str(rng.choice(["relu", "relu6", "linear"])))(x)
        return L.Dense(int(rng.integers(2, 10)), activation="softmax")(x)

    return (int(rng.integers(4, 100)),), build


def mnist_cnn(rng):
    def build(L, x):
        x = L.MaxPooling2D()(L.Conv2D(8, 3, activation="relu")(x))
        x = L.MaxPooling2D()(L.Conv2D(16, 3, activation="relu")(x))
        return L.Dense(10, activation="softmax")(L.Dense(32, activation="relu")(L.Flatten()(x)))

    return (28, 28, 1), build


def demo_shaped(name):
    """The benchmark's models shaped like the three demos' (shared/codegen/bench/models.py)."""
    return lambda rng: BENCH_MODELS[name][::-1]


STACKS = [("cnn_0", cnn), ("cnn_1", cnn), ("ds_cnn", ds_cnn), ("mobilenet_like", mobilenet_like),
          ("conv1d_0", conv1d), ("conv1d_1", conv1d),
          ("mlp_0", mlp), ("mlp_1", mlp), ("mlp_2", mlp), ("small_mnist_cnn", mnist_cnn),
          *((name, demo_shaped(name)) for name in ("mnist_cnn", "kws_cnn", "har_cnn"))]


@pytest.fixture(scope="module")
def stacks():
    models = {}
    for i, (stack_id, make) in enumerate(STACKS):
        shape, build = make(np.random.default_rng(2000 + i))
        models[stack_id] = build_case(build, shape, seed=2000 + i, n_samples=48)
    return models


@pytest.mark.parametrize("stack_id", [stack_id for stack_id, _ in STACKS])
def test_stack_matches_tflm(stacks, stack_id, tmp_path):
    assert_bit_exact(stacks[stack_id]["tflite"], stack_id, tmp_path, seed=stacks[stack_id]["seed"])


@pytest.mark.parametrize("stack_id", ["mnist_cnn", "kws_cnn", "har_cnn", "ds_cnn", "mobilenet_like"])
def test_speed_build_matches_tflm(stacks, stack_id, tmp_path):
    """The -O3 shared library the demos' parity check and the benchmark use (vectorized) is exact too."""
    assert_bit_exact(stacks[stack_id]["tflite"], stack_id, tmp_path, seed=stacks[stack_id]["seed"], sanitize=False)


@pytest.mark.parametrize("stack_id", [stack_id for stack_id, _ in STACKS])
def test_plan_never_overlaps_live_buffers(stacks, stack_id):
    model_bytes = stacks[stack_id]["tflite"]
    graph = read_graph(model_bytes)
    plan = plan_layers(graph, build_layers(graph, "m"))
    arena = [b for b in plan.buffers.values() if b.place == "arena"]
    for i, a in enumerate(arena):
        assert a.offset % 8 == 0 and a.offset + a.size <= plan.arena_bytes
        for b in arena[i + 1 :]:
            if a.overlaps_in_time(b) and {(a.root, b.root), (b.root, a.root)}.isdisjoint(plan.in_place):
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)
    assert generate(model_bytes, "m", "m.tflite").arena_bytes == plan.arena_bytes
    assert plan.arena_bytes <= sum(b.size + 7 for b in arena)


def test_widening_pointwise_conv_writes_over_its_input(stacks):
    """The first widening 1x1 conv of the MobileNet-like stack (the largest pair of buffers) ends its output where
    its input ends, so the pair takes the output's bytes, not both (the stack's bit-exactness above shows that no
    input byte is overwritten before it is read). Every widening conv written in place has that layout."""
    graph = read_graph(stacks["mobilenet_like"]["tflite"])
    plan = plan_layers(graph, build_layers(graph, "m"))
    pointwise = [op for op in graph.ops if op.kind == "CONV_2D" and graph.tensors[op.inputs[1]].shape[1:3] == (1, 1)]
    pairs = [(plan.buffer(op.inputs[0]), plan.buffer(op.outputs[0])) for op in pointwise]
    assert len(pairs) == 2 and (pairs[0][0].root, pairs[0][1].root) in plan.in_place
    for source, target in pairs:
        if (source.root, target.root) in plan.in_place:
            assert target.offset <= source.offset and source.offset + source.size <= target.offset + target.size
