"""The generated C on an emulated Cortex-M7 (QEMU mps2-an500): portable and DSP (SMLAD) kernels both equal TFLM
byte for byte, and the DSP path needs fewer instructions."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from shared.codegen import emit_c, generate
from shared.codegen.bench.cortex_m import build_image, run_image
from shared.codegen.bench.models import BENCH_MODELS
from shared.codegen.ops import conv_2d, matvec
from shared.tflm import run_tflm
from tests.codegen.keras_models import (
    IN_PLACE_WINDOWS_SHAPE,
    assert_bit_exact,
    build_case,
    in_place_windows,
    reversed_windows,
    test_inputs,
)
from tests.conftest import require_tool

pytestmark = [pytest.mark.firmware, pytest.mark.slow]


def cnn(L, x):
    x = L.Conv2D(6, 3, padding="same", activation="relu")(x)  # 6 rows: one block of 4 and 2 tail rows
    x = L.DepthwiseConv2D(3, depth_multiplier=2, strides=2)(x)
    x = L.AveragePooling2D()(L.Conv2D(5, 1, activation="relu6")(x))
    return L.Dense(7, activation="softmax")(L.GlobalAveragePooling2D()(x))


def conv1d(L, x):
    x = L.MaxPooling1D(2)(L.Conv1D(9, 5, activation="relu")(x))  # depth 15 -> padded to 16
    return L.Dense(3, activation="sigmoid")(L.Dense(13)(L.GlobalAveragePooling1D()(x)))


def mlp(L, x):
    # 62 and 39 inputs: column tails of 2 and 1 values inside a group of 4 (DSP lane order), padded depth 64, 40
    return L.Dense(5, activation="softmax")(L.Dense(39, activation="relu")(x))


def odd_channels(L, x):
    """2 and 5 input channels with SAME padding: taps start mid-group in the DSP column's lane order"""
    x = L.Conv2D(5, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(6, 5, padding="same")(x)
    return L.Dense(4)(L.GlobalAveragePooling2D()(x))


def strided(L, x):
    """stride 2 VALID over 7 channels (taps start mid-group in the pair column), 7 output pixels a row (the last one
    alone), 10 filters (two rows after the blocks of 4); then depth 90 -> 92: 46 words, the 4x2 loop's 2-step tail"""
    x = L.Conv2D(10, 3, strides=2, activation="relu")(x)
    x = L.Conv2D(12, 3, padding="same")(x)
    return L.Dense(4)(L.Flatten()(x))


def pair_fill(L, x):
    """3x3 SAME over 16 channels (windows of 144 values: filter rows of 48 widened for both pixels at once, from the
    input inside the image, from a staged copy at its left and right edges, padded rows zeroed; pairs across row
    ends), then stride 2 over 8 channels (windows of 72 values, copied whole)"""
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = L.Conv2D(6, 3, strides=2, padding="same")(x)
    return L.Dense(3)(L.Flatten()(x))


def triple_pixels(L, x):
    """1x1 stride-1 convs with int8 weights in flash (fused, out_c <= in_c): GCC's DSP build takes them three pixels
    a pass (2 rows x 3 pixels), the rest as a pair or a lone pixel: 35 pixels (11 passes and a pair) over 72 channels
    (18 groups: a first pass of 2, then 16), with ReLU (no sign correction) and without; then 28 pixels (9 passes
    and a lone pixel) over 16 channels"""
    x = L.Conv2D(72, 1, activation="relu")(x)
    x = L.Conv2D(64, 1)(x)
    x = L.Conv2D(16, (2, 1), activation="relu")(x)
    x = L.Conv2D(16, 1, activation="relu")(x)
    x = L.Conv2D(12, 1)(x)
    return L.Dense(4)(L.Flatten()(x))


def word_rows(L, x):
    """fused convs of filter rows of one word with int8 weights: the DS-CNN's first conv on a smaller input (10x4
    stride 2 SAME over 1 channel, 12 filters, ReLU: 50 pixels, 16 passes of three and a pair, across row ends and at
    all four edges), a 1x1 12 -> 4 and a (3, 1) VALID conv over its 4 channels without activation (the sign
    correction; 40 pixels: 13 passes and a lone pixel)"""
    x = L.Conv2D(12, (10, 4), strides=2, padding="same", activation="relu")(x)
    x = L.Conv2D(4, 1, activation="relu")(x)
    x = L.Conv2D(8, (3, 1))(x)
    return L.Dense(4)(L.Flatten()(x))


def chunks(L, x):
    """fused 1x1 convs with int8 weights and ReLU (no sign correction), cg_matvec_chunk on GCC: 8 -> 8 channels over
    10x10 = 100 pixels (50 pairs in chunks of 6 and 5; depth 8: the one pass runs 4 of the 32 unrolled steps), fused
    with the 2x2 max pool after it (the pool's ring after the chunk's scratch), 8 -> 8 over 5x5 = 25 pixels (12 pairs
    in chunks of 6, then the lone last pixel), then after a (2, 1) VALID conv (pairs only) 8 -> 4 over 20 pixels
    (chunks of 5 pairs)"""
    x = L.MaxPooling2D(2)(L.Conv2D(8, 1, activation="relu")(x))
    x = L.Conv2D(8, 1, activation="relu")(x)
    x = L.Conv2D(8, (2, 1))(x)
    x = L.Conv2D(4, 1, activation="relu")(x)
    return L.Dense(4)(L.Flatten()(x))


def chunk_fit(L, x):
    """two fused 1x1 convs over 5x5 pixels after a 3x3 conv and a pool, the arena's peak: emit_c.fit_chunks gives
    both chunks without growing the arena"""
    x = L.AveragePooling2D(2)(L.Conv2D(16, 3, padding="same", activation="relu")(x))
    x = L.Conv2D(16, 1, activation="relu")(x)
    x = L.Conv2D(8, 1, activation="relu")(x)
    return L.Dense(4)(L.Flatten()(x))


def first_conv(L, x):
    """MLPerf Tiny DS-CNN's first conv on a smaller input: 1 input channel, 10x4 stride 2 SAME (windows of 40
    values copied whole, zero points at the padding on all four sides), 5 output pixels a row (pairs across row
    ends), 10 filters (2 rows after the blocks of 4); then 3x2 stride 2 VALID over 10 channels (windows of 60), a
    1x1 8 -> 7 conv on the pointwise path (3 rows after the block of 4, an odd count for int8 weights) and a Dense
    of 12 (per-tensor weights; the convs are per-channel)"""
    x = L.Conv2D(10, (10, 4), strides=2, padding="same", activation="relu")(x)
    x = L.Conv2D(8, (3, 2), strides=2, activation="relu")(x)
    x = L.Conv2D(7, 1, activation="relu")(x)
    return L.Dense(12)(L.Flatten()(x))


def rgb_conv(L, x):
    """MobileNet's first conv on a smaller image: 3 input channels, 3x3 stride 2 SAME (windows of 27 values staged
    whole and widened in one pass), 5x5 = 25 output pixels (odd), then 1x1 convs 8 -> 16 (narrow, pointwise) and
    16 -> 6 with ReLU6"""
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(x)
    x = L.Conv2D(16, 1, activation="relu6")(x)
    x = L.Conv2D(6, 1, activation="relu6")(x)
    return L.Dense(4)(L.GlobalAveragePooling2D()(x))


def gather_shapes(L, x):
    """first convs of one channel whose windows cg_conv_gather fills: 5x3 stride 2 SAME (the KWS-shaped CNN's; zero
    points staged on all four sides, rows of 6 pixels), 3x3 VALID (the MNIST-shaped CNN's, 11 x 9 = 99 pixels: a
    lone last one) and 3x3 stride 1 SAME; then a Dense over all three"""
    a = L.Flatten()(L.Conv2D(5, (5, 3), strides=2, padding="same", activation="relu")(x))
    b = L.Flatten()(L.Conv2D(6, 3, activation="relu")(x))
    c = L.Flatten()(L.Conv2D(4, 3, padding="same")(x))
    return L.Dense(5)(L.Concatenate()([a, b, c]))


def max_pools(L, x):
    """MAX_POOL_2D on the SSUB8/SEL path (4 channels a word): 3x3 stride 2 SAME over the input's 4 channels (clipped
    windows), a 2x2 pool fused with a 3x3 conv of 8 channels (the ring), and on the reference loop: 2x3 stride 1 SAME
    fused with a 1x1 conv of 6 channels"""
    a = L.Flatten()(L.MaxPooling2D(3, strides=2, padding="same")(x))
    b = L.Flatten()(L.MaxPooling2D(2)(L.Conv2D(8, 3, activation="relu")(x)))
    c = L.Flatten()(L.MaxPooling2D((2, 3), strides=1, padding="same")(L.Conv2D(6, 1)(x)))
    return L.Dense(5)(L.Concatenate()([a, b, c]))


def depthwise(L, x):
    """depth multiplier 1, the DSP fast path: 3x3 SAME over 6 channels (a group of 4 and 2 left) and 7 pixels a
    row (a 4-pixel pass, a pair, the last pixel alone); ReLU6 (a clamped range: the general loop); 3x3 stride 2; 5x2"""
    x = L.DepthwiseConv2D(3, padding="same")(x)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    x = L.DepthwiseConv2D(3, strides=2, padding="same")(x)
    x = L.DepthwiseConv2D((5, 2), padding="same")(x)
    return L.Dense(4)(L.Flatten()(x))


def depthwise_shapes(L, x):
    """the depthwise fast path's other shape classes over 10 channels (5 pairs, 2 mod 4): 3x3 VALID stride 1 over 17
    pixels a row (four 4-pixel passes and the last pixel alone), 3x3 SAME strides (1, 2) over 9 (two 4-pixel
    stride-2 passes and the last pixel alone), 3x3 VALID stride 3 (the general loop, pixels at odd columns: weight
    set 1), 3x3 VALID stride 1 to one pixel, 5x5 SAME (the general loop)"""
    x = L.DepthwiseConv2D(3)(x)
    x = L.DepthwiseConv2D(3, strides=(1, 2), padding="same")(x)
    x = L.DepthwiseConv2D(3, strides=3)(x)
    x = L.DepthwiseConv2D(3)(x)
    x = L.DepthwiseConv2D(5, padding="same")(x)
    return L.Dense(4)(L.Flatten()(x))


def depthwise_rows(L, x):
    """3x3 stride-1 rows whose last pixel's third column is right padding (SAME), over 6 channels (3 pairs): 11 pixels
    a row (two 4-pixel passes, a pair, the last pixel alone without its padding word: the edge bias), 9 (a 4-pixel
    pass and the 5-pixel pass) and 5 (the 5-pixel pass alone, the DS-CNN's rows); VALID between them narrows the
    rows (its last pixel alone reads all three columns); no layer's input zero point is 0 (the edge bias would then
    equal the bias)"""
    x = L.DepthwiseConv2D(3, padding="same")(x)
    x = L.DepthwiseConv2D(3)(x)
    x = L.DepthwiseConv2D(3, padding="same")(x)
    x = L.DepthwiseConv2D(3)(x)
    x = L.DepthwiseConv2D(3, activation="relu")(x)  # zero point -128 at the next layer's padding
    x = L.DepthwiseConv2D(3, padding="same")(x)
    return L.Dense(4)(L.Flatten()(x))


def depthwise_relu(L, x):
    """the depthwise asm passes without the sign correction (ReLU: output zero point -128 = act_min, `sign_fix` 0)
    over 6 channels: rows of 9 (a 4-pixel pass and the 5-pixel pass), stride 2 to rows of 5 (a 4-pixel pass, the
    last pixel in C), rows of 5 (the 5-pixel pass alone); then one with the correction (no activation)"""
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu")(x)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = L.DepthwiseConv2D(3, padding="same")(x)
    return L.Dense(4)(L.Flatten()(x))


def depthwise_strides(L, x):
    """the 4-pixel passes at stride 2 and 1 over 8 channels, 13x13: 3x3 SAME stride 2 with ReLU (no sign correction)
    to rows of 7 (a 4-pixel pass, a pair, the last pixel alone), then stride 1 SAME over them (a 4-pixel pass, a pair,
    the last pixel alone); 3x3 VALID stride 2 to rows of 6 (a 4-pixel pass and a pair, with the correction),
    then VALID stride 2 to rows of 2 (a pair alone)"""
    same = L.DepthwiseConv2D(3, padding="same")(L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu")(x))
    valid = L.DepthwiseConv2D(3, strides=2)(x)
    return L.Dense(4)(L.Concatenate()([L.Flatten()(same), L.Flatten()(valid),
                                       L.Flatten()(L.DepthwiseConv2D(3, strides=2)(valid))]))


def depthwise_wide(L, x):
    """the MobileNet's last depthwise shapes: 128 channels, 6x6, 3x3 SAME stride 1 (a 4-pixel pass and a pair a
    row) and stride 2 to 3x3 (a pair and the last pixel alone), then 256 channels (a 1x1 conv widens them) 3x3 SAME
    stride 1 over rows of 3 (a pair and the last pixel alone)"""
    x = L.DepthwiseConv2D(3, strides=2, padding="same")(L.DepthwiseConv2D(3, padding="same", activation="relu")(x))
    x = L.DepthwiseConv2D(3, padding="same")(L.Conv2D(256, 1, activation="relu")(x))
    return L.Dense(4)(L.GlobalAveragePooling2D()(x))


def avg_pool(L, x):
    """AVERAGE_POOL_2D on the SXTAB16 path (12 channels: three words a pixel): 3x3 stride 2 SAME (windows clipped at
    the borders, runs of 3 and 2 pixels a row), then 2x5 over rows of 5 (whole rows: one run of 10 pixels), after a
    depthwise conv (no pool is fused into it)"""
    x = L.DepthwiseConv2D(3, depth_multiplier=4, padding="same")(x)
    x = L.AveragePooling2D(3, strides=2, padding="same")(x)
    x = L.DepthwiseConv2D(3, padding="same")(x)  # channels told apart between the pools
    x = L.AveragePooling2D((2, 5), strides=(1, 5))(x)
    return L.Dense(4)(L.Flatten()(x))


def mean_shapes(L, x):
    """MEAN (global average) over 16x16 = 256 pixels: of the input's 4 channels (the SXTAB16 path at its bound of
    256 values a lane), of a depthwise conv's 12 (three words a pixel); its fallbacks: the input stacked twice (512
    pixels) and a stride-2 conv's 5 channels"""
    many = L.GlobalAveragePooling2D()(L.Concatenate(axis=1)([x, x]))
    wide = L.GlobalAveragePooling2D()(L.DepthwiseConv2D(3, depth_multiplier=3, padding="same")(x))
    odd = L.GlobalAveragePooling2D()(L.Conv2D(5, 3, strides=2, padding="same")(x))
    return L.Concatenate()([L.GlobalAveragePooling2D()(x), many, wide, odd])


MEAN_FAST_COLUMNS = [*range(0, 4), *range(8, 20)]  # mean_shapes' outputs from the SXTAB16 path, groups of 4


def columns(L, x):
    """HAR-shaped layers down Hx1 columns, which the generator takes as rows (ops.column_as_row), over 37x1x3 (odd):
    Conv2D (5, 1) SAME + MaxPooling2D (2, 1) (the odd last row dropped), Conv2D (4, 1) stride 2 VALID, the
    depthwise fast path (3, 1) SAME over 12 channels, AveragePooling2D (3, 1) stride 2 SAME on the SXTAB16 path
    (windows clipped at both ends), Conv2D (3, 1) stride 2 SAME (1 padding row before, 1 after); mean, dense"""
    x = L.MaxPooling2D((2, 1))(L.Conv2D(16, (5, 1), padding="same", activation="relu")(x))
    x = L.Conv2D(12, (4, 1), strides=(2, 1))(x)
    x = L.AveragePooling2D((3, 1), strides=(2, 1), padding="same")(L.DepthwiseConv2D((3, 1), padding="same")(x))
    x = L.Conv2D(8, (3, 1), strides=(2, 1), padding="same", activation="relu")(x)
    return L.Dense(5)(L.GlobalAveragePooling2D()(x))


MODELS = {"depthwise": (depthwise, (11, 7, 6)),
          "cnn": (cnn, (9, 11, 3)), "conv1d": (conv1d, (40, 3)), "mlp": (mlp, (62,)),
          "odd_channels": (odd_channels, (7, 9, 2)), "strided": (strided, (13, 15, 7)),
          "pair_fill": (pair_fill, (6, 9, 16)), "triple_pixels": (triple_pixels, (5, 7, 72)),
          "first_conv": (first_conv, (19, 10, 1)), "rgb_conv": (rgb_conv, (9, 10, 3)),
          "mnist_cnn": BENCH_MODELS["mnist_cnn"],  # conv + max pool fused (ring of conv rows)
          "depthwise_shapes": (depthwise_shapes, (11, 19, 10)),
          "depthwise_rows": (depthwise_rows, (10, 11, 6)),
          "avg_pool": (avg_pool, (9, 10, 3)),
          "mean_shapes": (mean_shapes, (16, 16, 4)),
          "in_place_windows": (in_place_windows, IN_PLACE_WINDOWS_SHAPE),  # 3x3 convs over their input
          "reversed_windows": (reversed_windows, IN_PLACE_WINDOWS_SHAPE),  # some with pixels last to first
          "depthwise_relu": (depthwise_relu, (6, 9, 6)), "word_rows": (word_rows, (19, 10, 1)),
          "chunks": (chunks, (10, 10, 8)), "chunk_fit": (chunk_fit, (10, 10, 8)),
          "depthwise_strides": (depthwise_strides, (13, 13, 8)),
          "depthwise_wide": (depthwise_wide, (6, 6, 128)),
          "gather_shapes": (gather_shapes, (13, 11, 1)), "max_pools": (max_pools, (9, 11, 4)),
          "columns": (columns, (37, 1, 3))}  # (added last: the seeds of the models above stay)


@pytest.fixture(scope="module")
def models():
    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    return {name: build_case(build, shape, seed=3000 + i)["tflite"] for i, (name, (build, shape)) in
            enumerate(MODELS.items())}


@pytest.mark.parametrize("name", list(MODELS))
def test_portable_and_dsp_match_tflm_on_qemu(models, name, tmp_path):
    model_bytes = models[name]
    generated = generate(model_bytes, name, f"{name}.tflite")
    x = test_inputs(generated.input_size, seed=5, count=12)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    instructions = {}
    for dsp in (False, True):
        run = run_image(build_image(model_bytes, name, tmp_path / ("dsp" if dsp else "portable"), dsp=dsp), x,
                        generated.output_size)
        np.testing.assert_array_equal(run.outputs, expected, err_msg=f"{name} dsp={dsp} differs from TFLM")
        instructions[dsp] = float(np.median(run.instructions))
    assert instructions[True] < instructions[False], instructions


@pytest.mark.parametrize("name", ["depthwise", "depthwise_shapes", "depthwise_rows", "depthwise_relu",
                                  "depthwise_strides", "depthwise_wide"])
def test_depthwise_fast_path_taken(models, name):
    """Every depthwise layer of the depthwise models has the DSP fast path (multiplier 1, exact requantization);
    the ReLU and ReLU6 layers (output zero point -128) drop the asm passes' sign correction, the others keep it."""
    text = generate(models[name], name, f"{name}.tflite").c_text
    layers = {"depthwise": 4, "depthwise_shapes": 5, "depthwise_rows": 6, "depthwise_relu": 4, "depthwise_strides": 4,
              "depthwise_wide": 3}[name]
    assert text.count("cg_depthwise_conv_2d_dsp(&") == layers
    without = {"depthwise": 1, "depthwise_shapes": 0, "depthwise_rows": 1, "depthwise_relu": 3, "depthwise_strides": 1,
               "depthwise_wide": 1}[name]  # ReLU, ReLU6
    assert text.count(".sign_fix = 0") == without and text.count(".sign_fix = 1") == layers - without
    if name == "depthwise_rows":  # the edge bias differs from the bias only where the padding's zero point is not 0
        assert all(int(zp) != 0 for zp in re.findall(r"\.in_zp = (-?\d+), \.act_min = -128", text))


def test_average_pool_fast_path_taken(models):
    """Average pools over a multiple of 4 channels take the SXTAB16 path; 5 channels (cnn) keep the reference loop."""
    assert generate(models["avg_pool"], "avg_pool", "avg_pool.tflite").c_text.count("cg_avg_pool_2d_dsp(&") == 2
    assert "cg_avg_pool_2d_dsp(&" not in generate(models["cnn"], "cnn", "cnn.tflite").c_text


def test_mean_fast_path_matches_tflm(models, tmp_path):
    """MEAN over a multiple of 4 channels and at most 256 pixels takes the SXTAB16 path (2 of mean_shapes' 4 MEANs;
    the cnn's 5 channels keep the reference loop); with constant inputs at -128 and 127 (every lane of the 256-pixel
    MEAN of the input sums 256 equal extremes) and random ones it equals TFLM on QEMU. Within each group of 4
    channels TFLM's outputs differ pairwise on some input, so lanes swapped would fail."""
    model_bytes = models["mean_shapes"]
    generated = generate(model_bytes, "mean_shapes", "mean_shapes.tflite")
    assert generated.c_text.count("cg_mean_dsp(&") == 2
    assert "cg_mean_dsp(&" not in generate(models["cnn"], "cnn", "cnn.tflite").c_text
    x = np.concatenate([np.full((1, generated.input_size), v, np.int8) for v in (-128, 127)] +
                       [test_inputs(generated.input_size, seed=10, count=10)])
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    for group in range(0, len(MEAN_FAST_COLUMNS), 4):
        columns = MEAN_FAST_COLUMNS[group:group + 4]
        for i, a in enumerate(columns):
            for b in columns[i + 1:]:
                assert (expected[:, a] != expected[:, b]).any(), (a, b)
    run = run_image(build_image(model_bytes, "mean_shapes", tmp_path), x, generated.output_size)
    np.testing.assert_array_equal(run.outputs, expected)


@pytest.mark.parametrize("name", ["cnn", "strided", "mlp", "conv1d", "first_conv", "rgb_conv"])
def test_int8_weights_in_flash_match_tflm(models, name, tmp_path):
    """--flash-budget 0: every CONV_2D / FULLY_CONNECTED keeps int8 weights (SXTB16 in the loop; odd row counts,
    lone pixels, depth tails) and still equals TFLM byte for byte on QEMU."""
    model_bytes = models[name]
    generated = generate(model_bytes, name, f"{name}.tflite", flash_budget=0)
    assert generated.int8_weight_layers
    x = test_inputs(generated.input_size, seed=8, count=12)
    run = run_image(build_image(model_bytes, name, tmp_path, flash_budget=0), x, generated.output_size)
    np.testing.assert_array_equal(run.outputs, run_tflm(model_bytes, x).reshape(len(x), -1))


@pytest.mark.parametrize(("name", "triples", "chunks", "others"),
                         [("triple_pixels", 3, 1, 1), ("word_rows", 1, 2, 0), ("chunks", 0, 3, 1)])
def test_triple_and_chunk_pixels_taken_and_exact_in_every_build(models, name, triples, chunks, others, monkeypatch,
                                                                 tmp_path):
    """--flash-budget 0: fused int8 convs that take more than pairs on GCC -O2: 1x1 (out_c <= in_c) and filter rows
    of one word, three pixels a pass (`triple`, cg_matvec3: triple_pixels' 1x1 convs over 72 channels (depth above
    the chunk's 64) or with the sign correction, word_rows' (3, 1) conv) or, fused without the sign correction, in
    chunks with their weights widened once a chunk (`chunk`, cg_matvec_chunk: triple_pixels' 16 -> 16, word_rows'
    10x4 first conv and its 1x1, the 1x1 convs of `chunks`, one fused with a pool); clang and -O0 take pairs (no
    cg_matvec3 or cg_matvec_chunk in their images): all equal to TFLM on QEMU. Every conv that may take chunks
    takes 12 pixels a chunk here (emit_c.fit_chunks without its arena limit, which would drop most of these small
    models' chunks): several chunks of 6 and of 5 pairs, lone last pixels after them."""
    require_tool("clang")
    fit_chunks = emit_c.fit_chunks  # with no arena limit
    monkeypatch.setattr(emit_c, "fit_chunks", lambda graph, name, int8, layers, limit: fit_chunks(graph, name, int8,
                                                                                                  layers, 1 << 30))
    monkeypatch.setattr(conv_2d, "CHUNK_CHOICES", (12, 8))
    model_bytes = models[name]
    generated = generate(model_bytes, name, f"{name}.tflite", flash_budget=0)
    text = generated.c_text
    assert text.count(".triple = 1") == triples and text.count(".chunk = 0") == triples + others
    assert len(re.findall(r"\.chunk = [1-9]", text)) == chunks
    assert text.count("cg_conv_pool_2d(&") == (name == "chunks")  # the ring after a chunk's scratch
    x = test_inputs(generated.input_size, seed=11, count=6)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    for label, build in (("gcc", {}), ("clang", {"compiler": "clang"}), ("O0", {"optimize": "-O0"})):
        image = build_image(model_bytes, name, tmp_path / label, flash_budget=0, **build)
        symbols = subprocess.run(["arm-none-eabi-nm", str(image)], capture_output=True, text=True, check=True).stdout
        assert ("cg_matvec3" in symbols) == (label == "gcc" and triples > 0), label
        assert ("cg_matvec_chunk" in symbols) == (label == "gcc" and chunks > 0), label
        np.testing.assert_array_equal(run_image(image, x, generated.output_size).outputs, expected, err_msg=label)


@pytest.mark.parametrize("name", ["mlp", "conv1d", "cnn"])
def test_fully_connected_column_asm_exact_in_every_build(models, name, tmp_path):
    """FULLY_CONNECTED layers with int16 weights are fused whatever their row count (ops/matvec.py fused_form,
    `tail`): the column asm runs the blocks of 4 rows, the last rows % 4 follow alone (mlp's 39 and 5 outputs:
    tails of 3 and 1, with and without the sign correction; conv1d's 13 and 3 (no block at all); cnn's 7); equal to
    TFLM on QEMU built by GCC -O2, clang and GCC -O0 (the C form)."""
    require_tool("clang")
    model_bytes = models[name]
    generated = generate(model_bytes, name, f"{name}.tflite")
    fc_rows = [int(r) for r in re.findall(r"weights (\d+)x\d+", "\n".join(
        layer.summary for layer in generated.layers if layer.kind == "FULLY_CONNECTED"))]
    assert any(rows % 4 for rows in fc_rows), fc_rows
    fused = re.findall(r"cg_fully_connected_params \w+ = \{.*?\.fused = (\d)", generated.c_text, re.S)
    assert len(fused) == len(fc_rows) and all(f in "12" for f in fused), fused
    x = test_inputs(generated.input_size, seed=13, count=8)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    for label, build in (("gcc", {}), ("clang", {"compiler": "clang"}), ("O0", {"optimize": "-O0"})):
        image = build_image(model_bytes, name, tmp_path / label, **build)
        np.testing.assert_array_equal(run_image(image, x, generated.output_size).outputs, expected, err_msg=label)


@pytest.mark.parametrize(("name", "shapes"), [("rgb_conv", ["1"]), ("gather_shapes", ["2", "3", "3"])])
def test_gathered_windows_exact_in_every_build(models, name, shapes, tmp_path):
    """First convs of few channels fill their columns with cg_conv_gather (`gather`: 1 = 3x3 over 3 channels, 2 =
    5x3 over 1, 3 = 3x3 over 1; the weights' depth in its order), from the input inside the image and from a staged
    window at its edges: equal to TFLM on QEMU with int16 and int8 weights, built by GCC -O2, clang and GCC -O0."""
    require_tool("clang")
    model_bytes = models[name]
    generated = generate(model_bytes, name, f"{name}.tflite")
    assert re.findall(r"\.gather = ([1-9])", generated.c_text) == shapes
    x = test_inputs(generated.input_size, seed=14, count=6)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    for label, build in (("gcc", {}), ("clang", {"compiler": "clang"}), ("O0", {"optimize": "-O0"})):
        for budget in (None, 0):
            image = build_image(model_bytes, name, tmp_path / f"{label}_{budget}", flash_budget=budget, **build)
            np.testing.assert_array_equal(run_image(image, x, generated.output_size).outputs, expected,
                                          err_msg=f"{label} flash budget {budget}")


def test_max_pool_fast_path_exact_in_every_build(models, tmp_path):
    """MAX_POOL_2D over a multiple of 4 channels takes the SSUB8/SEL path, alone (cg_max_pool_2d_dsp) and fused with
    its conv (cg_max_pool_row_dsp in conv_pool_2d.c); 6 channels keep the reference loop: equal to TFLM on QEMU built
    by GCC -O2, clang and GCC -O0 (inputs all -128 among them: every window's maximum is the start value)."""
    require_tool("clang")
    model_bytes = models["max_pools"]
    generated = generate(model_bytes, "max_pools", "max_pools.tflite")
    # the input's pool alone (its portable call besides), both convs fused with their pools
    assert generated.c_text.count("cg_max_pool_2d_dsp(&") == 1 and generated.c_text.count("cg_pool_2d(&") == 1
    assert generated.c_text.count("cg_conv_pool_2d(&") == 2
    x = np.concatenate([np.full((1, generated.input_size), -128, np.int8), test_inputs(generated.input_size, 15, 6)])
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    for label, build in (("gcc", {}), ("clang", {"compiler": "clang"}), ("O0", {"optimize": "-O0"})):
        image = build_image(model_bytes, "max_pools", tmp_path / label, **build)
        np.testing.assert_array_equal(run_image(image, x, generated.output_size).outputs, expected, err_msg=label)


def test_chunks_fitted_to_the_arena(models, tmp_path):
    """--flash-budget 0, emit_c.fit_chunks: each conv that may take chunks gets the most pixels a chunk of
    CHUNK_CHOICES whose scratch keeps the arena at its size with no chunks: chunk_fit's two 1x1 convs 12 (the 3x3
    conv before them sets the arena), `chunks` none (its conv fused with the pool leaves no room); the arenas equal
    those without chunks; chunk_fit equal to TFLM on QEMU."""
    found = {}
    for name in ("chunk_fit", "chunks"):
        generated = generate(models[name], name, f"{name}.tflite", flash_budget=0)
        found[name] = (generated.arena_bytes, re.findall(r"\.chunk = (\d+)", generated.c_text))
    assert found["chunk_fit"][1] == ["0", "12", "12"] and found["chunks"][1] == ["0", "0", "0", "0"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conv_2d, "chunk_pixels", lambda *args: 0)
        for name in found:
            assert generate(models[name], name, f"{name}.tflite", flash_budget=0).arena_bytes == found[name][0]
    generated = generate(models["chunk_fit"], "chunk_fit", "chunk_fit.tflite", flash_budget=0)
    x = test_inputs(generated.input_size, seed=12, count=6)
    run = run_image(build_image(models["chunk_fit"], "chunk_fit", tmp_path, flash_budget=0), x, generated.output_size)
    np.testing.assert_array_equal(run.outputs, run_tflm(models["chunk_fit"], x).reshape(len(x), -1))


@pytest.mark.parametrize("flash_budget", [None, 0])
def test_clang_build_matches_tflm(models, flash_budget, tmp_path):
    """NAME.c built by clang for the Cortex-M7 (matvec.c's 4x2 block in C: clang keeps r7 for the frame), int16
    and int8 weights, the depthwise, average pool and MEAN fast paths: equal to TFLM on QEMU."""
    require_tool("clang")
    for name in ("strided", "depthwise", "depthwise_shapes", "depthwise_rows", "depthwise_relu", "avg_pool",
                 "mean_shapes", "first_conv", "depthwise_strides", "depthwise_wide"):
        generated = generate(models[name], name, f"{name}.tflite", flash_budget=flash_budget)
        x = test_inputs(generated.input_size, seed=9, count=6)
        image = build_image(models[name], name, tmp_path / name, flash_budget=flash_budget, compiler="clang")
        run = run_image(image, x, generated.output_size)
        np.testing.assert_array_equal(run.outputs, run_tflm(models[name], x).reshape(len(x), -1), err_msg=name)


def test_rounded_requantization_matches_tflm(models, monkeypatch, tmp_path):
    """Layers the one-SMMLAR requantization may not take (a shift >= 0, a large right shift or accumulator; here all
    of them, by allowing no right shift) keep the general 64-bit form: bit-exact on the host (ASan+UBSan) and on
    QEMU with the DSP kernels."""
    monkeypatch.setattr(matvec, "OFFSET_MAX_SHIFT", 0)
    model_bytes = models["cnn"]
    generated = generate(model_bytes, "cnn", "cnn.tflite")
    assert ".roundings =" in generated.c_text and "_offsets[" not in generated.c_text  # no offsets table
    assert_bit_exact(model_bytes, "cnn", tmp_path / "host")
    x = test_inputs(generated.input_size, seed=6, count=12)
    run = run_image(build_image(model_bytes, "cnn", tmp_path / "dsp"), x, generated.output_size)
    np.testing.assert_array_equal(run.outputs, run_tflm(model_bytes, x).reshape(len(x), -1))


@pytest.mark.parametrize(("name", "flash_budget"),
                         [("pair_fill", None), ("depthwise", None), ("depthwise_rows", None), ("depthwise_relu", None),
                          ("depthwise_strides", None), ("pair_fill", 0)])
def test_dsp_kernels_unoptimized_match_tflm(models, name, flash_budget, tmp_path):
    """-O0 keeps a frame pointer, so the asm loops (matvec's 4x2 block, 14 registers; depthwise's 4 pixels, 13) do
    not fit: their C forms run there, as exact; with int8 weights too (fused and plain blocks of 2 rows, several
    blocks per pass)."""
    model_bytes = models[name]
    generated = generate(model_bytes, name, f"{name}.tflite", flash_budget=flash_budget)
    x = test_inputs(generated.input_size, seed=7, count=4)
    image = build_image(model_bytes, name, tmp_path, optimize="-O0", flash_budget=flash_budget)
    run = run_image(image, x, generated.output_size)
    np.testing.assert_array_equal(run.outputs, run_tflm(model_bytes, x).reshape(len(x), -1))


def test_profile_build_counts_each_layer(models, tmp_path):
    """The profile image (NAME_LAYER_HOOK=bench_layer_done) is exact and counts every layer; the layers add up to
    the whole invoke within one 40-instruction tick per reading plus the hook calls' own cost; the plain image
    counts no layer."""
    model_bytes = models["cnn"]
    generated = generate(model_bytes, "cnn", "cnn.tflite")
    x = test_inputs(generated.input_size, seed=8, count=3)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    plain = run_image(build_image(model_bytes, "cnn", tmp_path / "plain"), x, generated.output_size)
    profiled = run_image(build_image(model_bytes, "cnn", tmp_path / "profile", profile=True), x,
                         generated.output_size)
    np.testing.assert_array_equal(profiled.outputs, expected)
    assert plain.layer_instructions == {}
    layers = profiled.layer_instructions
    assert len(layers) >= 5 and all(value > 0 for value in layers.values())
    whole = float(np.median(profiled.instructions))
    assert abs(whole - sum(layers.values())) <= 100 * (len(layers) + 1)


def test_columns_as_rows_exact_in_every_build(models, tmp_path):
    """The convs, pools and depthwise conv of `columns` run down Hx1 columns in the model and along rows in the
    generated C (all six; the DSP kernels' paths for several pixels of a row instead of a lone pixel a row): equal
    to TFLM on QEMU with int16 and int8 weights, built by GCC -O2, clang and GCC -O0."""
    require_tool("clang")
    model_bytes = models["columns"]
    generated = generate(model_bytes, "columns", "columns.tflite")
    as_rows = [layer.op_index for layer in generated.layers if "taken as the row it is in memory" in layer.summary]
    assert len(as_rows) == 6, [layer.summary for layer in generated.layers]
    assert "cg_depthwise_conv_2d_dsp(" in generated.c_text and "cg_avg_pool_2d_dsp(" in generated.c_text
    x = test_inputs(generated.input_size, seed=15, count=6)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    for label, build in (("gcc", {}), ("clang", {"compiler": "clang"}), ("O0", {"optimize": "-O0"})):
        for budget in (None, 0):
            image = build_image(model_bytes, "columns", tmp_path / f"{label}_{budget}", flash_budget=budget, **build)
            np.testing.assert_array_equal(run_image(image, x, generated.output_size).outputs, expected,
                                          err_msg=f"{label} flash budget {budget}")
