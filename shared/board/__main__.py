"""python -m shared.board: talk to a board by hand (labs, bring-up of a real STM32F746G-DISCO).

python -m shared.board info [--port /dev/ttyACM0]        # what the board runs (port auto-detected if omitted)
python -m shared.board info --emulator IMAGE.elf          # the same for an image under QEMU
python -m shared.board throughput [--port P | --emulator IMAGE.elf]
python -m shared.board header OUT.h                       # protocol_codes.h (what the firmware build does)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import asdict
from pathlib import Path

from shared.board.client import DeviceClient, DeviceError, open_port
from shared.board.emulator import Emulator
from shared.board.firmware import FirmwareError
from shared.board.protocol import write_codes_header


@contextlib.contextmanager
def connect(args: argparse.Namespace):
    """A DeviceClient on --emulator IMAGE (QEMU, stopped afterwards) or on --port (None: auto-detect)."""
    if args.emulator:
        with Emulator(args.emulator) as emulator:
            yield DeviceClient(emulator.serial)
    else:
        with open_port(args.port) as port:
            port.reset_input_buffer()
            yield DeviceClient(port)


def info(args: argparse.Namespace) -> None:
    with connect(args) as device:
        for key, value in asdict(device.info()).items():
            print(f"{key}: {value}")


def throughput(args: argparse.Namespace) -> None:
    from shared.board.verify import THROUGHPUT_PAYLOAD_BYTES, measure_throughput

    with connect(args) as device:
        rate = measure_throughput(device)
    print(f"ECHO of {THROUGHPUT_PAYLOAD_BYTES} bytes: {rate:.0f} payload bytes/s (both directions counted)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.board", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler in (("info", info), ("throughput", throughput)):
        sub = commands.add_parser(name)
        where = sub.add_mutually_exclusive_group()
        where.add_argument("--port", help="serial port or pyserial URL (default: find the ST-LINK port)")
        where.add_argument("--emulator", type=Path, help="run this mps2-an500 image under qemu-system-arm")
        sub.set_defaults(handler=handler)
    header = commands.add_parser("header")
    header.add_argument("out", type=Path)
    header.set_defaults(handler=lambda args: print(write_codes_header(args.out)))
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except (FirmwareError, DeviceError) as error:
        print(f"shared.board: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
