"""python -m har run | device | predict: the HAR demo from WISDM data to a verified device, and classifying files.

    python -m har run [--quick] [--data wisdm|motionsense|synthetic|wisdm-arff] [--model mlp|mlp_textbook|cnn1d]
                      [--data-dir D] [--set field=value ...] [--out build/har] [--no-device]
    python -m har device [--port /dev/ttyACM0] [--out build/har]
    python -m har loso [--quick] [--data motionsense] [--model M] [--subjects 1,2,...] [--set field=value ...]
    python -m har predict --model build/har/models/int8.tflite FILE.csv|FILE.txt [FILE ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from har.config import DATA_SOURCES, FULL, MODELS, QUICK, HarConfig
from shared.cli import (
    UserError,
    add_device_arguments,
    add_run_arguments,
    main_guard,
    print_written,
    resolve_config,
)
from shared.config import apply_overrides, config_to_dict

APP = "har"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m har", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = parser.add_subparsers(dest="command", required=True)
    run = steps.add_parser("run", help="data -> features -> train -> variants -> export -> report",
                           formatter_class=argparse.RawTextHelpFormatter)
    add_run_arguments(run, APP, HarConfig)
    run.add_argument("--data", choices=DATA_SOURCES,
                     help="data source (default: wisdm when its raw file is local or downloadable, else motionsense)")
    run.add_argument("--model", choices=MODELS, help="model (default: mlp)")
    add_device_arguments(steps, run, APP, needs_data=False)
    loso = steps.add_parser("loso", help="leave-one-subject-out: one model per held-out subject, int8 mean",
                            formatter_class=argparse.RawTextHelpFormatter)
    add_run_arguments(loso, APP, HarConfig)
    loso.add_argument("--data", choices=DATA_SOURCES, help="data source (default as for run)")
    loso.add_argument("--model", choices=MODELS, help="model (default: mlp)")
    loso.add_argument("--subjects", default=None, help="held-out subjects, comma-separated (default: every one)")
    predict = steps.add_parser("predict", help="classify MotionSense CSVs or WISDM raw text, one JSON line per window")
    predict.add_argument("--model", type=Path, required=True, help="a .tflite from build/har/models/")
    predict.add_argument("--preprocess", type=Path,
                         help="har_preprocess.json (default: beside the model, or in its parent folder)")
    predict.add_argument("files", type=Path, nargs="+",
                         help="MotionSense sub_<n>.csv (Core Motion, 50 Hz) or WISDM raw text (user,activity,t,x,y,z;)")
    return parser.parse_args(argv)


def resolve_har_config(args: argparse.Namespace) -> HarConfig:
    """QUICK or FULL, then --set overrides, then --data/--model; without a data choice, the default source (printed)."""
    from har.dataset import choose_source
    from shared.data import data_dir

    chosen = [f"{key}={value}" for key, value in (("data", args.data), ("model", args.model)) if value is not None]
    config = apply_overrides(resolve_config(args, QUICK, FULL), chosen)
    if args.data is None and not any(item.strip().startswith("data=") for item in args.overrides):
        source, why = choose_source(data_dir(args.data_dir))
        print(why)
        config = dataclasses.replace(config, data=source)
        args.data_choice = why
    return config


def run(args: argparse.Namespace) -> int:
    from har.class_report import variant_class_reports
    from har.dataset import prepare, write_firmware_headers, write_preprocess, write_test_windows
    from har.device import device_step
    from har.device import summary as device_summary
    from har.model import augment_windows, deploy_note, model_builder, train_settings, uses_features
    from shared.data import data_dir
    from shared.pipeline import run_host_pipeline
    from shared.report import device_not_run, load_metrics, update_metrics

    config = resolve_har_config(args)
    out_dir = args.out
    local = data_dir(args.data_dir)
    prepared = prepare(config, local, out_dir)
    if getattr(args, "data_choice", None):
        prepared.dataset.notes.insert(0, args.data_choice)
    prepared.dataset.notes.append(deploy_note(config))
    headers = write_firmware_headers(prepared, config, out_dir / "firmware" / "generated")
    preprocess = write_preprocess(prepared, config, out_dir / "models")
    test_windows = write_test_windows(prepared, out_dir / "data")
    n_inputs = prepared.dataset.x_train.shape[1]
    augment = None if uses_features(config) else augment_windows
    metrics = run_host_pipeline(APP, out_dir, model_builder(config, n_inputs), prepared.dataset,
                                train_settings(config), config_to_dict(config), augment=augment)
    blobs = {name: (out_dir / "models" / f"{name}.tflite").read_bytes() for name in ("float32", "int8")}
    dataset = prepared.dataset
    splits = {"validation": (dataset.x_val, dataset.y_val), "test": (dataset.x_test, dataset.y_test)}
    update_metrics(out_dir, "per_class", {"table": variant_class_reports(blobs, splits, config.labels)["table"]})
    if args.no_device:
        device = update_metrics(out_dir, "device", device_not_run("skipped by --no-device"))["device"]
    else:
        device = device_step(out_dir)
    written = [*headers, preprocess, out_dir / "metrics.json", out_dir / "report.md", out_dir / "models"]
    written += [path for path in (prepared.sample_file, test_windows) if path is not None]
    int8 = metrics["variants"]["int8"]
    float32 = metrics["variants"]["float32"]
    label = "GENERATED data" if config.data == "synthetic" else config.data
    int8_f1 = next(row["macro_f1"] for row in load_metrics(out_dir)["per_class"]["table"]
                   if row["variant"] == "int8" and row["split"] == "test")
    print_written(written, f"{label}, {config.model}: int8 accuracy {int8['accuracy']:.3f} "
                           f"(float32 {float32['accuracy']:.3f}), int8 macro-F1 {int8_f1:.3f}, "
                           f"int8 size {int8['size_bytes']} B, "
                           f"TFLM arena {metrics['export']['tflm_arena_bytes']} B; {device_summary(device)}")
    return 1 if device.get("problems") else 0


def device(args: argparse.Namespace) -> int:
    """The device checks on an existing `har run` output: the emulator, or the board on --port."""
    from har.device import device_step, summary

    result = device_step(args.out, port=args.port)
    print_written([args.out / "metrics.json", args.out / "report.md"], summary(result))
    return 1 if result.get("problems") else 0


def load_preprocess(model_path: Path, explicit: Path | None) -> dict:
    from har.dataset import PREPROCESS_FILE

    candidates = [explicit] if explicit else [model_path.parent / PREPROCESS_FILE,
                                              model_path.parent.parent / PREPROCESS_FILE]
    for path in candidates:
        if path is not None and path.is_file():
            return json.loads(path.read_text())
    raise UserError(f"{model_path}: no {PREPROCESS_FILE} beside it; pass --preprocess (python -m har run writes it)")


def predict(args: argparse.Namespace) -> int:
    """One JSON line per window of each file; a bad file gets one error line on stderr, the others still run."""
    from har.dataset import model_inputs
    from har.recording import RecordingError, read_recording
    from har.windows import Windows
    from shared.evaluate import run_litert
    from shared.predict import read_model

    blob = read_model(args.model)
    preprocess = load_preprocess(args.model, args.preprocess)
    config = HarConfig(**{key: tuple(v) if isinstance(v, list) else v for key, v in preprocess["config"].items()})
    if config.data == "wisdm-arff":
        raise UserError(f"{args.model}: trained on the ARFF's precomputed features; predict needs a raw-data model")
    mean = np.array(preprocess["mean"], np.float32) if preprocess["mean"] is not None else None
    inv_std = np.array(preprocess["inv_std"], np.float32) if preprocess["inv_std"] is not None else None
    failed = 0
    for path in args.files:
        try:
            recording = read_recording(path, config)
        except RecordingError as error:
            print(f"error: {error}", file=sys.stderr)
            failed += 1
            continue
        n = len(recording.xyz)
        windows = Windows(recording.xyz, np.zeros(n, np.int16), np.zeros(n, np.int8), np.arange(n))
        scores = run_litert(blob, model_inputs(windows, config, mean, inv_std)).reshape(n, -1)
        for start_s, row in zip(recording.start_s, scores, strict=True):
            print(json.dumps({"file": str(path), "start_s": round(float(start_s), 3),
                              "label": config.labels[int(np.argmax(row))],
                              "scores": [round(float(v), 6) for v in row]}))
    return 2 if failed else 0


def loso(args: argparse.Namespace) -> int:
    """Leave-one-subject-out: the int8 accuracy per held-out subject and the mean (har/loso.py)."""
    from har.loso import leave_one_subject_out
    from shared.data import data_dir

    config = resolve_har_config(args)
    subjects = [int(s) for s in args.subjects.split(",")] if args.subjects else None
    result = leave_one_subject_out(config, data_dir(args.data_dir), args.out, subjects)
    print_written([args.out / "loso.json"], result["summary"])
    return 0


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return {"run": run, "device": device, "predict": predict, "loso": loso}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
