"""The generator's contract: files, header macros, byte-identical regeneration, refusals, CLI, linking several
models into one program, and the cross build for the Cortex-M7."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from shared.codegen import UnsupportedModelError, generate, write_model
from shared.codegen.graph import read_graph
from shared.codegen.host import STRICT_WARNINGS
from tests.codegen.keras_models import build_case, randomize
from tests.conftest import REPO_ROOT, require_tool

M7_FLAGS = ["-mcpu=cortex-m7", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard", "-mthumb"]


def small_cnn(L, x):
    x = L.Conv2D(4, 3, activation="relu")(x)
    x = L.MaxPooling2D()(x)
    return L.Dense(3, activation="softmax")(L.Flatten()(x))


def float_model_bytes() -> bytes:
    import tensorflow as tf

    inputs = tf.keras.Input((4,))
    model = randomize(tf.keras.Model(inputs, tf.keras.layers.Dense(2)(inputs)), np.random.default_rng(0))
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


@pytest.fixture(scope="module")
def models():
    return {
        "cnn": build_case(small_cnn, (8, 8, 2), seed=7)["tflite"],
        "mlp": build_case(lambda L, x: L.Dense(4)(L.Dense(8, activation="relu")(x)), (6,), seed=8)["tflite"],
        "tanh": build_case(lambda L, x: L.Activation("tanh")(L.Dense(3)(x)), (5,), seed=9)["tflite"],
        "float": float_model_bytes(),
    }


def test_regeneration_is_byte_identical(models, tmp_path):
    first = generate(models["cnn"], "cnn", "cnn.tflite")
    second = generate(bytes(models["cnn"]), "cnn", "cnn.tflite")
    assert first.c_text == second.c_text and first.h_text == second.h_text
    write_model(models["cnn"], tmp_path / "a", "cnn", "cnn.tflite")
    write_model(models["cnn"], tmp_path / "b", "cnn", "cnn.tflite")
    for suffix in (".c", ".h"):
        assert (tmp_path / "a" / f"cnn{suffix}").read_bytes() == (tmp_path / "b" / f"cnn{suffix}").read_bytes()
    assert not re.search(r"20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d", first.c_text + first.h_text), "no timestamps"


def test_header_contract(models):
    generated = generate(models["cnn"], "cnn", "cnn.tflite")
    graph = read_graph(models["cnn"])
    tensor_in, tensor_out = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    header = generated.h_text
    assert f"#define CNN_INPUT_SIZE {tensor_in.size} " in header
    assert f"#define CNN_OUTPUT_SIZE {tensor_out.size} " in header
    assert f"#define CNN_ARENA_SIZE {generated.arena_bytes} " in header
    assert f"#define CNN_INPUT_ZERO_POINT ({tensor_in.zero_point})" in header
    assert f"#define CNN_OUTPUT_ZERO_POINT ({tensor_out.zero_point})" in header
    scale = float(re.search(r"#define CNN_INPUT_SCALE (\S+)f", header).group(1))
    assert np.float32(scale) == np.float32(tensor_in.scale)
    assert "int cnn_invoke(const int8_t *input, int8_t *output);" in header
    for line in ("Do not edit", "sha256 ", "Regenerate: python -m shared.codegen cnn.tflite --out DIR --name cnn"):
        assert line in generated.c_text and line in header


def test_one_commented_function_per_layer(models):
    generated = generate(models["cnn"], "cnn", "cnn.tflite")
    graph = read_graph(models["cnn"])
    fused = {info.op_index for info in generated.layers if info.writes == "fused"}
    assert fused, "conv -> max pool is fused into one layer"
    for op in graph.ops:
        assert f"/* layer {op.index}: {op.kind} (op {op.index})" in generated.c_text or \
            f"/* layer {op.index}: {op.kind} + " in generated.c_text
        if op.kind not in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS") and op.index not in fused:
            assert f"static void cnn_l{op.index:02d}_{op.kind.lower()}" in generated.c_text
    assert "static void cnn_l00_conv_2d_max_pool_2d(" in generated.c_text
    assert "static const int8_t cnn_l00_weights[" in generated.c_text
    exported = re.findall(r"^(?!static)[a-z].*\(", generated.c_text, flags=re.MULTILINE)
    assert exported == ["int cnn_invoke("], f"only cnn_invoke may be visible to the linker: {exported}"


def test_refuses_float_model_naming_op_and_tensor(models):
    with pytest.raises(UnsupportedModelError, match=r"op 0 FULLY_CONNECTED, tensor \d+ .*float32"):
        generate(models["float"], "f", "f.tflite")


def test_refuses_unsupported_op(models):
    graph = read_graph(models["tanh"])
    index = next(op.index for op in graph.ops if op.kind == "TANH")
    with pytest.raises(UnsupportedModelError, match=rf"op {index} TANH, tensor \d+ '.*': this op is not supported"):
        generate(models["tanh"], "t", "t.tflite")


def test_refuses_garbage_and_bad_names(models):
    with pytest.raises(UnsupportedModelError):
        generate(b"not a model at all", "m", "m.tflite")
    with pytest.raises(ValueError, match="C identifier"):
        generate(models["mlp"], "9lives", "m.tflite")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shared.codegen", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, check=False)


def test_cli_writes_both_files(models, tmp_path):
    model_path = tmp_path / "mlp.tflite"
    model_path.write_bytes(models["mlp"])
    result = run_cli(str(model_path), "--out", str(tmp_path / "out"), "--name", "mlp")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mlp.c", "mlp.h"]


def test_cli_refusal_is_one_line_exit_2_nothing_written(models, tmp_path):
    model_path = tmp_path / "tanh.tflite"
    model_path.write_bytes(models["tanh"])
    result = run_cli(str(model_path), "--out", str(tmp_path / "out"), "--name", "tanh")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "TANH" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


LINK_MAIN = """
#include <stdio.h>
#include "cnn.h"
#include "mlp.h"
int main(void)
{
    static int8_t a_in[CNN_INPUT_SIZE], a_out[CNN_OUTPUT_SIZE], b_in[MLP_INPUT_SIZE], b_out[MLP_OUTPUT_SIZE];
    int status = cnn_invoke(a_in, a_out) | mlp_invoke(b_in, b_out);
    printf("%d %d\\n", status, (int)a_out[0] + (int)b_out[0]);
    return status;
}
"""


def test_two_models_link_into_one_program(models, tmp_path):
    write_model(models["cnn"], tmp_path, "cnn", "cnn.tflite")
    write_model(models["mlp"], tmp_path, "mlp", "mlp.tflite")
    (tmp_path / "main.c").write_text(LINK_MAIN)
    binary = tmp_path / "both"
    subprocess.run(["gcc", *STRICT_WARNINGS, str(tmp_path / "cnn.c"), str(tmp_path / "mlp.c"), str(tmp_path / "main.c"),
                    "-o", str(binary)], check=True, capture_output=True)
    result = subprocess.run([str(binary)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("0 ")


@pytest.mark.parametrize("cpu", ["cortex-m7", "cortex-m0plus"])
def test_cross_compiles_for_cortex_m(models, tmp_path, cpu):
    """-mcpu=cortex-m7 has the DSP extension (SMLAD path compiled); cortex-m0plus has not (portable path)."""
    compiler = require_tool("arm-none-eabi-gcc")
    write_model(models["cnn"], tmp_path, "cnn", "cnn.tflite")
    flags = M7_FLAGS if cpu == "cortex-m7" else ["-mcpu=cortex-m0plus", "-mthumb"]
    result = subprocess.run([compiler, *STRICT_WARNINGS, *flags, "-O2", "-c", str(tmp_path / "cnn.c"), "-o",
                             str(tmp_path / "cnn.o")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def separable_cnn(L, x):
    """Every DSP kernel family of the benchmark models: a first conv, a depthwise 3x3 (its passes and lone pixel),
    a 1x1 conv, a max pool and an FC whose rows are not a multiple of 4."""
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = L.Conv2D(16, 1, activation="relu")(x)
    x = L.MaxPooling2D()(x)
    return L.Dense(6)(L.Flatten()(x))


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_dsp_kernels_compile_at_every_optimization_level(tmp_path, compiler):
    """The Cortex-M7 kernels (asm forms at -O1 and above, C forms at -O0) with int16 and with int8 weights build
    warning-free with GCC and clang at -O0, -O2 and -Os: no helper is left unused where its caller is compiled out."""
    from shared.codegen.bench.cortex_m import CLANG_M7

    command = ([require_tool("arm-none-eabi-gcc"), *M7_FLAGS] if compiler == "gcc"
               else [require_tool("clang"), *CLANG_M7[1:]])
    model = build_case(separable_cnn, (15, 11, 1), seed=11)["tflite"]
    for budget, weights in ((1 << 30, "int16"), (0, "int8")):
        write_model(model, tmp_path / weights, "sep", "sep.tflite", flash_budget=budget)
        for optimize in ("-O0", "-O2", "-Os"):
            result = subprocess.run([*command, *STRICT_WARNINGS, optimize, "-c", str(tmp_path / weights / "sep.c"),
                                     "-o", str(tmp_path / "sep.o")], capture_output=True, text=True, check=False)
            assert result.returncode == 0, f"{compiler} {optimize} {weights} weights:\n{result.stderr[-2000:]}"


def test_export_for_the_demos_writes_files_and_checks_parity(models, tmp_path):
    from shared.codegen.parity import export_codegen

    x = np.random.default_rng(0).integers(-128, 128, size=(5, 8 * 8 * 2), dtype=np.int8)
    metrics = export_codegen(models["cnn"], tmp_path / "export", "cnn", "cnn.tflite", x)
    assert metrics["samples"] == 5 and metrics["bit_exact"] and metrics["mismatched_samples"] == 0
    assert [p.rsplit("/", 1)[-1] for p in metrics["files"]] == ["cnn.c", "cnn.h"]
    assert metrics["arena_bytes"] == generate(models["cnn"], "cnn", "cnn.tflite").arena_bytes
    assert 0 < metrics["arena_vs_tflm"] < 1


def test_compiles_with_clang_too(models, tmp_path):
    """Any C99 compiler: clang with the same warning set, warnings as errors."""
    compiler = require_tool("clang")
    write_model(models["cnn"], tmp_path, "cnn", "cnn.tflite")
    result = subprocess.run([compiler, *STRICT_WARNINGS, "-O2", "-c", str(tmp_path / "cnn.c"), "-o",
                             str(tmp_path / "cnn.o")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_offsets_requantization_only_where_exact():
    """cg_requantize_offset's table: 2^(r-1) + zp * 2^r per row, and None (the general form) as soon as one row has
    a shift >= 0, a right shift above 21, or an accumulator bound |bias| + sum |w| * max |x - zp| of 2^30."""
    from shared.codegen.ops.matvec import offsets

    weights, bias = np.full((2, 3), -128, dtype=np.int8), np.array([5, -7])
    np.testing.assert_array_equal(offsets(np.array([-1, -4]), -3, weights, bias, 0), [1 - 6, 8 - 48])
    assert offsets(np.array([-1, 0]), 0, weights, bias, 0) is None
    assert offsets(np.array([-1, 1]), 0, weights, bias, 0) is None
    assert offsets(np.array([-21, -22]), 0, weights, bias, 0) is None
    assert offsets(np.array([-21, -21]), 0, weights, bias, 0) is not None
    assert offsets(np.array([-2, -2]), 0, weights, np.array([0, (1 << 30) - 3 * 128 * 128]), 0) is None  # zp 0: 128
    assert offsets(np.array([-2, -2]), 0, weights, np.array([0, (1 << 30) - 3 * 128 * 128 - 1]), 0) is not None


def test_flash_budget_chooses_int8_or_int16_weights_per_layer(models):
    """choose_int8_layers: the default widens everything of a small model (int16 tables within 64 KiB); budget 0
    keeps int8 everywhere; a budget with room for one layer's int16 table widens the layer with the most MACs per
    byte; the generated DSP tables follow the choice (int8: a quarter of the words of the int16 pairs' half; the
    conv's 4 rows reach the whole int8 range, so its table is the fused stream: per block of 2 rows also 4 words of
    bias and 6 of requantization records)."""
    from shared.codegen.emit_c import choose_int8_layers, matvec_weights

    graph = read_graph(models["cnn"])
    sizes = matvec_weights(graph)  # conv 3x3x2 -> 4 (depth 18 -> 20), after the pool (op 1, reshape op 2) 36 -> 3
    assert sizes == {0: (4 * 20, 6 * 6 * 4 * 18), 3: (3 * 36, 3 * 36)}
    assert choose_int8_layers(graph, None) == set()
    assert choose_int8_layers(graph, 0) == {0, 3}
    int8_total = 4 * 20 + 3 * 36
    assert choose_int8_layers(graph, int8_total + 4 * 20) == {3}  # the conv: 32.4 MACs per byte, the dense 1
    assert choose_int8_layers(graph, int8_total + 4 * 20 - 1) == {0, 3}
    assert choose_int8_layers(graph, 2 * int8_total) == set()
    int16 = generate(models["cnn"], "cnn", "cnn.tflite")
    int8 = generate(models["cnn"], "cnn", "cnn.tflite", flash_budget=0)
    assert int8.int8_weight_layers == [0, 3] and int16.int8_weight_layers == []
    words = re.search(r"#if CG_DSP.*?cnn_l00_weights\[(\d+)\]", int8.c_text, re.S).group(1)
    assert int(words) == 4 * 20 // 4 + 2 * (4 + 6) and ".int8_weights = 1, .fused = 2" in int8.c_text
    assert "--flash-budget 0" in int8.c_text and ".int8_weights = 0" in int16.c_text


def test_cli_flash_budget(models, tmp_path):
    model_path = tmp_path / "cnn.tflite"
    model_path.write_bytes(models["cnn"])
    result = run_cli(str(model_path), "--out", str(tmp_path / "out"), "--name", "cnn", "--flash-budget", "0")
    assert result.returncode == 0, result.stderr
    assert ".int8_weights = 1" in (tmp_path / "out" / "cnn.c").read_text()
    assert run_cli(str(model_path), "--out", str(tmp_path / "out"), "--flash-budget", "-1").returncode == 2
