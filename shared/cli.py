"""Command-line plumbing shared by the demos: user errors as one line, and the listing of written files."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from shared.data import DataError


class UserError(Exception):
    """Bad input from the user (a file, an option): one line on stderr, exit status 2, no traceback."""


def main_guard(run: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Wrap a CLI `main(argv)` so that user errors print one line and exit 2 instead of a traceback.

    Firmware and device errors count as user-facing too: a missing toolchain, a board that does not answer.
    """

    def guarded(argv: list[str] | None = None) -> int:
        from shared.board.client import DeviceError
        from shared.board.firmware import FirmwareError

        try:
            return run(argv)
        except (DataError, UserError, FirmwareError, DeviceError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    return guarded


def print_written(paths: Iterable[Path], summary: str) -> None:
    """End of every command: the files it wrote, then one summary line."""
    for path in paths:
        print(f"wrote {path}")
    print(summary)


def add_run_arguments(parser, app: str, config_cls: type) -> None:
    """Options every demo's `run` step has: --quick, --data-dir, --set, --out."""
    from shared.config import describe_fields

    parser.add_argument("--quick", action="store_true", help="QUICK profile: small subset, short training")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="local data folder (may be read-only or partial); default $TINYML_LABS_DATA")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                        help="change one setting; settings and defaults:\n"
                        + describe_fields(config_cls).replace("%", "%%"))  # argparse formats help with %
    parser.add_argument("--out", type=Path, default=Path("build") / app, help="output folder (default build/%(prog)s)")


def add_device_arguments(steps, run_parser, app: str) -> None:
    """`run --no-device`, and the `device` step (firmware, device check and report again, from build/<app>/export)."""
    run_parser.add_argument("--no-device", action="store_true",
                            help="skip the firmware and device steps (no arm-none-eabi-gcc or QEMU here); "
                                 "`device` runs them later from export/")
    device = steps.add_parser("device", help="firmware, device check and report from export/: the emulator, or a "
                                             "real board with --port")
    device.add_argument("--port", default=None, help="serial port of a flashed board, e.g. /dev/ttyACM0 "
                                                     "(default: the emulator)")
    device.add_argument("--out", type=Path, default=Path("build") / app, help=f"the output folder of `{app} run`")
