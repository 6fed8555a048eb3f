"""The HAR demo for the shared driver: raw accelerometer windows -> features the board computes the same way
(har/features.py, firmware/apps/har/features.c) -> a small model; the board gets raw float32 windows.

For the feature MLPs the test split's model inputs are the float32, C-order twin of the firmware's features
(standardised): bit for bit what the board computes. numpy's float64 features must be within 1e-5 of them (checked
on the device path). Models trained on the ARFF (Kwapisz's features) are host-only: not deployable.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from har.config import DATA_SOURCES, FULL, MODELS, QUICK, HarConfig
from shared.cli import UserError
from shared.config import apply_overrides
from shared.demo import Demo, DeviceData, PredictInput, Prepared
from shared.pipeline import Dataset
from shared.train import Augment, TrainSettings

NOT_DEPLOYABLE = "Kwapisz's ARFF features are host-only: the board computes har/features.py's set (--data wisdm-arff)"


def numpy_inputs(config: HarConfig, preprocess: dict[str, Any], xyz: np.ndarray) -> np.ndarray:
    """The numpy (float64) reference of the device's features, as float32 (N, F): standardised features for the
    MLPs, the raw window for the CNN."""
    from har.features import compute_features_numpy
    from har.model import uses_features

    if not uses_features(config):
        return np.asarray(xyz, np.float32).reshape(len(xyz), -1)
    mean = np.array(preprocess["mean"], np.float64)
    inv_std = np.array(preprocess["inv_std"], np.float64)
    return ((compute_features_numpy(xyz, config) - mean) * inv_std).astype(np.float32)


class HarDemo(Demo):
    name = "har"
    description = "human activity recognition from raw accelerometer windows to a board that computes the features"
    config_type = HarConfig
    quick = QUICK
    full = FULL
    predict_files = "WISDM raw-format text files (user,activity,time,x,y,z;)"

    def add_run_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--data", choices=DATA_SOURCES, help="data source (default: the profile's)")
        parser.add_argument("--model", choices=MODELS, help="model (default: the profile's)")

    def resolve_config(self, args: argparse.Namespace) -> Any:
        """QUICK or FULL, then --data/--model, then --set overrides."""
        chosen = [f"{key}={value}" for key, value in (("data", args.data), ("model", args.model)) if value]
        return apply_overrides(apply_overrides(self.quick if args.quick else self.full, chosen), args.overrides)

    def prepare(self, cfg: Any, data_dir: Path | None, out_dir: Path) -> Prepared:
        from har.dataset import prepare_arff, prepare_raw

        har = prepare_arff(cfg, data_dir) if cfg.data == "wisdm-arff" else prepare_raw(cfg, data_dir, out_dir)
        floats = (lambda a: [float(v) for v in a]) if har.mean is not None else (lambda a: None)
        preprocess = {"feature_names": har.feature_names, "mean": floats(har.mean), "inv_std": floats(har.inv_std)}
        if har.sample_file is not None:
            har.dataset.notes.append(f"a generated WISDM-format file to try predict on: {har.sample_file}")
        if har.test_windows is None:
            return Prepared(har.dataset, None, NOT_DEPLOYABLE, preprocess, context=har)
        xyz = har.test_windows.xyz.astype("<f4")
        device = DeviceData(xyz, numpy_inputs(cfg, preprocess, xyz),
                            f"raw float32 windows ({cfg.window_samples} x 3, m/s^2 at {cfg.sample_rate_hz} Hz)")
        return Prepared(har.dataset, device, None, preprocess, context=har)

    def write_sources(self, cfg: Any, prepared: Prepared, c_dir: Path) -> list[Path]:
        from har.dataset import write_firmware_headers

        return write_firmware_headers(prepared.context, cfg, c_dir)

    def model_builder(self, cfg: Any, dataset: Dataset) -> Callable[[], Any]:
        from har.model import model_builder

        return model_builder(cfg, dataset.x_train.shape[1])

    def train_settings(self, cfg: Any) -> TrainSettings:
        """shared TrainSettings from the HAR config's fields of the same name; the rest keep shared's defaults."""
        names = {f.name for f in dataclasses.fields(TrainSettings)}
        return TrainSettings(**{key: value for key, value in dataclasses.asdict(cfg).items() if key in names})

    def augment(self, cfg: Any, dataset: Dataset) -> Augment | None:
        from har.model import augment_windows, uses_features

        return None if uses_features(cfg) else augment_windows

    def summary_extra(self, metrics: dict[str, Any]) -> str:
        data, model = metrics["config"]["data"], metrics["config"]["model"]
        return f"{'GENERATED data' if data == 'synthetic' else f'{data} data'}, model {model}"

    def predict_input(self, path: Path, cfg: Any, preprocess: dict[str, Any],
                      args: argparse.Namespace) -> PredictInput:
        from har.data import read_raw_file
        from har.dataset import model_inputs
        from har.windows import cut_windows

        if cfg.data == "wisdm-arff":
            raise UserError(f"{args.model}: trained on the ARFF's precomputed features; predict needs a raw-data model")
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        records = read_raw_file(path, unknown_activity_ok=True)  # a user's own recording may say anything
        windows = cut_windows(records, cfg)
        if not len(windows):
            raise UserError(f"{path}: {len(records)} records, shorter than one {cfg.window_samples}-sample window")
        mean = np.array(preprocess["mean"], np.float32) if preprocess.get("mean") is not None else None
        inv_std = np.array(preprocess["inv_std"], np.float32) if preprocess.get("inv_std") is not None else None
        rows = [{"start_s": round(float(start) / cfg.sample_rate_hz, 3)} for start in windows.start]
        note = f"{records.n_skipped} records skipped {records.skipped}" if records.n_skipped else None
        return PredictInput(model_inputs(windows, cfg, mean, inv_std), rows, note)
