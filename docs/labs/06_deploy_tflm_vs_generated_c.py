# %% [markdown]
# # Lab 6 — Two ways to run a model on a Cortex-M7: TFLite Micro vs generated C
#
# **Learning goals.** After this lab you can
# 1. say what an interpreter (TFLite Micro) keeps in RAM and flash that ahead-of-time generated C does not, with
#    the bytes you measured;
# 2. check that two implementations of the same int8 model are bit-exact, and say why that is possible for integer
#    inference and not for float;
# 3. read a per-layer profile (instructions per layer and per multiply-accumulate on the emulated Cortex-M7) and find
#    the layer to optimise first.
#
# **Before the lab.** The README's set-up, with the cross compiler and QEMU installed (`arm-none-eabi-gcc`,
# `qemu-system-arm`). The lab runs the MNIST demo (`--quick`) into `build/labs/06_deploy_tflm_vs_generated_c/mnist/`.
#
# **Time.** About 2–3 minutes on a 2-core laptop (see `docs/labs/README.md`).
#
# **What is compared.** *TFLite Micro* (TFLM) is an interpreter: the `.tflite` flatbuffer is a C array in flash,
# and at start-up the interpreter plans the tensors into a *tensor arena* in RAM. The project measures TFLM with the
# TFLM host runtime (the `tflite-micro` package: the same C++ kernels, built for the PC). The *generated C*
# (`shared.codegen`) turns the same `.tflite` into one C function per layer with the weights as `const` tables and a
# memory plan fixed at generation time; that is what the firmware runs on the board. The TFLM C++ sources are not
# part of this offline set-up, so TFLM is not built for the board here: its on-board instruction count and its
# interpreter's code size are not measured in this lab (see the extensions in TEACHER.md).

# %%
import subprocess
import tempfile
import time
from pathlib import Path

import labmode  # first: finds the repository, picks full or smoke mode
import matplotlib.pyplot as plt
import numpy as np

from shared import codegen, evaluate, tflm
from shared.codegen.host import HostModel

LAB = "06_deploy_tflm_vs_generated_c"
OUT = labmode.lab_dir(LAB)
BUILD = OUT / "mnist"
OPTIONS = ["--quick", *labmode.pick(full=[], smoke=["--set", "train_limit=1000", "--set", "val_size=200",
                                                     "--set", "test_limit=100", "--set", "epochs=1"])]

# %% [markdown]
# ## Task 1. Run the demo, open the deployed model
# The deployed model is `models/int8.tflite`. `export/export.json` records what the export measured: TFLM's ops and
# arena, and the generated C's arena, weights and multiply-accumulates (MACs).

# %%
metrics = labmode.run_demo("mnist", BUILD, OPTIONS)
exported = labmode.read_json(BUILD / "export" / "export.json")
device = labmode.read_json(BUILD / "device" / "result.json")
model = (BUILD / "models" / "int8.tflite").read_bytes()
expected = np.load(BUILD / "export" / "expected.npz")
x_int8 = evaluate.quantize_input(model, expected["model_inputs"])
print("ops TFLM must register:", ", ".join(exported["tflm"]["ops"]))
print(f"test inputs: {len(x_int8)}; MACs per inference: {exported['codegen']['macs']:,}")

# %% [markdown]
# ## Task 2. RAM: the tensor arena
# TFLM's arena holds every activation tensor *and* the interpreter's own bookkeeping (tensor structs, node data,
# quantization parameters), planned at run time. The generated C's arena holds only the activations, planned at
# generation time; it may also fuse a convolution with the pooling that follows so that the full convolution output
# never exists. Measure TFLM's allocation yourself with the host runtime.

# %%
tflm_measured = tflm.measured_allocation_bytes(model)
generated = codegen.generate(model, "model", "models/int8.tflite")  # the name and source the export used
arena = {
    "TFLM measured (host runtime)": tflm_measured,
    "TFLM arena as exported (+ margin)": exported["tflm"]["arena_bytes"],
    "generated C static plan": generated.arena_bytes,
}
for name, size in arena.items():
    print(f"{name:36} {size:8,} B")
largest_activation = max(layer.get("live_arena_bytes", 0) for layer in labmode.read_json(BUILD / "inspect" /
                                                                                   "layers.json")["layers"])
print(f"largest live arena of one layer (generated C, from inspect/layers.json): {largest_activation:,} B")

# %%
# check yourself
assert tflm_measured == exported["tflm"]["measured_allocation_bytes"], "the same model, the same TFLM allocation"
assert exported["tflm"]["arena_bytes"] >= tflm_measured, "the exported arena has a margin over what TFLM used"
assert generated.c_text == (BUILD / "export" / "c" / "model.c").read_text(), "same model, same C, byte for byte"
assert generated.arena_bytes < tflm_measured, "the static plan needs less RAM than the interpreter's arena"

# %% [markdown]
# **Question 1.** How many times smaller is the generated C's arena than TFLM's measured allocation? Name two things
# in TFLM's arena that the generated C does not need at all.
#
# **Question 2.** The exported TFLM arena adds a margin to the measured figure. What happens on the board if the
# arena is a few bytes too small (look at `shared/tflm.py`: its docstring and the margin's comment)?
#
# ## Task 3. Flash: what the model costs
# For TFLM the model in flash is the `.tflite` array (plus the interpreter and its kernels, not built here). For the
# generated C it is the compiled `model.c`: code and `const` tables. Compile it for the Cortex-M7 with the firmware's
# flags and read the sizes with `arm-none-eabi-size`.

# %%
def cortex_m7_sizes(c_file: Path) -> dict[str, int]:
    """text (code + const tables), data, bss of one C file compiled as the firmware compiles it."""
    with tempfile.TemporaryDirectory() as work:
        obj = Path(work) / "model.o"
        subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-O2", "-ffp-contract=off", "-mcpu=cortex-m7",
                        "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard", "-mthumb", "-c", str(c_file), "-o", str(obj)],
                       check=True)
        fields = subprocess.run(["arm-none-eabi-size", "-B", str(obj)], check=True, capture_output=True,
                                text=True).stdout.splitlines()[-1].split()
    return {"text": int(fields[0]), "data": int(fields[1]), "bss": int(fields[2])}


c_sizes = cortex_m7_sizes(BUILD / "export" / "c" / "model.c")
images = labmode.read_json(BUILD / "firmware" / "images.json")["images"]
flash = {
    ".tflite flatbuffer (TFLM's model array)": len(model),
    "generated model.o text+data": c_sizes["text"] + c_sizes["data"],
    "  int8 weights + int32 tables (generator's count)": generated.weight_bytes,
    "whole firmware image (mps2-an500 serial)": images["mps2-an500-serial"]["flash_bytes"],
}
for name, size in flash.items():
    print(f"{name:42} {size:8,} B")
print(f"model.o bss (the static arena): {c_sizes['bss']:,} B")

# %%
# check yourself
assert c_sizes["bss"] >= generated.arena_bytes, "the arena is a static buffer: it shows up as bss"
assert generated.weight_bytes < c_sizes["text"] + c_sizes["data"], "the object holds the tables and the code"
assert flash["generated model.o text+data"] < images["mps2-an500-serial"]["flash_bytes"], "the model is part of it"

# %% [markdown]
# **Question 3.** The generated object can be *larger* than the `.tflite` file. Read the "Speed" section of
# `shared/codegen/README.md`: which layers store their weights widened to int16, and what does that buy? Is that a
# good trade on a board with 1 MB of flash and 320 KB of RAM?
#
# ## Task 4. Bit-exactness
# Integer inference is exactly specified: the same int8 inputs, weights, multipliers and shifts give the same int8
# outputs, whatever the implementation, if every rounding rule is reproduced. Compile the generated C for the PC and
# compare it with TFLM on every test input; time both while you are at it.

# %%
with tempfile.TemporaryDirectory() as work:
    host = HostModel.from_sources(generated, BUILD / "export" / "c", Path(work))
    started = time.perf_counter()
    c_scores = host.invoke(x_int8)
    c_us = (time.perf_counter() - started) / len(x_int8) * 1e6
started = time.perf_counter()
tflm_scores = tflm.run_tflm(model, x_int8).reshape(len(x_int8), -1)
tflm_us = (time.perf_counter() - started) / len(x_int8) * 1e6
mismatched = int((c_scores != tflm_scores).any(axis=1).sum())
litert_scores = evaluate.run_litert_raw(model, x_int8).reshape(len(x_int8), -1)
litert_mismatched = int((litert_scores != tflm_scores).any(axis=1).sum())
print(f"generated C vs TFLM: {mismatched} of {len(x_int8)} inputs differ")
print(f"LiteRT (optimized kernels) vs TFLM: {litert_mismatched} of {len(x_int8)} inputs differ")
print(f"board vs host: agreement {100 * device['agree_with_host']:.1f} % on {device['samples']} inputs")
print(f"on this PC: generated C {c_us:.0f} us, TFLM host runtime {tflm_us:.0f} us per inference (batch of "
      f"{len(x_int8)}, machine load affects both)")

# %%
# check yourself
assert mismatched == 0, "the generated C is bit-exact with TFLM"
assert exported["codegen"]["bit_exact"], "and the export step found the same"
assert device["status"] == "passed" and device["agree_with_host"] == 1.0, "the board too"

# %% [markdown]
# **Question 4.** LiteRT may differ from TFLM in a few inputs by one LSB. Which of the three (LiteRT, TFLM, the
# generated C) is the reference here, and why is "bit-exact with LiteRT" the wrong goal?
#
# **Question 5.** Why would a float32 model not be bit-exact between the PC and the board, even with the same C
# source? (Think of `-ffast-math`, fused multiply-add and summation order; lab 3 measures this for MFCC.)
#
# ## Task 5. Per-layer look
# The demo's inspection step (`inspect/layers.json`, written by `shared.inspect`) ran the generated C on the emulated
# board with a hook after each layer and counted instructions per layer (QEMU `-icount`: one count per
# instruction). Divide by each layer's MACs.

# %%
inspected = labmode.read_json(BUILD / "inspect" / "layers.json")
layers = inspected["layers"]
print(f"{'op':>3} {'kind':16} {'MACs':>9} {'instructions':>13} {'instr/MAC':>10} {'live arena B':>13}")
for layer in layers:
    instr, per_mac = layer.get("instructions"), layer.get("instructions_per_mac")
    print(f"{layer['op']:3} {layer['kind']:16} {layer.get('macs') or 0:9,} {instr if instr else '-':>13} "
          f"{per_mac if per_mac else '-':>10} {layer.get('live_arena_bytes', 0):13,}")
board = inspected["board"]
total_instr = device["counter"]["per_inference"]
print(f"plain inference: {board['plain_instructions_per_inference']:,} instructions; sum of the layers "
      f"{board['sum_of_layers']:,}; the device check counted {total_instr:,} per inference (app_infer: the float "
      f"inputs quantized to int8, then the model) and {device['counter']['features_per_sample']:,} for the feature "
      "step (pixel / 255)")
print(f"overall: {total_instr / exported['codegen']['macs']:.2f} instructions per MAC; "
      f"{total_instr / 216e6 * 1e3:.1f} ms at 216 MHz if one instruction took one cycle")
counted = [layer for layer in layers if layer.get("instructions")]
slowest = max(counted, key=lambda layer: layer["instructions"])

# %%
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
names = [f"{layer['op']} {layer['kind']}" for layer in counted]
left.barh(names, [layer["instructions"] / 1000 for layer in counted], color="tab:blue")
left.set_xlabel("thousand instructions per inference (QEMU -icount)")
left.invert_yaxis()
right.bar(list(arena), list(arena.values()), color=["tab:orange", "tab:orange", "tab:green"])
right.set_ylabel("bytes of RAM")
right.tick_params(axis="x", labelrotation=15, labelsize=7)
figure.suptitle("MNIST CNN: instructions per layer (generated C on the board); arena TFLM vs generated C")
labmode.save_figure(figure, LAB, "layers_and_arena")

# %%
# check yourself
assert abs(board["sum_of_layers"] - board["plain_instructions_per_inference"]) <= 0.01 * total_instr, \
    "the layers add up to the whole inference"
assert board["plain_instructions_per_inference"] < total_instr, "the device check also counts quantizing the input"
assert slowest["kind"] in ("CONV_2D", "DEPTHWISE_CONV_2D"), "convolutions cost most"

# %% [markdown]
# **Question 6.** Which layer costs the most instructions, and which has the highest instructions per MAC? Why is
# the first convolution (one input channel) so much less efficient per MAC than the later ones? (Hint: how many
# MACs does one weight load feed when there is one input channel?)
#
# **Question 7.** With the per-layer table, where would you spend an afternoon of optimisation, and what is the
# most you could win on the whole inference (Amdahl)?

# %%
labmode.write_summary(LAB, "Lab 6 — TFLite Micro vs generated C (MNIST CNN)", [
    f"- demo: `python -m mnist run {' '.join(OPTIONS)}`; {len(x_int8)} test inputs, "
    f"{exported['codegen']['macs']:,} MACs per inference",
    f"- RAM: TFLM measured {tflm_measured:,} B (exported with margin {exported['tflm']['arena_bytes']:,} B) vs "
    f"generated C {generated.arena_bytes:,} B ({tflm_measured / generated.arena_bytes:.1f}x less)",
    f"- flash: .tflite {len(model):,} B vs generated model.o {c_sizes['text'] + c_sizes['data']:,} B "
    f"(tables {generated.weight_bytes:,} B); whole image {images['mps2-an500-serial']['flash_bytes']:,} B",
    f"- bit-exact: generated C vs TFLM {mismatched} of {len(x_int8)} differ; LiteRT vs TFLM {litert_mismatched} "
    f"differ; board agreement {100 * device['agree_with_host']:.0f} %",
    f"- board: {total_instr:,} instructions per inference ({total_instr / exported['codegen']['macs']:.2f} per MAC); "
    f"slowest layer op {slowest['op']} {slowest['kind']} ({slowest['instructions']:,})",
    f"- PC: generated C {c_us:.0f} us vs TFLM host runtime {tflm_us:.0f} us per inference (loaded machine)",
    "- figure: layers_and_arena.png",
])
