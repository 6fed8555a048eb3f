"""The HAR device step: the board gets raw float32 windows (m/s^2) and must answer exactly as the host does.

`device_step(out_dir, config, port)` reads what `python -m har run` wrote (models/int8.tflite, the raw test
windows, the standardisation constants), computes the host references (float32 C-order features, numpy
features, TFLM int8 scores via `shared.board.verify.check_device`) and runs the checks on the emulator
(port None) or a real board. The result is metrics.json "device". Models trained on the ARFF (Kwapisz's
features, host-only) are not deployable: the step says so instead of building.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from har.config import HarConfig, firmware_constants
from har.dataset import PREPROCESS_FILE, TEST_WINDOWS_FILE
from har.features import compute_features_float32, n_features, normalize_float32, numpy_reference
from har.model import uses_features
from shared.cli import UserError

NOT_DEPLOYABLE = "not deployable: Kwapisz features are host-only (--data wisdm-arff)"
SERIAL_SAMPLES = 100


def load_run(out_dir: Path) -> tuple[HarConfig, dict, dict[str, np.ndarray] | None]:
    """Config, preprocess constants and raw test windows of an earlier `python -m har run --out out_dir`."""
    path = out_dir / "models" / PREPROCESS_FILE
    if not path.is_file():
        raise UserError(f"{path}: not found; run `python -m har run --out {out_dir}` first")
    preprocess = json.loads(path.read_text())
    config = HarConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in preprocess["config"].items()})
    windows_path = out_dir / "data" / TEST_WINDOWS_FILE
    if config.data == "wisdm-arff":
        return config, preprocess, None
    if not windows_path.is_file():
        raise UserError(f"{windows_path}: not found; run `python -m har run --out {out_dir}` first")
    with np.load(windows_path) as npz:
        return config, preprocess, {key: npz[key] for key in npz.files}


def host_references(config: HarConfig, preprocess: dict, xyz: np.ndarray) -> dict[str, np.ndarray]:
    """Model inputs, the C-order float32 features (what the device's FEATURES reply must equal bit for bit) and
    the numpy ones (within 1e-5; features.numpy_reference: float64, rounding ties at thresholds excepted). The
    device's "features" are the model's float inputs: standardised features for the MLPs, the raw window for the
    CNN."""
    xyz = np.asarray(xyz, dtype=np.float32)
    if not uses_features(config):
        flat = xyz.reshape(len(xyz), -1)
        return {"model_inputs": xyz[:, :, None, :], "host_features": flat, "numpy_features": flat}
    mean = np.array(preprocess["mean"], np.float32)
    inv_std = np.array(preprocess["inv_std"], np.float32)
    inputs = normalize_float32(compute_features_float32(xyz, config), mean, inv_std)  # har.dataset.model_inputs
    numpy_side = ((numpy_reference(xyz, config) - mean.astype(np.float64)) * inv_std).astype(np.float32)
    return {"model_inputs": inputs, "host_features": inputs, "numpy_features": numpy_side}


def device_step(out_dir: Path, port: str | None = None, install_tools: bool = False) -> dict:
    """Run the checks (emulator when port is None) and store metrics.json "device"; returns that section."""
    from shared.board.client import DeviceError
    from shared.board.firmware import FirmwareError
    from shared.board.verify import check_device
    from shared.report import device_not_run, update_metrics

    config, preprocess, test = load_run(out_dir)
    if test is None:
        return update_metrics(out_dir, "device", device_not_run(NOT_DEPLOYABLE))["device"]
    references = host_references(config, preprocess, test["xyz"])
    constants = firmware_constants(config, n_features(config))
    try:
        device = check_device(
            "har", out_dir / "models" / "int8.tflite", out_dir / "firmware", test["xyz"].astype("<f4"),
            test["activity"].astype(np.int64), references["model_inputs"], constants,
            host_features=references["host_features"], numpy_features=references["numpy_features"], port=port,
            serial_samples=SERIAL_SAMPLES, install_tools=install_tools,
        )  # fmt: skip
    except (FirmwareError, DeviceError) as error:  # missing tools, a failed build, a silent board: say it, record it
        update_metrics(out_dir, "device", device_not_run(f"FAILED: {str(error).splitlines()[0]}"))
        hint = "" if port else " (`python -m har run --no-device` runs the host side alone)"
        raise UserError(f"device step: {error}{hint}") from error
    device["status"] = "checked" if not device.get("problems") else "FAILED: " + "; ".join(device["problems"][:3])
    return update_metrics(out_dir, "device", device)["device"]


def summary(device: dict) -> str:
    """One phrase for the summary line: agreement, samples, counts; or the status."""
    if device.get("board") is None or "agree_with_host" not in device:
        return f"device: {device.get('status', 'not run')}"
    unit = "cycles" if device.get("counter_unit") == "cycles" else "instructions"
    counts = (f", {device.get(f'feature_{unit}_per_sample', 0):,} {unit} features + "
              f"{device.get(f'{unit}_per_inference', 0):,} inference")
    verdict = "" if not device.get("problems") else f" — {len(device['problems'])} PROBLEMS, see report"
    return (f"device ({device['board']}) agrees with TFLM on {100 * device['agree_with_host']:.1f} % of "
            f"{device['samples']} windows, accuracy {device['accuracy']:.3f}{counts}{verdict}")
