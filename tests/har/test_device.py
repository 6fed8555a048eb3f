"""HAR on the emulated Cortex-M7: raw float32 windows in, the host's features and TFLM's int8 scores out.

One quick run on generated data per model (`python -m har run --data synthetic --quick`, whose device step builds
both boards' images and checks the emulator through `shared.board.verify`); then the tests read its metrics and
ask the emulated board again directly, independent of the verify module's own comparisons.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from har.demo import HarDemo
from tests.conftest import REPO_ROOT, require_tool

pytestmark = [pytest.mark.firmware, pytest.mark.slow]
DIRECT_SAMPLES = 20  # windows asked again here, outside shared.board.verify


@pytest.fixture(scope="module", params=["mlp", "cnn1d", "mlp_cnn1d"])
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
    assert device["status"] == "passed"
    n_test = metrics["data"]["test_samples"]
    # >= 100 windows over the serial protocol, or the whole quick test split if smaller; all of them in bulk
    assert device["details"]["serial_samples"] == min(100, n_test)
    assert device["samples"] == n_test
    assert device["agree_with_host"] == 1.0
    assert device["details"]["decisions"]["agree_with_host"] == 1.0  # the smoothed classes, every window
    assert device["accuracy"] == metrics["variants"]["int8"]["tflm"]["accuracy"]
    assert device["details"]["stm32f746g_disco"]["fits"]
    assert device["counter"]["features_per_sample"] > 0 and device["counter"]["per_inference"] > 0
    assert f"device (mps2-an500) passed: 100.0 % of {n_test} samples" in stdout.splitlines()[-1]


def test_device_features_and_scores_directly(device_run):
    """FEATURES == the host's float32 C-order path bit for bit (and numpy's within 1e-5); INFER == TFLM host int8
    scores, and after RESET the classes are har/smoothing.py's decisions over those scores; all recomputed here
    from the raw windows, not read from the run's expected outputs."""
    from har.demo import numpy_inputs
    from har.features import compute_features_float32, normalize_float32
    from har.model import combined_inputs, uses_features, uses_window
    from har.smoothing import smoothed_labels
    from shared.board.client import DeviceClient
    from shared.board.emulator import Emulator
    from shared.board.verify import tflm_expected_scores

    out, _ = device_run
    run = json.loads((out / "data" / "run.json").read_text())
    config = HarDemo().config_from_dict(run["config"])
    with np.load(out / "export" / "expected.npz") as npz:
        xyz = npz["raw_inputs"][:DIRECT_SAMPLES].astype("<f4")
    preprocess = run["preprocess"]
    if uses_features(config):
        mean, inv_std = (np.array(preprocess[k], np.float32) for k in ("mean", "inv_std"))
        host = normalize_float32(compute_features_float32(xyz, config), mean, inv_std)
        model_inputs = host
        if uses_window(config):  # mlp_cnn1d: the features' rows, then the window times WINDOW_SCALE in float32
            model_inputs = combined_inputs(host, xyz)
            host = model_inputs.reshape(len(xyz), -1)
    else:
        host = xyz.reshape(len(xyz), -1)
        model_inputs = xyz[:, :, None, :]
    numpy_side = numpy_inputs(config, preprocess, xyz)
    expected = tflm_expected_scores((out / "models" / "int8.tflite").read_bytes(), model_inputs)
    elf = out / "firmware" / "mps2-an500-serial" / "har-mps2-an500-serial.elf"
    with Emulator(elf) as emulator:
        device = DeviceClient(emulator.serial)
        info = device.info()
        assert (info.app, info.model) == ("har", json.loads((out / "export" / "export.json").read_text())[
            "model_identity"])
        features = np.stack([device.features(window.tobytes()) for window in xyz])
        device.reset()  # the windows below: one stream
        results = [device.infer(window.tobytes()) for window in xyz]
    scores = np.stack([result.scores for result in results])
    differs = (features.view(np.uint32) != host.view(np.uint32)) | (np.abs(features - numpy_side) > 1e-5)
    if differs.any():
        row, col = (int(i) for i in np.argwhere(differs)[0])
        pytest.fail(f"window {row} feature {col}: device {features[row, col]!r}, host float32 C-order "
                    f"{host[row, col]!r} (must be bit-identical), numpy {numpy_side[row, col]!r} (within 1e-5: "
                    "float64 vs float32 operation order)")
    np.testing.assert_array_equal(scores, expected, err_msg="device int8 scores must equal the TFLM host runtime's")
    one_stream = np.arange(len(xyz)) == 0
    assert [result.label for result in results] == smoothed_labels(expected, one_stream, config.smooth_windows).tolist()
