"""What the board gets: raw test clips (QEMU's Cortex-M7, or a real STM32F746G-DISCO on --port), from which it
applies the window rule, computes the MFCC with CMSIS-DSP and runs the generated int8 model itself
(firmware/apps/kws/app.c). The device check compares its features with the host-gcc C twin's (bit for bit), and its
int8 scores byte for byte with the TFLM host runtime's on those same C twin features (kws/demo.py); numpy's
features must be within 1e-5 x their range of the twin's (`numpy_mismatch`).

Payload: the clip as received, not the host's window. The protocol carries at most 16384 bytes, so a payload is
a uint16 sample count then MAX_CLIP_SAMPLES int16 words (the clip, zero after it). A clip longer than that is cut
by the host to the window its own rule picks: 8000 samples, which the device's rule returns unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kws import config as kws_config
from kws.config import MAX_CLIP_SAMPLES
from kws.window import window_start


@dataclass(frozen=True)
class DeviceInputs:
    """What is sent and what the host says about it, one row per clip."""

    payloads: np.ndarray  # (N, 1 + MAX_CLIP_SAMPLES) int16: count word, then the clip as sent (see module doc)
    clips: list[np.ndarray]  # the clips as sent (int16), after cutting the long ones
    cut: int  # clips longer than MAX_CLIP_SAMPLES, sent as their host window


def clip_as_sent(pcm: np.ndarray, cfg: kws_config.KwsConfig) -> np.ndarray:
    """The clip itself if it fits one payload, else its window by the host's rule (the device's rule keeps a clip of
    exactly window_samples as it is)."""
    if len(pcm) <= MAX_CLIP_SAMPLES:
        return np.asarray(pcm, dtype=np.int16)
    start = window_start(pcm, cfg)  # a clip longer than the window: 0 <= start <= len - window_samples
    return np.asarray(pcm[start : start + cfg.window_samples], dtype=np.int16)


def clip_payloads(clips: list[np.ndarray], cfg: kws_config.KwsConfig) -> DeviceInputs:
    """Fixed-size payloads (count word + clip + zeros) for app.c; int16 rows, sent little-endian."""
    if cfg.window_samples > MAX_CLIP_SAMPLES:
        raise ValueError(f"window_samples={cfg.window_samples} does not fit one payload ({MAX_CLIP_SAMPLES} samples)")
    sent = [clip_as_sent(pcm, cfg) for pcm in clips]
    payloads = np.zeros((len(sent), 1 + MAX_CLIP_SAMPLES), dtype=np.int16)
    for row, pcm in zip(payloads, sent, strict=True):
        row[0] = len(pcm)  # <= 8191: the same bits as the uint16 app.c reads
        row[1 : 1 + len(pcm)] = pcm
    return DeviceInputs(payloads, sent, sum(len(c) > MAX_CLIP_SAMPLES for c in clips))


NUMPY_RELATIVE_TOLERANCE = 1e-5  # x the feature range: float32 FFT/DCT sums in another order (tests/kws/test_mfcc.py)


def numpy_mismatch(twin_features: np.ndarray, numpy_features: np.ndarray) -> str | None:
    """The numpy check, on the host: device == C twin bit for bit (the device check), so twin vs numpy within
    1e-5 x the feature range is device vs numpy. (The device check's own numpy comparison is absolute, 1e-5: below
    one float32 ulp of these liftered coefficients, which reach |x| > 10, so KWS checks numpy here instead.)"""
    feature_range = float(numpy_features.max() - numpy_features.min())
    error = np.abs(twin_features.astype(np.float64) - numpy_features.astype(np.float64))
    if error.max() <= NUMPY_RELATIVE_TOLERANCE * max(feature_range, 1.0):
        return None
    clip = int(np.argmax(error.reshape(len(error), -1).max(axis=1)))
    return (f"host numpy vs C twin (= device): max abs error {error.max():.3g} in clip {clip}, above "
            f"{NUMPY_RELATIVE_TOLERANCE} x the feature range {feature_range:.3g}")
