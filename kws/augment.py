"""Waveform augmentation of training clips: speed, tilt, gain, white noise, then a shift inside the window.

Applied to the raw int16 clip before the window rule and the MFCC, so augmented features are computed exactly like
real ones. Unseen speakers differ in pace, microphone colour, loudness, noise and where the loudest syllable sits; each
transform imitates one of those. Seeded: the same config gives the same augmented set.
"""

from __future__ import annotations

import numpy as np

from kws.config import KwsConfig
from kws.window import extract_window


def change_speed(pcm: np.ndarray, factor: float) -> np.ndarray:
    """Play `factor` times faster by linear interpolation (pitch moves too): float64 (round(n / factor),)."""
    n_out = max(1, round(len(pcm) / factor))
    return np.interp(np.arange(n_out) * factor, np.arange(len(pcm)), pcm.astype(np.float64))


def shift_window(window: np.ndarray, shift: int) -> np.ndarray:
    """Move the window's content by `shift` samples (positive = later), zero filled."""
    out = np.zeros_like(window)
    if shift >= 0:
        out[shift:] = window[: len(window) - shift]
    else:
        out[:shift] = window[-shift:]
    return out


def augment_clip(pcm: np.ndarray, cfg: KwsConfig, rng: np.random.Generator) -> np.ndarray:
    """One augmented fixed window (int16 (window_samples,)) of the clip `pcm` (int16 (n,))."""
    x = pcm.astype(np.float64)
    if cfg.speed_max > 0:
        x = change_speed(x, 1.0 + rng.uniform(-cfg.speed_max, cfg.speed_max))
    if cfg.tilt_max > 0 and len(x) > 1:  # y[n] = x[n] - a x[n-1]: a microphone's or room's spectral tilt
        x = x - rng.uniform(-cfg.tilt_max, cfg.tilt_max) * np.concatenate([[0.0], x[:-1]])
    x = x * 10.0 ** (rng.uniform(-cfg.gain_db, cfg.gain_db) / 20.0)
    signal_power = float(np.mean(x * x)) if len(x) else 0.0
    snr_db = rng.uniform(cfg.noise_snr_db_min, cfg.noise_snr_db_max)
    x = x + rng.normal(0.0, np.sqrt(signal_power / 10.0 ** (snr_db / 10.0)), size=len(x))
    clip = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    shift = int(rng.integers(-cfg.shift_max_samples, cfg.shift_max_samples + 1))
    return shift_window(extract_window(clip, cfg), shift)


def augmented_windows(clips: list[np.ndarray], cfg: KwsConfig, seed: int) -> np.ndarray:
    """`cfg.augment_copies` augmented windows of every clip: int16 (copies * len(clips), window_samples)."""
    rng = np.random.default_rng(seed)
    windows = [augment_clip(pcm, cfg, rng) for _ in range(cfg.augment_copies) for pcm in clips]
    return np.array(windows, dtype=np.int16).reshape(-1, cfg.window_samples)


def feature_augmenter(cfg: KwsConfig):
    """Per-batch augmentation of MFCC features (fresh every epoch), or None if cfg.time_mask_frames is 0 (default).

    Zeroes one random run of up to `time_mask_frames` frames per clip (SpecAugment's time mask; 0 is what a
    zero-padded frame looks like after mean normalisation): the model must not rely on any single syllable.
    """
    if cfg.time_mask_frames <= 0:
        return None

    def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:  # (B, n_frames, n_mfcc, 1) float32
        lengths = rng.integers(0, cfg.time_mask_frames + 1, size=len(batch))
        starts = rng.integers(0, batch.shape[1], size=len(batch))
        for clip, (start, length) in enumerate(zip(starts, lengths, strict=True)):
            batch[clip, start : start + length] = 0.0
        return batch

    return augment
