"""The command line of every demo: `python -m <app> run | device | predict`, one driver for any `shared.demo.Demo`.

    python -m <app> run [--quick] [--set field=value ...] [--data-dir D] [--out build/<app>] [--no-device]
    python -m <app> device [--port /dev/ttyACM0] [--out build/<app>]
    python -m <app> predict --model build/<app>/models/int8.tflite FILE [FILE ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from shared.chain import RUN_FILE, device_command, run_chain
from shared.cli import UserError, add_device_arguments, add_run_arguments, main_guard, print_written
from shared.config import apply_overrides
from shared.data import DataError, data_dir
from shared.demo import Demo
from shared.report import summary_line

DEVICE_TOOLS = ("gcc", "cmake", "arm-none-eabi-gcc", "arm-none-eabi-size", "arm-none-eabi-objcopy")


def build_parser(demo: Demo) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {demo.name}", description=demo.description,
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = parser.add_subparsers(dest="step", required=True)
    run = steps.add_parser("run", help="the whole demo: data -> models -> export -> firmware -> device -> report",
                           formatter_class=argparse.RawTextHelpFormatter)
    add_run_arguments(run, demo.name, demo.config_type)
    demo.add_run_options(run)
    add_device_arguments(steps, run, demo.name)
    predict = steps.add_parser("predict", help=f"classify {demo.predict_files}, one JSON line per result")
    predict.add_argument("--model", type=Path, required=True, help=".tflite model (any variant of a run)")
    predict.add_argument("--quick", action="store_true",
                         help="QUICK profile settings (only if the model has no data/run.json in its build folder)")
    predict.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                         help="preprocessing settings; default: the config of the model's build folder")
    demo.add_predict_options(predict)
    predict.add_argument("files", type=Path, nargs="+", help=demo.predict_files)
    parser.set_defaults(commands=demo.add_commands(steps))
    return parser


def require_device_tools(port: str | None) -> None:
    """Fail before any training if the firmware cannot be built or emulated: one line naming the packages."""
    from shared.board.firmware import FirmwareError, require_tools

    emulator = () if port else ("qemu-system-arm",)
    try:
        require_tools(*DEVICE_TOOLS, *emulator)
    except FirmwareError as error:
        raise UserError(f"{error} (or skip the device step with --no-device)") from None


def exit_status(metrics: dict[str, Any]) -> int:
    """1 (with every problem on stderr) if a device check failed, else 0."""
    problems = metrics["device"]["problems"]
    for problem in problems:
        print(f"device check failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


def finish(demo: Demo, metrics: dict[str, Any], out: Path) -> int:
    written = [out / "report.md", out / "metrics.json", out / metrics["deploy"]["tflite"], out / "export"]
    print_written(written, summary_line(metrics, demo.summary_extra(metrics)))
    return exit_status(metrics)


def run(demo: Demo, args: argparse.Namespace) -> int:
    cfg = demo.resolve_config(args)
    if not args.no_device:
        require_device_tools(port=None)
    metrics = run_chain(demo, cfg, args.out, data_dir(args.data_dir), device=not args.no_device)
    return finish(demo, metrics, args.out)


def device(demo: Demo, args: argparse.Namespace) -> int:
    """Firmware, device check and report again from build/<app>/export (emulator, or a board on --port)."""
    require_device_tools(args.port)
    return finish(demo, device_command(demo, args.out, args.port), args.out)


def trained_config(demo: Demo, args: argparse.Namespace) -> tuple[Any, dict[str, Any], list[str]]:
    """(config, preprocess, labels) of the run that made the model (its build folder's data/run.json), with the
    --set overrides; without that file, the profile and a note on stderr."""
    run_file = Path(args.model).resolve().parent.parent / RUN_FILE
    if run_file.is_file():
        saved = json.loads(run_file.read_text())
        cfg = apply_overrides(demo.config_from_dict(saved["config"]), args.overrides)
        return cfg, saved.get("preprocess", {}), list(saved["data"]["classes"])
    cfg = apply_overrides(demo.quick if args.quick else demo.full, args.overrides)
    print(f"note: {run_file} not found: preprocessing with the {'QUICK' if args.quick else 'FULL'} profile",
          file=sys.stderr)
    return cfg, {}, demo.labels(cfg)


def predict(demo: Demo, args: argparse.Namespace) -> int:
    """One JSON line per result; a file that cannot be read gets one error line and the others go on (exit 2)."""
    from shared.evaluate import run_litert
    from shared.predict import read_model

    model = read_model(args.model)
    cfg, preprocess, labels = trained_config(demo, args)
    failed = 0
    for path in args.files:
        try:
            item = demo.predict_input(path, cfg, preprocess, args)
        except (UserError, DataError) as error:
            print(f"error: {error}", file=sys.stderr)
            failed += 1
            continue
        if item.note:
            print(f"note: {path}: {item.note}", file=sys.stderr)
        scores = run_litert(model, item.x).reshape(len(item.x), -1)
        if scores.shape[1] != len(labels):
            raise UserError(f"{args.model}: the model has {scores.shape[1]} outputs, this run has {len(labels)} "
                            "classes")
        for extra, row in zip(item.rows, scores, strict=True):
            line = {"file": str(path), **extra, "label": labels[int(np.argmax(row))],
                    "scores": [round(float(v), 6) for v in row]}
            print(json.dumps(line))
    return 2 if failed else 0


def main(demo: Demo, argv: list[str] | None = None) -> int:
    """Parse the command line and run the step; user errors are one line and exit status 2."""

    @main_guard
    def guarded(arguments: list[str] | None) -> int:
        args = build_parser(demo).parse_args(arguments)
        if args.step in args.commands:
            return args.commands[args.step](args)
        return {"run": run, "device": device, "predict": predict}[args.step](demo, args)

    return guarded(argv)
