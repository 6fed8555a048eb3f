"""Stride-1 convolutions written over their own input: the lead (bytes the output starts before the input) and the
trail (after it, pixels last to first) are the least that never overwrite an input byte before the kernel has read
it, checked here against a byte-by-byte replay of the kernel's processing order, and the generated models stay
bit-exact with TFLM (host here, QEMU portable and DSP builds in test_cortex_m.py)."""

from __future__ import annotations

import numpy as np
import pytest

from shared.codegen.emit_c import build_layers, plan_layers
from shared.codegen.graph import read_graph
from shared.codegen.ops.conv_2d import window_lead, window_trail
from tests.codegen.keras_models import (
    IN_PLACE_WINDOWS_SHAPE,
    assert_bit_exact,
    build_case,
    in_place_windows,
    reversed_windows,
)


def input_bytes_read(in_shape, filter_hw, pads, r: int, c: int) -> np.ndarray:
    """Every input byte output pixel (r, c) of a stride-1 conv reads: each tap inside the image, each channel."""
    _, in_h, in_w, in_c = in_shape
    taps = [(r - pads[0] + fy) * in_w + (c - pads[1] + fx)
            for fy in range(filter_hw[0]) for fx in range(filter_hw[1])
            if 0 <= r - pads[0] + fy < in_h and 0 <= c - pads[1] + fx < in_w]
    return (np.array(taps)[:, None] * in_c + np.arange(in_c)).ravel()


def clobbers(shift: int, in_shape, out_shape, filter_hw, pads, reverse: bool = False) -> bool:
    """Replay cg_conv_2d (reverse: cg_conv_2d_reverse) with the output `shift` bytes before the input (reverse:
    after it): pixels two at a time in raster order (across row ends, the last alone when the count is odd;
    reverse: the same pairs last to first), both pixels' input read before the pair's outputs are written. True
    when some read finds a byte an earlier pair has written."""
    _, out_h, out_w, out_c = out_shape
    in_size, pixels = int(np.prod(in_shape)), out_h * out_w
    in_at, out_at = (0, shift) if reverse else (shift, 0)
    written = np.zeros(shift + in_size + pixels * out_c, dtype=bool)
    pairs = list(range(0, pixels, 2))
    for q in reversed(pairs) if reverse else pairs:
        group = range(q, min(q + 2, pixels))
        for p in group:
            if written[in_at + input_bytes_read(in_shape, filter_hw, pads, *divmod(p, out_w))].any():
                return True
        written[out_at + q * out_c:out_at + (group[-1] + 1) * out_c] = True
    return False


def same_pads(filter_hw) -> tuple[int, int]:
    """SAME at stride 1: the output as large as the input, the smaller half of the padding before."""
    return tuple((filter_hw[i] - 1) // 2 for i in range(2))


CASES = [  # (in H, W, C), out C, filter, SAME
    ((15, 7, 32), 32, (3, 3), True),  # the KWS-shaped CNN's 3x3 layers
    ((9, 11, 8), 12, (3, 3), True), ((9, 11, 12), 8, (3, 3), True), ((9, 11, 8), 8, (3, 3), True),
    ((9, 11, 8), 24, (3, 3), False), ((7, 9, 24), 8, (3, 3), False), ((5, 7, 8), 8, (3, 3), False),
    ((6, 8, 4), 16, (5, 5), True), ((6, 6, 16), 4, (5, 3), True), ((10, 3, 8), 8, (4, 2), True),
    ((12, 1, 3), 16, (5, 1), True), ((1, 9, 8), 8, (1, 3), True), ((5, 6, 8), 40, (1, 1), False),
    ((4, 4, 8), 8, (3, 3), True),
]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(("in_hwc", "out_c", "filter_hw", "same"), CASES)
def test_lead_and_trail_are_the_least_that_clobber_nothing(in_hwc, out_c, filter_hw, same, reverse):
    """The lead (trail) never clobbers an input byte before it is read, and one byte less does (unless it is 0)."""
    in_shape = (1, *in_hwc)
    pads = same_pads(filter_hw) if same else (0, 0)
    out_hw = in_hwc[:2] if same else (in_hwc[0] - filter_hw[0] + 1, in_hwc[1] - filter_hw[1] + 1)
    out_shape = (1, *out_hw, out_c)
    spatial = {"stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": pads[0],
               "pad_left": pads[1]}
    shift = (window_trail if reverse else window_lead)(in_shape, out_shape, filter_hw, spatial)
    assert shift is not None
    assert not clobbers(shift, in_shape, out_shape, filter_hw, pads, reverse)
    assert shift == 0 or clobbers(shift - 1, in_shape, out_shape, filter_hw, pads, reverse)


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    return {name: build_case(build, IN_PLACE_WINDOWS_SHAPE, seed=4100 + i)["tflite"]
            for i, (name, build) in enumerate([("in_place_windows", in_place_windows),
                                               ("reversed_windows", reversed_windows)])}


@pytest.mark.parametrize(("name", "reversed_count"), [("in_place_windows", 0), ("reversed_windows", 2)])
def test_3x3_convs_written_in_place_match_tflm(models, name, reversed_count, tmp_path):
    """Every 3x3 conv of the models (SAME and VALID; equal, widening, narrowing; some with pixels last to first) is
    placed over its input, at offsets the replay finds safe, and the generated C (ASan + UBSan) equals TFLM."""
    graph = read_graph(models[name])
    plan = plan_layers(graph, build_layers(graph, "m"))
    convs = [op for op in graph.ops if op.kind == "CONV_2D" and graph.tensors[op.inputs[1]].shape[1:3] == (3, 3)]
    assert len(convs) >= 4 and len(plan.reversed) == reversed_count
    for op in convs:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        source, target = plan.buffer(op.inputs[0]), plan.buffer(op.outputs[0])
        assert (source.root, target.root) in plan.in_place, op.index
        pads = same_pads((3, 3)) if y.shape[1:3] == x.shape[1:3] else (0, 0)
        reverse = op.index in plan.reversed
        shift = target.offset - source.offset if reverse else source.offset - target.offset
        assert shift >= 0 and not clobbers(shift, x.shape, y.shape, (3, 3), pads, reverse), op.index
    assert_bit_exact(models[name], name, tmp_path, seed=4100)
