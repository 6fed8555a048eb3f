"""The serial firmware on the emulated Cortex-M7 (shared/board/emulator.py + client.py against firmware/core).

The device must answer INFO, INFER and FEATURES exactly as the stand-in model's Python twin says, refuse bad
requests with the right ERROR, and survive 1000 garbage and damaged frames interleaved with valid requests:
every valid request answered correctly, every bad one answered with an error or ignored, no hang.
"""

import random
import time

import numpy as np
import pytest

from shared.board.client import DeviceClient, DeviceError, is_error
from shared.board.emulator import Emulator, run_bulk, run_semihosting
from shared.board.firmware import FirmwareError
from shared.board.protocol import ERROR_CODES, HEADER_BYTES, MAX_PAYLOAD_BYTES, MESSAGE_TYPES, Frame, encode_frame
from tests.conftest import require_tool
from tests.firmware.standin import pixel_features, standin_scores

pytestmark = pytest.mark.firmware

GARBAGE_ITEMS = 1000


@pytest.fixture(scope="module")
def device(standin_serial_image):
    require_tool("qemu-system-arm")
    with Emulator(standin_serial_image.elf) as emulator:
        yield DeviceClient(emulator.serial, reply_timeout_s=20)


def _images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 784), dtype=np.uint8)


def test_info_round_trip(device):
    info = device.info()
    assert (info.app, info.model, info.board, info.firmware_version) == ("mnist", "standin", "mps2-an500", "0.1.0")
    assert (info.input_shape, info.input_bytes, info.feature_count, info.output_count) == ((28, 28), 784, 784, 10)
    assert info.counter_unit == "instructions"


def test_infer_and_features_match_the_host(device):
    images = _images(8, seed=1)
    expected = standin_scores(images)
    for image, scores, features in zip(images, expected, pixel_features(images), strict=True):
        result = device.infer(image.tobytes())
        np.testing.assert_array_equal(result.scores, scores)
        assert result.label == int(np.argmax(scores))
        # 784 pixels at 7 instructions each (ldrb, vmov, vcvt, vdiv, vstmia, cmp, bne), resolution 40
        assert 784 * 7 <= result.feature_count <= 784 * 7 + 200
        assert result.inference_count > 784 * 5
        np.testing.assert_array_equal(device.features(image.tobytes()).view(np.uint32), features.view(np.uint32))


@pytest.mark.parametrize(
    ("name", "payload", "error"),
    [("INFER", bytes(783), "WRONG_INPUT_SIZE"), ("FEATURES", bytes(785), "WRONG_INPUT_SIZE")],
)
def test_wrong_input_size_is_an_error(device, name, payload, error):
    with pytest.raises(DeviceError) as raised:
        device.request(name, payload, retries=0)
    assert raised.value.code == ERROR_CODES[error]


def test_unknown_type_is_an_error(device):
    seq = device.next_seq()
    device.send_raw(encode_frame(0x42, seq, b"x"))
    with pytest.raises(DeviceError) as raised:
        device.wait_reply(0x42, seq)
    assert raised.value.code == ERROR_CODES["UNKNOWN_TYPE"]


def test_largest_payload_echoes(device):
    payload = random.Random(2).randbytes(MAX_PAYLOAD_BYTES)
    assert device.echo(payload) == payload


def _bad_item(rng: random.Random, seq: int, cut_budget: list[int]) -> bytes:
    """One garbage or damaged frame that the device must reject or ignore (never answer as valid)."""
    kind = rng.randrange(8)
    frame = bytearray(encode_frame(MESSAGE_TYPES["INFER"], seq, rng.randbytes(rng.choice([16, 100, 784]))))
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 300))
    if kind == 1:  # 1-3 bit flips: header check or CRC-32 catches every one of them
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(2, len(frame))
            frame[at] ^= 1 << rng.randrange(8)
        return bytes(frame)
    if kind == 2 and cut_budget[0] > 0:  # cut short: the next frame completes it, or the 1 s idle timeout ends it
        cut_budget[0] -= 1
        return bytes(frame[: rng.randrange(HEADER_BYTES, len(frame) - 1)])
    if kind == 3:  # unknown type
        return encode_frame(rng.choice([0x00, 0x05, 0x42, 0x81, 0xFF]), seq, rng.randbytes(rng.randrange(20)))
    if kind == 4:  # wrong input size
        return encode_frame(MESSAGE_TYPES["INFER"], seq, rng.randbytes(rng.choice([0, 1, 783, 785])))
    if kind == 5:  # damaged CRC-32
        frame[-1] ^= 0xFF
        return bytes(frame)
    if kind == 6:  # one byte deleted from the payload
        del frame[rng.randrange(HEADER_BYTES, len(frame) - 4)]
        return bytes(frame)
    return rng.randbytes(rng.randrange(1, 40)) + b"\xa5\x5a" + rng.randbytes(rng.randrange(8))


def test_garbage_interleaved_with_valid_requests(device):
    rng = random.Random(20261126)
    images = _images(GARBAGE_ITEMS // 4, seed=3)
    expected = standin_scores(images)
    cut_budget = [20]
    answered = 0
    device.stray_frames.clear()
    start = time.monotonic()
    for i in range(GARBAGE_ITEMS):
        device.send_raw(_bad_item(rng, device.next_seq(), cut_budget))
        if i % 4 == 3:
            result = device.infer(images[i // 4].tobytes())
            np.testing.assert_array_equal(result.scores, expected[i // 4], err_msg=f"valid request after item {i}")
            answered += 1
    info = device.info()  # still alive and in sync
    assert info.app == "mnist"
    assert info.rx_bytes_lost == 0
    assert answered == GARBAGE_ITEMS // 4
    # Only a host stalling QEMU for over a second mid-frame (idle virtual time follows real time) may make the device
    # report a valid request TRUNCATED (the client then sends it again); more than that would be a bug.
    assert device.retries <= answered // 50, f"valid requests reported damaged: {device.retry_reasons}"
    replies = [e for e in device.stray_frames if isinstance(e, Frame)]
    assert all(e.type == MESSAGE_TYPES["ERROR"] for e in replies), "a bad frame got a normal reply"
    assert any(is_error(e, "WRONG_INPUT_SIZE") for e in replies)
    assert any(is_error(e, "BAD_CRC") for e in replies)
    assert time.monotonic() - start < 180


def test_semihosting_bulk_matches_host(standin_semihosting_image, tmp_path):
    require_tool("qemu-system-arm")
    images = _images(200, seed=4)
    result = run_bulk(standin_semihosting_image.elf, images, tmp_path, timeout_s=120)
    np.testing.assert_array_equal(result.scores, standin_scores(images))
    np.testing.assert_array_equal(result.features.view(np.uint32), pixel_features(images).view(np.uint32))
    assert np.all(result.inference_counts > 0)


def test_semihosting_refuses_a_partial_input(standin_semihosting_image, tmp_path):
    require_tool("qemu-system-arm")
    (tmp_path / "inputs.bin").write_bytes(bytes(784 + 100))
    with pytest.raises(FirmwareError, match=r"exited with 4 under QEMU: inputs\.bin is not whole inputs"):
        run_semihosting(standin_semihosting_image.elf, tmp_path, timeout_s=60)


def test_a_frame_cut_short_is_given_up_after_silence(device):
    seq = device.next_seq()
    device.send_raw(encode_frame(MESSAGE_TYPES["INFER"], seq, bytes(784))[:100])  # then nothing
    with pytest.raises(DeviceError) as raised:
        device.wait_reply(MESSAGE_TYPES["INFER"], seq, timeout_s=10)  # the device's idle timeout is 1 s
    assert raised.value.code == ERROR_CODES["TRUNCATED"]
    assert device.info().app == "mnist"
