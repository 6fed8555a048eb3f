"""The KWS demo for the shared driver: FSDD WAV files -> MFCC (CMSIS-DSP's conventions) -> a small CNN; the board
gets raw clips, picks its window and computes the MFCC itself (firmware/apps/kws/app.c).

The test split's model inputs are the host-gcc C twin's features of the clips as sent (kws/twin.py): bit for bit
what the board computes, so the evaluation and the board's expected answers come from one TFLM run. numpy's
features train the model and must stay within 1e-5 x their range of the twin's (`feature_parity` section).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kws import config as kws_config
from kws.augment import augmented_windows, feature_augmenter, feature_transforms_on
from kws.data import Fsdd, Recording, load_fsdd, official_split, speaker_split, validation_split
from kws.device import clip_payloads, numpy_mismatch
from kws.mfcc import compute_mfcc, make_tables
from kws.model import build_model
from kws.speakers import evaluate_speakers
from kws.twin import build_twin, run_twin
from kws.wav import read_any_as_pcm16
from kws.window import extract_windows
from shared import cmsis_dsp
from shared.cli import UserError
from shared.config import apply_overrides
from shared.demo import Demo, DeviceData, PredictInput, Prepared
from shared.pipeline import VARIANTS, Dataset
from shared.train import Augment

# TFMOT 0.8 neither prunes nor clusters DepthwiseConv2D kernels, and the shared checks (rightly) refuse the result.
SEPARABLE_NOTE = ("pruned_int8 and clustered_int8 not built: the DS-CNN's depthwise kernels are neither pruned nor "
                  "clustered by TFMOT 0.8 (use cnn_separable=false for every variant)")
SPEAKERS_STEP = "leave-one-speaker-out"


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


def _augmentation_notes(cfg: kws_config.KwsConfig) -> list[str]:
    notes = []
    if cfg.augment_copies:
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
    return notes


def make_dataset(fsdd: Fsdd, cfg: kws_config.KwsConfig, test_speaker: str) -> tuple[Dataset, list[Recording]]:
    """Split, carve validation (per digit, seeded), augment the training clips, compute numpy MFCC features; also
    the test recordings."""
    train, test, description = split_recordings(fsdd, cfg, test_speaker)
    if cfg.split == "speaker" and {r.speaker for r in test} & {r.speaker for r in train}:
        raise RuntimeError(f"speaker leak: {test_speaker} is in both training and test data")
    train, val = validation_split(train, cfg.val_fraction, cfg.seed)
    x_train = clip_features(train, cfg)
    y_train = np.array([r.digit for r in train], dtype=np.int64)
    if cfg.augment_copies:
        extra = features(augmented_windows([r.pcm for r in train], cfg, cfg.seed), cfg)
        x_train = np.concatenate([x_train, extra])
        y_train = np.concatenate([y_train] * (1 + cfg.augment_copies))
    notes = [f"data: {len(fsdd.recordings)} FSDD recordings from {fsdd.source} (speakers {', '.join(fsdd.speakers)})",
             *fsdd.notes, description, *_augmentation_notes(cfg)]
    y_val = np.array([r.digit for r in val], dtype=np.int64)
    y_test = np.array([r.digit for r in test], dtype=np.int64)
    dataset = Dataset(x_train, y_train, clip_features(val, cfg), y_val, clip_features(test, cfg), y_test,
                      list(kws_config.LABELS), notes)
    return dataset, test


@dataclasses.dataclass
class KwsContext:
    fsdd: Fsdd
    main_speaker: str
    clips_sent: list[np.ndarray]  # the test clips as the board gets them (long ones cut to their host window)


class KwsDemo(Demo):
    name = "kws"
    description = "spoken digits (FSDD) from WAV files to MFCC, an int8 model, and a board that computes the MFCC"
    config_type = kws_config.KwsConfig
    quick = kws_config.QUICK
    full = kws_config.FULL
    predict_files = "WAV files (any rate and channels: made 8 kHz mono as in training)"

    def labels(self, cfg: Any) -> list[str]:
        return list(kws_config.LABELS)

    def add_run_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--split", choices=("official", "speaker"), default=None,
                            help="official: takes 0-4 are test (default); speaker: leave --test-speaker out")
        parser.add_argument("--test-speaker", default=None, metavar="NAME",
                            help="speaker left out (default: every speaker in turn for the leave-one-out mean)")

    def resolve_config(self, args: argparse.Namespace) -> Any:
        """The profile, the --set overrides, then --split/--test-speaker (which win)."""
        cfg = apply_overrides(self.quick if args.quick else self.full, args.overrides)
        if args.split:
            cfg = dataclasses.replace(cfg, split=args.split)
        if args.test_speaker:
            cfg = dataclasses.replace(cfg, test_speaker=args.test_speaker)
        return cfg

    def prepare(self, cfg: Any, data_dir: Path | None, out_dir: Path) -> Prepared:
        fsdd = load_fsdd(data_dir, cfg.sample_rate_hz)
        main_speaker = cfg.test_speaker or fsdd.speakers[0]
        dataset, test = make_dataset(fsdd, cfg, main_speaker)
        inputs = clip_payloads([r.pcm for r in test], cfg)
        if not np.array_equal(extract_windows(inputs.clips, cfg), extract_windows([r.pcm for r in test], cfg)):
            raise AssertionError("a clip cut to fit one payload has another window than the whole clip")
        description = (f"raw int16 clips (count word + up to {kws_config.MAX_CLIP_SAMPLES} samples); {inputs.cut} "
                       f"of {len(test)} longer clips sent as their {cfg.window_samples}-sample host window")
        return Prepared(dataset, DeviceData(inputs.payloads, description=description),
                        context=KwsContext(fsdd, main_speaker, inputs.clips))

    def write_sources(self, cfg: Any, prepared: Prepared, c_dir: Path) -> list[Path]:
        return kws_config.write_firmware_sources(cfg, c_dir)

    def twin_features(self, cfg: Any, prepared: Prepared, c_dir: Path) -> np.ndarray | None:
        """The C twin's MFCC of the clips as sent; numpy's (x_test so far) must be within 1e-5 x the range."""
        clips = prepared.context.clips_sent
        with tempfile.TemporaryDirectory(prefix="kws-twin-") as build:
            twin = build_twin(cfg, Path(build), sources_dir=c_dir)
            _, _, twin_features = run_twin(twin, clips, cfg)
        numpy_features = prepared.dataset.x_test[..., 0]
        problem = numpy_mismatch(twin_features, numpy_features)
        error = np.abs(twin_features.astype(np.float64) - numpy_features.astype(np.float64))
        prepared.sections["feature_parity"] = {
            "twin_vs_numpy_max_abs_error": float(error.max()), "feature_range": float(np.ptp(numpy_features)),
            "within_tolerance": problem is None, "problem": problem,
        }  # fmt: skip
        return twin_features[..., None]

    def build_options(self) -> dict[str, Any]:
        return {"library_sources": cmsis_dsp.mfcc_sources(), "library_include_dirs": cmsis_dsp.include_dirs(),
                "library_flags": cmsis_dsp.compile_flags()}

    def model_builder(self, cfg: Any, dataset: Dataset) -> Callable[[], Any]:
        return lambda: build_model(cfg)

    def augment(self, cfg: Any, dataset: Dataset) -> Augment | None:
        return feature_augmenter(cfg, dataset.x_train)

    def variants(self, cfg: Any) -> tuple[str, ...]:
        skip = ("pruned_int8", "clustered_int8") if cfg.model == "cnn" and cfg.cnn_separable else ()
        return tuple(v for v in VARIANTS if v not in skip)

    def variant_notes(self, cfg: Any) -> list[str]:
        return [SEPARABLE_NOTE] if self.variants(cfg) != VARIANTS else []

    def extra_steps(self, cfg: Any) -> list[str]:
        return [SPEAKERS_STEP]

    def run_extra_step(self, title: str, cfg: Any, prepared: Prepared, out_dir: Path,
                       evaluation: dict[str, Any], data_dir: Path | None) -> tuple[str, dict[str, Any]]:
        context: KwsContext = prepared.context
        variants = evaluation["variants"]
        main_row = {"test_clips": len(prepared.dataset.y_test), "float32": variants["float32"]["accuracy"],
                    "int8": variants["int8"]["accuracy"], "source": "main pipeline"}
        section = evaluate_speakers(context.fsdd, cfg, out_dir, main_row, context.main_speaker,
                                    lambda c, s: make_dataset(context.fsdd, c, s)[0])
        return "speaker_split", section

    def summary_extra(self, metrics: dict[str, Any]) -> str:
        speakers = metrics.get("speaker_split")
        if not speakers:
            return ""
        return (f"leave-one-speaker-out int8 mean {100 * speakers['int8_mean']:.2f} % over "
                f"{len(speakers['speakers'])} speaker(s)")

    def predict_input(self, path: Path, cfg: Any, preprocess: dict[str, Any],
                      args: argparse.Namespace) -> PredictInput:
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        pcm, how = read_any_as_pcm16(path, cfg.sample_rate_hz)
        note = None if how == "as is" else f"{how} (training used {cfg.sample_rate_hz} Hz 16-bit mono)"
        return PredictInput(features(extract_windows([pcm], cfg), cfg), [{}], note)
