"""python -m shared.codegen M.tflite --out DIR --name NAME: write DIR/NAME.c and DIR/NAME.h."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from shared.codegen import UnsupportedModelError, write_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.codegen", description=__doc__)
    parser.add_argument("model", type=Path, help="full-integer int8 .tflite model")
    parser.add_argument("--out", type=Path, required=True, help="output folder for NAME.c and NAME.h")
    parser.add_argument("--name", help="C prefix of every symbol (default: the model file's stem)")
    parser.add_argument("--flash-budget", type=int, metavar="BYTES",
                        help="bytes for the CONV_2D/FULLY_CONNECTED weights of the Cortex-M DSP build: layers get "
                        "int16 weights (faster), most MACs per byte first, within it, the rest int8; 0: int8 "
                        "everywhere (default: int16 everywhere if that takes at most 64 KiB, 1/16 of the "
                        "STM32F746's flash, else int8 everywhere)")
    args = parser.parse_args(argv)
    if args.flash_budget is not None and args.flash_budget < 0:
        parser.error("--flash-budget must be >= 0 bytes")
    name = args.name or re.sub(r"\W", "_", args.model.stem)
    try:
        model_bytes = args.model.read_bytes()
        c_path, h_path = write_model(model_bytes, args.out, name, args.model.name, args.flash_budget)
    except (UnsupportedModelError, ValueError, OSError) as error:
        print(f"shared.codegen: {args.model}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {c_path}\nwrote {h_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
