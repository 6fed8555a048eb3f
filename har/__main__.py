"""python -m har run | device | predict: human activity recognition from raw accelerometer data to a board."""

from __future__ import annotations

import sys

from har.demo import HarDemo
from shared.driver import main as run_demo


def main(argv: list[str] | None = None) -> int:
    return run_demo(HarDemo(), argv)


if __name__ == "__main__":
    sys.exit(main())
