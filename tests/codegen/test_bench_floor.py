"""bench/floor.py: the analytic floor per MAC of conv, depthwise and fully connected layers, counted by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from shared.codegen.bench.floor import floor_per_mac
from shared.codegen.graph import Graph, Op, Tensor

ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU6": 3}


def one_op(kind: str, weights_shape: tuple[int, ...], activation: str, scale: float, zero_point: int):
    tensors = [Tensor(0, "x", (1, 8), "int8", np.array([0.05], np.float32), np.array([0])),
               Tensor(1, "w", weights_shape, "int8", np.array([0.01], np.float32), np.array([0]),
                      data=np.zeros(weights_shape, np.int8)),
               Tensor(2, "y", (1, 8), "int8", np.array([scale], np.float32), np.array([zero_point]))]
    op = Op(0, kind, [0, 1, -1], [2], SimpleNamespace(fusedActivationFunction=ACTIVATIONS[activation]))
    return Graph(tensors, [op], [0], [2]), op


@pytest.mark.parametrize(("kind", "weights_shape", "activation", "scale", "zero_point", "expected"), [
    # 64 taps: 32 SMLAD; SMMLAR, the sign correction (act_min -128 < zp 5), ASR, SSAT, STRB
    ("FULLY_CONNECTED", (12, 64), "NONE", 0.1, 5, (32 + 5) / 64),
    # 3x3x3 = 27 taps: 14 SMLAD; ReLU with zp -128: no sign correction, the whole int8 range: SMMLAR, ASR, SSAT, STRB
    ("CONV_2D", (8, 3, 3, 3), "RELU", 0.1, -128, (14 + 4) / 27),
    # 3x3 taps of one channel: 5 SMLAD; ReLU6 at scale 6/255, zp -128: 6.0 is code 127, the whole range
    ("DEPTHWISE_CONV_2D", (1, 3, 3, 8), "RELU6", 6 / 255, -128, (5 + 4) / 9),
    # ReLU6 at scale 0.1: act_max -68 (inside the range: CMP, IT, MOV), act_min -128 (SSAT), no sign correction
    ("FULLY_CONNECTED", (4, 10), "RELU6", 0.1, -128, (5 + 3 + 1 + 3) / 10),
    # ReLU with zp -100: act_min -100 inside (CMP, IT, MOV), act_max 127 (SSAT); act_min >= zp: no correction
    ("FULLY_CONNECTED", (4, 9), "RELU", 0.1, -100, (5 + 3 + 1 + 3) / 9),
])
def test_floor_counts_smlad_and_requantization(kind, weights_shape, activation, scale, zero_point, expected):
    graph, op = one_op(kind, weights_shape, activation, scale, zero_point)
    assert floor_per_mac(graph, op) == pytest.approx(expected)


def test_other_ops_have_no_floor():
    graph, op = one_op("FULLY_CONNECTED", (4, 8), "NONE", 0.1, 0)
    op.kind = "MAX_POOL_2D"
    assert floor_per_mac(graph, op) is None
