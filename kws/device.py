"""The device step: raw test clips go to the board (QEMU's Cortex-M7, or a real STM32F746G-DISCO on --port), which
applies the window rule, computes the MFCC with CMSIS-DSP and runs the generated int8 model itself
(firmware/apps/kws/app.c); `shared.board.verify.check_device` compares its features with the host-gcc C twin's
(bit for bit), and its int8 scores byte for byte with the TFLM host runtime's on those same C twin features (so
the check does not hang on numpy's float32 round-off). numpy's features must be within 1e-5 x their range of the
twin's (`numpy_mismatch`), and `numpy_agreement` records, as figures, how often TFLM gives the same class on them.

Payload: the clip as received, not the host's window. The protocol carries at most 16384 bytes, so a payload is
a uint16 sample count then MAX_CLIP_SAMPLES int16 words (the clip, zero after it). A clip longer than that is cut
by the host to the window its own rule picks: 8000 samples, which the device's rule returns unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kws import config as kws_config
from kws.mfcc import PCM_SCALE, compute_mfcc, make_tables, write_tables_c
from kws.twin import build_twin, run_twin
from kws.window import extract_windows, window_start
from shared import cmsis_dsp
from shared.board.protocol import MAX_PAYLOAD_BYTES
from shared.cli import UserError

MAX_CLIP_SAMPLES = MAX_PAYLOAD_BYTES // 2 - 1  # 8191: the count word + the clip fill the largest payload


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


def config_values(cfg: kws_config.KwsConfig, model_name: str) -> dict[str, object]:
    """`kws_config.h` for the firmware: the feature constants, the clip size app.c accepts, the model's name."""
    return {**kws_config.header_values(cfg), "PCM_SCALE": float(PCM_SCALE), "MAX_CLIP_SAMPLES": MAX_CLIP_SAMPLES,
            "model_name": model_name}


def require_device_tools(port: str | None) -> None:
    """Fail before any training if the firmware cannot be built or emulated: one line naming the apt packages."""
    from shared.board.firmware import FirmwareError, require_tools

    emulator = () if port else ("qemu-system-arm",)
    try:
        require_tools("gcc", "cmake", "arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-objcopy", *emulator)
    except FirmwareError as error:
        raise UserError(f"{error} (gcc builds the host C twin; or skip the device step with --no-device)") from None


def build_options() -> dict:
    """build_firmware keyword arguments: CMSIS-DSP's MFCC sources (fetched, sha256-pinned) as a library."""
    return {"library_sources": cmsis_dsp.mfcc_sources(), "library_include_dirs": cmsis_dsp.include_dirs(),
            "library_flags": cmsis_dsp.compile_flags()}


NUMPY_RELATIVE_TOLERANCE = 1e-5  # x the feature range: float32 FFT/DCT sums in another order (tests/kws/test_mfcc.py)


def numpy_mismatch(twin_features: np.ndarray, numpy_features: np.ndarray) -> str | None:
    """The numpy check, on the host: device == C twin bit for bit (check_device), so twin vs numpy within 1e-5 x
    the feature range is device vs numpy. (check_device's own numpy check is absolute, 1e-5: below one float32 ulp of
    these liftered coefficients, which reach |x| > 10.)"""
    feature_range = float(numpy_features.max() - numpy_features.min())
    error = np.abs(twin_features.astype(np.float64) - numpy_features.astype(np.float64))
    if error.max() <= NUMPY_RELATIVE_TOLERANCE * max(feature_range, 1.0):
        return None
    clip = int(np.argmax(error.reshape(len(error), -1).max(axis=1)))
    return (f"host numpy vs C twin (= device): max abs error {error.max():.3g} in clip {clip}, above "
            f"{NUMPY_RELATIVE_TOLERANCE} x the feature range {feature_range:.3g}")


def numpy_agreement(model_bytes: bytes, twin_features: np.ndarray, numpy_features: np.ndarray) -> dict:
    """TFLM's int8 answers on numpy's features against those on the C twin's (= the device's): figures, not a check.

    Features within 1e-5 of each other can still quantize to another int8 input now and then, so a score may move.
    """
    from shared.board.verify import tflm_expected_scores

    twin_scores = tflm_expected_scores(model_bytes, twin_features[..., None]).astype(np.int32)
    numpy_scores = tflm_expected_scores(model_bytes, numpy_features[..., None]).astype(np.int32)
    same_class = np.argmax(numpy_scores, axis=1) == np.argmax(twin_scores, axis=1)
    return {"numpy_same_class": float(same_class.mean()),
            "numpy_same_scores": float(np.all(numpy_scores == twin_scores, axis=1).mean()),
            "numpy_max_score_difference": int(np.abs(numpy_scores - twin_scores).max(initial=0))}


def check_clips(clips: list[np.ndarray], labels: np.ndarray, cfg: kws_config.KwsConfig, tflite: Path,
                firmware_dir: Path, port: str | None = None, serial_samples: int = 100) -> dict:
    """Send `clips` (raw int16) to the board and compare with the host; the `device` section of metrics.json.

    The expected int8 scores are TFLM's on the C twin's features, which the device's must equal bit for bit.
    """
    from shared.board.verify import check_device

    inputs = clip_payloads(clips, cfg)
    write_tables_c(cfg, Path(firmware_dir) / "generated")  # kws_config.h comes from check_device (config_values)
    windows = extract_windows(inputs.clips, cfg)
    if not np.array_equal(windows, extract_windows(clips, cfg)):  # cutting a long clip must not move its window
        raise AssertionError("a clip cut to fit one payload has another window than the whole clip")
    numpy_features = compute_mfcc(windows, cfg, make_tables(cfg))  # (N, frames, mfcc) float32
    twin = build_twin(cfg, Path(firmware_dir) / "twin")
    _, _, twin_features = run_twin(twin, inputs.clips, cfg)
    n = len(clips)
    metrics = check_device(
        "kws", Path(tflite), Path(firmware_dir), inputs.payloads, np.asarray(labels), twin_features[..., None],
        config_values(cfg, Path(tflite).name), host_features=twin_features.reshape(n, -1), port=port,
        serial_samples=serial_samples, build_options=build_options(),
    )  # fmt: skip
    if (problem := numpy_mismatch(twin_features, numpy_features)) is not None:
        metrics["problems"] = [*metrics.get("problems", []), problem]
    metrics.update(numpy_agreement(Path(tflite).read_bytes(), twin_features, numpy_features))
    metrics["input"] = (f"raw int16 clips (count word + up to {MAX_CLIP_SAMPLES} samples); {inputs.cut} of {n} "
                        f"longer clips sent as their {cfg.window_samples}-sample host window")
    return metrics
