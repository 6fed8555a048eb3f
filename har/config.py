"""One configuration for the HAR demo: data, windows, features, model and training, host and firmware alike.

`HarConfig` is frozen; change it with `--set field=value` on the command line (checked by
`shared.config.apply_overrides`) or `dataclasses.replace` in code. `write_config_header` turns it into
`har_config.h`, so the C twin of the features never copies a rate, a length or a label by hand.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from shared.cli import UserError
from shared.data import atomic_write_text

# WISDM v1.1 activity names, in the order the model's output classes use (the raw file's spelling).
ACTIVITIES = ("Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing")
N_AXES = 3  # x, y, z acceleration in m/s^2 (WISDM: "10 = 1g")

DATA_SOURCES = ("wisdm", "synthetic", "wisdm-arff", "motionsense")
MODELS = ("mlp", "mlp_textbook", "cnn1d", "mlp_cnn1d")
# model "auto": each source's choice. MotionSense: mlp_cnn1d, chosen on the leave-one-subject-out over the 16
# non-test subjects (int8, smoothed over 5 windows as the board decides: 97.38 % vs 95.66 % for mlp; har/README.md).
# The others: mlp (the combination was not measured on WISDM; synthetic data cannot rank models).
SOURCE_MODELS = {"motionsense": "mlp_cnn1d"}
# What each model reads (har_config.h HAR_MODEL_INPUT, firmware/apps/har/app.c): standardised features, the raw
# window, or both in one tensor (mlp_cnn1d: the features' rows, then the window times WINDOW_SCALE).
MODEL_INPUTS = {"mlp": "features", "mlp_textbook": "features", "cnn1d": "window", "mlp_cnn1d": "features_window"}
INPUT_KINDS = ("window", "features", "features_window")  # HAR_MODEL_INPUT 0, 1, 2
# mlp_cnn1d: the raw window (m/s^2) times this float32 constant (one multiply, the same on host and board) shares
# one int8 input scale with the standardised features: ~1 g per unit, |a| <= 4 beside z-scores of a few units.
WINDOW_SCALE = 0.1
SPLITS = ("subject", "loso")
FEATURE_SETS = ("auto", "axes", "orientation")
# feature_set "auto": each source's choice. MotionSense: orientation, the better leave-one-subject-out mean over
# the 16 non-test subjects (int8 90.1 % vs 88.7 % for axes, mlp, 4 s windows; har/README.md). WISDM: axes (its raw
# file could not be tried here).
SOURCE_FEATURE_SETS = {"motionsense": "orientation"}
# Each source's window (window_samples, fft_length) unless a config sets them: MotionSense 8 s at 20 Hz, chosen on
# the validation subjects (mlp, 41 orientation features, float32, mean of 4 seeds: 4 s 92.5 %, 6.4 s 94.7 %, 8 s
# 95.5 %, 10 s 95.6 %; har/README.md). WISDM and the others keep the textbook's 4 s (DEFAULT_WINDOW).
DEFAULT_WINDOW = (80, 128)
SOURCE_WINDOWS = {"motionsense": (160, 256)}
# Each source's documented default subject split (test, validation); the rest trains. WISDM: the textbook's split.
# MotionSense (subjects 1-20 here, 24 upstream): every fifth subject is test, the one before it validation, so both
# sets hold 2 women and 2 men (gender in data_subjects_info.csv) and 12 subjects (13 upstream: 21-24 too) train.
WISDM_SPLIT = ((29, 30, 31, 32, 33, 34, 35, 36), (25, 26, 27, 28))
SOURCE_SPLITS = {"wisdm": WISDM_SPLIT, "synthetic": WISDM_SPLIT, "wisdm-arff": WISDM_SPLIT,
                 "motionsense": ((5, 10, 15, 20), (4, 9, 14, 19))}


@dataclass(frozen=True)
class HarConfig:
    """Everything that decides what the HAR model sees; one field a line, unit in the name or the comment."""

    data: str = field(
        default="wisdm",
        metadata={
            "doc": "data source: wisdm (raw download) | motionsense (real raw, MotionSense CSVs) | synthetic "
            "(generated, raw format) | wisdm-arff (real features)"
        },
    )
    model: str = field(
        default="auto",
        metadata={"doc": "mlp (features, small) | mlp_textbook (features, Dense 100-100-6) | cnn1d (raw windows) | "
                         "mlp_cnn1d (one model: the mlp and the cnn1d trained apart, their logits averaged) | auto "
                         "(the source's choice: mlp_cnn1d for motionsense, mlp otherwise)"},
    )
    sample_rate_hz: int = field(
        default=20, metadata={"doc": "WISDM v1.1 sampling rate; the board's accelerometer must run at this rate too"}
    )
    window_samples: int = field(
        default=0, metadata={"doc": "samples per window; 0 = the source's (SOURCE_WINDOWS: 160 = 8 s at 20 Hz for "
                                    "motionsense, else 80 = 4 s)"}
    )
    overlap_percent: int = field(
        default=50, metadata={"doc": "overlap of consecutive windows; hop = window_samples * (100 - overlap) / 100"}
    )
    max_gap_ms: float = field(
        default=250.0,
        metadata={"doc": "a timestamp step above this (5 sample periods) or below 0 starts a new segment"},
    )
    fft_length: int = field(
        default=0, metadata={"doc": "FFT points (power of 2, >= window_samples; the window is zero-padded to it); "
                                    "0 = the source's (with window_samples 0), else the smallest power of 2 >= it"}
    )
    window_source: str = field(
        default="", metadata={"doc": "bookkeeping: the source whose default window this config carries (\"\" = "
                                     "window_samples/fft_length were set); a copy for another data source takes "
                                     "that source's window"}
    )
    smooth_windows: int = field(
        default=5, metadata={"doc": "windows whose int8 scores the board sums for its decision: this one and up to "
                                    "K-1 before it in the stream (1 = off; 5 at a 4 s hop: 16 s more history; "
                                    "chosen on the validation subjects, har/README.md)"}
    )
    ensemble_members: int = field(
        default=4, metadata={"doc": "feature MLPs trained with seeds seed, seed+1, ... and merged into one MLP that "
                                    "averages their logits (har/model.py merge_mlps; 1 = one model; 4: validation "
                                    "int8 96.0 % vs 95.3 % per window, har/README.md)"}
    )
    cnn_members: int = field(
        default=1, metadata={"doc": "mlp_cnn1d's CNNs on the window, their logits averaged (1 or 2): the first "
                                    "trained with rotations up to 15 degrees, the second also turned by any angle "
                                    "about gravity (har/model.py CNN_AUGMENTATIONS, har/README.md)"}
    )
    feature_set: str = field(
        default="auto",
        metadata={"doc": "MLP features: axes (27: x/y/z series + sma, |a|) | orientation (41: along/across "
                         "gravity series, their shape and rhythm, posture, |a|; the same whichever way the phone sits; "
                         "har/features.py) | auto (the source's choice: orientation for motionsense, axes otherwise)"},
    )
    split: str = field(
        default="subject", metadata={"doc": "subject: test_users held out | loso: leave-one-subject-out (holdout_user)"}
    )
    test_users: tuple[int, ...] = field(
        default=(), metadata={"doc": "users held out for test; empty = the source's default (SOURCE_SPLITS: WISDM "
                                     "29-36, the textbook's; MotionSense 5,10,15,20)"}
    )
    val_users: tuple[int, ...] = field(
        default=(), metadata={"doc": "users held out of training for early stopping and tuning; empty = the "
                                     "source's default (WISDM 25-28; MotionSense 4,9,14,19)"}
    )
    holdout_user: int = field(
        default=0, metadata={"doc": "the test user when split=loso; 0 = the source's first default test user"}
    )
    subjects: tuple[int, ...] = field(
        default=(), metadata={"doc": "MotionSense subjects to read; empty = every subject in the folder"}
    )
    synthetic_users: int = field(default=36, metadata={"doc": "users in the generated data set"})
    synthetic_seconds: float = field(
        default=120.0, metadata={"doc": "seconds of generated signal per user and activity"}
    )
    synthetic_seed: int = field(
        default=1234, metadata={"doc": "seed of the generated data set (same seed -> same bytes)"}
    )
    epochs: int = field(default=60, metadata={"doc": "training epochs (early stopping may end sooner)"})
    batch_size: int = field(default=64, metadata={"doc": "training batch size"})
    learning_rate: float = field(default=0.002, metadata={"doc": "Adam learning rate"})
    patience: int = field(default=10, metadata={"doc": "early-stopping patience in epochs (on validation loss)"})
    reduce_lr_patience: int = field(
        default=4, metadata={"doc": "epochs without validation-loss improvement before the learning rate x0.3"}
    )
    class_balance: float = field(
        default=0.0, metadata={"doc": "training loss weight of a class: (mean class count / its count) ** "
                                      "class_balance (0: every window alike; 1: every class alike)"}
    )
    mixup_alpha: float = field(
        default=0.0, metadata={"doc": "float training: every batch blended with a shuffled copy of itself, labels "
                                      "alike (shared/train.py mix_batch; 0 = off)"}
    )
    refit: bool = field(
        default=False, metadata={"doc": "train each model again on training + validation subjects for the epochs "
                                        "early stopping kept (shared/train.py; the validation subjects teach too)"}
    )
    seed: int = field(default=42, metadata={"doc": "seed for weights, shuffling and every optimisation step"})
    prune_sparsity: float = field(default=0.5, metadata={"doc": "final weight sparsity of the pruned variant"})
    prune_epochs: int = field(default=10, metadata={"doc": "fine-tuning epochs while pruning"})
    clusters: int = field(default=16, metadata={"doc": "weight clusters per layer in the clustered variant"})
    cluster_epochs: int = field(default=5, metadata={"doc": "fine-tuning epochs while clustering"})
    qat_epochs: int = field(default=5, metadata={"doc": "quantization-aware fine-tuning epochs"})

    def __post_init__(self) -> None:
        self._resolve_window()
        checks = [
            (self.data in DATA_SOURCES, f"data must be one of {', '.join(DATA_SOURCES)}, not {self.data!r}"),
            (self.model in ("auto", *MODELS), f"model must be auto or one of {', '.join(MODELS)}, not {self.model!r}"),
            (self.split in SPLITS, f"split must be one of {', '.join(SPLITS)}, not {self.split!r}"),
            (self.feature_set in FEATURE_SETS,
             f"feature_set must be one of {', '.join(FEATURE_SETS)}, not {self.feature_set!r}"),
            (self.window_samples >= 8, f"window_samples must be >= 8, not {self.window_samples}"),
            (0 <= self.overlap_percent < 100, f"overlap_percent must be in [0, 100), not {self.overlap_percent}"),
            (self.hop_samples >= 1, f"overlap_percent {self.overlap_percent} leaves a hop of 0 samples"),
            (
                self.fft_length >= self.window_samples and self.fft_length & (self.fft_length - 1) == 0,
                f"fft_length must be a power of 2 >= window_samples, not {self.fft_length}",
            ),
            (self.sample_rate_hz > 0, f"sample_rate_hz must be > 0, not {self.sample_rate_hz}"),
            (self.max_gap_ms > 0, f"max_gap_ms must be > 0, not {self.max_gap_ms}"),
            (1 <= self.smooth_windows <= 255, f"smooth_windows must be in 1..255, not {self.smooth_windows}"),
            (1 <= self.ensemble_members <= 16, f"ensemble_members must be in 1..16, not {self.ensemble_members}"),
            (1 <= self.cnn_members <= 2, f"cnn_members must be 1 or 2, not {self.cnn_members}"),
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(message)

    def _resolve_window(self) -> None:
        """Fill window_samples/fft_length left at 0 from the data source (SOURCE_WINDOWS), and move a window that
        is only another source's default to this source's (dataclasses.replace(FULL, data="motionsense") gets
        8 s). A window set to exactly the former source's default in the same replace() as a new `data` cannot be
        told from an inherited one: pass window_source="" with it to keep it (the command line does)."""
        window = (self.window_samples, self.fft_length)
        own = SOURCE_WINDOWS.get(self.data, DEFAULT_WINDOW)
        inherited = self.window_source and window == SOURCE_WINDOWS.get(self.window_source, DEFAULT_WINDOW)
        if window == (0, 0) or (inherited and self.window_source != self.data):
            window, source = own, self.data
        elif inherited:
            source = self.window_source
        else:  # set in code or on the command line; a 0 left beside a set value is filled from it
            samples = self.window_samples or own[0]
            window, source = (samples, self.fft_length or 1 << (samples - 1).bit_length()), ""
        object.__setattr__(self, "window_samples", window[0])
        object.__setattr__(self, "fft_length", window[1])
        object.__setattr__(self, "window_source", source)

    @property
    def hop_samples(self) -> int:
        """Samples between the starts of consecutive windows."""
        return self.window_samples * (100 - self.overlap_percent) // 100

    def split_users(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(test users, validation users) with the source defaults filled in; for loso, test = the holdout alone."""
        default_test, default_val = SOURCE_SPLITS[self.data]
        test = self.test_users or default_test
        val = self.val_users or default_val
        if self.split == "loso":
            test = (self.holdout_user or test[0],)
        return test, tuple(user for user in val if user not in test)

    @property
    def resolved_model(self) -> str:
        """The model trained: `model`, or for "auto" the source's choice (SOURCE_MODELS, else mlp)."""
        return SOURCE_MODELS.get(self.data, "mlp") if self.model == "auto" else self.model

    @property
    def orientation_features(self) -> bool:
        """True if the MLP features are the orientation set (feature_set, or the source's choice for "auto")."""
        chosen = SOURCE_FEATURE_SETS.get(self.data, "axes") if self.feature_set == "auto" else self.feature_set
        return chosen == "orientation"

    @property
    def labels(self) -> list[str]:
        """Class names in model-output order."""
        return list(ACTIVITIES)


FULL = HarConfig()
# QUICK: tests and classroom labs; fewer epochs, less generated data and 2 ensemble members, same windows and
# features.
QUICK = dataclasses.replace(
    FULL, epochs=8, patience=3, reduce_lr_patience=2, prune_epochs=2, cluster_epochs=1, qat_epochs=1,
    ensemble_members=2, synthetic_seconds=40.0,
)



def firmware_constants(config: HarConfig, n_features: int) -> dict[str, object]:
    """The `HAR_*` constants of `har_config.h`, key -> value (`model_name` -> `HAR_MODEL_NAME`). The device step
    hands the same dict to `shared.board.verify.check_device`, which rewrites the header from it."""
    return {
        "model_name": f"har_{config.resolved_model}",
        # 0: the raw window, 1: standardised features, 2: features then the window times window_scale (mlp_cnn1d)
        "model_input": INPUT_KINDS.index(MODEL_INPUTS[config.resolved_model]),
        "window_scale": WINDOW_SCALE,  # float32 literal; app.c multiplies the window by it for input 2
        "feature_set_orientation": int(config.orientation_features),  # features.c: which feature set
        "sample_rate_hz": config.sample_rate_hz,
        "window_samples": config.window_samples,  # samples per window
        "hop_samples": config.hop_samples,  # samples between window starts
        "n_axes": N_AXES,  # x, y, z in m/s^2, interleaved per sample
        "fft_length": config.fft_length,  # zero-padded FFT points
        "n_features": n_features,
        "n_classes": len(config.labels),
        "smooth_windows": config.smooth_windows,  # smoothing.c: windows summed for the reported class
    }


def write_config_header(config: HarConfig, path: Path, n_features: int) -> str:
    """Write `har_config.h` (`firmware_constants` plus the labels) for the firmware; returns the text written.

    For `data=wisdm-arff` the header stops the build with #error: those models read Kwapisz's features, which the
    firmware does not compute.
    """
    from shared.board.firmware import config_header_text

    values = firmware_constants(config, n_features)
    source = f"HarConfig (data={config.data}, model={config.resolved_model}), har/config.py"
    text = config_header_text("har", values, source)
    labels = ", ".join(f'"{name}"' for name in config.labels)
    extra = [f"#define HAR_LABELS {{{labels}}}"]
    if config.data == "wisdm-arff":
        extra.append('#error "trained on the WISDM ARFF features (Kwapisz), which the firmware does not compute"')
    closing = text.rindex("#endif")
    text = text[:closing] + "\n".join(extra) + "\n\n" + text[closing:]
    atomic_write_text(path, text)
    return text
