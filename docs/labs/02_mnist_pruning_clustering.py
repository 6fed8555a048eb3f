# %% [markdown]
# # Lab 2 — MNIST: pruning and clustering, and what the board really stores
#
# **Learning goals.** After this lab you can
# 1. prune a model to a chosen sparsity and cluster its weights to a chosen number of values, and measure what each
#    costs in accuracy;
# 2. tell three sizes apart: the raw `.tflite` file, its gzip size, and the flash a firmware image really takes;
# 3. explain why gzip is not flash: a microcontroller runs its weights in place, uncompressed.
#
# **Before the lab.** The README's set-up, with the cross compiler (`arm-none-eabi-gcc`, `cmake`). The lab runs
# the MNIST demo (`--quick --no-device`: 4,000 training images, 1,000 test images) into
# `build/labs/02_mnist_pruning_clustering/mnist/`, then fine-tunes its float model once per setting.
#
# **Time.** About 4–5 minutes on a 2-core laptop (see `docs/labs/README.md`): six fine-tunings, six conversions,
# seven firmware builds.
#
# **Vocabulary.** *Pruning* (TFMOT `prune_low_magnitude`) sets the smallest weights to zero while fine-tuning, up to
# a target *sparsity* (share of zeros). *Clustering* (`cluster_weights`) replaces each kernel's weights by the
# nearest of N shared values (centroids), also while fine-tuning. Both then go through the same int8 conversion.

# %%
import dataclasses
import itertools
import shutil

import labmode  # first: finds the repository, picks full or smoke mode
import matplotlib.pyplot as plt
import numpy as np

from mnist.data import load_mnist
from mnist.pixels import scale_pixels
from shared import codegen, convert, evaluate, optimize
from shared.board.firmware import build_firmware
from shared.data import data_dir
from shared.pipeline import gzip_size
from shared.train import TrainSettings

LAB = "02_mnist_pruning_clustering"
OUT = labmode.lab_dir(LAB)
BUILD = OUT / "mnist"
OPTIONS = ["--quick", "--no-device", *labmode.pick(
    full=[], smoke=["--set", "train_limit=600", "--set", "val_size=200", "--set", "test_limit=100",
                    "--set", "epochs=1"])]
SPARSITIES = labmode.pick(full=[0.5, 0.8, 0.9], smoke=[0.5, 0.9])
CLUSTERS = labmode.pick(full=[8, 16, 32], smoke=[8, 32])
FINE_TUNE_IMAGES = labmode.pick(full=4000, smoke=400)

# %% [markdown]
# ## Task 1. Run the demo, take its float model and data
# The float model is `train/float_model.keras`; the test images the demo evaluated are in `export/expected.npz`
# (`model_inputs`, `labels`). For fine-tuning, the lab takes training images from the same MNIST files.

# %%
metrics = labmode.run_demo("mnist", BUILD, OPTIONS)
run_config = labmode.read_json(BUILD / "data" / "run.json")["config"]
settings = TrainSettings(**{f.name: run_config[f.name] for f in dataclasses.fields(TrainSettings)})
float_model = convert.load_keras_model(BUILD / "train" / "float_model.keras")
expected = np.load(BUILD / "export" / "expected.npz")
x_test, y_test = expected["model_inputs"], expected["labels"]
mnist = load_mnist(data_dir(), run_config["test_size"], run_config["seed"])
x_tune = scale_pixels(mnist.train_images[:FINE_TUNE_IMAGES])
y_tune = mnist.train_labels[:FINE_TUNE_IMAGES].astype(np.int64)
x_val = scale_pixels(mnist.train_images[-500:])
y_val = mnist.train_labels[-500:].astype(np.int64)
representative = convert.representative_samples(x_tune, seed=settings.seed)
print(f"fine-tuning on {len(x_tune)} images, {settings.prune_epochs} pruning epoch(s), "
      f"{settings.cluster_epochs} clustering epoch(s); testing on {len(x_test)} images")

# %% [markdown]
# ## Task 2. Sweep sparsity and clusters
# Before you run the cell, write down your predictions: at 90 % sparsity, how much smaller is the raw file? The gzip
# file? And how much accuracy do you expect to lose?

# %%
def measure(name: str, blob: bytes) -> dict:
    """Accuracy on the test images (LiteRT), raw and gzip size of one int8 model."""
    accuracy = evaluate.accuracy(evaluate.run_litert(blob, x_test), y_test)
    return {"name": name, "blob": blob, "accuracy": accuracy, "raw": len(blob), "gzip": gzip_size(blob)}


tune = (x_tune, y_tune, x_val, y_val)
rows = [measure("int8", (BUILD / "models" / "int8.tflite").read_bytes())]
for sparsity in SPARSITIES:
    pruned, measured = optimize.prune(float_model, *tune, dataclasses.replace(settings, prune_sparsity=sparsity))
    rows.append({**measure(f"pruned {sparsity:.0%}", convert.to_int8(pruned, representative)),
                 "sparsity": measured.share})
for count in CLUSTERS:
    clustered, unique = optimize.cluster(float_model, *tune, dataclasses.replace(settings, clusters=count))
    rows.append({**measure(f"{count} clusters", convert.to_int8(clustered, representative)),
                 "unique": max(unique)})

# %% [markdown]
# ## Task 3. What the board stores
# The firmware links the generated C of a model (`shared.codegen`): every weight is a `const` table entry in flash,
# zero or not. Build the STM32F746G-DISCO image for every model from the demo's `export/c/` (the app's own sources)
# with that model's generated C, and read the flash it takes.

# %%
for row in rows:
    slug = row["name"].replace(" ", "_").replace("%", "")
    c_dir = OUT / "firmware" / slug / "c"
    shutil.rmtree(c_dir, ignore_errors=True)
    shutil.copytree(BUILD / "export" / "c", c_dir)
    codegen.write_model(row["blob"], c_dir, "model", f"{slug}.tflite")
    image = build_firmware("mnist", "stm32f746g-disco", c_dir, OUT / "firmware" / slug / "build")
    row["flash"] = image.flash_bytes
print(f"{'model':14} {'accuracy':>9} {'raw B':>8} {'gzip B':>8} {'flash B':>8} {'zeros / values':>15}")
for row in rows:
    extra = f"{row['sparsity']:.0%} zeros" if "sparsity" in row else (
        f"{row['unique']} values" if "unique" in row else "")
    print(f"{row['name']:14} {100 * row['accuracy']:8.1f}% {row['raw']:8,} {row['gzip']:8,} {row['flash']:8,} "
          f"{extra:>15}")

# %%
figure, axes = plt.subplots(1, 3, figsize=(13, 4), sharex=True, sharey=True)  # one scale: see what moves
for axis, key, title in zip(axes, ["raw", "gzip", "flash"], [".tflite bytes", "gzip -9 bytes", "firmware flash bytes"],
                            strict=True):
    for row in rows:
        colour = "tab:red" if "sparsity" in row else "tab:green" if "unique" in row else "black"
        axis.scatter(row[key] / 1024, 100 * row["accuracy"], color=colour)
        axis.annotate(row["name"], (row[key] / 1024, 100 * row["accuracy"]), fontsize=7)
    axis.set_xlabel(f"{title} (kB)")
axes[0].set_ylabel("test accuracy (%)")
axes[0].set_xlim(0, 1.05 * max(row["flash"] for row in rows) / 1024)
figure.suptitle("MNIST CNN: pruned (red) and clustered (green) vs int8 (black)")
labmode.save_figure(figure, LAB, "sizes_vs_accuracy")

# %%
# check yourself
base = rows[0]
pruned_rows = [row for row in rows if "sparsity" in row]
clustered_rows = [row for row in rows if "unique" in row]
assert all(abs(row["raw"] - base["raw"]) <= 0.01 * base["raw"] for row in rows), "raw size does not shrink"
assert all(abs(row["flash"] - base["flash"]) <= 0.01 * base["flash"] for row in rows), "nor does the flash"
assert all(a["gzip"] > b["gzip"] for a, b in itertools.pairwise(pruned_rows)), "more zeros, smaller gzip"
assert all(a["gzip"] < b["gzip"] for a, b in itertools.pairwise(clustered_rows)), "fewer values, smaller gzip"
assert all(row["unique"] <= count for row, count in zip(clustered_rows, CLUSTERS, strict=True))

# %% [markdown]
# **Question 1.** At the highest sparsity, by what factor did gzip shrink compared with int8, and by what factor did
# the flash shrink? Why does a microcontroller not simply store the gzip file? (What would it need in RAM to run
# the model then?)
#
# **Question 2.** Which setting loses the most accuracy? Fine-tuning was short (see the epochs printed in task 1):
# which would you give more epochs first, and why does pruning need them more than clustering?
#
# **Question 3.** Clustering to 8 values means 3 bits per weight would do. Why is the int8 raw size still the same?
# Sketch what a kernel would have to do to run on 3-bit indices into a table of 8 centroids, and what it would cost
# per multiply-accumulate.
#
# **Question 4.** Pruning whole filters or channels (structured pruning) instead of single weights would shrink the
# flash. Why? What would change in the generated C's tables and loops?

# %%
best_pruned = pruned_rows[-1]
labmode.write_summary(LAB, "Lab 2 — MNIST: pruning and clustering", [
    f"- demo: `python -m mnist run {' '.join(OPTIONS)}`; fine-tuned on {len(x_tune)} images, tested on {len(x_test)}",
    *[f"- {row['name']}: accuracy {100 * row['accuracy']:.1f} %, raw {row['raw']:,} B, gzip {row['gzip']:,} B, "
      f"flash {row['flash']:,} B" for row in rows],
    f"- {best_pruned['name']}: gzip {base['gzip'] / best_pruned['gzip']:.1f}x smaller than int8, flash "
    f"{base['flash'] / best_pruned['flash']:.2f}x",
    "- figure: sizes_vs_accuracy.png",
])
