"""firmware/apps/mnist/app.c, built with host gcc, against the host's pixel scaling and input quantization.

A pass-through model (scores = the quantized input) exposes the app's int8 model input, so every pixel value
0..255 is checked bit for bit against mnist/pixels.py and shared/evaluate.py, for a few input scales and zero
points, including ones that put x / scale right at the rounding edges.
"""

import subprocess

import numpy as np
import pytest

from mnist.pixels import scale_pixels
from shared.board.firmware import FIRMWARE_DIR, write_config_header
from shared.c_source import c_float
from shared.chain import write_identity_header
from shared.evaluate import quantize
from tests.conftest import require_tool

DRIVER = r"""
#include <stdio.h>
#include "app.h"
int main(void)
{
    uint8_t raw[784];
    while (fread(raw, 1, sizeof raw, stdin) == sizeof raw) {
        const float *features;
        const int8_t *scores;
        if (app_features(raw, sizeof raw, &features) != 0 || app_infer(features, &scores) != 0) {
            return 1;
        }
        fwrite(features, sizeof(float), app_info.feature_count, stdout);
        fwrite(scores, 1, app_info.output_count, stdout);
    }
    return 0;
}
"""


def _passthrough_model(scale: float, zero_point: int) -> tuple[str, str]:
    header = f"""#ifndef MODEL_H
#define MODEL_H
#include <stdint.h>
#define MODEL_INPUT_SIZE 784
#define MODEL_OUTPUT_SIZE 784
#define MODEL_ARENA_SIZE 0
#define MODEL_INPUT_SCALE {c_float(scale)}
#define MODEL_INPUT_ZERO_POINT ({zero_point})
#define MODEL_OUTPUT_SCALE {c_float(scale)}
#define MODEL_OUTPUT_ZERO_POINT ({zero_point})
int model_invoke(const int8_t *input, int8_t *output);
#endif
"""
    source = '#include "model.h"\nint model_invoke(const int8_t *in, int8_t *out)\n{\n'
    source += "    for (int i = 0; i < MODEL_INPUT_SIZE; i++) { out[i] = in[i]; }\n    return 0;\n}\n"
    return header, source


@pytest.mark.parametrize(
    ("scale", "zero_point"),
    [(1 / 255, -128), (0.00390625, -128), (2 / 255, 0), (0.0123, 5), (1 / 510, -128)],
)
def test_app_matches_host_scaling_and_quantization(tmp_path, scale, zero_point):
    gcc = require_tool("gcc")
    header, source = _passthrough_model(scale, zero_point)
    (tmp_path / "model.h").write_text(header)
    (tmp_path / "model.c").write_text(source)
    (tmp_path / "driver.c").write_text(DRIVER)
    config = {"image_rows": 28, "image_cols": 28, "pixel_divisor": 255.0}
    write_config_header(tmp_path, "mnist", config, "tests/firmware/test_mnist_app.py")
    write_identity_header(tmp_path, "passthrough")
    exe = tmp_path / "app"
    command = [
        gcc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Wconversion", "-Wdouble-promotion", "-Werror",
        "-ffp-contract=off", f"-I{FIRMWARE_DIR / 'core'}", f"-I{tmp_path}",
        str(FIRMWARE_DIR / "apps" / "mnist" / "app.c"), str(FIRMWARE_DIR / "core" / "model_infer.c"),
        str(tmp_path / "model.c"), str(tmp_path / "driver.c"),
        "-lm", "-o", str(exe),
    ]  # fmt: skip
    subprocess.run(command, check=True)

    images = np.stack([np.roll(np.arange(784) % 256, k) for k in range(4)]).astype(np.uint8)  # every value, 4 places
    out = subprocess.run([str(exe)], input=images.tobytes(), capture_output=True, check=True).stdout
    record = np.dtype([("features", "<f4", (784,)), ("scores", "i1", (784,))])
    got = np.frombuffer(out, dtype=record)
    host_features = scale_pixels(images.reshape(-1, 28, 28)).reshape(4, 784)
    np.testing.assert_array_equal(got["features"].view(np.uint32), host_features.view(np.uint32))
    np.testing.assert_array_equal(got["scores"], quantize(host_features, scale, zero_point))
