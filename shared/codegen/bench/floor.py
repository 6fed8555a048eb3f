"""The analytic floor of a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer on the Cortex-M7 (ARMv7E-M DSP):
the fewest instructions per MAC that any bit-exact kernel needs for the layer's shape when it requantizes as
kernels/cortex_m does (see shared/codegen/README.md, "Benchmark", for the derivation).

Per output value: ceil(taps / 2) SMLAD (two 16x16 products a instruction; `taps` = the filter's values per output:
kh * kw * in_c for a conv, kh * kw for a depthwise conv, the inputs for a fully connected layer, padding taps
included as the kernels compute them), then the requantization of the fused asm (matvec.c's CG_FUSED_OUT_NOFIX
and CG_FUSED_OUT_FIX, depthwise_3x3.c's passes): SMMLAR (multiplier and offset), the sign correction SUB only where
act_min < out_zp (ops/matvec.py fused_form), ASR by the row's shift, SSAT to int8 (a compare, IT and move
instead per bound of the activation range inside the int8 range, as cg_clamp_dsp; SSAT while one bound is -128 or
127), STRB. Not counted: loads of weights, inputs and requantization records, sign extensions, pointer and loop
arithmetic; a kernel comes near the floor only where those are shared across enough outputs.
"""

from __future__ import annotations

from math import ceil

from shared.codegen.graph import ACTIVATION_NAMES, Graph, Op
from shared.codegen.multipliers import activation_range

FLOOR_KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
# SMMLAR, ASR and STRB: every requantized output takes them
REQUANTIZE_FIXED = 3
CLAMP_BOUND = 3  # CMP, IT, MOV per bound inside the int8 range


def taps_per_output(graph: Graph, op: Op) -> int:
    """The filter's values per output value: weights (out, kh, kw, in) for CONV_2D, (1, kh, kw, c) for
    DEPTHWISE_CONV_2D, (out, in) for FULLY_CONNECTED."""
    shape = graph.tensors[op.inputs[1]].shape
    if op.kind == "CONV_2D":
        return shape[1] * shape[2] * shape[3]
    if op.kind == "DEPTHWISE_CONV_2D":
        return shape[1] * shape[2]
    return shape[1]


def requantize_instructions(graph: Graph, op: Op) -> int:
    """SMMLAR, ASR, STRB, the sign correction where act_min < out_zp, SSAT and CMP/IT/MOV per inner bound."""
    y = graph.tensors[op.outputs[0]]
    activation = ACTIVATION_NAMES.get(getattr(op.options, "fusedActivationFunction", 0), "NONE")
    act_min, act_max = activation_range(activation, y.scale, y.zero_point)
    sign_fix = int(act_min < y.zero_point)
    inner = int(act_min > -128) + int(act_max < 127)
    clamp = CLAMP_BOUND * inner + (inner < 2)  # SSAT unless both bounds are inside
    return REQUANTIZE_FIXED + sign_fix + clamp


def floor_per_mac(graph: Graph, op: Op) -> float | None:
    """(ceil(taps / 2) + requantize instructions) / taps, or None for other ops."""
    if op.kind not in FLOOR_KINDS:
        return None
    taps = taps_per_output(graph, op)
    return (ceil(taps / 2) + requantize_instructions(graph, op)) / taps
