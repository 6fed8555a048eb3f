"""shared/board/verify.py end to end on the emulator with the stand-in model: serial and bulk paths, features bit
for bit, scores byte for byte, and a planted disagreement reported with its sample and index."""

import numpy as np
import pytest

from shared.board.emulator import Emulator
from shared.board.verify import (
    HostReference,
    device_result,
    not_run,
    raw_bytes,
    summary,
    verify_on_emulator,
    verify_on_port,
)
from tests.conftest import require_tool
from tests.firmware.standin import pixel_features, standin_scores

pytestmark = pytest.mark.firmware


def _sizes(image) -> dict:
    """A firmware/images.json entry for a FirmwareImage."""
    return {"elf": str(image.elf), "flash_bytes": image.flash_bytes, "ram_bytes": image.ram_bytes,
            "fits_stm32f746": image.fits()}


def test_verify_on_emulator_reports_agreement_and_a_planted_mismatch(standin_serial_image, standin_semihosting_image):
    require_tool("qemu-system-arm")
    images = np.random.default_rng(5).integers(0, 256, size=(300, 784), dtype=np.uint8)
    expected = standin_scores(images)
    labels = np.argmax(expected, axis=1)
    labels[:30] = (labels[:30] + 1) % 10  # 10 % of labels wrong: device accuracy must say 0.9
    planted = expected.copy()
    planted[7, 3] += 1  # the host "says" something else for sample 7
    features = pixel_features(images)
    reference = HostReference(images, planted, labels, host_features=features, numpy_features=features + 1e-7)

    metrics = verify_on_emulator("mnist", standin_serial_image.elf, standin_semihosting_image.elf, reference,
                                 _sizes(standin_serial_image), _sizes(standin_serial_image), serial_samples=20)

    print({k: v for k, v in metrics.items() if k != "problems"})
    assert (metrics["board"], metrics["status"]) == ("mps2-an500", "failed")
    assert (metrics["samples"], metrics["details"]["serial_samples"]) == (300, 20)
    assert metrics["agree_with_host"] == pytest.approx(299 / 300)
    assert metrics["accuracy"] == pytest.approx(0.9)
    assert metrics["details"]["stm32f746g_disco"]["fits"]
    assert metrics["counter"]["per_inference"] > 0 and metrics["counter"]["features_per_sample"] > 0
    assert metrics["counter"]["unit"] == "instructions"
    assert metrics["details"]["serial_bytes_per_second"] > 1000
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
        metrics = verify_on_port("mnist", emulator.url, reference, "standin", samples=10)
    assert metrics["problems"] == [] and metrics["status"] == "passed"
    assert (metrics["board"], metrics["samples"], metrics["agree_with_host"], metrics["accuracy"]) == (
        "mps2-an500", 10, 1.0, 1.0,
    )  # fmt: skip
    assert metrics["counter"]["per_inference"] > 0


def test_verify_on_port_refuses_another_app(standin_serial_image):
    require_tool("qemu-system-arm")
    images = np.zeros((2, 784), dtype=np.uint8)
    reference = HostReference(images, np.zeros((2, 10), np.int8), np.zeros(2, int))
    with Emulator(standin_serial_image.elf) as emulator:
        emulator.serial.close()
        metrics = verify_on_port("kws", emulator.url, reference)
    assert metrics["problems"] == ["the board runs app 'mnist', not 'kws'"] and metrics["status"] == "failed"


def test_verify_on_port_catches_a_board_with_another_model(standin_serial_image):
    require_tool("qemu-system-arm")
    images = np.zeros((2, 784), dtype=np.uint8)
    reference = HostReference(images, standin_scores(images), np.zeros(2, int))
    with Emulator(standin_serial_image.elf) as emulator:
        emulator.serial.close()
        metrics = verify_on_port("mnist", emulator.url, reference, "int8-0123456789ab")
    assert metrics["problems"] == ["the board runs model 'standin', not 'int8-0123456789ab': flash the new image"]


def test_device_sections_have_one_schema():
    """Every path gives the same keys: a board that answered, one that did not, a skipped step."""
    answered = device_result("mps2-an500", [], {"samples": 1, "agree_with_host": 1.0, "accuracy": 1.0},
                             "instructions", {"feature": np.array([4]), "inference": np.array([6])},
                             {"flash_bytes": 1, "ram_bytes": 2}, {})
    silent = device_result("stm32f746g-disco", ["the board runs app 'x', not 'y'"], None, "cycles", None, None, {})
    skipped = not_run("skipped", "run with --no-device")
    assert set(answered) == set(silent) == set(skipped)
    assert set(answered["counter"]) == set(silent["counter"]) == set(skipped["counter"])
    assert answered["counter"] == {"unit": "instructions", "per_inference": 6, "features_per_sample": 4}
    assert (answered["status"], silent["status"], skipped["status"]) == ("passed", "failed", "skipped")
    assert summary(skipped) == "device: skipped (run with --no-device)"
    with pytest.raises(ValueError):
        not_run("skipped by --no-device", "")


def test_raw_bytes_are_little_endian_whatever_the_dtype():
    pcm = np.array([[1, -2]], dtype=">i2")  # big-endian on purpose
    assert raw_bytes(pcm).tobytes() == b"\x01\x00\xfe\xff"
    assert raw_bytes(np.array([[1.0]], dtype=np.float32)).tobytes() == b"\x00\x00\x80\x3f"
    assert raw_bytes(np.zeros((3, 28, 28), np.uint8)).shape == (3, 784)
