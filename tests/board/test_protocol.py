"""The serial protocol: shared/board/protocol.py (Python) and firmware/core/protocol.c (C, built on the host).

Oracles: zlib.crc32 and binascii.crc_hqx for the checks; the Python FrameDecoder for the C parser (same events on
the same stream); the sanitizers for the C parser's memory safety under 10^6 seeded random and mutated frames.
"""

import random
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from shared.board.protocol import (
    BULK_FIELDS,
    CRC_BYTES,
    ERROR_CODES,
    HEADER_BYTES,
    INFER_FIELDS,
    INFO_FIELDS,
    MAX_PAYLOAD_BYTES,
    MESSAGE_TYPES,
    SYNC,
    Frame,
    FrameDecoder,
    Rejected,
    c_constants,
    c_texts,
    encode_frame,
    header_crc,
    struct_format,
    unpack_fields,
    write_codes_header,
)
from tests.conftest import REPO_ROOT, missing

CORE_DIR = REPO_ROOT / "firmware" / "core"
FUZZ_SOURCE = Path(__file__).with_name("fuzz_protocol.c")
FUZZ_FRAMES = 1_000_000
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def test_check_values_are_the_standard_ones():
    # The catalogue check values of CRC-16/CCITT-FALSE and CRC-32 for "123456789".
    assert header_crc(b"123456789") == 0x29B1
    assert zlib.crc32(b"123456789") == 0xCBF43926


def test_frame_layout():
    frame = encode_frame(MESSAGE_TYPES["INFER"], 7, b"\x01\x02\x03")
    assert frame[:2] == SYNC
    msg_type, seq, length, check = struct.unpack_from("<BBHH", frame, 2)
    assert (msg_type, seq, length) == (MESSAGE_TYPES["INFER"], 7, 3)
    assert check == header_crc(frame[2:6])
    assert struct.unpack_from("<I", frame, HEADER_BYTES + 3)[0] == zlib.crc32(frame[2:6] + b"\x01\x02\x03")
    assert len(frame) == HEADER_BYTES + 3 + CRC_BYTES


@pytest.mark.parametrize("length", [0, 1, 255, 784, MAX_PAYLOAD_BYTES])
def test_round_trip_in_any_chunking(length):
    rng = random.Random(length)
    payload = rng.randbytes(length)
    stream = encode_frame(3, 200, payload)
    decoder = FrameDecoder()
    events = []
    at = 0
    while at < len(stream):
        step = rng.randint(1, 97)
        events += decoder.feed(stream[at : at + step])
        at += step
    assert events == [Frame(3, 200, payload)]


def test_oversized_payload_is_refused_on_encode():
    with pytest.raises(ValueError, match="above the protocol maximum"):
        encode_frame(1, 1, bytes(MAX_PAYLOAD_BYTES + 1))


def test_resynchronises_after_garbage_and_damage():
    good = [encode_frame(1, seq, bytes([seq]) * seq) for seq in range(1, 6)]
    damaged = bytearray(encode_frame(2, 9, b"abcdef"))
    damaged[HEADER_BYTES + 2] ^= 0x10  # payload bit flip: header fine, CRC-32 wrong
    stream = b"\x00\xa5\xa5\x5a\x11garbage" + good[0] + bytes(damaged) + good[1] + SYNC + good[2] + good[3] + good[4]
    events = FrameDecoder().feed(stream)
    frames = [e for e in events if isinstance(e, Frame)]
    assert [f.seq for f in frames] == [1, 2, 3, 4, 5]
    assert Rejected(ERROR_CODES["BAD_CRC"], 2, 9) in events


def test_a_frame_hidden_inside_a_cut_short_one_is_found_after_expiry():
    cut = encode_frame(2, 1, bytes(100))[:30]  # header says 100 bytes; only 22 come
    hidden = encode_frame(1, 2, b"")
    decoder = FrameDecoder()
    assert decoder.feed(cut + hidden) == []  # swallowed as payload so far
    assert decoder.expire() == Rejected(ERROR_CODES["TRUNCATED"], 2, 1)
    assert decoder.feed(b"") == [Frame(1, 2, b"")]


def test_length_above_maximum_is_rejected():
    fields = struct.pack("<BBH", 2, 5, MAX_PAYLOAD_BYTES + 1)
    header = SYNC + fields + struct.pack("<H", header_crc(fields))
    events = FrameDecoder().feed(header + encode_frame(1, 6))
    assert events == [Rejected(ERROR_CODES["BAD_LENGTH"], 2, 5), Frame(1, 6, b"")]


# --- the C parser, built on the host ------------------------------------------------------------------------------


def _sanitizing_compiler(tmp: Path) -> str:
    """clang or gcc, whichever can link an -fsanitize=address,undefined program here (clang may lack its runtime)."""
    probe = tmp / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    for compiler in ("clang", "gcc"):
        if shutil.which(compiler) is None:
            continue
        result = subprocess.run([compiler, *SANITIZE, str(probe), "-o", str(tmp / "probe")], capture_output=True)
        if result.returncode == 0:
            return compiler
    missing("a host C compiler with AddressSanitizer/UBSan runtimes (clang or gcc)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def fuzz_driver(tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("protocol_host")
    compiler = _sanitizing_compiler(build)
    write_codes_header(build / "protocol_codes.h")
    exe = build / "fuzz_protocol"
    command = [
        compiler, "-std=c99", "-O1", "-g", *SANITIZE, "-Wall", "-Wextra", "-Wconversion", "-Werror",
        "-ffp-contract=off", f"-I{CORE_DIR}", f"-I{build}", str(CORE_DIR / "protocol.c"), str(FUZZ_SOURCE),
        "-o", str(exe),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    return exe


def _run(exe: Path, *args: str, data: bytes = b"") -> str:
    result = subprocess.run([str(exe), *args], input=data, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_c_header_has_every_python_constant(fuzz_driver):
    printed = dict(line.split() for line in _run(fuzz_driver, "constants").splitlines())
    expected = c_constants()
    assert list(printed) == list(expected)
    for name, value in expected.items():
        assert int(printed[name]) == value, f"{name}: C {printed[name]} != Python {value}"


def test_c_header_has_every_python_text(fuzz_driver):
    printed = dict(line.split() for line in _run(fuzz_driver, "texts").splitlines())
    expected = c_texts()
    assert list(printed) == list(expected)
    for name, text in expected.items():
        assert bytes.fromhex(printed[name]) == text.encode(), f"{name}: C {printed[name]} != Python {text!r}"


# What the firmware and the host decoded before the layouts became tables; a change to the wire must be deliberate.
WIRE_FORMATS = {"INFO": (INFO_FIELDS, "<BBBB4HIIII"), "INFER": (INFER_FIELDS, "<HHII"), "BULK": (BULK_FIELDS, "<6I")}


@pytest.mark.parametrize("prefix", list(WIRE_FORMATS))
def test_c_layout_offsets_are_where_struct_puts_each_field(fuzz_driver, prefix):
    layout, historical = WIRE_FORMATS[prefix]
    data = random.Random(prefix).randbytes(struct.calcsize(historical))
    assert struct.unpack(struct_format(layout), data) == struct.unpack(historical, data)
    lines = _run(fuzz_driver, "constants").splitlines()
    printed = {name: int(value) for name, value in (line.split() for line in lines)}
    for index, (name, _, count) in enumerate(layout):
        # struct's own offset of field `index`: the size of every field before it (no padding under "<")
        before = "<" + "".join(f"{n}{c}" for _, c, n in layout[:index])
        assert printed[f"{prefix}_{name}_OFFSET"] == struct.calcsize(before), f"{prefix}_{name}_OFFSET"
        if count > 1:
            assert printed[f"{prefix}_{name}_COUNT"] == count
    assert printed[f"{prefix}_FIXED_BYTES"] == struct.calcsize(historical)


def test_unpack_fields_reads_the_historical_format():
    values = (1, 0, 2, 2, 28, 28, 0, 0, 784, 784, 10, 3)
    fields = unpack_fields(INFO_FIELDS, struct.pack("<BBBB4HIIII", *values) + b"mnist\0")
    assert fields["INPUT_SHAPE"] == (28, 28, 0, 0)
    named = (fields["VERSION"], fields["INPUT_BYTES"], fields["OUTPUT_COUNT"], fields["RX_BYTES_LOST"])
    assert named == (1, 784, 10, 3)


def test_c_checks_match_zlib_and_binascii(fuzz_driver):
    for data in (b"", b"123456789", random.Random(1).randbytes(5000)):
        crc32, crc16 = _run(fuzz_driver, "crc", data=data).split()
        assert int(crc32, 16) == zlib.crc32(data)
        assert int(crc16, 16) == header_crc(data)


def _python_events(stream: bytes) -> list[str]:
    decoder = FrameDecoder()
    events = []
    for at in range(0, len(stream), 7):
        events += decoder.feed(stream[at : at + 7])
    while (expired := decoder.expire()) is not None:
        events += [expired, *decoder.feed(b"")]
    lines = []
    for e in events:
        if isinstance(e, Frame):
            lines.append(f"F {e.type} {e.seq} {len(e.payload)} {zlib.crc32(e.payload):08x}")
        else:
            lines.append(f"R {e.error} {e.type} {e.seq}")
    return lines


def test_c_parser_gives_the_python_twins_events(fuzz_driver):
    rng = random.Random(6)
    pieces = []
    for seq in range(300):
        frame = bytearray(encode_frame(rng.randrange(256), seq % 256, rng.randbytes(rng.randrange(64))))
        kind = rng.randrange(5)
        if kind == 1:
            frame[rng.randrange(len(frame))] ^= 1 << rng.randrange(8)
        elif kind == 2:
            frame = frame[: rng.randrange(len(frame))]
        elif kind == 3:
            frame = rng.randbytes(rng.randrange(40)) + SYNC
        pieces.append(bytes(frame))
    stream = b"".join(pieces)
    expected = _python_events(stream)
    assert sum(line.startswith("F") for line in expected) > 100
    assert _run(fuzz_driver, "replay", data=stream).splitlines() == expected


def test_c_parser_survives_a_million_random_and_mutated_frames(fuzz_driver):
    out = _run(fuzz_driver, "fuzz", "20261126", str(FUZZ_FRAMES))
    assert out.startswith(f"ok {FUZZ_FRAMES} frames"), out
