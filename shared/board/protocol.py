"""The framed serial protocol between the host and the board: codes, encoding, and a resynchronising decoder.

This module is the single definition of everything both sides of the wire must agree on: message types, error codes,
counter units, the layouts of the INFO and INFER replies and of the bulk firmware's outputs.bin, its magic number and
exit codes, and the firmware's banner. `write_codes_header` generates the C header `protocol_codes.h` the firmware
is built with (tests/board/test_protocol.py compares the two entry by entry), and `FrameDecoder` is the Python twin
of the C parser.

Frame layout (all integers little-endian, the byte order of both Cortex-M7 boards):

    offset  size  field
    0       2     sync bytes A5 5A
    2       1     type      (request types below; a reply sets bit 7, ERROR is its own type)
    3       1     sequence  (chosen by the host, echoed by the device)
    4       2     payload length in bytes, 0..MAX_PAYLOAD_BYTES
    6       2     header check: CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of bytes 2..5
    8       n     payload
    8+n     4     frame check: CRC-32 (IEEE 802.3, zlib's) of bytes 2..5 and the payload

Two checks because the length must be trusted before the payload arrives: a corrupted length caught by the header
check costs one dropped byte; a corrupted payload is caught by the CRC-32 (zlib.crc32 and binascii.crc_hqx are the
independent oracles for the C code). After any rejected frame, scanning resumes one byte after its first sync byte,
so a valid frame hidden inside a bad one is still found.
"""

from __future__ import annotations

import binascii
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from shared.c_source import generated_header, include_guard

SYNC = b"\xa5\x5a"
HEADER_BYTES = 8
CRC_BYTES = 4
# One second of 8 kHz int16 audio is 16000 bytes; 16384 leaves room for a small header in the payload.
MAX_PAYLOAD_BYTES = 16384
PROTOCOL_VERSION = 2  # 2: RESET, LABEL is the app's decision, bulk records carry it
REPLY_FLAG = 0x80

# Message types, requests sent by the host; the device answers with type | REPLY_FLAG, or ERROR.
MESSAGE_TYPES: dict[str, int] = {
    "INFO": 0x01,  # -> app, model, input shape/bytes, feature count, outputs, firmware version, board
    "INFER": 0x02,  # raw input -> class, int8 scores, feature and inference counter deltas
    "FEATURES": 0x03,  # raw input -> the float32 features the app computed on the device
    "ECHO": 0x04,  # payload -> the same payload (link tests and throughput)
    "RESET": 0x06,  # -> empty reply; the next INFER starts a new stream (the app forgets earlier inputs)
    "ERROR": 0x7F,  # device -> host only: code, offending request type
}

# Error codes carried by an ERROR reply.
ERROR_CODES: dict[str, int] = {
    "BAD_CRC": 1,  # header fine, CRC-32 of the frame wrong
    "BAD_LENGTH": 2,  # header fine, length above MAX_PAYLOAD_BYTES
    "UNKNOWN_TYPE": 3,  # frame fine, type not a request type
    "WRONG_INPUT_SIZE": 4,  # INFER/FEATURES payload is not the app's raw input size
    "TRUNCATED": 5,  # the line went quiet in the middle of a frame
    "APP_FAILED": 6,  # the app's features or model returned an error
}

# Counter units reported in INFO (what INFER's counts mean on this board).
COUNTER_UNITS: dict[str, int] = {
    "INSTRUCTIONS": 0,  # SysTick under qemu -icount shift=0: one tick per 40 instructions on mps2-an500
    "CYCLES": 1,  # DWT CYCCNT on a real Cortex-M7
}

# Fixed-size parts of replies and files, as (NAME, struct code, count) in wire order; little-endian, no padding.
# B uint8, H uint16, I uint32. The C header gets NAME's byte offset (and count, for an array) from these tables.
Layout = tuple[tuple[str, str, int], ...]
_FIELD_BYTES = {"B": 1, "H": 2, "I": 4}

# INFO reply; four NUL-terminated texts follow: app, model, firmware version, board.
INFO_FIELDS: Layout = (
    ("VERSION", "B", 1),  # PROTOCOL_VERSION
    ("COUNTER_UNIT", "B", 1),  # COUNTER_UNITS
    ("INPUT_TYPE", "B", 1),  # element type of the raw input (firmware/core/app.h, APP_INPUT_*)
    ("INPUT_RANK", "B", 1),  # dimensions used in INPUT_SHAPE
    ("INPUT_SHAPE", "H", 4),  # raw input shape, unused dimensions 0
    ("INPUT_BYTES", "I", 1),  # exact INFER/FEATURES payload size
    ("FEATURE_COUNT", "I", 1),  # float32 features the app computes
    ("OUTPUT_COUNT", "I", 1),  # int8 scores (one per class)
    ("RX_BYTES_LOST", "I", 1),  # received bytes dropped because the receive ring was full (should stay 0)
)
INFO_TEXTS = ("app", "model", "firmware_version", "board")

# INFER reply; SCORE_COUNT int8 scores follow.
INFER_FIELDS: Layout = (
    ("LABEL", "H", 1),  # the app's class (app_decide): argmax of the scores, or a decision over the stream
    ("SCORE_COUNT", "H", 1),
    ("FEATURE_COUNTER", "I", 1),  # counter delta (COUNTER_UNIT) spent on the features
    ("INFERENCE_COUNTER", "I", 1),  # ... and on the model
)

# outputs.bin of the semihosting (bulk) firmware; per input follow: int8 scores[OUTPUT_COUNT], uint32 feature
# counter delta, uint32 inference counter delta, uint32 the app's class (as INFER's LABEL), float32
# features[FEATURE_COUNT].
BULK_FIELDS: Layout = (
    ("MAGIC", "I", 1),  # BULK_MAGIC
    ("VERSION", "I", 1),  # PROTOCOL_VERSION
    ("OUTPUT_COUNT", "I", 1),
    ("FEATURE_COUNT", "I", 1),
    ("COUNTER_UNIT", "I", 1),
    ("INPUT_BYTES", "I", 1),
)
BULK_MAGIC = int.from_bytes(b"TMLO", "little")

# Exit statuses of the bulk firmware (QEMU exits with them), and what each means.
BULK_EXIT_CODES: dict[str, tuple[int, str]] = {
    "OK": (0, "finished"),
    "NO_INPUT": (2, "cannot open inputs.bin"),
    "NO_OUTPUT": (3, "cannot write outputs.bin"),
    "SHORT_INPUT": (4, "inputs.bin is not whole inputs"),
    "APP_FAILED": (5, "the app's features or model failed"),
    "FAULT": (6, "hard fault"),
}

# The serial firmware's first line: START, firmware version, APP, app name, BOARD, board name, END.
BANNER_TEXTS: dict[str, str] = {"START": "\r\ntinyml-labs ", "APP": " ready: app=", "BOARD": " board=", "END": "\r\n"}


def struct_format(layout: Layout) -> str:
    """The `struct` format of a layout ("<BBBB4HIIII" for INFO_FIELDS)."""
    return "<" + "".join(f"{count if count > 1 else ''}{code}" for _, code, count in layout)


def field_offsets(layout: Layout) -> dict[str, int]:
    """Byte offset of every field, and "FIXED_BYTES": the size of the whole fixed part."""
    offsets: dict[str, int] = {}
    at = 0
    for name, code, count in layout:
        offsets[name] = at
        at += _FIELD_BYTES[code] * count
    offsets["FIXED_BYTES"] = at
    return offsets


def unpack_fields(layout: Layout, data: bytes) -> dict[str, int | tuple[int, ...]]:
    """The fixed part of `data` decoded by name (an array field gives a tuple); struct.error if `data` is short."""
    values = iter(struct.unpack_from(struct_format(layout), data))
    return {name: tuple(next(values) for _ in range(count)) if count > 1 else next(values)
            for name, _, count in layout}  # fmt: skip


_LAYOUTS: dict[str, Layout] = {"INFO": INFO_FIELDS, "INFER": INFER_FIELDS, "BULK": BULK_FIELDS}


def _layout_constants() -> dict[str, int]:
    names: dict[str, int] = {}
    for prefix, layout in _LAYOUTS.items():
        for name, offset in field_offsets(layout).items():
            names[f"{prefix}_{name}" if name == "FIXED_BYTES" else f"{prefix}_{name}_OFFSET"] = offset
        names.update({f"{prefix}_{name}_COUNT": count for name, _, count in layout if count > 1})
    return names


_C_CONSTANTS: dict[str, int] = {
    "PROTOCOL_SYNC0": SYNC[0],
    "PROTOCOL_SYNC1": SYNC[1],
    "PROTOCOL_HEADER_BYTES": HEADER_BYTES,
    "PROTOCOL_CRC_BYTES": CRC_BYTES,
    "PROTOCOL_MAX_PAYLOAD_BYTES": MAX_PAYLOAD_BYTES,
    "PROTOCOL_VERSION": PROTOCOL_VERSION,
    "PROTOCOL_REPLY_FLAG": REPLY_FLAG,
}


def c_constants() -> dict[str, int]:
    """Every constant of the C header, name -> value (what the header must define, entry by entry)."""
    names = dict(_C_CONSTANTS)
    names.update({f"MSG_{name}": code for name, code in MESSAGE_TYPES.items()})
    names.update({f"ERR_{name}": code for name, code in ERROR_CODES.items()})
    names.update({f"COUNTER_{name}": code for name, code in COUNTER_UNITS.items()})
    names.update(_layout_constants())
    names["BULK_MAGIC"] = BULK_MAGIC
    names.update({f"BULK_EXIT_{name}": code for name, (code, _) in BULK_EXIT_CODES.items()})
    return names


def c_texts() -> dict[str, str]:
    """Every string constant of the C header, name -> text."""
    return {f"PROTOCOL_BANNER_{name}": text for name, text in BANNER_TEXTS.items()}


def _c_string(text: str) -> str:
    """A C string literal of printable ASCII text with \\r, \\n escaped (all the banner needs)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    if not escaped.isascii() or not escaped.isprintable():
        raise ValueError(f"{text!r}: only printable ASCII, CR and LF go into protocol_codes.h")
    return f'"{escaped}"'


def codes_header_text() -> str:
    """Text of firmware's protocol_codes.h (generated into the build tree, never committed)."""
    opening, closing = include_guard("protocol_codes")
    lines = [
        generated_header("shared.board.protocol", "shared/board/protocol.py", "python -m shared.board.protocol OUT.h"),
        opening,
    ]
    lines += [f"#define {name} {value}u" for name, value in c_constants().items()]
    lines += [f"#define {name} {_c_string(text)}" for name, text in c_texts().items()]
    names = " ".join(f"X({name})" for name in c_constants())
    texts = " ".join(f"X({name})" for name in c_texts())
    lines += ["", "/* Every constant above, for code that walks them all (tests/board/fuzz_protocol.c). */"]
    lines += [f"#define PROTOCOL_CODES_LIST(X) {names}", f"#define PROTOCOL_TEXTS_LIST(X) {texts}", "", closing]
    return "\n".join(lines)


def write_codes_header(path: Path) -> Path:
    """Write protocol_codes.h to `path` (only if its text changed, so builds stay incremental)."""
    path = Path(path)
    text = codes_header_text()
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


def header_crc(header_fields: bytes) -> int:
    """CRC-16/CCITT-FALSE of type, sequence and length (binascii.crc_hqx with init 0xFFFF is exactly that)."""
    return binascii.crc_hqx(header_fields, 0xFFFF)


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes


@dataclass(frozen=True)
class Rejected:
    """A frame the decoder refused: header check passed, but the length or CRC-32 was wrong, or it was cut short."""

    error: int
    type: int
    seq: int


def encode_frame(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    """One complete frame."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload of {len(payload)} bytes is above the protocol maximum {MAX_PAYLOAD_BYTES}")
    fields = struct.pack("<BBH", msg_type & 0xFF, seq & 0xFF, len(payload))
    body = fields + bytes(payload)
    return SYNC + fields + struct.pack("<H", header_crc(fields)) + bytes(payload) + struct.pack("<I", zlib.crc32(body))


class FrameDecoder:
    """Bytes in, frames out; the Python twin of firmware/core/protocol.c (same resynchronisation rule)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.dropped_bytes = 0

    def feed(self, data: bytes) -> list[Frame | Rejected]:
        """Add received bytes; return every frame (or rejection) now complete."""
        self._buffer += data
        events: list[Frame | Rejected] = []
        while (event := self._next()) is not None:
            events.append(event)
        return events

    def expire(self) -> Rejected | None:
        """The line went quiet: give up on a partial frame (drop its first byte so scanning resumes after it)."""
        if not self._buffer:
            return None
        seq = self._buffer[3] if len(self._buffer) >= HEADER_BYTES else 0
        msg_type = self._buffer[2] if len(self._buffer) >= HEADER_BYTES else 0
        self._drop(1)
        return Rejected(ERROR_CODES["TRUNCATED"], msg_type, seq)

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self.dropped_bytes += count

    def _next(self) -> Frame | Rejected | None:
        buf = self._buffer
        while buf:
            start = buf.find(SYNC[0])
            if start < 0:
                self._drop(len(buf))
                return None
            self._drop(start)
            if len(buf) < 2:
                return None
            if buf[1] != SYNC[1]:
                self._drop(1)
                continue
            if len(buf) < HEADER_BYTES:
                return None
            msg_type, seq, length, check = struct.unpack_from("<BBHH", buf, 2)
            if header_crc(bytes(buf[2:6])) != check:
                self._drop(1)
                continue
            if length > MAX_PAYLOAD_BYTES:
                self._drop(1)
                return Rejected(ERROR_CODES["BAD_LENGTH"], msg_type, seq)
            total = HEADER_BYTES + length + CRC_BYTES
            if len(buf) < total:
                return None
            body = bytes(buf[2:6]) + bytes(buf[HEADER_BYTES : HEADER_BYTES + length])
            (crc,) = struct.unpack_from("<I", buf, HEADER_BYTES + length)
            if zlib.crc32(body) != crc:
                self._drop(1)
                return Rejected(ERROR_CODES["BAD_CRC"], msg_type, seq)
            frame = Frame(msg_type, seq, bytes(buf[HEADER_BYTES : HEADER_BYTES + length]))
            del buf[:total]
            return frame
        return None


def error_name(code: int) -> str:
    """ERROR_CODES name of `code` (or 'error N' for a code this host does not know)."""
    for name, value in ERROR_CODES.items():
        if value == code:
            return name
    return f"error {code}"


def main(argv: list[str] | None = None) -> int:
    """`python -m shared.board.protocol OUT.h`: write the C header of codes."""
    import argparse

    parser = argparse.ArgumentParser(description="Write protocol_codes.h for the firmware build.")
    parser.add_argument("out", type=Path, help="header path to write")
    args = parser.parse_args(argv)
    write_codes_header(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
