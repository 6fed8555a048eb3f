"""One configuration for the HAR demo: data, windows, features, model and training, host and firmware alike.

`HarConfig` is frozen; change it with `--set field=value` on the command line (checked by
`shared.config.apply_overrides`) or `dataclasses.replace` in code. `write_config_header` turns it into
`har_config.h`, so the C twin of the features never copies a rate, a length or a label by hand.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from shared.c_source import generated_header, include_guard

# WISDM v1.1 activity names, in the order the model's output classes use (the raw file's spelling).
ACTIVITIES = ("Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing")
N_AXES = 3  # x, y, z acceleration in m/s^2 (WISDM: "10 = 1g")

DATA_SOURCES = ("wisdm", "synthetic", "wisdm-arff")
MODELS = ("mlp", "mlp_textbook", "cnn1d")
SPLITS = ("subject", "loso")


@dataclass(frozen=True)
class HarConfig:
    """Everything that decides what the HAR model sees; one field a line, unit in the name or the comment."""

    data: str = "wisdm"  # data source: wisdm (raw download) | synthetic (generated, raw format) | wisdm-arff (real features)
    model: str = "mlp"  # mlp (features, small) | mlp_textbook (features, Dense 100-100-6) | cnn1d (raw windows)
    sample_rate_hz: int = 20  # WISDM v1.1 sampling rate; the board's accelerometer must run at this rate too
    window_samples: int = 80  # samples per window (80 = 4 s at 20 Hz)
    overlap_percent: int = 50  # overlap of consecutive windows; hop = window_samples * (100 - overlap) / 100
    max_gap_ms: float = 250.0  # a timestamp step above this (5 sample periods) or below 0 starts a new segment
    fft_length: int = 128  # FFT points (power of 2, >= window_samples; the window is zero-padded to it)
    split: str = "subject"  # subject: test_users held out | loso: leave-one-subject-out (holdout_user)
    test_users: tuple[int, ...] = (29, 30, 31, 32, 33, 34, 35, 36)  # WISDM users held out for test (textbook split)
    val_users: tuple[int, ...] = (25, 26, 27, 28)  # users held out of training for early stopping
    holdout_user: int = 36  # the test user when split=loso
    synthetic_users: int = 36  # users in the generated data set
    synthetic_seconds: float = 120.0  # seconds of generated signal per user and activity
    synthetic_seed: int = 1234  # seed of the generated data set (same seed -> same bytes)
    epochs: int = 60  # training epochs (early stopping may end sooner)
    batch_size: int = 64  # training batch size
    learning_rate: float = 0.002  # Adam learning rate
    patience: int = 10  # early-stopping patience in epochs (on validation loss)
    seed: int = 42  # seed for weights, shuffling and every optimisation step
    prune_sparsity: float = 0.5  # final weight sparsity of the pruned variant
    prune_epochs: int = 10  # fine-tuning epochs while pruning
    clusters: int = 16  # weight clusters per layer in the clustered variant
    cluster_epochs: int = 5  # fine-tuning epochs while clustering
    qat_epochs: int = 5  # quantization-aware fine-tuning epochs

    def __post_init__(self) -> None:
        checks = [
            (self.data in DATA_SOURCES, f"data must be one of {', '.join(DATA_SOURCES)}, not {self.data!r}"),
            (self.model in MODELS, f"model must be one of {', '.join(MODELS)}, not {self.model!r}"),
            (self.split in SPLITS, f"split must be one of {', '.join(SPLITS)}, not {self.split!r}"),
            (self.window_samples >= 8, f"window_samples must be >= 8, not {self.window_samples}"),
            (0 <= self.overlap_percent < 100, f"overlap_percent must be in [0, 100), not {self.overlap_percent}"),
            (self.hop_samples >= 1, f"overlap_percent {self.overlap_percent} leaves a hop of 0 samples"),
            (
                self.fft_length >= self.window_samples and self.fft_length & (self.fft_length - 1) == 0,
                f"fft_length must be a power of 2 >= window_samples, not {self.fft_length}",
            ),
            (self.sample_rate_hz > 0, f"sample_rate_hz must be > 0, not {self.sample_rate_hz}"),
            (self.max_gap_ms > 0, f"max_gap_ms must be > 0, not {self.max_gap_ms}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def hop_samples(self) -> int:
        """Samples between the starts of consecutive windows."""
        return self.window_samples * (100 - self.overlap_percent) // 100

    @property
    def labels(self) -> list[str]:
        """Class names in model-output order."""
        return list(ACTIVITIES)


FULL = HarConfig()
# QUICK: tests and classroom labs; fewer epochs and less generated data, same windows and features.
QUICK = dataclasses.replace(
    FULL, epochs=8, patience=3, prune_epochs=2, cluster_epochs=1, qat_epochs=1, synthetic_seconds=40.0
)


def write_config_header(config: HarConfig, path: Path, n_features: int) -> str:
    """Write `har_config.h` (rates, shapes, labels) for the firmware; returns the text written."""
    guard_open, guard_close = include_guard("har_config")
    labels = ", ".join(f'"{name}"' for name in config.labels)
    lines = [
        generated_header("har/config.py", f"HarConfig (model={config.model})", "python -m har run"),
        guard_open,
        f"#define HAR_SAMPLE_RATE_HZ {config.sample_rate_hz}",
        f"#define HAR_WINDOW_SAMPLES {config.window_samples}  /* samples per window */",
        f"#define HAR_HOP_SAMPLES {config.hop_samples}  /* samples between window starts */",
        f"#define HAR_N_AXES {N_AXES}  /* x, y, z in m/s^2, interleaved per sample */",
        f"#define HAR_FFT_LENGTH {config.fft_length}  /* zero-padded FFT points */",
        f"#define HAR_N_FEATURES {n_features}",
        f"#define HAR_N_CLASSES {len(config.labels)}",
        f"#define HAR_LABELS {{{labels}}}",
        "",
        guard_close,
    ]
    text = "\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return text
