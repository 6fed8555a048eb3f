# %% [markdown]
# # Lab 3 — KWS: the same features on both sides
#
# **Learning goals.** After this lab you can
# 1. compare four implementations of one MFCC (numpy on the PC, the `cmsisdsp` Python package, the C twin built
#    with host gcc, the emulated Cortex-M7) and say which agree bit for bit and which only within a tolerance;
# 2. explain where float32 results differ: summation order (`-ffast-math`, FFT libraries) and the last bit of `logf`;
# 3. measure what feature drift costs after int8 quantization: how many model inputs and how many predictions
#    change when the features move by a relative 1e-6 … 1e-2.
#
# **Before the lab.** The README's set-up, with the cross compiler and QEMU. The lab runs the KWS demo (`--quick`
# profile: no augmentation, 8 epochs, a 16-channel CNN) on the Free Spoken Digit Dataset into
# `build/labs/03_kws_same_features_both_sides/kws/`.
#
# **Time.** About 3 minutes on a 2-core laptop (see `docs/labs/README.md`).
#
# **Where the features come from.** The board receives raw int16 audio and computes the MFCC itself with CMSIS-DSP's
# `arm_mfcc_f32` (`firmware/apps/kws/mfcc.c`). The *C twin* is the same C source with the same CMSIS-DSP files,
# compiled for the PC (`kws/twin.py`); the demo trains on the twin's features. `export/expected.npz` holds, per test
# clip, the payload the board receives (`raw_inputs`) and the twin's features (`model_inputs`, which the board must
# reproduce bit for bit). The lab computes numpy's features itself (`kws/mfcc.py`, as the demo does on the PC).

# %%
import ctypes
import ctypes.util
import itertools

import cmsisdsp
import labmode  # first: finds the repository, picks full or smoke mode
import matplotlib.pyplot as plt
import numpy as np

from kws import mfcc
from kws.config import KwsConfig
from kws.window import extract_windows
from shared import evaluate, tflm

LAB = "03_kws_same_features_both_sides"
OUT = labmode.lab_dir(LAB)
BUILD = OUT / "kws"
OPTIONS = ["--quick", "--test-speaker", "jackson",  # leave-one-speaker-out for one speaker only (lab 4 does all)
           *labmode.pick(full=[], smoke=["--set", "epochs=1", "--set", "cnn_channels=8"])]
CMSIS_CLIPS = labmode.pick(full=40, smoke=5)  # clips run through the cmsisdsp package (a Python call per frame)

# %% [markdown]
# ## Task 1. Run the demo and load what the board got

# %%
metrics = labmode.run_demo("kws", BUILD, OPTIONS)
run = labmode.read_json(BUILD / "data" / "run.json")
cfg = KwsConfig(**run["config"])
device = labmode.read_json(BUILD / "device" / "result.json")
expected = np.load(BUILD / "export" / "expected.npz")
twin, labels = expected["model_inputs"][..., 0], expected["labels"]  # (clips, frames, coefficients) float32
payloads = expected["raw_inputs"]
clips = [row[1 : 1 + int(row[0])] for row in payloads]  # count word, then the clip as sent
windows = extract_windows(clips, cfg)  # the window rule: (clips, window_samples) int16
numpy_features = mfcc.compute_mfcc(windows, cfg)  # what the demo computes on the PC (kws/mfcc.py)
print(f"{len(clips)} test clips; features per clip {twin.shape[1:]} (frames x coefficients); "
      f"n_fft {cfg.n_fft}, hop {cfg.hop_samples}, {cfg.n_mels} mel bands, lifter {cfg.lifter}, cmn {cfg.cmn}")
print(f"board: {device['status']}, {device['samples']} clips, agreement with the host "
      f"{100 * device['agree_with_host']:.1f} %")

# %% [markdown]
# ## Task 2. numpy vs the C twin (= the board)
# The device check passed only if the board's features equal the twin's bit for bit, so comparing numpy with the
# twin is comparing numpy with the board. Count the bits that differ and find where the differences are largest.

# %%
difference = np.abs(numpy_features.astype(np.float64) - twin.astype(np.float64))
feature_range = float(twin.max() - twin.min())
identical = float(np.mean(numpy_features == twin))
sound = twin != 0  # frames past the end of a short clip are zeros on both sides
ulps = difference[sound] / np.spacing(np.abs(twin[sound])).astype(np.float64)
per_coefficient = difference.mean(axis=(0, 1))
print(f"identical values: {100 * identical:.1f} %; max abs difference {difference.max():.3g} "
      f"= {difference.max() / feature_range:.2g} x the feature range {feature_range:.3g}")
print(f"non-zero values: median difference {np.median(ulps):.1f} ulp, 99th percentile {np.percentile(ulps, 99):.0f} "
      f"ulp, largest {ulps.max():.0f} ulp")
print("mean abs difference per coefficient:", np.array2string(per_coefficient, precision=7, max_line_width=120))
differs = (difference > 0) & sound
relative_drift = float(np.median(difference[differs] / np.abs(twin[differs].astype(np.float64))))
print(f"median relative difference where they differ: {relative_drift:.2g}")

# %%
# check yourself
assert device["status"] == "passed", "the board computed the twin's features bit for bit (else the check fails)"
assert difference.max() <= 1e-5 * feature_range, "numpy stays within 1e-5 of the feature range"
parity = run["sections"]["feature_parity"]
assert abs(parity["twin_vs_numpy_max_abs_error"] - difference.max()) < 1e-12, "the demo measured the same"
assert identical < 1.0, "but two float32 implementations in another order do not give the same bits everywhere"

# %% [markdown]
# **Question 1.** What share of numpy's values equal the twin's exactly? Which coefficients differ most in absolute
# terms, and what does the lifter (weights `1 + L/2 sin(pi k / L)`) have to do with it? Why is a count of ulps
# useless for values near zero, and which tolerance does the project use instead (`kws/device.py`)?
#
# ## Task 3. The `cmsisdsp` package
# The `cmsisdsp` Python package wraps the real CMSIS-DSP C code, but it is built with `-O3 -ffast-math`, which lets
# the compiler reorder float sums (and keeps steps 1 and 4 of `arm_mfcc_f32`, the scaling by the frame's peak, that
# numpy leaves out: see `kws/mfcc.py`'s docstring). Run it on the first clips, frame by frame.

# %%
tables = mfcc.make_tables(cfg)
instance = cmsisdsp.arm_mfcc_instance_f32()
status = cmsisdsp.arm_mfcc_init_f32(instance, cfg.n_fft, cfg.n_mels, cfg.n_mfcc, tables.dct, tables.filter_pos,
                                    tables.filter_len, tables.filter_coefs, tables.window)
scratch = np.zeros(2 * cfg.n_fft, dtype=np.float32)  # arm_mfcc_f32 uses 2 * n_fft floats of scratch
frames = mfcc.frame_windows(windows[:CMSIS_CLIPS], cfg)  # (clips, frames, n_fft) float32
package = np.array([[cmsisdsp.arm_mfcc_f32(instance, frame.copy(), scratch) for frame in clip] for clip in frames],
                   dtype=np.float32) * tables.lifter  # the lifter is applied after arm_mfcc_f32 (cmn is off)
subset = twin[:CMSIS_CLIPS]
package_diff = np.abs(package.astype(np.float64) - subset)
print(f"cmsisdsp package vs twin on {CMSIS_CLIPS} clips: identical {100 * np.mean(package == subset):.1f} %, "
      f"max abs difference {package_diff.max():.3g}")
print(f"numpy vs twin on the same clips: identical {100 * np.mean(numpy_features[:CMSIS_CLIPS] == subset):.1f} %")

# %%
# check yourself
assert status == 0 and not cfg.cmn, "the package takes the same tables; this lab's comparison assumes cmn off"
assert package_diff.max() <= 1e-5 * feature_range, "the same algorithm in another order: within 1e-5 of the range"

# %% [markdown]
# **Question 2.** The package runs the very C code the board runs. Why is it still not bit-exact with the board?
# Which compiler flag would you remove to make it so, and what would that cost the package?
#
# ## Task 4. The last bit of `logf`
# `arm_mfcc_f32` takes the log of every mel energy with `arm_vlog_f32`, which calls the C library's `logf`. The
# board's C library (newlib) and the PC's (glibc) are both accurate to about one ulp, but not the *same* ulp.
# The project therefore replaces `arm_vlog_f32` with its own log made of `+ - * /` (`firmware/apps/kws/vlog.c`).
# See how often two good float32 logs disagree: glibc's `logf` against numpy's float32 `log`, on mel-like energies.

# %%
libm = ctypes.CDLL(ctypes.util.find_library("m"))
libm.logf.restype, libm.logf.argtypes = ctypes.c_float, [ctypes.c_float]
rng = np.random.default_rng(3)
energies = (10.0 ** rng.uniform(-6, 3, labmode.pick(full=100_000, smoke=5_000))).astype(np.float32)
glibc = np.array([libm.logf(float(e)) for e in energies], dtype=np.float32)
numpy_log = np.log(energies)
exact = np.log(energies.astype(np.float64))
log_differs = float(np.mean(glibc != numpy_log))
worst_ulp = float(np.max(np.abs(glibc.astype(np.float64) - exact) / np.spacing(np.abs(glibc))))
print(f"glibc logf vs numpy float32 log: {100 * log_differs:.2f} % of {len(energies):,} energies differ in the last "
      f"bit; glibc's worst error {worst_ulp:.2f} ulp")

# %%
# check yourself
assert worst_ulp <= 1.0, "glibc's logf is correctly rounded to within one ulp"

# %% [markdown]
# **Question 3.** Both logs are within one ulp of the truth, yet they differ. Why does one different last bit in a
# log make the board's features differ from the twin's, and why does that break a bit-exact check while it hardly
# changes a prediction (task 5)?
#
# ## Task 5. What feature drift costs
# Multiply every feature by `1 + eps * n` (n standard normal, one draw reused for every eps) and run the int8 model
# (TFLite Micro) on the result. Count the int8 inputs that change and the predictions that change.

# %%
model = (BUILD / "models" / "int8.tflite").read_bytes()
x_int8 = evaluate.quantize_input(model, twin)
base = tflm.run_tflm(model, x_int8).reshape(len(twin), -1).argmax(axis=1)
noise = np.random.default_rng(7).standard_normal(twin.shape).astype(np.float32)
epsilons = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
inputs_changed, predictions_changed = [], []
for eps in epsilons:
    drifted = evaluate.quantize_input(model, twin * (1 + np.float32(eps) * noise))
    inputs_changed.append(float(np.mean(drifted != x_int8)))
    predictions_changed.append(float(np.mean(tflm.run_tflm(model, drifted).reshape(len(twin), -1).argmax(1) != base)))
numpy_int8 = evaluate.quantize_input(model, numpy_features)
numpy_inputs_changed = float(np.mean(numpy_int8 != x_int8))
input_scale = evaluate.io_quantization(model)[0].scale
print(f"input scale {input_scale:.4g}: one int8 step is {input_scale / feature_range:.2g} of the feature range")
print(f"{'eps':>8} {'int8 inputs changed':>20} {'predictions changed':>20}")
for eps, inputs, predictions in zip(epsilons, inputs_changed, predictions_changed, strict=True):
    print(f"{eps:8.0e} {100 * inputs:19.4f}% {100 * predictions:19.2f}%")
print(f"numpy's features instead of the twin's: {100 * numpy_inputs_changed:.4f} % of int8 inputs change")

# %%
figure, axis = plt.subplots(figsize=(7, 4))
axis.loglog(epsilons, [max(v, 1e-7) for v in inputs_changed], "o-", label="int8 inputs changed")
axis.loglog(epsilons, [max(v, 1e-7) for v in predictions_changed], "s-", label="predictions changed")
axis.axvline(relative_drift, color="grey", linestyle=":", label="numpy vs twin (median relative)")
axis.set_xlabel("relative perturbation eps")
axis.set_ylabel("share changed (floor 1e-7 = none)")
axis.set_title("KWS: what feature drift costs after int8 quantization")
axis.legend()
labmode.save_figure(figure, LAB, "drift")

# %%
# check yourself
assert all(a <= b for a, b in itertools.pairwise(inputs_changed)), "more drift never changes fewer inputs"
assert inputs_changed[-1] > inputs_changed[0], "1e-2 moves more int8 inputs than 1e-6"
assert predictions_changed[0] <= 0.01, "a relative 1e-6 hardly ever changes a prediction"

# %% [markdown]
# **Question 4.** At which eps do the first predictions change? How does numpy's real drift compare (the dotted
# line, and the share of int8 inputs that numpy's features change)? Would it be safe to train on numpy's features
# and deploy the board's?
#
# **Question 5.** An int8 input changes when a feature crosses a rounding boundary. With the input scale printed
# above, estimate the share of inputs a relative drift eps should change (hint: the distance to the nearest boundary
# is uniform in [0, scale/2]), and compare with the table.

# %%
labmode.write_summary(LAB, "Lab 3 — KWS: the same features on both sides", [
    f"- demo: `python -m kws run {' '.join(OPTIONS)}`; {len(clips)} test clips, board {device['status']} "
    f"(agreement {100 * device['agree_with_host']:.0f} %)",
    f"- numpy vs twin (= board): {100 * identical:.1f} % identical, max difference "
    f"{difference.max() / feature_range:.2g} of the range, median relative drift {relative_drift:.2g}",
    f"- cmsisdsp package (-ffast-math) vs twin: {100 * np.mean(package == subset):.1f} % identical on "
    f"{CMSIS_CLIPS} clips, max difference {package_diff.max():.3g}",
    f"- glibc logf vs numpy log: {100 * log_differs:.2f} % differ in the last bit",
    "- drift eps -> int8 inputs / predictions changed: " + "; ".join(
        f"{eps:.0e}: {100 * i:.3f} % / {100 * p:.1f} %"
        for eps, i, p in zip(epsilons, inputs_changed, predictions_changed, strict=True)),
    "- figure: drift.png",
])
