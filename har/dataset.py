"""From a data source to the pipeline's `Dataset`: records -> windows -> (features) -> subject-wise splits.

Also writes the firmware headers the board needs to preprocess exactly as in training (`har_config.h`,
`har_features_tables.h`); the standardisation constants `predict` needs go to data/run.json (har/demo.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har import data, motionsense, synthetic
from har.config import ACTIVITIES, HarConfig, write_config_header
from har.conversion import resample
from har.features import (
    compute_features_float32,
    feature_names,
    n_features,
    normalization_constants,
    normalize_float32,
    write_feature_tables,
)
from har.model import combined_inputs, uses_features, uses_window
from har.smoothing import stream_starts
from har.windows import Windows, cut_windows, split_users, windows_in_segments
from shared.data import DataError, atomic_write_text
from shared.pipeline import Dataset


@dataclass
class Prepared:
    """A Dataset plus how its inputs were made (for the C headers and predict)."""

    dataset: Dataset
    feature_names: list[str]
    mean: np.ndarray | None  # (n_features,) float32 standardisation, None for raw windows
    inv_std: np.ndarray | None
    sample_file: Path | None = None  # generated WISDM-format file for trying predict
    test_windows: Windows | None = None  # raw test windows (what a board receives), None for the ARFF
    stream_starts: dict[str, np.ndarray] | None = None  # "val"/"test" -> (n,) bool, a window starts its stream


def load_records(config: HarConfig, data_dir: Path | None, out_dir: Path) -> tuple[data.RawRecords, list[str], Path]:
    """Raw records of the configured source, notes for the report, and the file they came from."""
    if config.data == "synthetic":
        records = synthetic.generate_records(config.synthetic_seed, config.synthetic_users, config.synthetic_seconds,
                                             config.sample_rate_hz)
        text, quirks = synthetic.render_records(records, config.synthetic_seed)
        sample = [r for r in records if r[0] == config.split_users()[0][0]]
        # without format quirks: `predict` reads a user's file strictly, and this one is for trying it
        path = atomic_write_text(out_dir / "data" / "generated_wisdm_sample.txt",
                                 synthetic.render_records(sample, config.synthetic_seed, synthetic.NO_QUIRKS)[0])
        parsed = data.parse_raw_text(text)
        notes = [
            "GENERATED DATA (--data synthetic): figures show the pipeline works, not real recognition accuracy",
            f"generated {len(records)} records with format quirks {quirks}",
        ]
        return parsed, notes, path
    path = data.find_wisdm_file(data.RAW_FILE_NAME, data_dir)
    parsed = data.read_raw_file(path)
    return parsed, [f"WISDM v1.1 raw data from {path}", *data.integrity_notes(parsed)], path


def _split_notes(config: HarConfig, users: np.ndarray, masks: dict[str, np.ndarray]) -> list[str]:
    parts = [f"{name}: users {sorted(set(users[mask].tolist()))}" for name, mask in masks.items()]
    how = "leave-one-subject-out" if config.split == "loso" else "subject-wise"
    return [f"{how} split, no user in two sets; " + "; ".join(parts)]


def _dataset(x: np.ndarray, y: np.ndarray, masks: dict[str, np.ndarray], notes: list[str]) -> Dataset:
    return Dataset(
        x_train=x[masks["train"]], y_train=y[masks["train"]],
        x_val=x[masks["val"]], y_val=y[masks["val"]],
        x_test=x[masks["test"]], y_test=y[masks["test"]],
        labels=list(ACTIVITIES), notes=notes,
    )


def model_inputs(windows: Windows, config: HarConfig, mean=None, inv_std=None) -> np.ndarray:
    """What the model sees: standardised float32 features (B, F), raw windows (B, T, 1, 3) float32, or for mlp_cnn1d
    both in one (B, K + T, 1, 3) tensor (har.model.combined_inputs)."""
    if not uses_features(config):
        return windows.xyz.astype(np.float32)[:, :, None, :]
    features = normalize_float32(compute_features_float32(windows.xyz, config), mean, inv_std)
    return combined_inputs(features, windows.xyz) if uses_window(config) else features


def prepare_raw(config: HarConfig, data_dir: Path | None, out_dir: Path) -> Prepared:
    """Windows of the raw stream (real or generated), featurised for the MLPs, split by subject."""
    records, notes, path = load_records(config, data_dir, out_dir)
    if records.n_skipped:
        notes.append(f"{records.n_skipped} raw records skipped: {records.skipped}")
    windows = cut_windows(records, config)
    if not len(windows):
        raise DataError(f"{path}: no complete {config.window_samples}-sample window in {len(records)} records")
    return prepare_windows(windows, config, notes, path if config.data == "synthetic" else None)


def motionsense_stream(data: motionsense.MotionSense, config: HarConfig) -> tuple[np.ndarray, ...]:
    """Every unbroken run of every trial, resampled to config.sample_rate_hz and concatenated.

    Returns xyz (n, 3) float32 m/s^2, user (n,) int16, activity (n,) int8 per sample, and bounds (k, 2) int64: one
    [begin, end) per run, so that windows (windows_in_segments) never span two trials or a dropped row.
    """
    pieces, users, activities, bounds = [], [], [], []
    begin = 0
    for trial in data.trials:
        for start, end in trial.segments:
            run = resample(trial.xyz[start:end], motionsense.NATIVE_RATE_HZ, config.sample_rate_hz)
            pieces.append(run.astype(np.float32))
            users.append(np.full(len(run), trial.subject, np.int16))
            activities.append(np.full(len(run), trial.activity, np.int8))
            bounds.append((begin, begin + len(run)))
            begin += len(run)
    return (np.concatenate(pieces), np.concatenate(users), np.concatenate(activities),
            np.array(bounds, dtype=np.int64).reshape(-1, 2))


def prepare_windows(windows: Windows, config: HarConfig, notes: list[str], sample_file: Path | None = None
                    ) -> Prepared:
    """Split windows by subject, featurise them for the MLPs (standardised with training constants) or keep them
    raw for the CNN; the raw test windows ride along for the device."""
    masks = split_users(windows.user, config)
    notes += _split_notes(config, windows.user, masks)
    notes.append(f"{len(windows)} windows of {config.window_samples} samples at {config.sample_rate_hz} Hz, "
                 f"hop {config.hop_samples}")
    mean = inv_std = None
    if uses_features(config):
        train_features = compute_features_float32(windows.xyz[masks["train"]], config)
        mean, inv_std = normalization_constants(train_features)
    x = model_inputs(windows, config, mean, inv_std)
    names = list(feature_names(config)) if uses_features(config) else ["window"]
    dataset = _dataset(x, windows.activity.astype(np.int64), masks, notes)
    starts = {name: stream_starts(windows.stream[masks[name]]) for name in ("val", "test")}
    return Prepared(dataset, names, mean, inv_std, sample_file, windows.subset(masks["test"]), starts)


def load_motionsense_windows(config: HarConfig, data_dir: Path | None) -> tuple[Windows, list[str]]:
    """MotionSense read strictly, converted to WISDM's convention, resampled and cut into windows; report notes."""
    source = motionsense.find_source(data_dir)
    data = motionsense.load_motionsense(source, config.subjects or None)
    notes = [f"MotionSense (Malekzadeh et al. 2019, MIT licence) from {source}: {len(data.trials)} trial "
             f"recordings of subjects {data.subjects}, {data.rows:,} rows at {motionsense.NATIVE_RATE_HZ} Hz; "
             "gravity + userAcceleration turned into WISDM's convention (m/s^2, Android sign, phone top up; "
             f"har/conversion.py) and resampled to {config.sample_rate_hz} Hz with an anti-aliasing filter",
             *motionsense.integrity_notes(data)]
    if data.skipped:
        notes.append(f"MotionSense rows skipped, by reason: {data.skipped}")
    xyz, user, activity, bounds = motionsense_stream(data, config)
    return windows_in_segments(xyz, user, activity, bounds, config), notes


def prepare_motionsense(config: HarConfig, data_dir: Path | None) -> Prepared:
    """The MotionSense path end to end: the Prepared dataset, the raw test windows and standardisation constants."""
    windows, notes = load_motionsense_windows(config, data_dir)
    if not len(windows):
        raise DataError(f"MotionSense: no complete {config.window_samples}-sample window")
    return prepare_windows(windows, config, notes)


def _arff_artifact_notes(table: data.ArffTable) -> list[str]:
    """Say so when columns of the published ARFF carry no information (kept as published)."""
    column = {name: table.features[:, i] for i, name in enumerate(table.feature_names)}
    notes = []
    if (column["XAVG"] == 0).all():
        notes.append("ARFF as published: XAVG is 0 in every row")
    if np.array_equal(column["XSTANDDEV"], column["ZSTANDDEV"]):
        notes.append("ARFF as published: XSTANDDEV equals ZSTANDDEV in every row (z's own deviation is absent)")
    return notes


def prepare_arff(config: HarConfig, data_dir: Path | None) -> Prepared:
    """Kwapisz et al.'s 43 features per 10 s window (real data), `?` imputed, standardised, split by subject."""
    if uses_window(config):
        raise DataError("--data wisdm-arff holds features, not raw windows: use --model mlp or mlp_textbook")
    path = data.find_wisdm_file(data.ARFF_FILE_NAME, data_dir)
    table = data.read_arff(path)
    masks = split_users(table.user, config)
    missing = np.isnan(table.features)
    # `?` (missing XPEAK/YPEAK/ZPEAK) -> the training users' median of that column: no test information leaks in.
    medians = np.nanmedian(table.features[masks["train"]], axis=0)
    features = np.where(missing, medians[None, :], table.features).astype(np.float32)
    mean, inv_std = normalization_constants(features[masks["train"]])
    notes = [
        f"real WISDM data: {path.name}, {len(table.user)} windows of 200 samples (10 s), "
        f"{len(set(table.user.tolist()))} users",
        "features: Kwapisz et al. (2010)'s 43 as computed by the WISDM lab; host-only, the firmware computes "
        "har/features.py's set instead, so this model is not deployable to the board as is",
        f"{int(missing.sum())} missing values (`?`) in {int(missing.any(axis=1).sum())} rows replaced by "
        "the training users' column median",
        *_arff_artifact_notes(table),
        *_split_notes(config, table.user, masks),
    ]
    x = normalize_float32(features, mean, inv_std)
    return Prepared(_dataset(x, table.activity.astype(np.int64), masks, notes), table.feature_names, mean, inv_std)


def write_firmware_headers(prepared: Prepared, config: HarConfig, generated_dir: Path) -> list[Path]:
    """har_config.h always; har_features_tables.h when the firmware computes our features (not for the ARFF)."""
    paths = [generated_dir / "har_config.h"]
    n_inputs = len(prepared.feature_names) if uses_features(config) else n_features(config)
    write_config_header(config, paths[0], n_inputs)
    if config.data != "wisdm-arff":
        mean = prepared.mean if uses_features(config) else None
        inv_std = prepared.inv_std if uses_features(config) else None
        paths.append(generated_dir / "har_features_tables.h")
        write_feature_tables(config, paths[1], mean, inv_std)
    return paths


def choose_source(data_dir: Path | None) -> tuple[str, str]:
    """The default data source and why: WISDM raw when present or downloadable, otherwise MotionSense."""
    try:
        path = data.find_wisdm_file(data.RAW_FILE_NAME, data_dir)
        return "wisdm", f"data: wisdm (WISDM v1.1 raw file at {path})"
    except DataError as wisdm_error:
        try:
            source = motionsense.find_source(data_dir)
        except DataError as motionsense_error:
            raise DataError(f"no HAR data: {wisdm_error}; {motionsense_error}") from None
        reason = str(wisdm_error).split("; or ")[0]
        return "motionsense", (f"data: motionsense ({source}), because the WISDM raw file is neither local nor "
                               f"downloadable here ({reason})")


def prepare(config: HarConfig, data_dir: Path | None, out_dir: Path) -> Prepared:
    """The configured source's Prepared dataset (one entry point for the CLI and drivers)."""
    if config.data == "wisdm-arff":
        return prepare_arff(config, data_dir)
    if config.data == "motionsense":
        return prepare_motionsense(config, data_dir)
    return prepare_raw(config, data_dir, out_dir)
