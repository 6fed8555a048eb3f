# %% [markdown]
# # Lab 1 — What does int8 cost? (MNIST)
#
# **Goal.** See, on one small CNN, what each TensorFlow Lite variant costs in accuracy and what it saves in size,
# and check that the TFLite Micro runtime (what a microcontroller runs) gives the same answers as the PC.
#
# **Before the lab.** Run the demo once (`nox -s mnist -- --quick`, about a minute; or `nox -s mnist` for the
# reported figures). This file works as a script (`python docs/labs/01_mnist_what_int8_costs.py`), as a notebook
# (open it in VS Code or Jupyter with jupytext: every `# %%` is a cell) and as a handout.

# %%
import json
from pathlib import Path

import numpy as np

import shared  # noqa: F401  (tf-keras before TensorFlow)
from mnist.data import load_mnist
from mnist.pixels import scale_pixels
from shared import evaluate, tflm
from shared.data import data_dir

BUILD = Path("build/mnist")
metrics = json.loads((BUILD / "metrics.json").read_text())

# %% [markdown]
# ## 1. The table
# Every variant was evaluated on the same test images. Read the raw and gzip columns side by side: which variants
# shrink the file a microcontroller stores, and which only shrink what a zip file would store?

# %%
print(f"{'variant':16} {'accuracy':>9} {'raw bytes':>10} {'gzip bytes':>10}")
for name, row in metrics["variants"].items():
    print(f"{name:16} {100 * row['accuracy']:8.2f}% {row['size_bytes']:10,} {row['gzip_bytes']:10,}")

# %% [markdown]
# **Question 1.** The pruned model has 80 % zero weights. Why is its raw size the same as the int8 model's?
# What would the firmware have to do to profit from those zeros?

# %% [markdown]
# ## 2. One image, three runtimes
# Take one image, quantize it exactly as the converter asks (scale and zero point of the input tensor), and run it
# through LiteRT (the PC runtime) and the TFLite Micro interpreter (the microcontroller runtime).

# %%
model = (BUILD / metrics["deploy"]["tflite"]).read_bytes()
data = load_mnist(data_dir(), test_size=metrics["config"]["test_size"], seed=metrics["config"]["seed"])
image, label = scale_pixels(data.test_images[:1]), data.test_labels[0]
input_quant, output_quant = evaluate.io_quantization(model)
x_int8 = evaluate.quantize(image, input_quant.scale, input_quant.zero_point)
litert_scores = evaluate.run_litert_raw(model, x_int8)[0]
micro_scores = tflm.run_tflm(model, x_int8)[0]
print("true label   :", label)
print("input scale  :", input_quant.scale, "zero point:", input_quant.zero_point)
print("LiteRT int8  :", litert_scores)
print("TFLM int8    :", micro_scores)
print("largest difference:", int(np.max(np.abs(litert_scores.astype(int) - micro_scores.astype(int)))))

# %% [markdown]
# **Question 2.** The two runtimes may differ by a few units in the last place of the softmax output, yet agree on
# the class. Look up how each computes an int8 softmax. Which one does the device's generated C follow, and why
# does this project test bit-exactness against that one?
#
# ## 3. Change one thing
# Pick one and predict the effect on accuracy, raw size and gzip size *before* you run it; then run it and compare:
#
# - `nox -s mnist -- --quick --set conv_filters=8,16,32`
# - `nox -s mnist -- --quick --set model=mlp_textbook`
# - `nox -s mnist -- --quick --set clusters=4`
