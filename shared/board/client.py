"""Host side of the serial protocol: requests to a board (real port or the emulator's socket) and decoded replies.

    with open_port("/dev/ttyACM0") as port:          # or None: auto-detect the ST-LINK virtual COM port
        device = DeviceClient(port)
        print(device.info())
        result = device.infer(image_bytes)

Under QEMU, `Emulator(elf).serial` is the port (shared/board/emulator.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from shared.board.firmware import FirmwareError
from shared.board.protocol import (
    COUNTER_UNITS,
    ERROR_CODES,
    INFER_FIELDS,
    INFO_FIELDS,
    INFO_TEXTS,
    MESSAGE_TYPES,
    REPLY_FLAG,
    Frame,
    FrameDecoder,
    Rejected,
    encode_frame,
    error_name,
    field_offsets,
    unpack_fields,
)

BAUD_RATE = 115200
ST_LINK_VENDOR_ID = 0x0483  # STMicroelectronics: the ST-LINK/V2-1 on the DISCO board enumerates with it


class DeviceError(RuntimeError):
    """The board answered with an ERROR frame, or did not answer in time."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DeviceInfo:
    protocol_version: int
    counter_unit: str  # "instructions" (emulator, exact) or "cycles" (real board, DWT)
    input_type: int
    input_shape: tuple[int, ...]
    input_bytes: int
    feature_count: int
    output_count: int
    app: str
    model: str
    firmware_version: str
    board: str
    rx_bytes_lost: int  # received bytes dropped because the device's receive ring was full (should stay 0)


@dataclass(frozen=True)
class InferResult:
    label: int  # the app's class (argmax of the scores, or its decision over the stream), computed on the device
    scores: np.ndarray  # (output_count,) int8
    feature_count: int  # instructions or cycles (DeviceInfo.counter_unit) spent on features
    inference_count: int  # ... and on the model


def find_board_port() -> str:
    """The one serial port that looks like an ST-LINK virtual COM port, or FirmwareError listing what is there."""
    from serial.tools import list_ports

    ports = list(list_ports.comports())
    candidates = [p for p in ports if p.vid == ST_LINK_VENDOR_ID or "stlink" in (p.description or "").lower()]
    if len(candidates) == 1:
        return candidates[0].device
    seen = ", ".join(f"{p.device} ({p.description})" for p in ports) or "no serial ports at all"
    if not candidates:
        raise FirmwareError(f"no ST-LINK serial port found (is the board plugged in?); ports: {seen}; use --port")
    raise FirmwareError(f"several ST-LINK serial ports: {seen}; choose one with --port")


def open_port(port: str | None, timeout_s: float = 0.2):
    """A pyserial port: a device path, a pyserial URL (socket://127.0.0.1:PORT), or None to auto-detect the board."""
    import serial

    name = port or find_board_port()
    try:
        return serial.serial_for_url(name, baudrate=BAUD_RATE, timeout=timeout_s)
    except serial.SerialException as error:
        raise FirmwareError(f"cannot open serial port {name}: {error}") from None


class DeviceClient:
    """Request/reply over one open port. Sequence numbers run 1..255 (0 marks replies to unreadable frames)."""

    def __init__(self, port, reply_timeout_s: float = 30.0) -> None:
        self.port = port
        self.reply_timeout_s = reply_timeout_s
        self.decoder = FrameDecoder()
        self._seq = 0
        self.stray_frames: list[Frame | Rejected] = []  # replies to other requests (e.g. errors for garbage)
        self.retries = 0
        self.retry_reasons: list[str] = []

    def next_seq(self) -> int:
        self._seq = self._seq % 255 + 1
        return self._seq

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are (tests send garbage and damaged frames through this)."""
        self.port.write(data)
        self.port.flush()

    def request(self, name: str, payload: bytes = b"", timeout_s: float | None = None, retries: int = 2) -> Frame:
        """Send one request and return the device's reply frame; DeviceError on an ERROR reply or a timeout.

        A request the device saw damaged (BAD_CRC: line noise; TRUNCATED: the line stalled) is sent again, up to
        `retries` times; `self.retries` counts how often that happened."""
        msg_type = MESSAGE_TYPES[name]
        for attempt in range(retries + 1):
            seq = self.next_seq()
            self.send_raw(encode_frame(msg_type, seq, payload))
            try:
                return self.wait_reply(msg_type, seq, timeout_s)
            except DeviceError as error:
                damaged = error.code in (ERROR_CODES["BAD_CRC"], ERROR_CODES["TRUNCATED"])
                if not damaged or attempt == retries:
                    raise
                self.retries += 1
                self.retry_reasons.append(str(error))
        raise AssertionError("unreachable")

    def wait_reply(self, msg_type: int, seq: int, timeout_s: float | None = None) -> Frame:
        deadline = time.monotonic() + (timeout_s or self.reply_timeout_s)
        while time.monotonic() < deadline:
            for event in self.decoder.feed(self.port.read(max(1, self.port.in_waiting))):
                if isinstance(event, Frame) and event.seq == seq:
                    if event.type == (msg_type | REPLY_FLAG):
                        return event
                    if event.type == MESSAGE_TYPES["ERROR"]:
                        code = event.payload[0] if event.payload else 0
                        raise DeviceError(f"device answered request {seq} with {error_name(code)}", code)
                self.stray_frames.append(event)
        raise DeviceError(f"no reply to request {seq} (type {msg_type}) within {timeout_s or self.reply_timeout_s} s")

    def info(self) -> DeviceInfo:
        payload = self.request("INFO").payload
        texts = payload[field_offsets(INFO_FIELDS)["FIXED_BYTES"] :].split(b"\0")
        if len(texts) < len(INFO_TEXTS):
            raise DeviceError(f"INFO reply too short: {payload!r}")
        text = {name: piece.decode(errors="replace") for name, piece in zip(INFO_TEXTS, texts, strict=False)}
        field = unpack_fields(INFO_FIELDS, payload)
        unit = field["COUNTER_UNIT"]
        unit_name = {v: k.lower() for k, v in COUNTER_UNITS.items()}.get(unit, f"unit {unit}")
        return DeviceInfo(
            field["VERSION"], unit_name, field["INPUT_TYPE"], field["INPUT_SHAPE"][: field["INPUT_RANK"]],
            field["INPUT_BYTES"], field["FEATURE_COUNT"], field["OUTPUT_COUNT"],
            text["app"], text["model"], text["firmware_version"], text["board"], field["RX_BYTES_LOST"],
        )  # fmt: skip

    def infer(self, raw: bytes) -> InferResult:
        payload = self.request("INFER", bytes(raw)).payload
        fixed = field_offsets(INFER_FIELDS)["FIXED_BYTES"]
        field = unpack_fields(INFER_FIELDS, payload)
        count = field["SCORE_COUNT"]
        scores = np.frombuffer(payload[fixed : fixed + count], dtype=np.int8).copy()
        if scores.size != count:
            raise DeviceError(f"INFER reply holds {scores.size} scores, announces {count}")
        return InferResult(field["LABEL"], scores, field["FEATURE_COUNTER"], field["INFERENCE_COUNTER"])

    def features(self, raw: bytes) -> np.ndarray:
        """(feature_count,) float32, exactly the bits the device computed."""
        return np.frombuffer(self.request("FEATURES", bytes(raw)).payload, dtype="<f4").copy()

    def reset(self) -> None:
        """RESET: the next INFER starts a new stream (an app deciding over several inputs forgets the earlier)."""
        self.request("RESET")

    def echo(self, payload: bytes) -> bytes:
        return self.request("ECHO", payload).payload


def is_error(event: Frame | Rejected, code_name: str) -> bool:
    """True for an ERROR frame carrying ERROR_CODES[code_name]."""
    return (
        isinstance(event, Frame)
        and event.type == MESSAGE_TYPES["ERROR"]
        and bool(event.payload)
        and event.payload[0] == ERROR_CODES[code_name]
    )
