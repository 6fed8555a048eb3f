"""STRIDED_SLICE (shared/codegen/ops/strided_slice.py ↔ kernels/reference/strided_slice.c): contiguous slices as
views at an offset (of the model input and of arena tensors), copies where a view would grow the arena or would be
the model output, the kernel for every other slice (inner axes, strides 2 and 3, negative strides, shrunk axes);
bit-exact with TFLM on the host (ASan+UBSan, and -O3) and on QEMU (portable and DSP kernels); the refusals.

Keras Lambda layers make the slices here (tests only; the converter turns `t[:, a:b]` into STRIDED_SLICE).
"""

from __future__ import annotations

import flatbuffers
import numpy as np
import pytest
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from shared.codegen import UnsupportedModelError, generate
from shared.codegen.bench.cortex_m import build_image, run_image
from shared.codegen.emit_c import emit_layer, plan_layers
from shared.codegen.graph import read_graph
from shared.export import export_tflm
from shared.tflm import run_tflm
from tests.codegen.keras_models import assert_bit_exact, build_case, test_inputs
from tests.conftest import require_tool

FEATURE_ROWS, WINDOW_ROWS = 14, 40  # the HAR model's input: 41 features padded to 14 rows of 3, then the window


def two_branch(L, x):
    """The HAR demo's single-input model, smaller: rows [0, 14) are features (Dense), rows [14, 54) the raw x/y/z
    window (the 1D CNN); the model input feeds both slices."""
    features = L.Flatten()(L.Lambda(lambda t: t[:, :FEATURE_ROWS])(x))
    window = L.Lambda(lambda t: t[:, FEATURE_ROWS:])(x)
    hidden = L.Dense(32, activation="relu")(features)
    c = L.MaxPooling2D((2, 1))(L.Conv2D(16, (5, 1), padding="same", activation="relu")(window))
    c = L.GlobalAveragePooling2D()(L.Conv2D(24, (3, 1), padding="same", activation="relu")(c))
    return L.Dense(6, activation="softmax")(L.Concatenate()([hidden, c]))


def slices(L, x):
    """Seven slices of one arena tensor (1x9x6x8): rows 2:7 (a view at byte 96, then a conv), one row shrunk away (a
    view at byte 144, read last by the concatenation), columns 1:5, strides 2 and 3, rows reversed, channels 2:6,
    and negative begin, a step of -2 and a shrunk channel together (the kernel)."""
    a = L.Conv2D(8, 1)(x)
    parts = [L.Conv2D(4, 3, padding="same")(L.Lambda(lambda t: t[:, 2:7])(a)),
             L.Lambda(lambda t: t[:, :, 1:5])(a),
             L.Lambda(lambda t: t[:, 1::2, ::3])(a),
             L.Lambda(lambda t: t[:, ::-1])(a),
             L.Lambda(lambda t: t[:, 3])(a),
             L.Lambda(lambda t: t[:, :, :, 2:6])(a),
             L.Lambda(lambda t: t[:, -2:, 5:0:-2, 7])(a)]
    return L.Dense(5)(L.Concatenate()([L.Flatten()(p) for p in parts]))


def late_slice(L, x):
    """Two rows of a 8x8x16 activation, then two convs over them: a view would keep all 8 rows alive during the
    first of those convs, a copy frees them."""
    a = L.Conv2D(16, 3, padding="same", activation="relu")(x)
    s = L.Conv2D(16, 3, padding="same", activation="relu")(L.Lambda(lambda t: t[:, :2])(a))
    s = L.Conv2D(16, 3, padding="same", activation="relu")(s)
    return L.Dense(4)(L.GlobalAveragePooling2D()(s))


def slice_output(L, x):
    """A contiguous slice that is the model output, through a Flatten (a view of the slice)."""
    return L.Flatten()(L.Lambda(lambda t: t[:, 1:3])(L.Conv2D(6, 1)(x)))


MODELS = {"two_branch": (two_branch, (FEATURE_ROWS + WINDOW_ROWS, 1, 3)), "slices": (slices, (9, 6, 4)),
          "late_slice": (late_slice, (8, 8, 3)), "slice_output": (slice_output, (5, 4, 3))}


@pytest.fixture(scope="module")
def models():
    return {name: build_case(build, shape, seed=4000 + i)["tflite"] for i, (name, (build, shape)) in
            enumerate(MODELS.items())}


def slice_layers(model_bytes: bytes, name: str):
    return [layer for layer in generate(model_bytes, name, f"{name}.tflite").layers if layer.kind == "STRIDED_SLICE"]


def test_two_branch_slices_are_views_of_the_input(models, tmp_path):
    model_bytes = models["two_branch"]
    kinds = [op.kind for op in read_graph(model_bytes).ops]
    assert kinds.count("STRIDED_SLICE") == 2, kinds
    generated = generate(model_bytes, "two_branch", "two_branch.tflite")
    features, window = [layer for layer in generated.layers if layer.kind == "STRIDED_SLICE"]
    assert (features.reads, features.writes) == (["input"], "input")
    assert (window.reads, window.writes) == (["input"], f"input + {FEATURE_ROWS * 3}")
    assert "cg_strided_slice" not in generated.c_text and "memcpy(out, in0" not in generated.c_text
    conv = next(layer for layer in generated.layers if layer.kind == "CONV_2D")
    assert conv.reads == [f"input + {FEATURE_ROWS * 3}"]  # the first conv reads the window where the caller put it
    assert_bit_exact(model_bytes, "two_branch", tmp_path / "sanitized")
    assert_bit_exact(model_bytes, "two_branch", tmp_path / "fast", sanitize=False)


def test_slices_match_tflm(models, tmp_path):
    generated = generate(models["slices"], "slices", "slices.tflite")
    layers = [layer for layer in generated.layers if layer.kind == "STRIDED_SLICE"]
    views = sorted(layer.writes.split(" + ")[-1] for layer in layers if "view" in layer.summary)
    assert views == ["144", "96"], views  # op order varies with the Lambda layers' names: compare as a set
    assert generated.c_text.count("cg_strided_slice(&") == 5
    assert_bit_exact(models["slices"], "slices", tmp_path / "sanitized")
    assert_bit_exact(models["slices"], "slices", tmp_path / "fast", sanitize=False)


def test_view_becomes_a_copy_where_that_shrinks_the_arena(models, tmp_path):
    model_bytes = models["late_slice"]
    graph = read_graph(model_bytes)
    as_views = plan_layers(graph, [emit_layer(graph, op, "late_slice") for op in graph.ops]).arena_bytes
    generated = generate(model_bytes, "late_slice", "late_slice.tflite")
    (layer,) = [layer for layer in generated.layers if layer.kind == "STRIDED_SLICE"]
    assert "(one copy)" in layer.summary and generated.arena_bytes < as_views, (generated.arena_bytes, as_views)
    assert_bit_exact(model_bytes, "late_slice", tmp_path)


def test_slice_read_as_the_model_output_is_copied_into_it(models, tmp_path):
    model_bytes = models["slice_output"]
    (layer,) = slice_layers(model_bytes, "slice_output")
    assert "(one copy)" in layer.summary and layer.writes == "output"
    assert_bit_exact(model_bytes, "slice_output", tmp_path)


def test_tflm_export_registers_strided_slice(models, tmp_path):
    """The TFLM-way export (shared/export.py) of the two-branch model: its op resolver registers STRIDED_SLICE with
    MicroMutableOpResolver's own method name, and the TFLM runtime ran the model to measure its arena."""
    exported = export_tflm(models["two_branch"], tmp_path, "two_branch", "two_branch.tflite")
    resolver = (tmp_path / "two_branch_op_resolver.h").read_text()
    assert resolver.count("resolver.AddStridedSlice()") == 1
    assert exported.arena_bytes > exported.measured_allocation_bytes > 0


def edited(model_bytes: bytes, edit) -> bytes:
    """The model with `edit(model, subgraph, op)` applied to its STRIDED_SLICE of output shape (1, 5, 6, 8) (rows 2:7
    of slices(); the op order varies with the Lambda layers' names), through the object API, repacked."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(bytearray(model_bytes), 0))
    subgraph = model.subgraphs[0]
    op = next(o for o in subgraph.operators
              if model.operatorCodes[o.opcodeIndex].builtinCode == schema.BuiltinOperator.STRIDED_SLICE
              and list(subgraph.tensors[o.outputs[0]].shape) == [1, 5, 6, 8])
    edit(model, subgraph, op)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def set_option(name: str, value):
    return lambda model, subgraph, op: setattr(op.builtinOptions, name, value)


def rescale_output(model, subgraph, op):
    subgraph.tensors[op.outputs[0]].quantization.scale = [0.5]


def zero_stride(model, subgraph, op):
    model.buffers[subgraph.tensors[op.inputs[3]].buffer].data = np.zeros(4, np.int32).view(np.uint8)


@pytest.mark.parametrize(("edit", "message"), [
    (rescale_output, "STRIDED_SLICE with different input and output quantization is not supported"),
    (set_option("ellipsisMask", 1), "ellipsis and new-axis masks are not supported"),
    (set_option("newAxisMask", 2), "ellipsis and new-axis masks are not supported"),
    (set_option("offset", True), r"the offset option \(end relative to begin\) is not supported"),
    (zero_stride, r"stride 0 in strides \[0, 0, 0, 0\]"),
    (set_option("shrinkAxisMask", 2), r"the slice has shape \(1, 6, 8\), the output tensor \(1, 5, 6, 8\)"),
])
def test_refusals_name_the_op_and_the_reason(models, edit, message):
    model_bytes = edited(models["slices"], edit)
    with pytest.raises(UnsupportedModelError, match=rf"op \d+ STRIDED_SLICE(, tensor \d+ '.*')?: {message}"):
        generate(model_bytes, "slices", "slices.tflite")


@pytest.mark.firmware
@pytest.mark.slow
@pytest.mark.parametrize("name", ["two_branch", "slices"])
def test_portable_and_dsp_match_tflm_on_qemu(models, name, tmp_path):
    """The slice views of the model input (window at byte 42: unaligned reads by the conv's DSP column fill) and
    of arena tensors, and the kernel, on an emulated Cortex-M7."""
    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    model_bytes = models[name]
    generated = generate(model_bytes, name, f"{name}.tflite")
    x = test_inputs(generated.input_size, seed=12, count=8)
    expected = run_tflm(model_bytes, x).reshape(len(x), -1)
    for dsp in (False, True):
        run = run_image(build_image(model_bytes, name, tmp_path / ("dsp" if dsp else "portable"), dsp=dsp), x,
                        generated.output_size)
        np.testing.assert_array_equal(run.outputs, expected, err_msg=f"{name} dsp={dsp} differs from TFLM")
