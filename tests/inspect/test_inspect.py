"""The per-layer inspector on small models built here: layer matching, quantization collapse under a bad
representative set, a planted one-LSB fault in the generated C, the CLI contract, and (firmware) the QEMU board."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import shared  # noqa: F401  (tf-keras before TensorFlow)
from shared.codegen.graph import read_graph
from shared.convert import to_int8
from shared.inspect import inspect_build, inspect_model
from shared.inspect.__main__ import main as cli
from tests.conftest import require_tool

SAMPLES = 60


def mlp(seed: int = 1):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    return tf.keras.Sequential([tf.keras.Input((16,)), layers.Dense(24, activation="relu", name="hidden1"),
                                layers.Dense(24, activation="relu", name="hidden2"),
                                layers.Dense(4, activation="softmax", name="head")], name="mlp")


def cnn(seed: int = 2):
    """Shaped like the MNIST demo's: conv without bias, batch norm, ReLU, pool, flatten, dropout, dense softmax."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    model = tf.keras.Sequential([
        tf.keras.Input((10, 10, 1)), layers.Conv2D(4, 3, use_bias=False, name="conv"),
        layers.BatchNormalization(name="bn"), layers.ReLU(name="act"), layers.MaxPooling2D(name="pool"),
        layers.Conv2D(6, 3, activation="relu", name="conv2"), layers.Flatten(name="flat"),
        layers.Dropout(0.3, name="drop"), layers.Dense(5, activation="softmax", name="head")], name="cnn")
    rng = np.random.default_rng(seed)
    bn = model.get_layer("bn")
    bn.set_weights([rng.uniform(0.5, 1.5, 4), rng.normal(0, 0.3, 4), rng.normal(0, 0.3, 4), rng.uniform(0.5, 2, 4)])
    return model


def uniform(count: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (count, *shape)).astype(np.float32)


@pytest.fixture(scope="module")
def mlp_case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlp")
    model = mlp()
    model.save(folder / "mlp.keras")
    return folder / "mlp.keras", model


@pytest.fixture(scope="module")
def cnn_case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cnn")
    model = cnn()
    model.save(folder / "cnn.keras")
    blob = to_int8(model, uniform(64, (10, 10, 1), 5))
    (folder / "cnn.tflite").write_bytes(blob)
    return folder, blob


def report(path):
    return json.loads(path.read_text())


def test_bad_representative_sets_collapse_at_the_layer_that_saturates(mlp_case, tmp_path):
    keras_path, model = mlp_case
    test_x = uniform(SAMPLES, (16,), 7)  # dense inputs over [-1, 1]
    good = to_int8(model, uniform(200, (16,), 8))
    # one element at +-1, the rest 0: the input range [-1, 1] is covered, but a sum over 16 inputs is calibrated
    # on a single term, so the first Dense's output range is far too narrow and it saturates there (op 0)
    rng = np.random.default_rng(9)
    sparse_x = np.zeros((200, 16), np.float32)
    sparse_x[np.arange(200), rng.integers(0, 16, 200)] = rng.choice([-1.0, 1.0], 200)
    sparse = to_int8(model, sparse_x)
    tenth = to_int8(model, uniform(200, (16,), 8) / 10)  # input range a tenth of the real one: the input clips

    results = {}
    for label, blob in (("good", good), ("sparse", sparse), ("tenth", tenth)):
        doc = report(inspect_model(blob, tmp_path / label, keras_path, test_x, SAMPLES, device=False, title=label))
        results[label] = doc
    good_q, sparse_q, tenth_q = (results[k]["quantization"] for k in ("good", "sparse", "tenth"))
    assert good_q["collapse"]["first_below_floor"] is None
    assert all(row["quant"]["snr_db"] is None or row["quant"]["snr_db"] > 25 for row in results["good"]["layers"])

    assert sparse_q["input"]["snr_db"] > 30  # the input itself is fine
    assert sparse_q["collapse"]["first_below_floor"] == 0
    assert results["sparse"]["layers"][0]["keras"] == {"layer": "hidden1", "value": "output"}

    assert tenth_q["input"]["snr_db"] < 15
    assert tenth_q["collapse"]["first_below_floor"] == "input"
    text = (tmp_path / "sparse" / "inspect.md").read_text()
    assert "first layer below 15 dB SNR: op 0" in text


def test_matching_parity_and_a_planted_one_lsb_fault(cnn_case, tmp_path):
    folder, blob = cnn_case
    graph = read_graph(blob)
    kinds = [op.kind for op in graph.ops]
    fc = kinds.index("FULLY_CONNECTED")
    x = uniform(SAMPLES, (10, 10, 1), 11)

    clean = report(inspect_model(blob, tmp_path / "clean", folder / "cnn.keras", x, SAMPLES, device=False))
    matched = {row["kind"]: row["keras"] for row in clean["layers"]}
    assert kinds == ["CONV_2D", "MAX_POOL_2D", "CONV_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]
    assert [row["keras"]["layer"] for row in clean["layers"]] == ["act", "pool", "conv2", "flat", "head", "head"]
    assert matched["FULLY_CONNECTED"]["value"] == "pre-activation" and matched["SOFTMAX"]["value"] == "output"
    assert {"conv", "bn", "drop"} <= set(clean["quantization"]["keras_layers_without_tensor"])
    assert all(row["quant"]["snr_db"] is None or row["quant"]["snr_db"] > 20 for row in clean["layers"])
    assert clean["parity"]["first_difference"] == {"c_vs_tflm": None, "litert_vs_tflm": None}
    assert clean["layers"][fc]["parity"]["c_vs_tflm"] == "equal"

    element = 3

    def plant(c_text: str) -> str:
        """One LSB more in element 3 of the FC layer's output, inside its layer function."""
        pattern = re.compile(rf"(static void net_l{fc:02d}_fully_connected\([^)]*\)\n\{{\n[^\n]*\n)")
        assert pattern.search(c_text)
        return pattern.sub(lambda m: m.group(1) + f"    out[{element}] = (int8_t)(out[{element}] == 127 ? 126 : "
                                                   f"out[{element}] + 1);\n", c_text)

    faulty = report(inspect_model(blob, tmp_path / "faulty", None, x, SAMPLES, device=False, patch=plant))
    first = faulty["parity"]["first_difference"]["c_vs_tflm"]
    assert (first["op"], first["kind"], first["sample"], first["element"]) == (fc, "FULLY_CONNECTED", 0, element)
    c_value, tflm_value = first["values"]
    assert abs(c_value - tflm_value) == 1
    before = [row["parity"]["c_vs_tflm"] for row in faulty["layers"][:fc] if "c_vs_tflm" in row["parity"]]
    assert before and all(value == "equal" for value in before)
    assert faulty["parity"]["first_difference"]["litert_vs_tflm"] is None
    text = (tmp_path / "faulty" / "inspect.md").read_text()
    assert f"**Parity c vs tflm**: first difference at op {fc} (FULLY_CONNECTED), sample 0, element {element}" in text


def test_cli_random_inputs_and_bad_input_file(cnn_case, tmp_path, capsys):
    folder, _ = cnn_case
    out = tmp_path / "out"
    assert cli(["--tflite", str(folder / "cnn.tflite"), "--out", str(out), "--samples", "8", "--no-device"]) == 0
    doc = report(out / "layers.json")
    assert doc["samples"] == 8 and "random int8" in doc["inputs"] and doc["quantization"]["keras"] is None
    assert doc["parity"]["first_difference"]["c_vs_tflm"] is None
    assert (out / "inspect.md").is_file() and (out / "layers.png").stat().st_size > 1000

    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"not a model")
    assert cli(["--tflite", str(garbage), "--out", str(tmp_path / "g")]) == 2
    assert f"{garbage}: not a TFLite flatbuffer" in capsys.readouterr().err

    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 7), np.float32))
    assert cli(["--tflite", str(folder / "cnn.tflite"), "--inputs", str(bad), "--out", str(tmp_path / "b")]) == 2
    error = capsys.readouterr().err
    assert str(bad) in error and "do not fit the model input" in error
    assert not (tmp_path / "b").exists()


@pytest.mark.firmware
@pytest.mark.slow
def test_board_parity_and_profile_on_qemu(cnn_case, tmp_path):
    require_tool("arm-none-eabi-gcc")
    require_tool("qemu-system-arm")
    folder, blob = cnn_case
    doc = report(inspect_model(blob, tmp_path, folder / "cnn.keras", uniform(6, (10, 10, 1), 12), 6))
    board = doc["board"]
    assert board["run"] is True
    assert doc["parity"]["first_difference"]["board_vs_tflm"] is None
    assert doc["parity"]["first_difference"]["board_vs_c"] is None
    per_tick = board["instructions_per_tick"]
    # each layer is read to one SysTick tick; the hook's cost is subtracted per layer
    assert abs(board["difference"]) <= per_tick * board["hook_calls"]
    assert board["within_tolerance"] is True and 0 < board["hook_overhead_per_layer"] < 200
    weighted = [row for row in doc["layers"] if row["macs"] > 0]
    assert all(row["instructions"] > 0.3 * row["macs"] for row in weighted)
    assert "## Slowest layers first" in (tmp_path / "inspect.md").read_text()


def test_inspect_build_reads_the_build_folder_contract(cnn_case, tmp_path):
    folder, blob = cnn_case
    build = tmp_path / "app"
    (build / "models").mkdir(parents=True)
    (build / "train").mkdir()
    (build / "export").mkdir()
    (build / "models" / "int8.tflite").write_bytes(blob)
    (build / "train" / "float_model.keras").write_bytes((folder / "cnn.keras").read_bytes())
    x = uniform(12, (10, 10, 1), 13)
    np.savez(build / "export" / "expected.npz", model_inputs=x, labels=np.zeros(12, np.int64))
    path = inspect_build(build, samples=10, device=False)
    assert path == build / "inspect" / "layers.json"
    doc = report(path)
    assert doc["samples"] == 10 and doc["inputs"] == "first 10 float inputs of export/expected.npz (model_inputs)"
    assert doc["quantization"]["keras"].endswith("float_model.keras") and doc["layers"][0]["quant"] is not None
    assert (build / "inspect" / "inspect.md").is_file()
