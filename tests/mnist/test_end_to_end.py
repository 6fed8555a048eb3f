"""The MNIST demo end to end on real data (QUICK profile), the metrics contract, and predict on user files."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mnist.data import read_pair
from mnist.images import load_picture
from mnist.pixels import scale_pixels
from shared import evaluate
from tests.conftest import REPO_ROOT, require_tool

pytestmark = [pytest.mark.slow, pytest.mark.firmware]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, mnist_data):
    """`run --quick --no-device`, then `device` alone on what the run exported (the two halves of the chain)."""
    for tool in ("cmake", "arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    out = tmp_path_factory.mktemp("mnist")
    host = subprocess.run([sys.executable, "-m", "mnist", "run", "--quick", "--no-device", "--data-dir",
                           str(mnist_data), "--out", str(out)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert host.returncode == 0, host.stderr[-3000:]
    assert not (out / "firmware").exists(), "--no-device builds no firmware"
    device = subprocess.run([sys.executable, "-m", "mnist", "device", "--out", str(out)], cwd=REPO_ROOT,
                            capture_output=True, text=True)
    assert device.returncode == 0, device.stderr[-3000:]
    return out, host.stdout, device.stdout


def test_quick_run_reaches_a_floor(quick_run):
    out, host_stdout, _ = quick_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["variants"]["int8"]["accuracy"] > 0.85, "4000 training images should give well above 10 % chance"
    assert metrics["variants"]["int8"]["tflm"]["same_class_share"] > 0.98
    assert metrics["codegen"]["bit_exact"] and metrics["codegen"]["samples"] == metrics["data"]["test_samples"]
    exported = {p.name for p in (out / "export" / "c").iterdir()}
    assert {"model.c", "model.h", "model_identity.h", "mnist_config.h"} <= exported
    assert "mnist: float" in host_stdout.splitlines()[-1]
    assert "device: skipped (run with --no-device)" in host_stdout.splitlines()[-1]


def test_every_step_says_what_it_does(quick_run):
    _, host_stdout, device_stdout = quick_run
    steps = [line for line in host_stdout.splitlines() if line.startswith("[")]
    assert steps[0] == "[1/10] data and features …" and steps[1].startswith("[1/10] data and features: ")
    assert "[9/10] per-layer inspection …" in steps
    assert steps[-1].startswith("[10/10] report: ")
    assert len(steps) == 20, steps  # a start line and a time line for each of the 10 steps
    assert [line.split(" …")[0] for line in device_stdout.splitlines() if line.endswith(" …")] == [
        "[1/3] firmware build", "[2/3] device check", "[3/3] report"]


def test_device_matches_host(quick_run):
    """The emulated board got raw images and answered with exactly the TFLM runtime's int8 scores."""
    out, _, device_stdout = quick_run
    device = json.loads((out / "metrics.json").read_text())["device"]
    assert device["problems"] == [] and device["status"] == "passed"
    assert device["board"] == "mps2-an500"
    assert device["samples"] == 1000 and device["details"]["serial_samples"] == 100
    assert device["agree_with_host"] == 1.0
    assert device["details"]["stm32f746g_disco"]["fits"]
    assert device["counter"]["unit"] == "instructions" and device["counter"]["per_inference"] > 100_000
    assert "device (mps2-an500) passed: 100.0 % of 1000 samples" in device_stdout.splitlines()[-1]


def test_device_on_a_serial_port(quick_run, tmp_path):
    """`device --port`, the real-board path, against the emulator's serial port: the same schema and summary."""
    from shared.board.emulator import Emulator

    out, _, _ = quick_run
    before = json.loads((out / "metrics.json").read_text())["device"]
    with Emulator(out / "firmware" / "mps2-an500-serial" / "mnist-mps2-an500-serial.elf") as emulator:
        emulator.serial.close()  # QEMU's tcp server takes the next client: the command connects as to a board
        done = subprocess.run([sys.executable, "-m", "mnist", "device", "--out", str(out), "--port", emulator.url],
                              cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    device = json.loads((out / "metrics.json").read_text())["device"]
    assert set(device) == set(before)
    assert set(device["counter"]) == set(before["counter"])
    assert (device["board"], device["status"], device["agree_with_host"]) == ("mps2-an500", "passed", 1.0)
    assert device["samples"] == 200 and device["counter"]["unit"] == "instructions"
    assert device["details"]["image"].endswith("stm32f746g-disco-serial.bin")
    assert "device (mps2-an500) passed: 100.0 % of 200 samples" in done.stdout.splitlines()[-1]


def test_device_step_needs_a_finished_run(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mnist", "device", "--out", str(tmp_path)], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "export.json: not found; run `python -m mnist run` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_metrics_contract(quick_run):
    out, _, _ = quick_run
    metrics = json.loads((out / "metrics.json").read_text())
    for name in ("float32", "dynamic_range", "float16", "int8", "qat_int8", "pruned_int8", "clustered_int8"):
        row = metrics["variants"][name]
        assert {"accuracy", "size_bytes", "gzip_bytes"} <= set(row), name
        assert (out / "models" / f"{name}.tflite").stat().st_size == row["size_bytes"]
    assert (out / metrics["deploy"]["tflite"]).is_file()
    assert {"board", "status", "samples", "agree_with_host", "accuracy", "counter", "flash_bytes", "ram_bytes",
            "problems"} <= set(metrics["device"])
    assert set(metrics["device"]["counter"]) == {"unit", "per_inference", "features_per_sample"}
    assert metrics["optimization"]["pruned_sparsity"] >= 0.78
    assert metrics["optimization"]["clustered_max_unique_values_per_kernel"] <= 16
    for plot in metrics["plots"]:
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.md").read_text()
    assert "carved" in report and "| int8 |" in report


def test_predict_on_user_pictures(quick_run, mnist_data, tmp_path):
    out, _, _ = quick_run
    model = out / "models" / "int8.tflite"
    images, labels = read_pair(mnist_data / "mnist" / "train-images-idx3-ubyte.gz",
                               mnist_data / "mnist" / "train-labels-idx1-ubyte.gz")
    picks = np.arange(59990, 60000)
    files = []
    for index in picks:
        # A photo-like version: 4x larger, dark digit on white paper, RGB.
        big = Image.fromarray(255 - images[index]).resize((112, 112), Image.Resampling.BILINEAR).convert("RGB")
        big.save(tmp_path / f"digit{index}.png")
        files.append(tmp_path / f"digit{index}.png")
    done = subprocess.run([sys.executable, "-m", "mnist", "predict", "--model", str(model), *map(str, files)],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    assert all(len(line["scores"]) == 10 for line in lines)
    predicted = [int(line["label"]) for line in lines]
    direct = np.argmax(evaluate.run_litert(model.read_bytes(), scale_pixels(images[picks])), axis=1)
    agree = np.mean(np.array(predicted) == direct)
    assert agree >= 0.8, f"rescaled, inverted pictures should classify like the originals ({predicted} vs {direct})"
    assert np.mean(np.array(predicted) == labels[picks]) >= 0.7


def test_picture_preprocessing_restores_mnist_form(mnist_data, tmp_path):
    images, _ = read_pair(mnist_data / "mnist" / "train-images-idx3-ubyte.gz",
                          mnist_data / "mnist" / "train-labels-idx1-ubyte.gz")
    Image.fromarray(255 - images[7]).save(tmp_path / "same_size.png")
    np.testing.assert_array_equal(load_picture(tmp_path / "same_size.png"), images[7])
    Image.fromarray(255 - images[7]).resize((200, 200)).save(tmp_path / "big.png")
    restored = load_picture(tmp_path / "big.png").astype(float)
    correlation = np.corrcoef(restored.ravel(), images[7].astype(float).ravel())[0, 1]
    assert correlation > 0.7


def test_predict_rejects_bad_input(quick_run, tmp_path):
    out, _, _ = quick_run
    (tmp_path / "not_an_image.png").write_text("hello")
    done = subprocess.run([sys.executable, "-m", "mnist", "predict", "--model", str(out / "models" / "int8.tflite"),
                           str(tmp_path / "not_an_image.png")], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "not_an_image.png: not a readable image" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "mnist", "predict", "--model", str(tmp_path / "not_an_image.png"),
                           "x.png"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "not a TensorFlow Lite model" in done.stderr
