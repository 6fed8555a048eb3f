"""Cutting the raw stream into windows, and splitting windows by subject.

A window lies inside one *segment*: consecutive records of one user and one activity whose timestamps step
forward by at most `max_gap_ms` (a step backwards, or a longer pause, starts a new segment; equal timestamps are
tolerated because phones log duplicates). Windows never span two users, two activities or a time gap.

Splits are by subject (no user in two sets): random-window splits put overlapping windows of the same recording
in train and test and inflate accuracy by about 10 percentage points in the HAR literature, so there is none here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from har.config import HarConfig
from har.data import RawRecords
from shared.cli import UserError


@dataclass
class Windows:
    """Fixed-length windows of the raw stream."""

    xyz: np.ndarray  # (n, window_samples, 3) float32, m/s^2
    user: np.ndarray  # (n,) int16
    activity: np.ndarray  # (n,) int8
    start: np.ndarray  # (n,) int64, index of the window's first record in RawRecords
    stream: np.ndarray | None = None  # (n,) int64, the unbroken recording (segment) each window lies in, in order

    def __len__(self) -> int:
        return len(self.user)

    def subset(self, mask: np.ndarray) -> Windows:
        stream = self.stream[mask] if self.stream is not None else None
        return Windows(self.xyz[mask], self.user[mask], self.activity[mask], self.start[mask], stream)


def segment_bounds(records: RawRecords, max_gap_ms: float) -> np.ndarray:
    """(n_segments, 2) int64 [begin, end) record ranges of contiguous user+activity+time segments."""
    n = len(records)
    if n == 0:
        return np.zeros((0, 2), dtype=np.int64)
    step_ns = np.diff(records.timestamp_ns)
    breaks = (
        (np.diff(records.user.astype(np.int64)) != 0)
        | (np.diff(records.activity.astype(np.int64)) != 0)
        | (step_ns < 0)
        | (step_ns > max_gap_ms * 1e6)
    )
    begins = np.concatenate([[0], np.flatnonzero(breaks) + 1])
    ends = np.concatenate([begins[1:], [n]])
    return np.stack([begins, ends], axis=1).astype(np.int64)


def cut_windows(records: RawRecords, config: HarConfig) -> Windows:
    """Every window of `config.window_samples` records, `config.hop_samples` apart, inside one segment."""
    return windows_in_segments(records.xyz, records.user, records.activity,
                               segment_bounds(records, config.max_gap_ms), config)


def windows_in_segments(xyz: np.ndarray, user: np.ndarray, activity: np.ndarray, bounds: np.ndarray,
                        config: HarConfig) -> Windows:
    """Windows of a sample stream (n, 3) with per-sample user and activity, each inside one [begin, end) of
    `bounds` (k, 2): a segment is one unbroken recording (WISDM: a time-contiguous run; MotionSense: a trial)."""
    length, hop = config.window_samples, config.hop_samples
    starts = [np.arange(begin, end - length + 1, hop, dtype=np.int64) for begin, end in bounds if end - begin >= length]
    segments = [np.full(max(0, (end - begin - length) // hop + 1), i, dtype=np.int64) for i, (begin, end) in
                enumerate(bounds) if end - begin >= length]
    start = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    index = start[:, None] + np.arange(length)[None, :]  # (n, length)
    return Windows(
        xyz=xyz[index].astype(np.float32) if len(start) else np.zeros((0, length, 3), dtype=np.float32),
        user=user[start],
        activity=activity[start],
        start=start,
        stream=np.concatenate(segments) if segments else np.zeros(0, dtype=np.int64),
    )


def split_users(users: np.ndarray, config: HarConfig) -> dict[str, np.ndarray]:
    """Boolean masks train/val/test over `users`; no user in two of them.

    subject: test = config.test_users, val = config.val_users, train = the rest.
    loso: test = config.holdout_user alone, val = config.val_users minus it, train = the rest.
    (Empty tuples and holdout 0 mean the data source's default: HarConfig.split_users.)
    """
    test_users, val_users = config.split_users()
    test = np.isin(users, list(test_users))
    val = np.isin(users, list(val_users))
    train = ~test & ~val
    for name, mask in (("train", train), ("val", val), ("test", test)):
        if not mask.any():
            raise UserError(f"the {name} split is empty (users present: {sorted(set(users.tolist()))})")
    return {"train": train, "val": val, "test": test}
