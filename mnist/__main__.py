"""python -m mnist run | predict | device: the MNIST demo from IDX files to a verified device and a report."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist import config as mnist_config
from mnist.config import IMAGE_SIDE
from mnist.data import load_mnist
from mnist.images import load_inputs
from mnist.model import build_model, shift_augmenter
from mnist.pixels import PIXEL_MAX, scale_pixels
from shared.cli import (
    UserError,
    add_device_arguments,
    add_run_arguments,
    main_guard,
    print_written,
    resolve_config,
)
from shared.config import config_to_dict
from shared.data import data_dir
from shared.pipeline import Dataset, run_host_pipeline
from shared.predict import prediction_lines, read_model
from shared.report import device_not_run, load_metrics, update_metrics


@dataclass
class MnistSplits:
    """The model-ready Dataset plus the raw uint8 test images the device receives."""

    dataset: Dataset
    test_images: np.ndarray  # (N, 28, 28) uint8


def make_dataset(cfg: mnist_config.MnistConfig, local_dir: Path | None) -> MnistSplits:
    """Load MNIST, carve validation (and test if needed), apply the limits, scale pixels."""
    data = load_mnist(local_dir, cfg.test_size, cfg.seed)
    notes = ["MNIST test split: t10k files" if not data.test_carved else
             f"MNIST test split: {len(data.test_labels)} images carved (stratified, seed {cfg.seed}) from the "
             "training files, because the t10k files were not in the data folder"]
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(data.train_labels))
    val_idx, train_idx = order[: cfg.val_size], order[cfg.val_size :]
    if cfg.train_limit:
        train_idx = train_idx[: cfg.train_limit]
    test_images, test_labels = data.test_images, data.test_labels
    if cfg.test_limit:
        test_images, test_labels = test_images[: cfg.test_limit], test_labels[: cfg.test_limit]
        notes.append(f"evaluated on the first {len(test_labels)} test images only (test_limit)")
    dataset = Dataset(
        scale_pixels(data.train_images[train_idx]), data.train_labels[train_idx].astype(np.int64),
        scale_pixels(data.train_images[val_idx]), data.train_labels[val_idx].astype(np.int64),
        scale_pixels(test_images), test_labels.astype(np.int64), mnist_config.LABELS, notes,
    )
    return MnistSplits(dataset, test_images)


def device_step(out: Path, splits: MnistSplits, port: str | None) -> dict:
    """Firmware with the deployed model; the emulator (or the board on `port`) gets raw images and must answer
    with exactly the host's pixel features and the TFLM runtime's int8 scores. Writes metrics["device"]."""
    from shared.board.verify import check_device

    metrics = load_metrics(out)
    tflite = out / metrics["deploy"]["tflite"]
    features = splits.dataset.x_test
    config = {"image_rows": IMAGE_SIDE, "image_cols": IMAGE_SIDE, "pixel_divisor": float(PIXEL_MAX),
              "model_name": tflite.name}
    device = check_device("mnist", tflite, out / "firmware", splits.test_images, splits.dataset.y_test, features,
                          config, host_features=features.reshape(len(features), -1),
                          numpy_features=features.reshape(len(features), -1), port=port)
    return update_metrics(out, "device", device)["device"]


def summary_line(metrics: dict) -> str:
    deployed = metrics["variants"][metrics["deploy"]["variant"]]
    device = metrics["device"]
    device_text = (f"device ({device['board']}) agrees on {100 * device['agree_with_host']:.1f} % of "
                   f"{device['samples']} images, {device['instructions_per_inference']:,.0f} instructions/inference"
                   if device.get("board") else f"device: {device.get('status')}")
    return (
        f"mnist: float {100 * metrics['variants']['float32']['accuracy']:.2f} %, "
        f"int8 {100 * deployed['accuracy']:.2f} % ({deployed['size_bytes']:,} B), "
        f"TFLM agrees on {100 * deployed['tflm']['same_class_share']:.1f} % of test images, generated C "
        f"{'bit-exact' if metrics['codegen']['bit_exact'] else 'DIFFERS'} on {metrics['codegen']['samples']}; "
        + device_text
    )


def run(args: argparse.Namespace) -> int:
    cfg = resolve_config(args, mnist_config.QUICK, mnist_config.FULL)
    splits = make_dataset(cfg, data_dir(args.data_dir))
    metrics = run_host_pipeline("mnist", args.out, lambda: build_model(cfg), splits.dataset, cfg,
                                config_to_dict(cfg), augment=shift_augmenter(cfg.shift_pixels))
    if args.no_device:
        metrics = update_metrics(args.out, "device", device_not_run("skipped by --no-device"))
    else:
        device_step(args.out, splits, port=None)
        metrics = load_metrics(args.out)
    print_written([args.out / "report.md", args.out / "metrics.json", args.out / metrics["deploy"]["tflite"]],
                  summary_line(metrics))
    return 0 if not metrics["device"].get("problems") else 1


def device(args: argparse.Namespace) -> int:
    """The device checks again, on the emulator or a real board (--port), for an existing build/mnist."""
    metrics = load_metrics(args.out)
    if "config" not in metrics:
        raise UserError(f"{args.out / 'metrics.json'}: no finished run here; run `python -m mnist run` first")
    cfg = mnist_config.MnistConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in metrics["config"].items()})
    splits = make_dataset(cfg, data_dir(args.data_dir))
    result = device_step(args.out, splits, port=args.port)
    print_written([args.out / "metrics.json", args.out / "report.md"], summary_line(load_metrics(args.out)))
    return 0 if not result.get("problems") else 1


def predict(args: argparse.Namespace) -> int:
    model = read_model(args.model)
    names, images = load_inputs(args.files)
    for line in prediction_lines(model, names, scale_pixels(images), mnist_config.LABELS):
        print(line)
    return 0


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    run_parser = steps.add_parser("run", help="the whole demo: data -> report",
                                  formatter_class=argparse.RawTextHelpFormatter)
    add_run_arguments(run_parser, "mnist", mnist_config.MnistConfig)
    add_device_arguments(steps, run_parser, "mnist")
    predict_parser = steps.add_parser("predict", help="classify PNG/JPEG/IDX files")
    predict_parser.add_argument("--model", type=Path, required=True, help=".tflite model (any variant)")
    predict_parser.add_argument("files", type=Path, nargs="+", help="PNG/JPEG (any size) or IDX image files")
    args = parser.parse_args(argv)
    return {"run": run, "predict": predict, "device": device}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
