"""shared/board/client.py without a board: port auto-detection and the reply handling, over a fake serial port."""

from types import SimpleNamespace

import pytest

from shared.board import client
from shared.board.client import DeviceClient, DeviceError, find_board_port
from shared.board.firmware import FirmwareError
from shared.board.protocol import ERROR_CODES, MESSAGE_TYPES, REPLY_FLAG, encode_frame


def _ports(monkeypatch, ports):
    from serial.tools import list_ports

    monkeypatch.setattr(list_ports, "comports", lambda: ports)


def _port(device, vid=None, description="n/a"):
    return SimpleNamespace(device=device, vid=vid, description=description)


def test_the_one_st_link_port_is_found(monkeypatch):
    _ports(monkeypatch, [_port("/dev/ttyS0"), _port("/dev/ttyACM0", client.ST_LINK_VENDOR_ID, "STM32 STLink")])
    assert find_board_port() == "/dev/ttyACM0"


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ([_port("/dev/ttyS0")], "no ST-LINK serial port found"),
        ([_port("/dev/ttyACM0", 0x0483), _port("/dev/ttyACM1", 0x0483)], "several ST-LINK serial ports"),
    ],
)
def test_no_or_several_boards_say_use_port(monkeypatch, ports, message):
    _ports(monkeypatch, ports)
    with pytest.raises(FirmwareError, match=message):
        find_board_port()


class ScriptedPort:
    """A fake port that answers each written frame with the frames a function of it returns."""

    def __init__(self, answer):
        self.answer = answer
        self.pending = b""
        self.in_waiting = 0

    def write(self, data):
        self.pending += self.answer(data)
        self.in_waiting = len(self.pending)

    def flush(self):
        pass

    def read(self, n):
        out, self.pending = self.pending[:n], self.pending[n:]
        self.in_waiting = len(self.pending)
        return out


def test_a_damaged_request_is_sent_again_and_strays_are_kept():
    attempts = []

    def answer(frame):
        seq = frame[3]
        attempts.append(seq)
        stray = encode_frame(MESSAGE_TYPES["ERROR"], 0, bytes([ERROR_CODES["BAD_CRC"], 0]))
        if len(attempts) == 1:  # first try: the device saw it damaged
            return stray + encode_frame(MESSAGE_TYPES["ERROR"], seq, bytes([ERROR_CODES["BAD_CRC"], 4]))
        return b"noise" + encode_frame(MESSAGE_TYPES["ECHO"] | REPLY_FLAG, seq, frame[8:-4])

    device = DeviceClient(ScriptedPort(answer), reply_timeout_s=1)
    assert device.echo(b"hello") == b"hello"
    assert device.retries == 1 and attempts == [1, 2]
    assert len(device.stray_frames) == 1


def test_an_error_reply_raises_with_its_code():
    def answer(frame):
        return encode_frame(MESSAGE_TYPES["ERROR"], frame[3], bytes([ERROR_CODES["WRONG_INPUT_SIZE"], 2]))

    with pytest.raises(DeviceError, match="WRONG_INPUT_SIZE") as raised:
        DeviceClient(ScriptedPort(answer), reply_timeout_s=1).infer(b"x")
    assert raised.value.code == ERROR_CODES["WRONG_INPUT_SIZE"]


def test_silence_is_a_timeout():
    with pytest.raises(DeviceError, match="no reply"):
        DeviceClient(ScriptedPort(lambda frame: b""), reply_timeout_s=0.2).info()
