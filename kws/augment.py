"""Augmentation of training clips (speed, tilt, gain, coloured noise, shift) and features (colour, level).

The clip transforms work on the raw int16 clip before the window rule and the MFCC, so augmented features are computed
exactly like real ones; the feature transforms (`feature_augmenter`) are exact or close stand-ins that are fresh
every epoch. Unseen speakers differ in pace, microphone colour, loudness, noise and where the loudest syllable
sits; each transform imitates one of those. Seeded: the same config gives the same augmented set.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from kws.config import KwsConfig
from kws.mfcc import compute_mfcc, lifter_weights
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


def coloured_noise(n: int, pole: float, rng: np.random.Generator) -> np.ndarray:
    """n samples of unit-power noise: white through the low-pass y[n] = pole y[n-1] + x[n] (0 = white; towards 1 the
    rumble of a room, a fan or handling noise, whose low-frequency energy looks like voicing to the model)."""
    if n == 0:
        return np.zeros(0)
    noise = scipy.signal.lfilter([1.0], [1.0, -pole], rng.normal(0.0, 1.0, size=n))
    return noise / np.sqrt(np.mean(noise * noise))


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
    x = x + coloured_noise(len(x), rng.uniform(0.0, cfg.noise_colour_max), rng) * np.sqrt(
        signal_power / 10.0 ** (snr_db / 10.0))
    clip = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    shift = int(rng.integers(-cfg.shift_max_samples, cfg.shift_max_samples + 1))
    return shift_window(extract_window(clip, cfg), shift)


def augmented_windows(clips: list[np.ndarray], cfg: KwsConfig, seed: int) -> np.ndarray:
    """`cfg.augment_copies` augmented windows of every clip: int16 (copies * len(clips), window_samples)."""
    rng = np.random.default_rng(seed)
    windows = [augment_clip(pcm, cfg, rng) for _ in range(cfg.augment_copies) for pcm in clips]
    return np.array(windows, dtype=np.int16).reshape(-1, cfg.window_samples)


def silent_frame(cfg: KwsConfig) -> np.ndarray:
    """The features of a frame of zeros (zero padding), float32 (n_mfcc,): 0 with CMN, else the MFCC of silence."""
    return compute_mfcc(np.zeros((1, cfg.window_samples), dtype=np.int16), cfg)[0, 0]


def sound_frames(features: np.ndarray, silent: np.ndarray) -> np.ndarray:
    """Which frames hold sound: bool (B, n_frames) of features (B, n_frames, n_mfcc[, 1]) not equal to `silent`."""
    frames = features.reshape(*features.shape[:2], -1)
    return np.any(frames != silent, axis=-1)


def channel_spread(features: np.ndarray, cfg: KwsConfig) -> np.ndarray:
    """How much a clip's mean cepstrum varies: the sd over clips of each coefficient's mean over the clip's sound
    frames, float32 (n_mfcc,). Measured on the training clips, it sets the size of the random microphone colour."""
    silent = silent_frame(cfg)
    frames = features.reshape(*features.shape[:2], -1)
    sound = sound_frames(frames, silent)
    count = np.maximum(sound.sum(axis=1), 1)[:, None]
    means = np.where(sound[..., None], frames, 0.0).sum(axis=1) / count
    return means[sound.any(axis=1)].std(axis=0).astype(np.float32)


def change_tempo(frames: np.ndarray, silent: np.ndarray, log_factor: np.ndarray) -> np.ndarray:
    """Speak exp(log_factor) times slower, pitch kept: each clip's frames (B, T, C) stretched about the window's
    centre by linear interpolation between neighbouring frames (frames from outside the window are silence).

    People say the same digit at very different paces (FSDD, within 25 dB of the peak: "two" 0.20 s for yweweler,
    0.48 s for jackson); a speed change of the waveform moves the pitch too, so pace gets its own transform.
    """
    B, T, _ = frames.shape
    padded = np.concatenate([frames, np.broadcast_to(silent, (B, 1, len(silent)))], axis=1)  # index T = silence
    centre = (T - 1) / 2.0
    source = centre + (np.arange(T)[None, :] - centre) * np.exp(-log_factor)[:, None]  # (B, T) source positions
    outside = (source < 0) | (source > T - 1)
    low = np.clip(np.floor(source).astype(np.int64), 0, T - 1)
    high = np.minimum(low + 1, T - 1)
    weight = (source - low).astype(np.float32)[..., None]
    low[outside] = T
    high[outside] = T
    rows = np.arange(B)[:, None]
    return (1 - weight) * padded[rows, low] + weight * padded[rows, high]


def feature_transforms_on(cfg: KwsConfig) -> bool:
    """Whether `feature_augmenter` has any transform to apply."""
    return cfg.channel_colour > 0 or cfg.level_db > 0 or cfg.time_mask_frames > 0 or cfg.tempo_max > 0


def feature_augmenter(cfg: KwsConfig, train_features: np.ndarray):
    """Per-batch augmentation of MFCC features (fresh every epoch), or None if every feature transform is off.

    - microphone colour (cfg.channel_colour > 0; sized on `train_features`): a linear filter in front of the microphone
      adds one constant to each cepstral coefficient of every frame with sound (log of a product = sum of logs;
      exact where the filter is flat within each mel band). A random offset per clip, Gaussian with
      cfg.channel_colour x the spread of the training clips' mean cepstra (`channel_spread`), teaches the model to
      ignore the colour instead of removing it (mean normalisation removes it too, and with it part of what tells a
      short word from another).
    - level (cfg.level_db > 0): a gain g moves c0 of every sound frame by sqrt(2 n_mels) ln g (times the lifter's
      first weight; exact up to the log's 1e-6 offset); uniform in +-level_db.
    - tempo (cfg.tempo_max > 0): `change_tempo` by a factor drawn log-uniformly in 1/(1+tempo_max)..1+tempo_max.
    - time mask (cfg.time_mask_frames > 0): one random run of up to that many frames per clip set to silence
      (SpecAugment's time mask): the model must not rely on any single syllable.
    """
    if not feature_transforms_on(cfg):
        return None
    silent = silent_frame(cfg)
    sd = channel_spread(train_features, cfg) * np.float32(cfg.channel_colour) if cfg.channel_colour > 0 else None
    c0_per_db = np.float32(np.sqrt(2.0 * cfg.n_mels) * np.log(10.0) / 20.0 * lifter_weights(cfg)[0])

    def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:  # (B, n_frames, n_mfcc, 1) float32
        frames = batch[..., 0]
        offsets = np.zeros((len(batch), cfg.n_mfcc), dtype=np.float32)
        if sd is not None:
            offsets[:, 1:] = rng.normal(0.0, 1.0, size=(len(batch), cfg.n_mfcc - 1)) * sd[1:]
        if cfg.level_db > 0:
            offsets[:, 0] = rng.uniform(-cfg.level_db, cfg.level_db, size=len(batch)) * c0_per_db
        frames += np.where(sound_frames(frames, silent)[..., None], offsets[:, None, :], np.float32(0))
        if cfg.tempo_max > 0:
            frames[:] = change_tempo(frames, silent, rng.uniform(-1.0, 1.0, len(batch)) * np.log1p(cfg.tempo_max))
        if cfg.time_mask_frames > 0:
            lengths = rng.integers(0, cfg.time_mask_frames + 1, size=len(batch))
            starts = rng.integers(0, batch.shape[1], size=len(batch))
            for clip, (start, length) in enumerate(zip(starts, lengths, strict=True)):
                frames[clip, start : start + length] = silent
        return batch

    return augment
