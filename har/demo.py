"""The HAR demo for the shared driver: raw accelerometer windows (MotionSense, WISDM raw or generated) -> features
the board computes the same way (har/features.py, firmware/apps/har/features.c) -> a small model; the board gets raw
float32 windows.

For the feature MLPs the test split's model inputs are the float32, C-order twin of the firmware's features
(standardised): bit for bit what the board computes. numpy's float64 reference must be within 1e-5 of them (checked
on the device path). Models trained on the ARFF (Kwapisz's features) are host-only: not deployable.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from har.config import DATA_SOURCES, FULL, MODELS, QUICK, HarConfig
from shared.cli import add_run_arguments, print_written
from shared.config import apply_overrides
from shared.data import data_dir
from shared.demo import Demo, DeviceData, PredictInput, Prepared
from shared.pipeline import Dataset
from shared.train import Augment, TrainSettings

NOT_DEPLOYABLE = "Kwapisz's ARFF features are host-only: the board computes har/features.py's set (--data wisdm-arff)"
PER_CLASS_STEP = "per-class recall and macro-F1"
WINDOW_FIELDS = ("window_samples", "fft_length")  # set on the command line: the source's window is not applied


def numpy_inputs(config: HarConfig, preprocess: dict[str, Any], xyz: np.ndarray) -> np.ndarray:
    """The numpy (float64) reference of the device's features, as float32 (N, F): standardised features for the
    MLPs, the raw window for the CNN, both for mlp_cnn1d (har.model.pack_combined; the window scaled in float64)."""
    from har.config import WINDOW_SCALE
    from har.features import numpy_reference
    from har.model import pack_combined, uses_features, uses_window

    if not uses_features(config):
        return np.asarray(xyz, np.float32).reshape(len(xyz), -1)
    mean = np.array(preprocess["mean"], np.float64)
    inv_std = np.array(preprocess["inv_std"], np.float64)
    features = ((numpy_reference(xyz, config) - mean) * inv_std).astype(np.float32)
    if not uses_window(config):
        return features
    return pack_combined(features, np.asarray(xyz, np.float64) * WINDOW_SCALE).reshape(len(xyz), -1)


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", choices=DATA_SOURCES,
                        help="data source (default: wisdm when its raw file is local or downloadable, "
                             "else motionsense)")
    parser.add_argument("--model", choices=("auto", *MODELS),
                        help="model (default: the profile's, auto: mlp_cnn1d for motionsense, mlp otherwise)")


class HarDemo(Demo):
    name = "har"
    description = "human activity recognition from raw accelerometer windows to a board that computes the features"
    config_type = HarConfig
    quick = QUICK
    full = FULL
    predict_files = "MotionSense sub_<n>.csv (Core Motion, 50 Hz) or WISDM raw text (user,activity,t,x,y,z;)"

    def __init__(self) -> None:
        self.data_choice: str | None = None  # why the default source was taken, for the report

    def add_run_options(self, parser: argparse.ArgumentParser) -> None:
        _data_options(parser)

    def resolve_config(self, args: argparse.Namespace) -> Any:
        """QUICK or FULL, then --set overrides, then --data/--model; without a data choice, the default source
        (WISDM raw if local or downloadable, else MotionSense), said on stdout and in the report. The window is the
        source's (har.config.SOURCE_WINDOWS, HarConfig resolves it) unless --set gives window_samples or
        fft_length: then window_source="" pins it, even when it equals the former source's default."""
        from har.dataset import choose_source

        chosen = [f"{key}={value}" for key, value in (("data", args.data), ("model", args.model)) if value]
        overrides = list(args.overrides)
        if any(item.split("=")[0].strip() in WINDOW_FIELDS for item in overrides):
            overrides.append("window_source=")
        config = apply_overrides(apply_overrides(self.quick if args.quick else self.full, overrides), chosen)
        if args.data is None and not any(item.strip().startswith("data=") for item in args.overrides):
            source, self.data_choice = choose_source(data_dir(args.data_dir))
            print(self.data_choice)
            config = apply_overrides(config, [f"data={source}"])
        return config

    def prepare(self, cfg: Any, data_dir: Path | None, out_dir: Path) -> Prepared:
        from har.dataset import prepare
        from har.model import deploy_note

        har = prepare(cfg, data_dir, out_dir)
        har.dataset.notes[:0] = [self.data_choice] if self.data_choice else []
        har.dataset.notes.append(deploy_note(cfg))
        floats = (lambda a: [float(v) for v in a]) if har.mean is not None else (lambda a: None)
        preprocess = {"feature_names": har.feature_names, "mean": floats(har.mean), "inv_std": floats(har.inv_std)}
        if har.sample_file is not None:
            har.dataset.notes.append(f"a generated WISDM-format file to try predict on: {har.sample_file}")
        if har.test_windows is None:
            return Prepared(har.dataset, None, NOT_DEPLOYABLE, preprocess, context=har)
        xyz = har.test_windows.xyz.astype("<f4")
        device = DeviceData(xyz, numpy_inputs(cfg, preprocess, xyz),
                            f"raw float32 windows ({cfg.window_samples} x 3, m/s^2 at {cfg.sample_rate_hz} Hz), "
                            f"one stream per recording; decisions over {cfg.smooth_windows} window(s)",
                            har.stream_starts["test"])
        return Prepared(har.dataset, device, None, preprocess, context=har)

    def write_sources(self, cfg: Any, prepared: Prepared, c_dir: Path) -> list[Path]:
        from har.dataset import write_firmware_headers

        return write_firmware_headers(prepared.context, cfg, c_dir)

    def model_builder(self, cfg: Any, dataset: Dataset) -> Callable[[], Any]:
        from har.model import model_builder

        return model_builder(cfg, dataset.x_train.shape[1])

    def train_settings(self, cfg: Any) -> TrainSettings:
        from har.model import train_settings

        return train_settings(cfg)

    def train_model(self, cfg: Any, dataset: Dataset, history_path: Path | None = None) -> Any:
        from har.model import train_model

        return train_model(cfg, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, history_path)

    def augment(self, cfg: Any, dataset: Dataset) -> Augment | None:
        from har.model import augment_windows, uses_features

        return None if uses_features(cfg) else augment_windows

    def decisions(self, cfg: Any, int8_scores: np.ndarray, stream_starts: np.ndarray) -> np.ndarray | None:
        """The board's class per window: int8 scores summed over cfg.smooth_windows windows (har/smoothing.py)."""
        from har.smoothing import smoothed_labels

        return smoothed_labels(int8_scores, stream_starts, cfg.smooth_windows)

    def extra_steps(self, cfg: Any) -> list[str]:
        return [PER_CLASS_STEP]

    def run_extra_step(self, title: str, cfg: Any, prepared: Prepared, out_dir: Path,
                       evaluation: dict[str, Any], data_dir: Path | None) -> tuple[str, dict[str, Any]]:
        """Recall per class and macro-F1 of float32 and int8 on the validation and test splits (LiteRT), and of the
        int8 decisions smoothed over cfg.smooth_windows windows as the board makes them."""
        from har.class_report import variant_class_reports

        blobs = {name: (out_dir / "models" / f"{name}.tflite").read_bytes() for name in ("float32", "int8")}
        dataset = prepared.dataset
        splits = {"validation": (dataset.x_val, dataset.y_val), "test": (dataset.x_test, dataset.y_test)}
        starts = prepared.context.stream_starts
        smoothing = (cfg.smooth_windows, {"validation": starts["val"], "test": starts["test"]}) if starts else None
        return "per_class", {"table": variant_class_reports(blobs, splits, cfg.labels, smoothing)["table"]}

    def summary_extra(self, metrics: dict[str, Any]) -> str:
        data, model = metrics["config"]["data"], self.config_from_dict(metrics["config"]).resolved_model
        rows = metrics.get("per_class", {}).get("table", [])
        f1 = next((row["macro_f1"] for row in rows if row["variant"] == "int8" and row["split"] == "test"), None)
        smoothed = next((row for row in rows if row["variant"].startswith("int8, smoothed") and row["split"] == "test"),
                        None)
        source = "GENERATED data" if data == "synthetic" else f"{data} data"
        text = f"{source}, model {model}" + (f", int8 macro-F1 {f1:.3f}" if f1 is not None else "")
        if smoothed is not None:
            text += (f"; {smoothed['variant']}: {100 * smoothed['accuracy']:.2f} %, macro-F1 "
                     f"{smoothed['macro_f1']:.3f}")
        return text

    def add_commands(self, steps: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
        loso = steps.add_parser("loso", help="leave-one-subject-out: one model per held-out subject, int8 mean",
                                formatter_class=argparse.RawTextHelpFormatter)
        add_run_arguments(loso, self.name, HarConfig)
        _data_options(loso)
        loso.add_argument("--subjects", default=None, help="held-out subjects, comma-separated (default: every one)")
        return {"loso": self.leave_one_subject_out}

    def leave_one_subject_out(self, args: argparse.Namespace) -> int:
        """python -m har loso: the int8 accuracy per held-out subject and the mean (har/loso.py)."""
        from har.loso import leave_one_subject_out

        config = self.resolve_config(args)
        subjects = [int(s) for s in args.subjects.split(",")] if args.subjects else None
        result = leave_one_subject_out(config, data_dir(args.data_dir), args.out, subjects)
        print_written([args.out / "loso.json"], result["summary"])
        return 0

    def predict_input(self, path: Path, cfg: Any, preprocess: dict[str, Any],
                      args: argparse.Namespace) -> PredictInput:
        """Every window of a MotionSense CSV or WISDM text file, converted and resampled as in training."""
        from har.dataset import model_inputs
        from har.recording import RecordingError, read_recording
        from har.windows import Windows

        if cfg.data == "wisdm-arff":
            raise RecordingError(f"{args.model}: trained on the ARFF's precomputed features; predict needs a "
                                 "raw-data model")
        recording = read_recording(path, cfg)
        n = len(recording.xyz)
        windows = Windows(recording.xyz, np.zeros(n, np.int16), np.zeros(n, np.int8), np.arange(n))
        mean = np.array(preprocess["mean"], np.float32) if preprocess.get("mean") is not None else None
        inv_std = np.array(preprocess["inv_std"], np.float32) if preprocess.get("inv_std") is not None else None
        rows = [{"start_s": round(float(start), 3)} for start in recording.start_s]
        return PredictInput(model_inputs(windows, cfg, mean, inv_std), rows)
