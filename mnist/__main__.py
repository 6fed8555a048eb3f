"""python -m mnist run | device | predict: the MNIST demo from IDX files to a verified device and a report."""

from __future__ import annotations

import sys

from mnist.demo import MnistDemo
from shared.driver import main as run_demo


def main(argv: list[str] | None = None) -> int:
    return run_demo(MnistDemo(), argv)


if __name__ == "__main__":
    sys.exit(main())
