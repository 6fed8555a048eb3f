"""shared.export: the TFLM-way C export compiles warning-free and holds exactly the model's bytes."""

import subprocess

import pytest

from shared import convert
from shared.export import builtin_op_names, export_tflm, resolver_method
from tests.conftest import require_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def int8_model(trained, blobs):
    return convert.to_int8(trained[0], convert.representative_samples(blobs[0][0]))


def test_ops_and_resolver_names(int8_model):
    assert builtin_op_names(int8_model) == ("FULLY_CONNECTED", "SOFTMAX")
    assert resolver_method("DEPTHWISE_CONV_2D") == "AddDepthwiseConv2D"
    assert resolver_method("MAX_POOL_2D") == "AddMaxPool2D"
    assert resolver_method("RELU6") == "AddRelu6"


def test_exported_array_compiles_and_equals_model(int8_model, tmp_path):
    gcc = require_tool("gcc")
    exported = export_tflm(int8_model, tmp_path, "demo", "int8.tflite")
    assert exported.arena_bytes > exported.measured_allocation_bytes > 0
    header = (tmp_path / "demo_model.h").read_text()
    assert f"#define DEMO_TENSOR_ARENA_SIZE {exported.arena_bytes}" in header
    main = tmp_path / "dump.c"
    main.write_text(
        '#include <stdio.h>\n#include <stdint.h>\n#include "demo_model.h"\n'
        "int main(void) {\n"
        "    if (((uintptr_t)demo_model) % 16 != 0) return 3;\n"
        "    fwrite(demo_model, 1, demo_model_len, stdout);\n    return 0;\n}\n"
    )
    binary = tmp_path / "dump"
    subprocess.run([gcc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(tmp_path), str(main),
                    str(tmp_path / "demo_model.c"), "-o", str(binary)], check=True)
    dumped = subprocess.run([str(binary)], capture_output=True, check=True).stdout
    assert dumped == int8_model
    assert "AddFullyConnected()" in (tmp_path / "demo_op_resolver.h").read_text()


def test_export_is_reproducible(int8_model, tmp_path):
    export_tflm(int8_model, tmp_path / "a", "demo", "int8.tflite")
    export_tflm(int8_model, tmp_path / "b", "demo", "int8.tflite")
    for name in ("demo_model.c", "demo_model.h", "demo_op_resolver.h"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert int8_model[4:8] == b"TFL3"
