"""The demo protocol: what a demo (har, kws, mnist, or a fourth one) implements so that one driver runs it.

A demo says how to read its data and compute its host features (`prepare`), which model to train, which C
sources its firmware app needs besides the model (`write_sources`: `<app>_config.h`, tables), and how to read a
user's file for `predict`. Everything else — training, variants, evaluation, export, firmware, the device check,
the report, the command line — is `shared.chain` and `shared.cli_main`, the same for every demo.
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shared.config import apply_overrides
from shared.pipeline import VARIANTS, Dataset
from shared.train import Augment, TrainSettings


@dataclass(frozen=True)
class DeviceData:
    """What a board receives for each test sample (one row per sample, in Dataset.x_test order).

    The board computes its features from the raw input; they must equal Dataset.x_test (flattened) bit for bit, so
    a demo's x_test is always its C twin's features (or a bit-exact Python twin of them)."""

    raw_inputs: np.ndarray  # (N, ...) raw samples in their own dtype, exactly as sent (uint8, int16, float32)
    numpy_features: np.ndarray | None = None  # (N, F) float32 from numpy: within NUMPY_FEATURE_TOLERANCE
    description: str = ""  # how the inputs are sent, for the report
    stream_starts: np.ndarray | None = None  # (N,) bool: the sample starts a new stream (Demo.decisions)

    def __post_init__(self) -> None:
        n = len(self.raw_inputs)
        for name in ("numpy_features", "stream_starts"):
            if (value := getattr(self, name)) is not None and len(value) != n:
                raise ValueError(f"DeviceData.{name} has {len(value)} rows, raw_inputs has {n}")


@dataclass
class Prepared:
    """A demo's data step: the model-ready splits, what a board gets, and what `predict` needs to preprocess."""

    dataset: Dataset
    device: DeviceData | None  # None: this model cannot run on the board (then not_deployable says why)
    not_deployable: str | None = None
    preprocess: dict[str, Any] = field(default_factory=dict)  # saved in data/run.json (e.g. standardisation)
    sections: dict[str, Any] = field(default_factory=dict)  # extra report sections from the data step
    context: Any = None  # the demo's own data (e.g. the recordings), for its extra steps


@dataclass(frozen=True)
class PredictInput:
    """The model inputs made from one user file: one row per sample, with the keys each JSON line gets."""

    x: np.ndarray  # (k, *model input shape) float32
    rows: list[dict[str, Any]]  # k dicts merged into the output lines (e.g. {"start_s": 4.0})
    note: str | None = None  # said on stderr (e.g. a resampled WAV)


class Demo(ABC):
    """One demo. Subclasses set the class attributes and implement the abstract methods."""

    name: str  # the package, the firmware app folder, build/<name>, the C prefix
    description: str  # one line for --help
    config_type: type
    quick: Any  # the QUICK profile (tests, labs)
    full: Any  # the FULL profile (reported figures)
    predict_files: str  # what `predict` reads, for --help ("WAV files")

    def add_run_options(self, parser: argparse.ArgumentParser) -> None:
        """Options of `run` beyond --quick/--set/--data-dir/--out/--no-device (none by default)."""
        return None

    def resolve_config(self, args: argparse.Namespace) -> Any:
        """QUICK or FULL, then the --set overrides."""
        return apply_overrides(self.quick if args.quick else self.full, args.overrides)

    def labels(self, cfg: Any) -> list[str]:
        """Class names in model-output order."""
        return list(cfg.labels)

    def config_from_dict(self, saved: dict[str, Any]) -> Any:
        """A config saved in data/run.json, back as the dataclass (lists become tuples; unknown keys refused)."""
        known = {name: tuple(v) if isinstance(v, list) else v for name, v in saved.items()}
        return self.config_type(**known)

    @abstractmethod
    def prepare(self, cfg: Any, data_dir: Path | None, out_dir: Path) -> Prepared:
        """Read the data, split it, compute the host features (train/val/test) and the device data."""

    @abstractmethod
    def model_builder(self, cfg: Any, dataset: Dataset) -> Callable[[], Any]:
        """A function that builds a fresh, uncompiled tf-keras model."""

    def train_settings(self, cfg: Any) -> TrainSettings:
        """The training settings (every demo's config is a TrainSettings)."""
        return cfg

    def train_model(self, cfg: Any, dataset: Dataset, history_path: Path | None = None) -> Any:
        """The trained float tf-keras model: by default one training of model_builder (shared.train.train_float,
        early stopping on the validation split); a demo may train several and combine them (HAR's ensemble)."""
        from shared.train import train_float

        model, _ = train_float(self.model_builder(cfg, dataset), dataset.x_train, dataset.y_train, dataset.x_val,
                               dataset.y_val, self.train_settings(cfg), self.augment(cfg, dataset), history_path)
        return model

    def augment(self, cfg: Any, dataset: Dataset) -> Augment | None:
        """Per-batch augmentation during float training, or None."""
        return None

    def variants(self, cfg: Any) -> tuple[str, ...]:
        """The model variants this config supports (must include "int8", the deployed one)."""
        return VARIANTS

    def variant_notes(self, cfg: Any) -> list[str]:
        """Why a variant is missing, for the report."""
        return []

    @abstractmethod
    def write_sources(self, cfg: Any, prepared: Prepared, c_dir: Path) -> list[Path]:
        """The firmware app's generated sources besides the model, written once into export/c by the data step
        (they depend on the config and the training data only): `<name>_config.h` and the feature tables."""

    def decisions(self, cfg: Any, int8_scores: np.ndarray, stream_starts: np.ndarray) -> np.ndarray | None:
        """The class the board reports for each test sample when the app decides over a stream of samples
        (firmware app_decide; HAR smooths its scores), from the int8 scores (N, classes) in stream order and
        DeviceData.stream_starts; None (the default): the argmax of each sample's own scores."""
        return None

    def twin_features(self, cfg: Any, prepared: Prepared, c_dir: Path) -> np.ndarray | None:
        """The test split's features from the app's C twin built on the host from `c_dir`, (N, *input shape)
        float32: they replace Dataset.x_test, so evaluation and the board's expected answers use the features the
        board computes. None (the default) when x_test already is bit-exact with the board's features."""
        return None

    def build_options(self) -> dict[str, Any]:
        """Extra keyword arguments for `shared.board.firmware.build_firmware` (third-party C such as CMSIS-DSP)."""
        return {}

    def extra_steps(self, cfg: Any) -> list[str]:
        """Titles of host steps after evaluation (each writes out_dir/<section>/<section>.json)."""
        return []

    def run_extra_step(self, title: str, cfg: Any, prepared: Prepared, out_dir: Path,
                       evaluation: dict[str, Any], data_dir: Path | None) -> tuple[str, dict[str, Any]]:
        """Run one of extra_steps: returns (section name, its JSON-able content)."""
        raise NotImplementedError(title)

    def summary_extra(self, metrics: dict[str, Any]) -> str:
        """A phrase added to the summary line (e.g. the leave-one-speaker-out mean), or ""."""
        return ""

    def add_commands(self, steps: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
        """Commands of this demo beyond run, device and predict (e.g. HAR's loso): add their parsers to the
        argparse sub-parsers `steps` and return name -> handler (none by default)."""
        return {}

    def add_predict_options(self, parser: argparse.ArgumentParser) -> None:
        """Options of `predict` beyond --model, --quick, --set and the files (none by default)."""
        return None

    @abstractmethod
    def predict_input(self, path: Path, cfg: Any, preprocess: dict[str, Any],
                      args: argparse.Namespace) -> PredictInput:
        """The model inputs from one user file, preprocessed exactly as in training; UserError/DataError naming
        the file (and row) if it cannot be read."""
