"""HAR on the emulated Cortex-M7: raw float32 windows in, the host's features and TFLM's int8 scores out.

One quick run on generated data per model (`python -m har run --data synthetic --quick`, whose device step builds
both boards' images and checks the emulator through `shared.board.verify.check_device`); then the tests read its
metrics and ask the emulated board again directly, independent of the verify module's own comparisons.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from har.config import HarConfig
from har.device import NOT_DEPLOYABLE, SERIAL_SAMPLES, device_step, host_references, load_run
from tests.conftest import REPO_ROOT, require_tool

pytestmark = [pytest.mark.firmware, pytest.mark.slow]
DIRECT_SAMPLES = 20  # windows asked again here, outside shared.board.verify


@pytest.fixture(scope="module", params=["mlp", "cnn1d"])
def device_run(request, tmp_path_factory):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake"):
        require_tool(tool)
    out = tmp_path_factory.mktemp(f"har_device_{request.param}")
    command = [sys.executable, "-m", "har", "run", "--quick", "--data", "synthetic", "--model", request.param,
               "--out", str(out)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return out, result.stdout


def test_device_agrees_with_host_on_every_window(device_run):
    out, stdout = device_run
    metrics = json.loads((out / "metrics.json").read_text())
    device = metrics["device"]
    assert device["problems"] == [], device["problems"]  # features bit-exact + <= 1e-5, scores == TFLM, serial+bulk
    assert device["status"] == "checked"
    n_test = len(metrics_test_labels(out))
    # >= 100 windows over the serial protocol, or the whole quick test split if smaller; all of them in bulk
    assert device["serial_samples"] == min(SERIAL_SAMPLES, n_test)
    assert device["samples"] == n_test
    assert device["agree_with_host"] == 1.0
    assert device["accuracy"] == metrics["variants"]["int8"]["tflm"]["accuracy"]
    assert device["stm32f746g_disco"]["fits"]
    assert device["feature_instructions_per_sample"] > 0 and device["instructions_per_inference"] > 0
    assert "device (mps2-an500) agrees with TFLM on 100.0 %" in stdout.splitlines()[-1]


def metrics_test_labels(out):
    with np.load(out / "data" / "test_windows.npz") as npz:
        return npz["activity"]


def test_device_features_and_scores_directly(device_run):
    """FEATURES == the host's float32 C-order path bit for bit; INFER == TFLM host int8 scores."""
    from shared.board.client import DeviceClient
    from shared.board.emulator import Emulator
    from shared.board.verify import tflm_expected_scores

    out, _ = device_run
    config, preprocess, test = load_run(out)
    xyz = test["xyz"][:DIRECT_SAMPLES].astype("<f4")
    references = host_references(config, preprocess, xyz)
    expected = tflm_expected_scores((out / "models" / "int8.tflite").read_bytes(), references["model_inputs"])
    elf = out / "firmware" / "mps2-an500-serial" / "har-mps2-an500-serial.elf"
    with Emulator(elf) as emulator:
        device = DeviceClient(emulator.serial)
        info = device.info()
        assert (info.app, info.model) == ("har", f"har_{config.model}")
        features = np.stack([device.features(window.tobytes()) for window in xyz])
        scores = np.stack([device.infer(window.tobytes()).scores for window in xyz])
    host, numpy_side = references["host_features"], references["numpy_features"]
    differs = (features.view(np.uint32) != host.view(np.uint32)) | (np.abs(features - numpy_side) > 1e-5)
    if differs.any():
        row, col = (int(i) for i in np.argwhere(differs)[0])
        pytest.fail(f"window {row} feature {col}: device {features[row, col]!r}, host float32 C-order "
                    f"{host[row, col]!r} (must be bit-identical), numpy {numpy_side[row, col]!r} (within 1e-5: "
                    "float64 vs float32 operation order)")
    np.testing.assert_array_equal(scores, expected, err_msg="device int8 scores must equal the TFLM host runtime's")


def test_arff_models_are_not_deployable(tmp_path):
    """--data wisdm-arff: the device step says why it cannot run, without building or pretending."""
    from shared.config import config_to_dict
    from shared.report import save_metrics

    (tmp_path / "models").mkdir()
    preprocess = {"config": config_to_dict(HarConfig(data="wisdm-arff")), "mean": None, "inv_std": None}
    (tmp_path / "models" / "har_preprocess.json").write_text(json.dumps(preprocess))
    save_metrics(tmp_path, {"app": "har"})
    device = device_step(tmp_path)
    assert device["status"] == NOT_DEPLOYABLE
    assert device["board"] is None and device["samples"] == 0, "nothing ran, and the device keys stay"
    assert "Kwapisz features are host-only" in device["status"]
    assert json.loads((tmp_path / "metrics.json").read_text())["device"]["status"] == NOT_DEPLOYABLE
