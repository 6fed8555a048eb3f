"""shared/board/verify.py end to end on the emulator with the stand-in model: serial and bulk paths, features bit
for bit, scores byte for byte, and a planted disagreement reported with its sample and index."""

import numpy as np
import pytest

from shared.board.emulator import Emulator
from shared.board.verify import HostReference, raw_bytes, verify_on_emulator, verify_on_port
from tests.conftest import require_tool
from tests.firmware.standin import pixel_features, standin_scores, write_generated_dir

pytestmark = pytest.mark.firmware


def test_verify_on_emulator_reports_agreement_and_a_planted_mismatch(tmp_path):
    for tool in ("cmake", "arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    images = np.random.default_rng(5).integers(0, 256, size=(300, 784), dtype=np.uint8)
    expected = standin_scores(images)
    labels = np.argmax(expected, axis=1)
    labels[:30] = (labels[:30] + 1) % 10  # 10 % of labels wrong: device accuracy must say 0.9
    planted = expected.copy()
    planted[7, 3] += 1  # the host "says" something else for sample 7
    features = pixel_features(images)
    reference = HostReference(images, planted, labels, host_features=features, numpy_features=features + 1e-7)

    metrics = verify_on_emulator("mnist", write_generated_dir(tmp_path / "gen"), tmp_path / "fw", reference, 20)

    print({k: v for k, v in metrics.items() if k != "problems"})
    assert metrics["board"] == "mps2-an500"
    assert (metrics["samples"], metrics["serial_samples"]) == (300, 20)
    assert metrics["agree_with_host"] == pytest.approx(299 / 300)
    assert metrics["accuracy"] == pytest.approx(0.9)
    assert metrics["stm32f746g_disco"]["fits"]
    assert metrics["instructions_per_inference"] > 0 and metrics["feature_instructions_per_sample"] > 0
    assert metrics["serial_bytes_per_second"] > 1000
    problems = metrics["problems"]
    assert len(problems) == 2, problems
    assert problems[0].startswith("serial: sample 7: device scores differ from host at index 3")
    assert problems[1].startswith("bulk: sample 7: device scores differ from host at index 3")


def test_verify_on_port_runs_the_real_board_path(standin_serial_image):
    """verify_on_port, the `python -m <app> device --port` path, against the emulator's socket as the 'port'."""
    require_tool("qemu-system-arm")
    images = np.random.default_rng(6).integers(0, 256, size=(12, 784), dtype=np.uint8)
    expected = standin_scores(images)
    reference = HostReference(images, expected, np.argmax(expected, axis=1), host_features=pixel_features(images))
    with Emulator(standin_serial_image.elf) as emulator:
        emulator.serial.close()  # QEMU's tcp server takes the next client: verify_on_port connects as a port would
        metrics = verify_on_port("mnist", emulator.url, reference, samples=10)
    assert metrics["problems"] == []
    assert (metrics["board"], metrics["samples"], metrics["agree_with_host"], metrics["accuracy"]) == (
        "mps2-an500", 10, 1.0, 1.0,
    )  # fmt: skip
    assert metrics["instructions_per_inference"] > 0


def test_verify_on_port_refuses_another_app(standin_serial_image):
    require_tool("qemu-system-arm")
    images = np.zeros((2, 784), dtype=np.uint8)
    reference = HostReference(images, np.zeros((2, 10), np.int8), np.zeros(2, int))
    with Emulator(standin_serial_image.elf) as emulator:
        emulator.serial.close()
        metrics = verify_on_port("kws", emulator.url, reference)
    assert metrics["problems"] == ["the board runs app 'mnist', not 'kws'"]


def test_raw_bytes_are_little_endian_whatever_the_dtype():
    pcm = np.array([[1, -2]], dtype=">i2")  # big-endian on purpose
    assert raw_bytes(pcm).tobytes() == b"\x01\x00\xfe\xff"
    assert raw_bytes(np.array([[1.0]], dtype=np.float32)).tobytes() == b"\x00\x00\x80\x3f"
    assert raw_bytes(np.zeros((3, 28, 28), np.uint8)).shape == (3, 784)
