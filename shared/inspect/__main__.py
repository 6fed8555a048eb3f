"""python -m shared.inspect build/<app> | --tflite M.tflite [--keras K] [--inputs X.npy] --out DIR"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.codegen.graph import UnsupportedModelError
from shared.data import DataError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.inspect", description=__doc__)
    parser.add_argument("build_dir", nargs="?", type=Path, help="a demo's build folder (writes BUILD/inspect/)")
    parser.add_argument("--tflite", type=Path, help="an int8 .tflite the generator supports (instead of a build)")
    parser.add_argument("--keras", type=Path, help="its float Keras model (.keras, .h5 or SavedModel folder)")
    parser.add_argument("--inputs", type=Path, help=".npy of float or int8 model inputs (default: random int8)")
    parser.add_argument("--out", type=Path, help="output folder (with --tflite)")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument("--no-device", action="store_true", help="skip the QEMU board run and profile")
    args = parser.parse_args(argv)
    if (args.build_dir is None) == (args.tflite is None) or (args.tflite is not None and args.out is None):
        parser.error("give a build folder, or --tflite M.tflite --out DIR")
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    from shared.inspect import build_model_path, inspect_build, inspect_model, load_inputs

    try:
        if args.build_dir is not None:
            path = inspect_build(args.build_dir, args.samples, args.inputs, device=not args.no_device)
        else:
            if not args.tflite.is_file():
                raise DataError(f"{args.tflite}: no such file")
            model_bytes = args.tflite.read_bytes()
            from shared.codegen.graph import read_graph

            values = None if args.inputs is None else load_inputs(args.inputs, read_graph(model_bytes))
            path = inspect_model(model_bytes, args.out, args.keras, values, args.samples, args.seed,
                                 device=not args.no_device, title=args.tflite.name, inputs_label=str(args.inputs))
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except UnsupportedModelError as error:
        print(f"error: {args.tflite or build_model_path(args.build_dir)}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path.parent / 'inspect.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
