"""The fixed-length rule: any clip of int16 PCM -> exactly `window_samples` int16 samples.

Rule "peak" (the default), integer-only so `firmware/apps/kws/window.c` computes the same start on the device:
  1. cut the clip into blocks of B = energy_block_samples (the last block may be short) and sum x*x per block
     in int64 (|x| <= 32768, so a block of B samples sums to at most B * 2^30; int64 is safe for B < 2^33);
  2. the loudest block is the first one with the largest sum; its centre is c = p*B + B/2;
  3. the window of W samples starts at c - W/2, moved the least amount so that it holds as much of the clip as
     possible: start in [min(0, n-W), max(0, n-W)]. A clip shorter than W therefore stays whole, zero padded on
     both sides, with its loudest part as near the centre as that allows; a longer clip loses only its ends.
Rule "start" (the textbook's): the first W samples, zero padded at the end.
Deterministic: no randomness, no floats; an empty clip gives W zeros.
"""

from __future__ import annotations

import numpy as np

from kws.config import KwsConfig


def window_start(pcm: np.ndarray, cfg: KwsConfig) -> int:
    """Index in `pcm` (int16, (n,)) of the window's first sample; negative means zero padding in front."""
    n, W = len(pcm), cfg.window_samples
    if cfg.window_rule == "start" or n == 0:
        return 0
    B = cfg.energy_block_samples
    n_blocks = -(-n // B)
    padded = np.zeros(n_blocks * B, dtype=np.int64)
    padded[:n] = pcm
    energy = (padded * padded).reshape(n_blocks, B).sum(axis=1)  # int64 (n_blocks,)
    peak = int(np.argmax(energy))  # argmax returns the first of equal maxima, as the C loop does
    start = peak * B + B // 2 - W // 2
    return int(min(max(start, min(0, n - W)), max(0, n - W)))


def extract_window(pcm: np.ndarray, cfg: KwsConfig) -> np.ndarray:
    """The fixed window of one clip: int16 (window_samples,), zero where it lies outside the clip."""
    pcm = np.asarray(pcm)
    if pcm.dtype != np.int16 or pcm.ndim != 1:
        raise ValueError(f"extract_window wants a 1-D int16 array, got {pcm.dtype} with shape {pcm.shape}")
    start, W = window_start(pcm, cfg), cfg.window_samples
    out = np.zeros(W, dtype=np.int16)
    lo, hi = max(start, 0), min(start + W, len(pcm))
    if hi > lo:
        out[lo - start : hi - start] = pcm[lo:hi]
    return out


def extract_windows(clips: list[np.ndarray], cfg: KwsConfig) -> np.ndarray:
    """Fixed windows of many clips: int16 (n_clips, window_samples)."""
    out = np.zeros((len(clips), cfg.window_samples), dtype=np.int16)
    for i, pcm in enumerate(clips):
        out[i] = extract_window(pcm, cfg)
    return out
