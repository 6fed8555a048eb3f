# %% [markdown]
# # Lab 5 — HAR: features on the board, from real data
#
# **Learning goals.** After this lab you can
# 1. say what the board computes for human activity recognition (a feature vector per window of accelerometer
#    samples) and what that costs next to the model itself;
# 2. measure how window length, sampling rate and the choice of features change accuracy, on real recordings;
# 3. show how much a random-window split inflates accuracy compared with a subject-wise split, and why.
#
# **Data.** The lab is written for MotionSense (`python -m har run --data motionsense`: real phone motion of up to
# 24 subjects, an iPhone in the front trouser pocket, converted to WISDM's convention and resampled to 20 Hz). Where
# the installed `har` does not offer MotionSense yet, the lab runs on the demo's *generated* data
# (`--data synthetic`, WISDM's raw format) and says so loudly: every step runs, but the figures say nothing about
# real activity recognition, and the one check that needs real people (task 2) is skipped with a message.
#
# **Before the lab.** The README's set-up, with the cross compiler and QEMU. The lab runs the HAR demo (`--quick`)
# into `build/labs/05_har_features_real_data/har/`, then trains a small MLP several times itself.
#
# **Time.** About 3–4 minutes on a 2-core laptop (see `docs/labs/README.md`).

# %%
import dataclasses

import labmode  # first: finds the repository, picks full or smoke mode
import matplotlib.pyplot as plt
import numpy as np

from har import config as har_config
from har import features
from har.dataset import load_records
from har.model import model_builder
from har.windows import cut_windows, split_users
from shared.data import data_dir
from shared.train import TrainSettings, train_float

LAB = "05_har_features_real_data"
OUT = labmode.lab_dir(LAB)
BUILD = OUT / "har"
REAL_DATA = "motionsense" in har_config.DATA_SOURCES
DATA = "motionsense" if REAL_DATA else "synthetic"
OPTIONS = ["--quick", "--data", DATA, "--model", "mlp", *labmode.pick(full=[], smoke=["--set", "epochs=3"])]
if not REAL_DATA:
    print("NOTE: this har has no MotionSense source yet: the lab runs on GENERATED data (--data synthetic); its "
          "figures show the steps work, not how well activities are recognised")

# %% [markdown]
# ## Task 1. Run the demo: features computed on the board
# The board receives raw windows (x, y, z in m/s², interleaved) and computes the features itself
# (`firmware/apps/har/features.c`, the C twin of `har/features.py`), standardises them and runs the int8 MLP.

# %%
metrics = labmode.run_demo("har", BUILD, OPTIONS)
saved = labmode.read_json(BUILD / "data" / "run.json")["config"]
cfg = har_config.HarConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})
device = labmode.read_json(BUILD / "device" / "result.json")
counter = device["counter"]
print(f"data {cfg.data}: {metrics['data']['train_samples']} training, {metrics['data']['val_samples']} validation, "
      f"{metrics['data']['test_samples']} test windows of {cfg.window_samples} samples at {cfg.sample_rate_hz} Hz")
print(f"int8 test accuracy (subject-wise split): {100 * metrics['variants']['int8']['accuracy']:.1f} %")
print(f"board: {device['status']}, agreement {100 * device['agree_with_host']:.1f} % on {device['samples']} windows")
feature_share = counter["features_per_sample"] / (counter["features_per_sample"] + counter["per_inference"])
print(f"{counter['unit']} per window: features {counter['features_per_sample']:,}, inference (quantize + MLP) "
      f"{counter['per_inference']:,}: the features are {100 * feature_share:.0f} % of the board's work")

# %%
# check yourself
assert device["status"] == "passed", "the board's features and scores equal the host's"
assert counter["features_per_sample"] > 0 and counter["per_inference"] > 0, "the board counted both steps"

# %% [markdown]
# **Question 1.** What share of the board's work per window is the feature computation, and what share the MLP?
# What would change if the model were the 1-D CNN on raw windows (`--model cnn1d`)?
#
# ## Task 2. Subject-wise vs random-window split
# The demo holds whole subjects out for the test. A common shortcut shuffles all windows and cuts them at random.
# Train the same MLP both ways on the same windows, with the same numbers of training, validation and test windows.

# %%
records = None if DATA == "motionsense" else load_records(cfg, data_dir(), OUT / "generated")[0]


def load_windows(c: har_config.HarConfig):
    """Windows of the configured length from the real recordings (x, y, z m/s^2, user, activity, start)."""
    if c.data == "motionsense":
        from har.dataset import load_motionsense_windows

        return load_motionsense_windows(c, data_dir())[0]
    return cut_windows(records, c)


def feature_names(c: har_config.HarConfig) -> tuple[str, ...]:
    return features.feature_names(c) if hasattr(features, "feature_names") else features.FEATURE_NAMES


def train_and_test(x: np.ndarray, y: np.ndarray, masks: dict[str, np.ndarray], c: har_config.HarConfig) -> float:
    """Standardise on the training windows, train the demo's MLP, return the test accuracy (float32 model)."""
    mean, std = x[masks["train"]].mean(axis=0), x[masks["train"]].std(axis=0) + 1e-6
    z = ((x - mean) / std).astype(np.float32)
    settings = TrainSettings(**{f.name: getattr(c, f.name) for f in dataclasses.fields(TrainSettings)
                                if hasattr(c, f.name)})
    model, _ = train_float(model_builder(c, x.shape[1]), z[masks["train"]], y[masks["train"]], z[masks["val"]],
                           y[masks["val"]], settings)
    predicted = model.predict(z[masks["test"]], verbose=0).argmax(axis=1)
    return float(np.mean(predicted == y[masks["test"]]))


windows = load_windows(cfg)
x_all = features.compute_features_numpy(windows.xyz, cfg)
y_all = windows.activity.astype(np.int64)
by_subject = split_users(windows.user, cfg)
rng = np.random.default_rng(cfg.seed)
order = rng.permutation(len(windows))
n_train, n_val = int(by_subject["train"].sum()), int(by_subject["val"].sum())
at_random = {name: np.zeros(len(windows), bool) for name in ("train", "val", "test")}
at_random["train"][order[:n_train]] = True
at_random["val"][order[n_train : n_train + n_val]] = True
at_random["test"][order[n_train + n_val :]] = True
split_accuracy = {"subject-wise": train_and_test(x_all, y_all, by_subject, cfg),
                  "random windows": train_and_test(x_all, y_all, at_random, cfg)}


def overlapping_share(test: np.ndarray, train: np.ndarray) -> float:
    """Share of test windows that share samples with a training window (same user, starts closer than a window)."""
    hits = 0
    for user in np.unique(windows.user[test]):
        starts = np.sort(windows.start[train & (windows.user == user)])
        for start in windows.start[test & (windows.user == user)]:
            i = np.searchsorted(starts, start)
            near = [abs(int(starts[j]) - int(start)) for j in (i - 1, i) if 0 <= j < len(starts)]
            hits += bool(near) and min(near) < cfg.window_samples
    return hits / int(test.sum())


overlap = overlapping_share(at_random["test"], at_random["train"])
subject_overlap = overlapping_share(by_subject["test"], by_subject["train"])
for name, value in split_accuracy.items():
    print(f"{name:15} test accuracy {100 * value:.1f} %")
print(f"random split: {100 * overlap:.1f} % of test windows share samples with a training window "
      f"(overlap {cfg.overlap_percent} %); subject-wise: {100 * subject_overlap:.1f} %")

# %%
# check yourself
assert not (set(windows.user[by_subject["test"]]) & set(windows.user[by_subject["train"]])), "no subject in both"
assert subject_overlap == 0.0, "subject-wise: nothing shared"
assert overlap > 0.5, "random windows: most test windows overlap a training window"
if REAL_DATA:  # how much it flatters depends on the features; it never reads clearly lower (beyond noise)
    assert split_accuracy["random windows"] >= split_accuracy["subject-wise"] - 0.02, "the random split flatters"
else:
    print("generated data: its users are drawn from one model, so the inflation check needs MotionSense")

# %% [markdown]
# **Question 2.** By how many points does the random split change the test accuracy? Give two reasons why it can
# only flatter, one about the 50 % overlap of consecutive windows and one about whose data is in the test set. If
# the gap is small, what does that say about these features (how much of a person do they capture)?
#
# ## Task 3. Window length, sampling rate, features
# All with the subject-wise split. *Window length*: 2, 4 and 8 s at the demo's rate. *Sampling rate*: the demo's
# windows averaged over pairs (half the rate) and over fours (a quarter) — a crude low-pass before decimation; the
# board's accelerometer would simply be set to that rate. *Features*: all, only the time-domain ones (no `fft_*`),
# only the FFT ones.

# %%
rate = cfg.sample_rate_hz
lengths = labmode.pick(full=[2, 4, 8], smoke=[2, 4])
length_accuracy = {}
for seconds in lengths:
    samples = seconds * rate
    fft_length = max(cfg.fft_length, 1 << (samples - 1).bit_length())  # a power of two >= the window
    c = dataclasses.replace(cfg, window_samples=samples, fft_length=fft_length)
    w = windows if samples == cfg.window_samples else load_windows(c)
    length_accuracy[seconds] = split_accuracy["subject-wise"] if w is windows else train_and_test(
        features.compute_features_numpy(w.xyz, c), w.activity.astype(np.int64), split_users(w.user, c), c)
    print(f"window {seconds} s ({samples} samples, {len(w)} windows): {100 * length_accuracy[seconds]:.1f} %")

rate_accuracy = {rate: split_accuracy["subject-wise"]}
for factor in labmode.pick(full=[2, 4], smoke=[2]):
    c = dataclasses.replace(cfg, sample_rate_hz=rate // factor, window_samples=cfg.window_samples // factor,
                            fft_length=cfg.fft_length // factor)
    xyz = windows.xyz.reshape(len(windows), -1, factor, 3).mean(axis=2)
    rate_accuracy[rate // factor] = train_and_test(features.compute_features_numpy(xyz, c), y_all, by_subject, c)
for hz, value in rate_accuracy.items():
    print(f"{hz:3} Hz: {100 * value:.1f} %")

names = feature_names(cfg)
fft = np.array(["fft" in name for name in names])
subset_accuracy = {"all": split_accuracy["subject-wise"]}
for label, keep in (("time domain", ~fft), ("FFT only", fft)):
    subset_accuracy[label] = train_and_test(x_all[:, keep], y_all, by_subject, cfg)
for label, value in subset_accuracy.items():
    count = len(names) if label == "all" else int((~fft).sum() if label == "time domain" else fft.sum())
    print(f"features {label:12} ({count:2}): {100 * value:.1f} %")

# %%
figure, axes = plt.subplots(1, 4, figsize=(15, 3.6), sharey=True)
panels = [("split", split_accuracy), ("window (s)", length_accuracy), ("rate (Hz)", rate_accuracy),
          ("features", subset_accuracy)]
for axis, (title, values) in zip(axes, panels, strict=True):
    axis.bar([str(k) for k in values], [100 * v for v in values.values()], color="tab:blue")
    axis.set_title(title)
    axis.tick_params(axis="x", labelsize=8)
axes[0].set_ylabel("test accuracy (%), float32 MLP")
figure.suptitle(f"HAR on {cfg.data}: what the split, the window, the rate and the features change")
labmode.save_figure(figure, LAB, "har_choices")

# %%
# check yourself
assert fft.any() and (~fft).any(), "both feature groups exist"
assert all(0.0 < value <= 1.0 for value in [*length_accuracy.values(), *rate_accuracy.values(),
                                              *subset_accuracy.values()])
assert max(subset_accuracy.values()) > 1.5 / len(cfg.labels), "every model does better than guessing"

# %% [markdown]
# **Question 3.** Which window length would you deploy? Weigh accuracy against latency (the board answers once per
# window) and RAM (the board buffers one window of 3 axes).
#
# **Question 4.** How far can the sampling rate drop before accuracy suffers? Which activities' frequencies (steps,
# jogging) limit it — compare with the `fft_peak_hz` features and Nyquist.
#
# **Question 5.** Which feature group carries most of the information? Which would you drop first to save the
# board's time, and what does task 1 say that saves?

# %%
labmode.write_summary(LAB, "Lab 5 — HAR: features on the board, from real data", [
    f"- data: {DATA}" + ("" if REAL_DATA else " (GENERATED: MotionSense is not in this har yet)"),
    f"- demo: `python -m har run {' '.join(OPTIONS)}`; int8 {100 * metrics['variants']['int8']['accuracy']:.1f} %, "
    f"board {device['status']}, features {counter['features_per_sample']:,} + inference {counter['per_inference']:,} "
    f"{counter['unit']} per window ({100 * feature_share:.0f} % features)",
    f"- subject-wise {100 * split_accuracy['subject-wise']:.1f} % vs random windows "
    f"{100 * split_accuracy['random windows']:.1f} % ({100 * overlap:.0f} % of random test windows overlap training)",
    "- window: " + ", ".join(f"{s} s {100 * v:.1f} %" for s, v in length_accuracy.items()),
    "- rate: " + ", ".join(f"{hz} Hz {100 * v:.1f} %" for hz, v in rate_accuracy.items()),
    "- features: " + ", ".join(f"{k} {100 * v:.1f} %" for k, v in subset_accuracy.items()),
    "- figure: har_choices.png",
])
