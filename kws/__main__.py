"""python -m kws run | predict: spoken digits (FSDD) from WAV files to an int8 model, tables and C for the board."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

from kws import config as kws_config
from kws.augment import augmented_windows, feature_augmenter, feature_transforms_on
from kws.data import Fsdd, Recording, load_fsdd, official_split, speaker_split, validation_split
from kws.device import check_clips, require_device_tools
from kws.mfcc import compute_mfcc, make_tables, write_tables_c
from kws.model import build_model
from kws.speakers import evaluate_speakers
from kws.wav import read_any_as_pcm16
from kws.window import extract_windows
from shared.cli import (
    UserError,
    add_device_arguments,
    add_run_arguments,
    main_guard,
    print_written,
    resolve_config,
)
from shared.config import apply_overrides, config_to_dict
from shared.data import data_dir
from shared.pipeline import VARIANTS, Dataset, run_host_pipeline
from shared.predict import prediction_lines, read_model
from shared.report import device_not_run, update_metrics

# TFMOT 0.8 neither prunes nor clusters DepthwiseConv2D kernels, and the shared checks (rightly) refuse the result.
SEPARABLE_NOTE = ("pruned_int8 and clustered_int8 not built: the DS-CNN's depthwise kernels are neither pruned nor "
                  "clustered by TFMOT 0.8 (use cnn_separable=false for every variant)")


def variants_for(cfg: kws_config.KwsConfig) -> tuple[str, ...]:
    """Every shared-core variant the model supports (see SEPARABLE_NOTE)."""
    skip = ("pruned_int8", "clustered_int8") if cfg.model == "cnn" and cfg.cnn_separable else ()
    return tuple(v for v in VARIANTS if v not in skip)


def features(windows: np.ndarray, cfg: kws_config.KwsConfig) -> np.ndarray:
    """Model input from fixed int16 windows: float32 (B, n_frames, n_mfcc, 1)."""
    return compute_mfcc(windows, cfg, make_tables(cfg))[..., None]


def clip_features(recordings: list[Recording], cfg: kws_config.KwsConfig) -> np.ndarray:
    """Window rule then MFCC for each recording: float32 (B, n_frames, n_mfcc, 1)."""
    return features(extract_windows([r.pcm for r in recordings], cfg), cfg)


def split_recordings(fsdd: Fsdd, cfg: kws_config.KwsConfig, test_speaker: str):
    """(train, test, description): the official split, or leave `test_speaker` out."""
    if cfg.split == "official":
        train, test = official_split(fsdd.recordings)
        return train, test, "official split: takes 0-4 of every speaker and digit are the test set"
    train, test = speaker_split(fsdd.recordings, test_speaker)
    return train, test, f"leave-one-speaker-out split: test speaker {test_speaker}, trained on the others"


def make_dataset(fsdd: Fsdd, cfg: kws_config.KwsConfig, test_speaker: str) -> Dataset:
    """Split, carve validation (per digit, seeded), augment the training clips, compute MFCC features."""
    train, test, description = split_recordings(fsdd, cfg, test_speaker)
    if cfg.split == "speaker" and {r.speaker for r in test} & {r.speaker for r in train}:
        raise RuntimeError(f"speaker leak: {test_speaker} is in both training and test data")
    train, val = validation_split(train, cfg.val_fraction, cfg.seed)
    x_train = clip_features(train, cfg)
    y_train = np.array([r.digit for r in train], dtype=np.int64)
    notes = [f"data: {len(fsdd.recordings)} FSDD recordings from {fsdd.source} (speakers {', '.join(fsdd.speakers)})",
             *fsdd.notes, description]
    if cfg.augment_copies:
        extra = features(augmented_windows([r.pcm for r in train], cfg, cfg.seed), cfg)
        x_train = np.concatenate([x_train, extra])
        y_train = np.concatenate([y_train] * (1 + cfg.augment_copies))
        notes.append(f"augmentation: {cfg.augment_copies} copies of each training clip (speed +-{cfg.speed_max}, "
                     f"tilt +-{cfg.tilt_max}, gain +-{cfg.gain_db} dB, noise {cfg.noise_snr_db_min}-"
                     f"{cfg.noise_snr_db_max} dB SNR coloured by a low-pass pole up to {cfg.noise_colour_max}, "
                     f"shift +-{cfg.shift_max_samples} samples)")
    if feature_transforms_on(cfg):
        notes.append(f"feature augmentation every epoch: microphone colour {cfg.channel_colour} x the spread of the "
                     f"clips' mean cepstra, level +-{cfg.level_db} dB, tempo up to {1 + cfg.tempo_max:g}x either "
                     f"way, time mask up to {cfg.time_mask_frames} frames")
    if cfg.mixup_alpha > 0:
        notes.append(f"mixup while training the float model: each batch blended with a shuffled copy of itself, "
                     f"labels alike, weights from Beta({cfg.mixup_alpha:g}, {cfg.mixup_alpha:g})")
    y_val = np.array([r.digit for r in val], dtype=np.int64)
    y_test = np.array([r.digit for r in test], dtype=np.int64)
    return Dataset(x_train, y_train, clip_features(val, cfg), y_val, clip_features(test, cfg), y_test,
                   list(kws_config.LABELS), notes)


def write_firmware_files(cfg: kws_config.KwsConfig, out_dir: Path) -> list[Path]:
    """kws_config.h and kws_mfcc_tables.c/.h for the firmware build, into out_dir/firmware/generated/."""
    generated = out_dir / "firmware" / "generated"
    return [kws_config.write_config_header(cfg, generated), *write_tables_c(cfg, generated)]


def resolve(args: argparse.Namespace) -> kws_config.KwsConfig:
    """The profile, the --set overrides, then --split/--test-speaker (which win)."""
    cfg = resolve_config(args, kws_config.QUICK, kws_config.FULL)
    if args.split:
        cfg = dataclasses.replace(cfg, split=args.split)
    if args.test_speaker:
        cfg = dataclasses.replace(cfg, test_speaker=args.test_speaker)
    return cfg


def run(args: argparse.Namespace) -> int:
    cfg = resolve(args)
    if not args.no_device:
        require_device_tools(port=None)
    fsdd = load_fsdd(data_dir(args.data_dir), cfg.sample_rate_hz)
    main_speaker = cfg.test_speaker or fsdd.speakers[0]
    written = write_firmware_files(cfg, args.out)
    dataset = make_dataset(fsdd, cfg, main_speaker)
    if variants_for(cfg) != VARIANTS:
        dataset.notes.append(SEPARABLE_NOTE)
    metrics = run_host_pipeline("kws", args.out, lambda: build_model(cfg), dataset, cfg, config_to_dict(cfg),
                                augment=feature_augmenter(cfg, dataset.x_train), variants=variants_for(cfg))
    speakers = evaluate_speakers(fsdd, cfg, args.out, metrics, main_speaker,
                                 lambda c, s: make_dataset(fsdd, c, s))
    update_metrics(args.out, "speaker_split", speakers)
    metrics = update_metrics(args.out, "notes", metrics["notes"] + speakers["summary"])
    if args.no_device:
        device = device_not_run("skipped by --no-device")
    else:
        device = device_step(fsdd, cfg, main_speaker, args.out, port=None)
    metrics = update_metrics(args.out, "device", device)
    deployed = metrics["variants"][metrics["deploy"]["variant"]]
    print_written(
        [*written, args.out / "report.md", args.out / "metrics.json", args.out / metrics["deploy"]["tflite"]],
        f"kws ({cfg.split} split): float {100 * metrics['variants']['float32']['accuracy']:.2f} %, "
        f"int8 {100 * deployed['accuracy']:.2f} % ({deployed['size_bytes']:,} B, arena "
        f"{metrics['export']['tflm_arena_bytes']:,} B); leave-one-speaker-out int8 mean "
        f"{100 * speakers['int8_mean']:.2f} % over {len(speakers['speakers'])} speaker(s); {device_summary(device)}",
    )
    return device_exit_status(device)


def device_step(fsdd: Fsdd, cfg: kws_config.KwsConfig, test_speaker: str, out: Path, port: str | None) -> dict:
    """The test split's raw clips through the board (emulator if port is None); the metrics.json "device" section."""
    _, test, _ = split_recordings(fsdd, cfg, test_speaker)
    metrics = json.loads((out / "metrics.json").read_text())
    device = check_clips([r.pcm for r in test], np.array([r.digit for r in test]), cfg,
                         out / metrics["deploy"]["tflite"], out / "firmware", port=port)
    device["status"] = "passed" if not device["problems"] else f"failed: {len(device['problems'])} problem(s)"
    return device


def device_summary(device: dict) -> str:
    """One phrase for the summary line: where, how many samples, agreement with the host, accuracy."""
    if device.get("agree_with_host") is None:
        return f"device: {device['status']}"
    return (f"device ({device['board']}): {device['samples']} clips, {100 * device['agree_with_host']:.1f} % equal "
            f"to the host's int8 scores, accuracy {100 * device['accuracy']:.2f} %, {device['status']}")


def device_exit_status(device: dict) -> int:
    """1 (with every problem on stderr) if a device check failed, else 0."""
    for problem in device.get("problems", []):
        print(f"device check failed: {problem}", file=sys.stderr)
    return 1 if device.get("problems") else 0


def device(args: argparse.Namespace) -> int:
    """python -m kws device: the device checks again, for the model and config of an existing build folder."""
    metrics_path = args.out / "metrics.json"
    if not metrics_path.is_file():
        raise UserError(f"{metrics_path} not found: run `python -m kws run` first")
    cfg = config_from_metrics(metrics_path, kws_config.FULL)
    require_device_tools(args.port)
    fsdd = load_fsdd(data_dir(args.data_dir), cfg.sample_rate_hz)
    result = device_step(fsdd, cfg, cfg.test_speaker or fsdd.speakers[0], args.out, args.port)
    update_metrics(args.out, "device", result)
    print_written([args.out / "metrics.json", args.out / "report.md"], f"kws {device_summary(result)}")
    return device_exit_status(result)


def trained_config(model_path: Path, args: argparse.Namespace) -> kws_config.KwsConfig:
    """The config the model was trained with (metrics.json of its build folder, if there), then --set overrides."""
    metrics_path = Path(model_path).resolve().parent.parent / "metrics.json"
    base = kws_config.QUICK if args.quick else kws_config.FULL
    if metrics_path.is_file():
        base = config_from_metrics(metrics_path, base)
    return apply_overrides(base, args.overrides)


def config_from_metrics(metrics_path: Path, base: kws_config.KwsConfig) -> kws_config.KwsConfig:
    """`base` with the config saved in a build folder's metrics.json."""
    saved = json.loads(metrics_path.read_text()).get("config", {})
    known = {f.name for f in dataclasses.fields(kws_config.KwsConfig)}
    return dataclasses.replace(base, **{k: v for k, v in saved.items() if k in known})


def predict(args: argparse.Namespace) -> int:
    model = read_model(args.model)
    cfg = trained_config(args.model, args)
    clips, names = [], []
    for path in args.files:
        pcm, how = read_any_as_pcm16(path, cfg.sample_rate_hz)
        if how != "as is":
            print(f"note: {path}: {how} (training used {cfg.sample_rate_hz} Hz 16-bit mono)", file=sys.stderr)
        clips.append(pcm)
        names.append(str(path))
    x = features(extract_windows(clips, cfg), cfg)
    for line in prediction_lines(model, names, x, list(kws_config.LABELS)):
        print(line)
    return 0


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kws", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    run_parser = steps.add_parser("run", help="the whole demo: data -> features -> models -> report",
                                  formatter_class=argparse.RawTextHelpFormatter)
    add_run_arguments(run_parser, "kws", kws_config.KwsConfig)
    run_parser.add_argument("--split", choices=("official", "speaker"), default=None,
                            help="official: takes 0-4 are test (default); speaker: leave --test-speaker out")
    run_parser.add_argument("--test-speaker", default=None, metavar="NAME",
                            help="speaker left out (default: every speaker in turn for the leave-one-out mean)")
    add_device_arguments(steps, run_parser, "kws")
    predict_parser = steps.add_parser("predict", help="classify WAV files (any rate/channels: made 8 kHz mono)")
    predict_parser.add_argument("--model", type=Path, required=True, help=".tflite model (any variant)")
    predict_parser.add_argument("--quick", action="store_true",
                                help="QUICK profile settings (only if the model has no metrics.json beside models/)")
    predict_parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                                help="feature settings; default: the config in the model's build/kws/metrics.json")
    predict_parser.add_argument("files", type=Path, nargs="+", help="WAV files")
    args = parser.parse_args(argv)
    return {"run": run, "device": device, "predict": predict}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
