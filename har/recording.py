"""A user's own recording -> raw windows exactly as training saw them, for `python -m har predict`.

Two formats, told apart by the first line:
- MotionSense CSV (`sub_<n>.csv`: the Core Motion header, 50 Hz rows): converted to WISDM's convention
  (har/conversion.py) and resampled to the config's rate, as in training;
- WISDM raw text (`user,activity,timestamp_ns,x,y,z;`, m/s^2 at 20 Hz): resampled if the config's rate differs.

Strict, unlike the training readers: a user's file is classified whole or not at all, so the first malformed row
stops it with a `RecordingError` naming the file and the row (1-based line number), and a recording shorter than
one window is refused too. Windows never span a WISDM time gap (`max_gap_ms`) or a change of user or activity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har import motionsense
from har.config import HarConfig
from har.conversion import coremotion_to_wisdm, resample
from har.data import RawRecords
from har.windows import segment_bounds, windows_in_segments
from shared.cli import UserError

WISDM_RATE_HZ = 20
WISDM_FIELDS = 6


class RecordingError(UserError):
    """A user's file that cannot be classified: the message names the file, and the row where there is one."""


@dataclass
class RecordingWindows:
    """Windows of one file, in time order."""

    start_s: np.ndarray  # (n,) float64, seconds from the file's first sample to the window's first sample
    xyz: np.ndarray  # (n, window_samples, 3) float32, m/s^2, WISDM convention, config.sample_rate_hz


def read_recording(path: Path, config: HarConfig) -> RecordingWindows:
    """Every window of a MotionSense CSV or WISDM raw file; RecordingError on anything malformed or too short."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise RecordingError(f"{path}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise RecordingError(f"{path}: not UTF-8 text (byte {error.start})") from None
    if "attitude.roll" in text.split("\n", 1)[0]:
        return _motionsense_windows(path, text, config)
    return _wisdm_windows(path, text, config)


def _too_short(path: Path, what: str, config: HarConfig) -> RecordingError:
    seconds = config.window_samples / config.sample_rate_hz
    return RecordingError(f"{path}: {what}, shorter than one window ({config.window_samples} samples = "
                          f"{seconds:g} s at {config.sample_rate_hz} Hz)")


def _motionsense_windows(path: Path, text: str, config: HarConfig) -> RecordingWindows:
    table = motionsense.parse_csv_text(text)
    if table.first_bad_row is not None:
        raise RecordingError(f"{path}: row {table.first_bad_row}: {table.first_bad_reason}")
    xyz = resample(coremotion_to_wisdm(motionsense.total_acceleration_g(table)), motionsense.NATIVE_RATE_HZ,
                   config.sample_rate_hz)
    if len(xyz) < config.window_samples:
        raise _too_short(path, f"{len(table.values)} rows at {motionsense.NATIVE_RATE_HZ} Hz", config)
    zeros = np.zeros(len(xyz), dtype=np.int16)
    windows = windows_in_segments(xyz, zeros, zeros, np.array([[0, len(xyz)]]), config)
    return RecordingWindows(windows.start / config.sample_rate_hz, windows.xyz)


def _wisdm_record(record: str) -> tuple[int, str, int, float, float, float] | str:
    """One `user,activity,timestamp,x,y,z` record, or the reason it is malformed."""
    fields = [field.strip() for field in record.split(",")]
    if len(fields) != WISDM_FIELDS:
        return f"{len(fields)} fields, expected {WISDM_FIELDS} (user,activity,timestamp,x,y,z)"
    try:
        user, timestamp = int(fields[0]), int(fields[2])
    except ValueError:
        return "user or timestamp is not an integer"
    try:
        x, y, z = (float(value) for value in fields[3:])
    except ValueError:
        return "acceleration is not a number"
    if not all(math.isfinite(value) for value in (x, y, z)):
        return "acceleration is NaN or infinite"
    return user, fields[1], timestamp, x, y, z


def parse_wisdm_strict(path: Path, text: str) -> RawRecords:
    """Records of a WISDM raw text, one or more `;`-terminated records per line; RecordingError at the first bad one.

    The activity may be any text (a user's own recording): each distinct text gets its own index, so a change of
    activity (or user) still ends a segment in `segment_bounds`.
    """
    records, activity_names = [], []
    for line_number, line in enumerate(text.splitlines(), start=1):
        for record in line.split(";"):
            if not record.strip():
                continue
            parsed = _wisdm_record(record)
            if isinstance(parsed, str):
                raise RecordingError(f"{path}: row {line_number}: {parsed}")
            records.append(parsed)
            activity_names.append(parsed[1])
    names = {name: i for i, name in enumerate(dict.fromkeys(activity_names))}
    return RawRecords(
        user=np.array([r[0] for r in records], dtype=np.int64).astype(np.int16),
        activity=np.array([names[r[1]] for r in records], dtype=np.int64).astype(np.int8),
        timestamp_ns=np.array([r[2] for r in records], dtype=np.int64),
        xyz=np.array([r[3:] for r in records], dtype=np.float32).reshape(-1, 3),
    )


def _wisdm_windows(path: Path, text: str, config: HarConfig) -> RecordingWindows:
    records = parse_wisdm_strict(path, text)
    if not len(records):
        raise RecordingError(f"{path}: no record (neither a MotionSense CSV nor WISDM raw text)")
    starts, windows = [], []
    for begin, end in segment_bounds(records, config.max_gap_ms):
        xyz = resample(records.xyz[begin:end], WISDM_RATE_HZ, config.sample_rate_hz)
        zeros = np.zeros(len(xyz), dtype=np.int16)
        cut = windows_in_segments(xyz, zeros, zeros, np.array([[0, len(xyz)]]), config)
        offset_s = (records.timestamp_ns[begin] - records.timestamp_ns[0]) / 1e9
        starts.append(offset_s + cut.start / config.sample_rate_hz)
        windows.append(cut.xyz)
    xyz = np.concatenate(windows)
    if not len(xyz):
        raise _too_short(path, f"{len(records)} records at {WISDM_RATE_HZ} Hz (longest unbroken run "
                               f"{int(np.diff(segment_bounds(records, config.max_gap_ms)).max())})", config)
    return RecordingWindows(np.concatenate(starts), xyz)
