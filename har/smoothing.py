"""Causal smoothing of the deployed model's int8 scores over the last windows of one stream: the host reference of
firmware/apps/har/smoothing.c, which the board runs after every inference.

The decision for a window is the argmax (the first of equal ones) of the int8 scores summed over that window and
the `smooth_windows - 1` windows before it in the same stream (a stream: one unbroken recording, a MotionSense
trial; the board: everything since RESET). A window near the start of a stream has fewer predecessors and sums
only those. The sum of K int8 scores fits int32 for any K here (|sum| <= 128 K). Integer arithmetic, so host and
board agree exactly. The argmax of the sum is the argmax of the mean: the mean of the dequantised probabilities
(one scale and zero point for every window) ranks the classes the same way.
"""

from __future__ import annotations

import numpy as np


def stream_starts(stream: np.ndarray) -> np.ndarray:
    """(N,) bool: window i starts a new stream (its stream id differs from window i-1's; window 0 always)."""
    stream = np.asarray(stream)
    return np.concatenate([[True], stream[1:] != stream[:-1]]) if len(stream) else np.zeros(0, bool)


def smoothed_sums(scores: np.ndarray, starts: np.ndarray, windows: int) -> np.ndarray:
    """(N, C) int32: each window's int8 scores (N, C) summed with those of up to `windows - 1` earlier windows of
    its stream; rows are in stream order, starts (N,) bool marks each stream's first window."""
    if windows < 1:
        raise ValueError(f"smooth_windows must be >= 1, not {windows}")
    scores = np.asarray(scores, dtype=np.int32)
    starts = np.asarray(starts, dtype=bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(starts)), 0))  # each row's stream start
    cumulative = np.concatenate([np.zeros((1, scores.shape[1]), np.int64), np.cumsum(scores, axis=0)])
    begin = np.maximum(first, np.arange(len(scores)) - windows + 1)
    return (cumulative[1:] - cumulative[begin]).astype(np.int32)


def smoothed_labels(scores: np.ndarray, starts: np.ndarray, windows: int) -> np.ndarray:
    """(N,) int64: the board's decision per window (argmax of smoothed_sums; windows=1: the window's own)."""
    return np.argmax(smoothed_sums(scores, starts, windows), axis=1)
