"""firmware/apps/har/app.c on the host: the app's model inputs and int8 quantization equal the host's."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest

from har.config import FULL, write_config_header
from har.data import parse_raw_text
from har.dataset import model_inputs
from har.features import N_FEATURES, compute_features_float32, normalization_constants, write_feature_tables
from har.synthetic import NO_QUIRKS, generate_text
from har.windows import cut_windows
from shared.chain import write_identity_header
from shared.evaluate import quantize
from tests.conftest import REPO_ROOT, missing, require_tool
from tests.har.test_features import C_DIR, GCC_FLAGS

CORE_DIR = REPO_ROOT / "firmware" / "core"  # app.h, the firmware core's app interface
STUB_DIR = Path(__file__).with_name("stub_model")
STUB_SCALE, STUB_ZERO_POINT = np.float32(0.03125), -3


def build_app(tmp_path: Path, config, mean, inv_std, model_inputs_count: int) -> Path:
    gcc = require_tool("gcc")
    if not (CORE_DIR / "app.h").is_file():
        missing("firmware/core/app.h (the firmware core's app interface)")
    write_config_header(config, tmp_path / "har_config.h", N_FEATURES)
    write_feature_tables(config, tmp_path / "har_features_tables.h", mean, inv_std)
    write_identity_header(tmp_path, "stub")
    sources = [C_DIR / "app.c", CORE_DIR / "model_infer.c", C_DIR / "features.c", C_DIR / "smoothing.c",
               STUB_DIR / "model.c", Path(__file__).with_name("app_host.c")]
    exe = tmp_path / "app_host"
    includes = [f"-I{d}" for d in (tmp_path, C_DIR, CORE_DIR, STUB_DIR)]
    command = [gcc, *GCC_FLAGS, f"-DMODEL_INPUT_SIZE={model_inputs_count}", *includes, *map(str, sources), "-lm",
               "-o", str(exe)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"gcc failed:\n{result.stderr}"
    return exe


@pytest.mark.parametrize("model", ["mlp", "cnn1d", "mlp_cnn1d"])
def test_app_model_inputs_and_quantization_match_host(tmp_path, model):
    config = dataclasses.replace(FULL, model=model)
    text, _ = generate_text(seed=5, n_users=2, seconds_per_activity=12, quirks=NO_QUIRKS)
    windows = cut_windows(parse_raw_text(text), config)
    mean, inv_std = normalization_constants(compute_features_float32(windows.xyz, config))
    host_inputs = model_inputs(windows, config, mean, inv_std).reshape(len(windows), -1)
    n_inputs = host_inputs.shape[1]
    exe = build_app(tmp_path, config, mean, inv_std, n_inputs)
    (tmp_path / "in.bin").write_bytes(windows.xyz.astype("<f4").tobytes())
    subprocess.run([str(exe), str(tmp_path / "in.bin"), str(tmp_path / "out.bin")], check=True)
    record = np.dtype([("inputs", "<f4", n_inputs), ("q", "i1", n_inputs)])
    out = np.fromfile(tmp_path / "out.bin", dtype=record)
    assert len(out) == len(windows)
    np.testing.assert_array_equal(out["inputs"].view(np.uint32), host_inputs.view(np.uint32),
                                  err_msg="device model inputs must be bit-identical to har.dataset.model_inputs")
    np.testing.assert_array_equal(out["q"], quantize(host_inputs, STUB_SCALE, STUB_ZERO_POINT),
                                  err_msg="int8 input must equal shared.evaluate.quantize")
