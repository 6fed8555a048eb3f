"""One configuration for the whole KWS demo: window rule, MFCC, model, augmentation, training.

The same frozen dataclass drives the host features (`kws.window`, `kws.mfcc`), the model, and the C constants the
firmware uses (`kws_config.h`, written by `write_config_header`), so no number is copied by hand into C.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from shared.board.protocol import MAX_PAYLOAD_BYTES
from shared.c_source import c_float, generated_header, include_guard
from shared.cli import UserError
from shared.data import atomic_write_text
from shared.train import TrainSettings

LABELS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
"""Class names in output order: the spoken digit (FSDD file names start with it)."""
MAX_CLIP_SAMPLES = MAX_PAYLOAD_BYTES // 2 - 1  # 8191: a uint16 count word + the clip fill the largest payload

def setting(default, doc: str):
    """A dataclass field with its one-line doc (unit and why), shown by `--help`."""
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class KwsConfig(TrainSettings):
    """Every constant of the KWS demo. Change one with `--set field=value`."""

    # input audio and fixed-length window (kws/window.py <-> firmware/apps/kws/window.c)
    sample_rate_hz: int = setting(8000, "Hz; FSDD's rate; predict resamples other WAVs to it")
    window_samples: int = setting(8000, "samples in the fixed window the model sees (8000 = 1 s)")
    window_rule: Literal["peak", "start"] = setting(
        "peak", "peak: loudest block centred, clip kept whole if it fits; start: the first samples (textbook)")
    energy_block_samples: int = setting(128, "samples per block in the loudest-block search")
    # MFCC (kws/mfcc.py <-> firmware/apps/kws/mfcc.c through CMSIS-DSP arm_mfcc_f32)
    n_fft: int = setting(256, "FFT length = frame length in samples (arm_mfcc_f32 takes n_fft samples); power of 2")
    hop_samples: int = setting(128, "samples between frame starts (128 = 16 ms)")
    window_type: Literal["hamming", "hann"] = setting("hamming", "periodic analysis window, a table for arm_mfcc_f32")
    n_mels: int = setting(32, "HTK mel triangles in the filter bank")
    n_mfcc: int = setting(13, "DCT outputs kept per frame")
    fmin_hz: float = setting(150.0, "Hz; lowest mel band edge (two FSDD speakers' pauses hold strong rumble "
                             "below 200 Hz)")
    fmax_hz: float = setting(4000.0, "Hz; highest mel band edge, at most sample_rate_hz / 2")
    cmn: bool = setting(False, "cepstral mean normalisation: each coefficient minus its mean over the frames that "
                        "hold sound (zero-padded frames become 0): cancels a microphone's colouring, but on a single "
                        "short word also part of the word (off: channel_colour teaches the model to ignore colour)")
    lifter: int = setting(22, "HTK sinusoidal lifter length L, weights 1 + L/2 sin(pi k/L) (0 = off): evens out "
                          "the coefficients' ranges for the int8 input")
    # model (kws/model.py)
    model: Literal["cnn", "mlp_textbook"] = setting("cnn", "cnn: small CNN; mlp_textbook: the 26-feature MLP")
    cnn_channels: int = setting(32, "channels of every CNN layer")
    cnn_blocks: int = setting(3, "3x3 blocks after the first (strided) convolution (each widens the view by 4 frames)")
    cnn_separable: bool = setting(False, "DS-CNN-style depthwise+pointwise blocks (no pruned/clustered variants)")
    dropout: float = setting(0.3, "dropout before the classifier (training only)")
    # augmentation of training clips in the waveform domain (kws/augment.py)
    augment_copies: int = setting(5, "augmented copies of every training clip added to the originals (0 = none)")
    shift_max_samples: int = setting(800, "samples; random shift of the clip inside the window, +- (800 = 0.1 s)")
    tilt_max: float = setting(0.9, "random first-order filter y[n] = x[n] - a x[n-1], a in +-tilt_max (0 = off)")
    gain_db: float = setting(6.0, "dB; random gain, +-")
    noise_snr_db_min: float = setting(5.0, "dB; lowest SNR of the added noise")
    noise_snr_db_max: float = setting(30.0, "dB; highest SNR of the added noise")
    noise_colour_max: float = setting(0.98, "largest pole of the low-pass colouring the added noise, drawn in "
                                      "0..this per clip (0 = white noise only; 0.98 = low rumble)")
    # augmentation of training features, fresh every epoch (kws/augment.py feature_augmenter)
    channel_colour: float = setting(1.0, "random microphone colour per clip and epoch: a cepstral offset, sd = this x "
                                    "the spread of the training clips' mean cepstra (0 = off)")
    level_db: float = setting(15.0, "dB; random level per clip and epoch, +- (a gain only moves c0; 0 = off)")
    tempo_max: float = setting(0.4, "random pace per clip and epoch: frames stretched by up to 1+this or squeezed by "
                               "up to 1/(1+this), pitch kept (0 = off)")
    time_mask_frames: int = setting(0, "frames; longest run of MFCC frames silenced per clip and epoch (0 = off)")
    speed_max: float = setting(0.1, "fraction; random speed change, +- (0.1 = 0.9x..1.1x by resampling; 0 = off)")
    # data split (kws/data.py)
    split: Literal["official", "speaker"] = setting(
        "official", "official: takes 0-4 of every speaker are test; speaker: leave test_speaker out")
    test_speaker: str = setting("", "speaker held out with split=speaker (empty = every speaker in turn, mean)")
    val_fraction: float = setting(0.1, "share of the training clips held out for early stopping (per digit, seeded)")
    # training (shared.train.TrainSettings, defaults for this demo)
    epochs: int = setting(40, "maximum float training epochs")
    learning_rate: float = setting(2e-3, "Adam learning rate")
    patience: int = setting(6, "early stopping: epochs without val_loss improvement")
    seed: int = setting(1, "seed for split, augmentation, weights and shuffling")
    prune_sparsity: float = setting(0.5, "target share of zero weights after pruning")
    prune_epochs: int = setting(3, "fine-tuning epochs while pruning")
    cluster_epochs: int = setting(2, "fine-tuning epochs while clustering")
    qat_epochs: int = setting(3, "quantization-aware training epochs")
    mixup_alpha: float = setting(0.4, "float training: every batch blended with a shuffled copy of itself, labels "
                                 "alike (own weight max(l, 1-l), l ~ Beta(a, a); 0 = off): raised the "
                                 "leave-one-speaker-out mean most of all on jackson")

    def __post_init__(self) -> None:
        check_config(self)

    @property
    def n_frames(self) -> int:
        """MFCC frames per window: frames start every hop and lie wholly inside the window (no padding)."""
        return 1 + (self.window_samples - self.n_fft) // self.hop_samples

    @property
    def input_shape(self) -> tuple[int, int]:
        """Model input (n_frames, n_mfcc), float32 MFCC."""
        return (self.n_frames, self.n_mfcc)


def check_config(cfg: KwsConfig) -> None:
    """UserError naming the fields if `cfg` cannot work (the C side relies on these)."""
    problems = []
    if cfg.n_fft < 32 or cfg.n_fft > 4096 or cfg.n_fft & (cfg.n_fft - 1):
        problems.append(f"n_fft={cfg.n_fft} must be a power of two in 32..4096 (arm_rfft_fast_f32)")
    if cfg.window_samples < cfg.n_fft:
        problems.append(f"window_samples={cfg.window_samples} is shorter than n_fft={cfg.n_fft}")
    if cfg.hop_samples < 1:
        problems.append(f"hop_samples={cfg.hop_samples} must be >= 1")
    if cfg.energy_block_samples < 1 or cfg.energy_block_samples > cfg.window_samples:
        problems.append(f"energy_block_samples={cfg.energy_block_samples} must be in 1..window_samples")
    if not 0 <= cfg.fmin_hz < cfg.fmax_hz <= cfg.sample_rate_hz / 2:
        problems.append(f"need 0 <= fmin_hz < fmax_hz <= sample_rate_hz/2, got {cfg.fmin_hz}, {cfg.fmax_hz}")
    if not 1 <= cfg.n_mfcc <= cfg.n_mels:
        problems.append(f"n_mfcc={cfg.n_mfcc} must be in 1..n_mels={cfg.n_mels}")
    if not 0 < cfg.val_fraction < 0.5:
        problems.append(f"val_fraction={cfg.val_fraction} must be in (0, 0.5)")
    if problems:
        raise UserError("; ".join(problems))


FULL = KwsConfig()
"""The profile behind the reported figures."""

QUICK = dataclasses.replace(
    FULL, augment_copies=0, epochs=8, patience=3, learning_rate=5e-3, prune_epochs=1, cluster_epochs=1, qat_epochs=1,
    cnn_channels=16, mixup_alpha=0.0, channel_colour=0.0, level_db=0.0, tempo_max=0.0,
)
"""Seconds-to-a-minute profile for tests and labs: no augmentation, few epochs, a narrower CNN. No per-epoch feature
transforms either: in 8 epochs they make the accuracy swing widely from seed to seed (kws/README.md, measured)."""

TEXTBOOK = dataclasses.replace(
    FULL, model="mlp_textbook", window_rule="start", window_samples=2048, n_fft=1024, hop_samples=1024, n_mels=20,
    fmin_hz=20.0, cmn=False, lifter=0, augment_copies=0, channel_colour=0.0, level_db=0.0, tempo_max=0.0,
    mixup_alpha=0.0,
)
"""The textbook baseline: first 2048 samples, two 1024-sample frames x 13 MFCC = 26 features, an MLP."""

PROFILES = {"full": FULL, "quick": QUICK, "textbook": TEXTBOOK}


def header_values(cfg: KwsConfig) -> dict[str, int]:
    """The integer constants of `kws_config.h`, names without the KWS_ prefix."""
    return {
        "SAMPLE_RATE_HZ": cfg.sample_rate_hz,
        "WINDOW_SAMPLES": cfg.window_samples,
        "WINDOW_RULE_PEAK": int(cfg.window_rule == "peak"),
        "ENERGY_BLOCK_SAMPLES": cfg.energy_block_samples,
        "N_FFT": cfg.n_fft,
        "HOP_SAMPLES": cfg.hop_samples,
        "N_FRAMES": cfg.n_frames,
        "N_MELS": cfg.n_mels,
        "N_MFCC": cfg.n_mfcc,
        "N_FEATURES": cfg.n_frames * cfg.n_mfcc,
        "CMN": int(cfg.cmn),
        "N_LABELS": len(LABELS),
    }


def config_header_text(cfg: KwsConfig) -> str:
    """The text of `kws_config.h`: the C constants of the window rule, the MFCC and the labels."""
    opening, closing = include_guard("kws_config")
    defines = {f"KWS_{name}": value for name, value in header_values(cfg).items()}
    lines = [f"#define {name} {value}" for name, value in defines.items()]
    lines.append(f"#define KWS_PCM_SCALE {c_float(1.0 / 32768.0)} /* int16 PCM -> float32 in [-1, 1) */")
    lines.append(f"#define KWS_MAX_CLIP_SAMPLES {MAX_CLIP_SAMPLES} /* a payload: count word + this many samples */")
    labels = ", ".join(f'"{label}"' for label in LABELS)
    lines.append(f"#define KWS_LABELS {{{labels}}} /* class names in model output order */")
    return (
        generated_header("kws.config", f"KwsConfig {config_digest(cfg)}", "python -m kws run (writes it)")
        + opening
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + closing
    )


def config_digest(cfg: KwsConfig) -> str:
    """The feature fields of `cfg` as one line (what the C side depends on), for generated-file headers."""
    fields = ("sample_rate_hz", "window_samples", "window_rule", "energy_block_samples", "n_fft", "hop_samples",
              "window_type", "n_mels", "n_mfcc", "fmin_hz", "fmax_hz", "cmn", "lifter")
    return " ".join(f"{name}={getattr(cfg, name)}" for name in fields)


def write_config_header(cfg: KwsConfig, out_dir: Path) -> Path:
    """Write `out_dir/kws_config.h` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "kws_config.h"
    return atomic_write_text(path, config_header_text(cfg))


def write_firmware_sources(cfg: KwsConfig, out_dir: Path) -> list[Path]:
    """kws_config.h and kws_mfcc_tables.c/.h: what firmware/apps/kws and the host C twin compile with."""
    from kws.mfcc import write_tables_c

    return [write_config_header(cfg, out_dir), *write_tables_c(cfg, out_dir)]
