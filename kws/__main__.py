"""python -m kws run | device | predict: spoken digits (FSDD) from WAV files to MFCC, an int8 model and a board."""

from __future__ import annotations

import sys

from kws.demo import KwsDemo
from shared.driver import main as run_demo


def main(argv: list[str] | None = None) -> int:
    return run_demo(KwsDemo(), argv)


if __name__ == "__main__":
    sys.exit(main())
