# %% [markdown]
# # Lab 1 — What does int8 cost? (MNIST)
#
# **Learning goals.** After this lab you can
# 1. say what each TensorFlow Lite variant (float32, float16, dynamic range, int8, QAT, pruned, clustered) costs in
#    accuracy and saves in raw and gzip size, with figures you measured;
# 2. quantize an input by hand with the scale and zero point the converter chose;
# 3. show that the PC runtime (LiteRT), the microcontroller runtime (TFLite Micro) and the emulated Cortex-M7 give
#    the same answers, and say where they may differ.
#
# **Before the lab.** Follow the top README's set-up (`nox -s tests` once, or the venv it makes). Nothing else: the
# lab runs the MNIST demo itself (`--quick` profile: 4,000 training images, 4 epochs, 1,000 test images) into
# `build/labs/01_mnist_what_int8_costs/mnist/` and reuses that run when you execute the lab again.
#
# **Time.** About 2 minutes on a 2-core laptop, most of it the demo run (see `docs/labs/README.md`).
#
# **Run it** as a script (`python docs/labs/01_mnist_what_int8_costs.py`), as a notebook (VS Code, or Jupyter with
# jupytext: every `# %%` is a cell), or read it printed. Answer the questions in your own notes; the cells marked
# *check yourself* stop the lab if something that must hold does not.

# %%
import labmode  # first: finds the repository, picks full or smoke mode
import matplotlib.pyplot as plt
import numpy as np

from shared import evaluate, tflm

LAB = "01_mnist_what_int8_costs"
OUT = labmode.lab_dir(LAB)
BUILD = OUT / "mnist"
OPTIONS = ["--quick", *labmode.pick(full=[], smoke=["--set", "train_limit=1000", "--set", "val_size=200",
                                                     "--set", "test_limit=100", "--set", "epochs=2"])]

# %% [markdown]
# ## Task 1. Run the demo
# The demo trains a small CNN in float32, makes every variant, evaluates them all on the same test images, exports
# the int8 model as C, builds the firmware and checks it on the emulated Cortex-M7 (QEMU `mps2-an500`). Every step
# writes a file under `build/labs/01_mnist_what_int8_costs/mnist/`; this lab only reads those files.

# %%
metrics = labmode.run_demo("mnist", BUILD, OPTIONS)
variants = metrics["variants"]
print(f"test images: {metrics['data']['test_samples']}, training images: {metrics['data']['train_samples']}")

# %% [markdown]
# ## Task 2. The table
# Read the raw and gzip columns side by side. *Raw* is the `.tflite` file, what a microcontroller stores in flash;
# *gzip* is what a zip file would store.

# %%
print(f"{'variant':16} {'accuracy':>9} {'raw bytes':>10} {'gzip bytes':>10} {'raw / float32':>14}")
float_bytes = variants["float32"]["size_bytes"]
for name, row in variants.items():
    print(f"{name:16} {100 * row['accuracy']:8.2f}% {row['size_bytes']:10,} {row['gzip_bytes']:10,} "
          f"{row['size_bytes'] / float_bytes:14.2f}")
print("sparsity of the pruned model:", metrics["optimization"]["pruned_sparsity"])
print("distinct values per kernel after clustering (max):",
      metrics["optimization"]["clustered_max_unique_values_per_kernel"])

# %%
figure, axis = plt.subplots(figsize=(7, 4))
for name, row in variants.items():
    axis.scatter(row["size_bytes"] / 1024, 100 * row["accuracy"], marker="o", color="tab:blue")
    axis.scatter(row["gzip_bytes"] / 1024, 100 * row["accuracy"], marker="x", color="tab:orange")
    axis.annotate(name, (row["size_bytes"] / 1024, 100 * row["accuracy"]), fontsize=8)
axis.set_xlabel("kB (o raw .tflite, x gzip -9)")
axis.set_ylabel("test accuracy (%)")
axis.set_title("MNIST variants: accuracy vs size")
labmode.save_figure(figure, LAB, "accuracy_vs_size")

# %% [markdown]
# **Question 1.** By what factor does int8 shrink the raw file compared with float32? Why is it not exactly 4?
# (Hint: what else is in a `.tflite` file besides the weights?)
#
# **Question 2.** The pruned model has the sparsity printed above, yet its raw size equals the int8 model's. Why?
# Its gzip size is much smaller: what would the firmware have to do to profit from those zeros?
#
# **Question 3.** What did int8 (post-training quantization) cost in accuracy here, and what did quantization-aware
# training win back? Are those differences larger than what one test image more or less would change
# (1 / number of test images)?

# %%
# check yourself: what must hold whatever the seed
int8, f32 = variants["int8"], variants["float32"]
assert int8["size_bytes"] < 0.4 * f32["size_bytes"], "int8 stores one byte per weight instead of four"
assert variants["float16"]["size_bytes"] < 0.6 * f32["size_bytes"], "float16 stores two bytes per weight"
assert variants["pruned_int8"]["size_bytes"] <= 1.01 * int8["size_bytes"], "pruning leaves the raw size alone"
assert variants["pruned_int8"]["gzip_bytes"] < 0.7 * int8["gzip_bytes"], "zeros compress: pruning shrinks gzip"
assert variants["clustered_int8"]["gzip_bytes"] < int8["gzip_bytes"], "few distinct values compress too"
assert abs(int8["accuracy"] - f32["accuracy"]) <= 0.03, "int8 stays within 3 points of float32 on MNIST"

# %% [markdown]
# ## Task 3. Quantize one image by hand
# The int8 model takes int8 inputs. The converter chose a scale and a zero point for the input tensor;
# an input value `x` becomes `q = round(x / scale) + zero_point`, clipped to [-128, 127]. The file
# `export/expected.npz` holds the test images exactly as the board receives them (`raw_inputs`, uint8), the float
# inputs the model expects (`model_inputs`, pixel / 255) and the int8 scores TFLite Micro answered (`tflm_scores`).

# %%
model = (BUILD / "models" / "int8.tflite").read_bytes()
expected = np.load(BUILD / "export" / "expected.npz")
raw, x_float, labels = expected["raw_inputs"], expected["model_inputs"], expected["labels"]
input_quant, output_quant = evaluate.io_quantization(model)
print("input scale", input_quant.scale, "zero point", input_quant.zero_point)
print("output scale", output_quant.scale, "zero point", output_quant.zero_point)
pixel = int(raw[0].max())
by_hand = int(np.clip(np.round(pixel / 255 / input_quant.scale) + input_quant.zero_point, -128, 127))
print(f"a pixel of {pixel} -> float {pixel / 255:.4f} -> int8 {by_hand} (by hand)")

# %%
# check yourself: your formula gives what the library gives, on every pixel of the first image
x_int8 = evaluate.quantize_input(model, x_float)
hand = np.clip(np.round(raw[0].astype(np.float64) / 255 / input_quant.scale) + input_quant.zero_point, -128, 127)
assert np.array_equal(hand.astype(np.int8).ravel(), x_int8[0].ravel()), "quantize by hand as the converter asks"

# %% [markdown]
# **Question 4.** A pixel value of 0 (white paper) becomes which int8 value? Why does the converter pick a zero
# point of -128 for an input that is never negative?
#
# ## Task 4. Three runtimes, one answer
# Run every test image through LiteRT (the PC runtime) and TFLite Micro (what the microcontroller runs), and
# compare both with what the emulated Cortex-M7 answered (`device/result.json`).

# %%
litert = evaluate.run_litert_raw(model, x_int8).reshape(len(x_int8), -1)
micro = tflm.run_tflm(model, x_int8).reshape(len(x_int8), -1)
difference = np.abs(litert.astype(int) - micro.astype(int))
differing_images = int((difference > 0).any(axis=1).sum())
same_class = float(np.mean(litert.argmax(1) == micro.argmax(1)))
device = labmode.read_json(BUILD / "device" / "result.json")
print(f"images whose int8 scores differ between LiteRT and TFLM: {differing_images} of {len(x_int8)} "
      f"(largest difference {difference.max()} LSB of {output_quant.scale:.5f})")
print(f"same class LiteRT vs TFLM: {100 * same_class:.2f} %")
print(f"TFLM now vs TFLM during export: {'identical' if np.array_equal(micro, expected['tflm_scores']) else 'DIFFER'}")
print(f"board: {device['board']}, status {device['status']}, {device['samples']} images, "
      f"agrees with the host on {100 * device['agree_with_host']:.1f} %, accuracy {100 * device['accuracy']:.1f} %")
print(f"{device['counter']['per_inference']:,} {device['counter']['unit']} per inference; "
      f"flash {device['flash_bytes']:,} B, RAM {device['ram_bytes']:,} B")

# %%
# check yourself
assert np.array_equal(micro, expected["tflm_scores"]), "TFLM is deterministic: the same scores as at export"
assert same_class >= 0.98, "LiteRT and TFLM may differ by a few LSB but almost never in the class"
assert device["status"] == "passed" and device["agree_with_host"] == 1.0, "the board answers what TFLM answered"

# %% [markdown]
# **Question 5.** How many images differ between LiteRT and TFLM, and by how many LSB at most? Look up how each
# computes an int8 softmax (LiteRT's optimized kernels vs TFLM's reference kernels). Which one does the device's
# generated C follow, and why does this project test bit-exactness against that one?
#
# **Question 6.** The board ran the generated C for every test image. What did it cost per inference in
# instructions? At one instruction per cycle on a 216 MHz Cortex-M7, how many milliseconds is that?
#
# ## Task 5. Change one thing
# Pick one, write down your prediction for accuracy, raw size and gzip size *before* you run it, then run it and
# compare with the table above (each takes about as long as the demo run in task 1):
#
# - `python -m mnist run --quick --set conv_filters=8,16,32 --out build/labs/01_mnist_what_int8_costs/narrow`
# - `python -m mnist run --quick --set model=mlp_textbook --out build/labs/01_mnist_what_int8_costs/mlp`
# - `python -m mnist run --quick --set clusters=4 --out build/labs/01_mnist_what_int8_costs/c4`

# %%
int8_ms = device["counter"]["per_inference"] / 216e6 * 1e3
labmode.write_summary(LAB, "Lab 1 — what int8 costs (MNIST)", [
    f"- demo: `python -m mnist run {' '.join(OPTIONS)}`, {metrics['data']['test_samples']} test images",
    f"- float32 {100 * f32['accuracy']:.1f} % at {f32['size_bytes']:,} B; int8 {100 * int8['accuracy']:.1f} % at "
    f"{int8['size_bytes']:,} B ({int8['size_bytes'] / f32['size_bytes']:.2f}x); "
    f"QAT int8 {100 * variants['qat_int8']['accuracy']:.1f} %",
    f"- pruned int8: raw {variants['pruned_int8']['size_bytes']:,} B, gzip {variants['pruned_int8']['gzip_bytes']:,} B "
    f"(int8 gzip {int8['gzip_bytes']:,} B), accuracy {100 * variants['pruned_int8']['accuracy']:.1f} %",
    f"- LiteRT vs TFLM: {differing_images} of {len(x_int8)} images differ (max {difference.max()} LSB), same class "
    f"{100 * same_class:.1f} %",
    f"- board ({device['board']}): {device['status']}, agreement {100 * device['agree_with_host']:.0f} %, "
    f"{device['counter']['per_inference']:,} instructions per inference (~{int8_ms:.1f} ms at 216 MHz)",
    "- figure: accuracy_vs_size.png",
])
