# %% [markdown]
# # Lab 4 — KWS: honest evaluation
#
# **Learning goals.** After this lab you can
# 1. explain why the Free Spoken Digit Dataset's official split (takes 0–4 of *every* speaker are the test set)
#    flatters a keyword spotter, and measure by how much with leave-one-speaker-out;
# 2. read per-speaker confusion matrices and say which digits an unseen voice loses;
# 3. test whether augmentation and mixup help on an unseen speaker, and put the textbook's 26-feature MLP beside the
#    demo's CNN on both splits.
#
# **Before the lab.** The README's set-up. The lab runs the KWS demo (`--quick --no-device`: no augmentation,
# 8 epochs, a 16-channel CNN; one model on the official split and one per held-out speaker) into
# `build/labs/04_kws_honest_evaluation/kws/`, then trains a few more models itself.
#
# **Time.** About 4–5 minutes on a 2-core laptop (see `docs/labs/README.md`).
#
# **The data.** 2,500 clips: 5 speakers (george, jackson, lucas, nicolas, yweweler) × 10 digits × 50 takes. The
# official split tests on takes 0–4 of every speaker, so every test voice was heard in training.
# *Leave-one-speaker-out* (LOSO) trains on four speakers and tests on all 500 clips of the fifth, five times.

# %%
import dataclasses

import labmode  # first: finds the repository, picks full or smoke mode
import matplotlib.pyplot as plt
import numpy as np

from kws import config as kws_config
from kws.augment import feature_augmenter
from kws.data import load_fsdd, speaker_split
from kws.demo import clip_features, make_dataset
from kws.model import build_model
from shared import evaluate
from shared.data import data_dir
from shared.train import train_float

LAB = "04_kws_honest_evaluation"
OUT = labmode.lab_dir(LAB)
BUILD = OUT / "kws"
OPTIONS = ["--quick", "--no-device", *labmode.pick(full=[], smoke=["--set", "epochs=4", "--set", "cnn_channels=8"])]

# %% [markdown]
# ## Task 1. Official split vs leave-one-speaker-out
# `metrics.json` has the official-split accuracy of every variant; `speaker_split/speaker_split.json` has one row per
# held-out speaker (float32 and int8 accuracy on that speaker's 500 clips) and the means.

# %%
metrics = labmode.run_demo("kws", BUILD, OPTIONS)
cfg = kws_config.KwsConfig(**labmode.read_json(BUILD / "data" / "run.json")["config"])
loso = labmode.read_json(BUILD / "speaker_split" / "speaker_split.json")
official = metrics["variants"]["int8"]["accuracy"]
print(f"official split, int8: {100 * official:.1f} % on {metrics['data']['test_samples']} clips")
for speaker, row in loso["speakers"].items():
    print(f"held out {speaker:9}: float32 {100 * row['float32']:5.1f} %, int8 {100 * row['int8']:5.1f} % "
          f"({row['test_clips']} clips)")
print(f"leave-one-speaker-out mean: int8 {100 * loso['int8_mean']:.1f} %, float32 {100 * loso['float32_mean']:.1f} %")
worst = min(loso["speakers"], key=lambda name: loso["speakers"][name]["int8"])
print(f"hardest voice: {worst}")

# %%
# check yourself
assert len(loso["speakers"]) == 5, "every speaker is held out once"
assert loso["int8_mean"] < official, "an unseen voice is harder than a heard one: the official split flatters"

# %% [markdown]
# **Question 1.** How many points does the official split add to the figure you would report? Which voice is
# hardest, and is the gap between the best and the worst speaker larger than the gap official vs LOSO mean?
#
# ## Task 2. Per-speaker confusion
# The held-out models are in `speaker_split/<speaker>_int8.tflite`. Compute each speaker's features exactly as the
# demo does (`kws.demo.clip_features`: the window rule, then the MFCC), run the int8 model, and draw the confusion.

# %%
fsdd = load_fsdd(data_dir(), cfg.sample_rate_hz)
confusions, accuracies = {}, {}
for speaker in loso["speakers"]:
    _, test = speaker_split(fsdd.recordings, speaker)
    x = clip_features(test, cfg)
    y = np.array([r.digit for r in test])
    scores = evaluate.run_litert((BUILD / "speaker_split" / f"{speaker}_int8.tflite").read_bytes(), x)
    predicted = scores.argmax(axis=1)
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (y, predicted), 1)
    confusions[speaker], accuracies[speaker] = matrix, float(np.mean(predicted == y))
    off = matrix - np.diag(np.diag(matrix))
    true_digit, said = np.unravel_index(off.argmax(), off.shape)
    print(f"{speaker:9} accuracy {100 * accuracies[speaker]:5.1f} %; most frequent confusion: {true_digit} heard as "
          f"{said} ({off.max()} of 50)")

# %%
figure, axes = plt.subplots(1, len(confusions), figsize=(3.2 * len(confusions), 3.4))
for axis, (speaker, matrix) in zip(axes, confusions.items(), strict=True):
    axis.imshow(matrix, cmap="Blues", vmin=0, vmax=50)
    axis.set_title(f"{speaker} ({100 * accuracies[speaker]:.0f} %)", fontsize=9)
    axis.set_xlabel("predicted")
    axis.set_xticks(range(10))
    axis.set_yticks(range(10))
    axis.tick_params(labelsize=6)
axes[0].set_ylabel("spoken digit")
figure.suptitle("KWS int8, leave-one-speaker-out: confusion per held-out speaker")
labmode.save_figure(figure, LAB, "confusion_per_speaker")

# %%
# check yourself: your evaluation reproduces the demo's, clip for clip
for speaker, row in loso["speakers"].items():
    assert abs(accuracies[speaker] - row["int8"]) < 1e-9, f"{speaker}: same model, same features, same accuracy"
    assert confusions[speaker].sum() == row["test_clips"]

# %% [markdown]
# **Question 2.** For the hardest speaker, which digits does the model lose, and to what? Listen to two of those
# clips (`fsdd/recordings/<digit>_<speaker>_<take>.wav`): what is different about this voice or recording?
#
# ## Task 3. Augmentation and mixup on the hardest voice
# The QUICK profile trains without augmentation and without mixup. Train the float CNN again with the hardest
# speaker held out: with waveform augmentation (2 extra copies of every training clip: speed, tilt, gain, coloured
# noise, shift; `kws/augment.py`), with mixup (each batch blended with a shuffled copy, alpha 0.4), and with both.
# Write down your prediction first. One speaker and one seed: a difference of a few clips (1 clip = 0.2 points) is
# noise.

# %%
settings = {
    "augmentation": {"augment_copies": labmode.pick(full=2, smoke=1)},
    "mixup": {"mixup_alpha": 0.4},
    "both": {"augment_copies": labmode.pick(full=2, smoke=1), "mixup_alpha": 0.4},
}
held_out = {"none (the demo's LOSO row)": loso["speakers"][worst]["float32"]}
for name, changes in settings.items():
    trial = dataclasses.replace(cfg, split="speaker", test_speaker=worst, **changes)
    data, _ = make_dataset(fsdd, trial, worst)
    model, _ = train_float(lambda trial=trial: build_model(trial), data.x_train, data.y_train, data.x_val,
                           data.y_val, trial, feature_augmenter(trial, data.x_train))
    held_out[name] = evaluate.accuracy(model.predict(data.x_test, verbose=0), data.y_test)
    print(f"{name:28} float32 on {worst}: {100 * held_out[name]:.1f} % ({len(data.x_train)} training clips)")

# %% [markdown]
# ## Task 4. The textbook baseline beside the demo's model
# The textbook's keyword spotter takes the first 2,048 samples, two 1,024-sample frames × 13 MFCC = 26 features, and
# a small MLP (the `TEXTBOOK` profile in `kws/config.py`). Train it on the official split and with the hardest
# speaker held out.

# %%
textbook = dataclasses.replace(kws_config.TEXTBOOK, epochs=labmode.pick(full=40, smoke=4))
baseline = {}
for split in ("official", "speaker"):
    trial = dataclasses.replace(textbook, split=split, test_speaker=worst if split == "speaker" else "")
    data, _ = make_dataset(fsdd, trial, worst)
    model, _ = train_float(lambda trial=trial: build_model(trial), data.x_train, data.y_train, data.x_val,
                           data.y_val, trial)
    baseline[split] = evaluate.accuracy(model.predict(data.x_test, verbose=0), data.y_test)
print(f"textbook MLP ({data.x_train.shape[1:]} features): official {100 * baseline['official']:.1f} %, "
      f"{worst} held out {100 * baseline['speaker']:.1f} %")
print(f"demo CNN (QUICK): official {100 * metrics['variants']['float32']['accuracy']:.1f} %, {worst} held out "
      f"{100 * loso['speakers'][worst]['float32']:.1f} % (float32)")

# %%
figure, axis = plt.subplots(figsize=(8, 4))
bars = {"CNN official": metrics["variants"]["float32"]["accuracy"], "CNN LOSO mean": loso["float32_mean"],
        **{f"CNN {worst}: {name.split(' ')[0]}": value for name, value in held_out.items()},
        "MLP official": baseline["official"], f"MLP {worst}": baseline["speaker"]}
axis.barh(list(bars), [100 * v for v in bars.values()], color="tab:blue")
axis.invert_yaxis()
axis.set_xlabel("float32 test accuracy (%)")
axis.set_title("KWS: what the split, augmentation, mixup and the model change")
labmode.save_figure(figure, LAB, "honest_evaluation")

# %%
# check yourself
assert baseline["speaker"] < baseline["official"], "the textbook model also loses on an unseen voice"
assert all(0.0 <= value <= 1.0 for value in held_out.values())
assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 2500, "every clip is used exactly once"

# %% [markdown]
# **Question 3.** Did augmentation or mixup help on the hardest voice in your run? By how many clips? What would you
# have to run to know whether the difference is more than noise (think seeds, and the other four speakers)?
#
# **Question 4.** The textbook MLP looks at the first 0.256 s of each clip only. Its official-split accuracy can be
# respectable; what happens on an unseen voice, and why does a fixed "first 2,048 samples" window hurt more when the
# speaker changes?
#
# **Question 5.** Which single figure would you put in a report about this keyword spotter, and what would you write
# beside it?

# %%
labmode.write_summary(LAB, "Lab 4 — KWS: honest evaluation", [
    f"- demo: `python -m kws run {' '.join(OPTIONS)}`",
    f"- official split int8 {100 * official:.1f} % vs leave-one-speaker-out int8 mean {100 * loso['int8_mean']:.1f} %",
    "- per speaker (int8): " + ", ".join(f"{s} {100 * a:.1f} %" for s, a in accuracies.items()),
    f"- hardest voice {worst}, float32: " + ", ".join(f"{n} {100 * v:.1f} %" for n, v in held_out.items()),
    f"- textbook MLP (26 features): official {100 * baseline['official']:.1f} %, {worst} held out "
    f"{100 * baseline['speaker']:.1f} %",
    "- figures: confusion_per_speaker.png, honest_evaluation.png",
])
