"""One demo run as a chain of artifacts under build/<app>/, each step reading only earlier steps' files:

    data/run.json ─► train/ ─► models/*.tflite + models/evaluation.json ─► export/ ─► firmware/ ─► device/result.json
        ─► metrics.json + report.md (assembled once, at the end, by shared.report.assemble)

export/ holds everything a board needs, each file written once: tflm/ (the TFLite Micro way), c/ (the generated
model C and model_identity.h from the export step; `<app>_config.h` and the app's tables from the data step, which
decides them: the firmware builds from this folder alone), expected.npz (the raw test inputs exactly as sent, the
features the board must compute — Dataset.x_test — and the TFLM int8 scores; for an app that decides over a stream
of samples also where each stream starts and the decisions the board must report) and export.json.
`python -m <app> device` reruns firmware → device → report from these files.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from shared import codegen, evaluate, report
from shared.cli import UserError
from shared.codegen.host import HostModel
from shared.codegen.parity import parity_summary
from shared.config import config_to_dict
from shared.data import atomic_write_bytes, atomic_write_text
from shared.demo import Demo, Prepared
from shared.export import export_tflm
from shared.pipeline import (
    DEPLOY_VARIANT,
    FINE_TUNING_TITLES,
    Evaluation,
    conversion_variants,
    convert_plain,
    evaluate_variants,
    fine_tuned_variant,
    save_models,
)
from shared.progress import Steps

RUN_FILE = "data/run.json"
EVALUATION_FILE = "models/evaluation.json"
EXPORT_FILE = "export/export.json"
EXPECTED_FILE = "export/expected.npz"
IMAGES_FILE = "firmware/images.json"
RESULT_FILE = "device/result.json"
C_DIR = "export/c"
MODEL_NAME = "model"  # the generated model's C prefix: firmware/core/model_infer.c calls model_invoke()

# Each firmware image of a run: folder under firmware/ -> (board, variant).
IMAGES = {
    "mps2-an500-serial": ("mps2-an500", "serial"),
    "mps2-an500-semihosting": ("mps2-an500", "semihosting"),
    "stm32f746g-disco-serial": ("stm32f746g-disco", "serial"),
}

STEP_DATA, STEP_TRAIN, STEP_CONVERT = "data and features", "float training", "conversion to TFLite"
STEP_EVALUATE, STEP_EXPORT = "evaluation (LiteRT, TFLM)", "export (TFLM array, generated C, expected outputs)"
STEP_FIRMWARE, STEP_DEVICE, STEP_REPORT = "firmware build", "device check", "report"
STEP_INSPECT = "per-layer inspection"
INSPECT_SAMPLES = 100


def write_json(path: Path, content: dict[str, Any]) -> Path:
    """A step's JSON output, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, json.dumps(content, indent=1) + "\n")


def read_json(out_dir: Path, relative: str, hint: str) -> dict[str, Any]:
    """An earlier step's JSON output, or a UserError saying which command writes it."""
    path = out_dir / relative
    if not path.is_file():
        raise UserError(f"{path}: not found; {hint}")
    return json.loads(path.read_text())


def run_titles(demo: Demo, cfg: Any, device: bool) -> list[str]:
    """Every step `run` prints, in order."""
    tuned = [FINE_TUNING_TITLES[name] for name in demo.variants(cfg) if name in FINE_TUNING_TITLES]
    device_steps = [STEP_FIRMWARE, STEP_DEVICE] if device else []
    return [STEP_DATA, STEP_TRAIN, STEP_CONVERT, *tuned, STEP_EVALUATE, *demo.extra_steps(cfg), STEP_EXPORT,
            *device_steps, STEP_INSPECT, STEP_REPORT]


# ---- host steps ------------------------------------------------------------------------------------------------


def data_step(demo: Demo, cfg: Any, data_dir: Path | None, out_dir: Path) -> Prepared:
    """The demo's data and features, and its C sources (export/c); data/run.json records the config, the notes
    and what predict needs."""
    prepared = demo.prepare(cfg, data_dir, out_dir)
    demo.write_sources(cfg, prepared, out_dir / C_DIR)
    twin = demo.twin_features(cfg, prepared, out_dir / C_DIR)
    if twin is not None:
        prepared.dataset.x_test = twin
    dataset = prepared.dataset
    write_json(out_dir / RUN_FILE, {
        "app": demo.name, "config": config_to_dict(cfg), "notes": [*dataset.notes, *demo.variant_notes(cfg)],
        "data": dataset.summary(), "preprocess": prepared.preprocess, "sections": prepared.sections,
    })  # fmt: skip
    return prepared


def train_step(demo: Demo, cfg: Any, prepared: Prepared, out_dir: Path):
    """The float model, saved in the native Keras format, and its training history."""
    model = demo.train_model(cfg, prepared.dataset, out_dir / "train" / "history.json")
    model.save(out_dir / "train" / "float_model.keras")
    return model


def evaluation_step(blobs: dict[str, bytes], prepared: Prepared, checks: dict[str, Any], out_dir: Path) -> Evaluation:
    """Every variant on the test split; models/evaluation.json with the rows, the checks and the deployed model's
    confusion matrix."""
    dataset = prepared.dataset
    evaluation = evaluate_variants(blobs, dataset)
    predictions = np.argmax(evaluation.deployed_scores, axis=1)
    matrix = report.confusion_matrix(dataset.y_test, predictions, len(dataset.labels))
    write_json(out_dir / EVALUATION_FILE, {
        "variants": evaluation.rows, "optimization": checks,
        "deploy": {"variant": DEPLOY_VARIANT, "tflite": f"models/{DEPLOY_VARIANT}.tflite"},
        "labels": list(dataset.labels), "confusion": matrix.tolist(),
    })  # fmt: skip
    return evaluation


def model_identity(blob: bytes) -> str:
    """The name the firmware reports for its model: the deployed variant and the start of its sha256, so a board
    still running an older model is caught."""
    return f"{DEPLOY_VARIANT}-{hashlib.sha256(blob).hexdigest()[:12]}"


def write_identity_header(c_dir: Path, identity: str) -> Path:
    """model_identity.h: MODEL_IDENTITY, the string a board reports in INFO (firmware/core/app.h)."""
    text = (f"/* Generated by shared.chain from the deployed model; do not edit. */\n"
            f"#ifndef MODEL_IDENTITY_H\n#define MODEL_IDENTITY_H\n#define MODEL_IDENTITY \"{identity}\"\n#endif\n")
    return atomic_write_text(c_dir / "model_identity.h", text)


def _save_expected(path: Path, prepared: Prepared, tflm_scores: np.ndarray, decisions: np.ndarray | None) -> Path:
    """export/expected.npz: what a board gets and must answer, one row per test sample (see the module doc)."""
    dataset, device = prepared.dataset, prepared.device
    arrays = {"labels": dataset.y_test, "model_inputs": dataset.x_test, "tflm_scores": tflm_scores}
    if device is not None:
        arrays["raw_inputs"] = device.raw_inputs
        if device.numpy_features is not None:
            arrays["numpy_features"] = device.numpy_features
        if decisions is not None:
            arrays["stream_starts"], arrays["decisions"] = device.stream_starts, decisions
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())


def codegen_parity(model: codegen.GeneratedModel, c_dir: Path, x_int8: np.ndarray, expected: np.ndarray) -> dict:
    """The exported C (compiled as it is, with host gcc) against TFLM's int8 outputs on the whole test split."""
    with tempfile.TemporaryDirectory(prefix="codegen-parity-") as workdir:
        return parity_summary(HostModel.from_sources(model, c_dir, Path(workdir)), x_int8, expected)


def export_step(demo: Demo, cfg: Any, prepared: Prepared, blob: bytes, tflm_scores: np.ndarray,
                out_dir: Path) -> dict[str, Any]:
    """export/: the TFLM way, the generated C with the app's sources, expected.npz, export.json."""
    export_dir = out_dir / "export"
    source = f"models/{DEPLOY_VARIANT}.tflite"
    tflm = export_tflm(blob, export_dir / "tflm", demo.name, source)
    model = codegen.generate(blob, MODEL_NAME, source)
    c_dir = out_dir / C_DIR
    c_files = [*codegen.write_generated(model, c_dir), write_identity_header(c_dir, model_identity(blob))]
    app_files = sorted(set(c_dir.iterdir()) - set(c_files))
    x_int8 = evaluate.quantize_input(blob, prepared.dataset.x_test)
    parity = codegen_parity(model, c_dir, x_int8, tflm_scores)
    starts = prepared.device.stream_starts if prepared.device else None
    decisions = demo.decisions(cfg, tflm_scores, starts) if starts is not None else None
    _save_expected(out_dir / EXPECTED_FILE, prepared, tflm_scores, decisions)
    relative = [str(p.relative_to(out_dir)) for p in (*tflm.files, *c_files, *app_files)]
    content = {
        "files": [*relative, EXPECTED_FILE],
        "model_identity": model_identity(blob),
        "tflm": {"ops": list(tflm.ops), "arena_bytes": tflm.arena_bytes,
                 "measured_allocation_bytes": tflm.measured_allocation_bytes},
        "codegen": {**parity, "arena_vs_tflm": round(parity["arena_bytes"] / tflm.measured_allocation_bytes, 3)},
        "device_inputs": prepared.device.description if prepared.device else None,
        "not_deployable": prepared.not_deployable,
    }  # fmt: skip
    write_json(out_dir / EXPORT_FILE, content)
    return content


def extra_step(demo: Demo, title: str, cfg: Any, prepared: Prepared, out_dir: Path, data_dir: Path | None) -> None:
    """One of the demo's own host steps; its section goes to <section>/<section>.json."""
    evaluation = read_json(out_dir, EVALUATION_FILE, "the evaluation step writes it")
    section, content = demo.run_extra_step(title, cfg, prepared, out_dir, evaluation, data_dir)
    write_json(out_dir / section / f"{section}.json", content)


def host_chain(demo: Demo, cfg: Any, out_dir: Path, data_dir: Path | None, steps: Steps) -> None:
    """data → train → models → evaluation → the demo's extra steps → export."""
    with steps.step(STEP_DATA):
        prepared = data_step(demo, cfg, data_dir, out_dir)
    with steps.step(STEP_TRAIN):
        model = train_step(demo, cfg, prepared, out_dir)
    settings, variants = demo.train_settings(cfg), demo.variants(cfg)
    if DEPLOY_VARIANT not in variants:
        raise ValueError(f"variants must include {DEPLOY_VARIANT!r}, the deployed model")
    with steps.step(STEP_CONVERT):
        blobs = convert_plain(model, prepared.dataset, settings, conversion_variants(variants))
    checks: dict[str, Any] = {}
    for name in (v for v in variants if v in FINE_TUNING_TITLES):
        with steps.step(FINE_TUNING_TITLES[name]):
            blobs[name], found = fine_tuned_variant(name, model, prepared.dataset, settings)
            checks.update(found)
    save_models(blobs, out_dir / "models")
    with steps.step(STEP_EVALUATE):
        evaluation = evaluation_step(blobs, prepared, checks, out_dir)
    for title in demo.extra_steps(cfg):
        with steps.step(title):
            extra_step(demo, title, cfg, prepared, out_dir, data_dir)
    with steps.step(STEP_EXPORT):
        export_step(demo, cfg, prepared, blobs[DEPLOY_VARIANT], evaluation.deployed_tflm, out_dir)


# ---- device steps ----------------------------------------------------------------------------------------------


def firmware_step(demo: Demo, out_dir: Path, image_names: tuple[str, ...] = tuple(IMAGES)) -> dict[str, Any]:
    """Firmware images built from export/c alone; firmware/images.json lists them with their sizes."""
    from shared.board.firmware import build_firmware

    c_dir = out_dir / C_DIR
    if not (c_dir / f"{MODEL_NAME}.h").is_file():
        raise UserError(f"{c_dir}: no exported model; run `python -m {demo.name} run` first")
    images = {}
    for name in image_names:
        board, variant = IMAGES[name]
        image = build_firmware(demo.name, board, c_dir, out_dir / "firmware" / name, variant, **demo.build_options())
        images[name] = {"elf": str(image.elf.relative_to(out_dir.resolve())), "board": board, "variant": variant,
                        "flash_bytes": image.flash_bytes, "ram_bytes": image.ram_bytes,
                        "fits_stm32f746": image.fits()}  # fmt: skip
    write_json(out_dir / IMAGES_FILE, {"images": images})
    return images


def load_expected(out_dir: Path, app: str):
    """export/expected.npz as the device check's HostReference."""
    from shared.board.verify import HostReference, raw_bytes

    path = out_dir / EXPECTED_FILE
    if not path.is_file():
        raise UserError(f"{path}: not found; run `python -m {app} run` first")
    with np.load(path) as npz:
        inputs = npz["model_inputs"]
        numpy_features = npz["numpy_features"] if "numpy_features" in npz.files else None
        starts, decisions = (npz[name] if name in npz.files else None for name in ("stream_starts", "decisions"))
        return HostReference(raw_bytes(npz["raw_inputs"]), npz["tflm_scores"], npz["labels"],
                             inputs.reshape(len(inputs), -1), numpy_features, starts, decisions)


def check_board(demo: Demo, out_dir: Path, exported: dict[str, Any], images: dict[str, Any],
                port: str | None) -> dict[str, Any]:
    """The board (the emulator when port is None) against export/expected.npz."""
    from shared.board import verify

    reference = load_expected(out_dir, demo.name)
    elf = {name: out_dir / image["elf"] for name, image in images.items()}
    stm32 = images["stm32f746g-disco-serial"]
    if port is None:
        return verify.verify_on_emulator(demo.name, elf["mps2-an500-serial"], elf["mps2-an500-semihosting"],
                                         reference, images["mps2-an500-serial"], stm32)
    return verify.verify_on_port(demo.name, port, reference, exported["model_identity"], stm32)


def device_chain(demo: Demo, out_dir: Path, port: str | None, steps: Steps) -> dict[str, Any]:
    """firmware → device: device/result.json in the one schema of shared.board.verify, whatever the board."""
    from shared.board import verify

    exported = read_json(out_dir, EXPORT_FILE, f"run `python -m {demo.name} run` first")
    if exported["not_deployable"]:
        steps.skip(STEP_FIRMWARE, "not deployable")
        steps.skip(STEP_DEVICE, "not deployable")
        result = verify.not_run("not deployable", exported["not_deployable"])
    else:
        with steps.step(STEP_FIRMWARE):
            images = firmware_step(demo, out_dir, ("stm32f746g-disco-serial",) if port else tuple(IMAGES))
        with steps.step(STEP_DEVICE):
            result = check_board(demo, out_dir, exported, images, port)
    write_json(out_dir / RESULT_FILE, result)
    return result


def run_chain(demo: Demo, cfg: Any, out_dir: Path, data_dir: Path | None, device: bool) -> dict[str, Any]:
    """The whole demo; returns metrics.json's content."""
    from shared.board import verify

    steps = Steps(run_titles(demo, cfg, device))
    host_chain(demo, cfg, out_dir, data_dir, steps)
    if device:
        result = device_chain(demo, out_dir, None, steps)
    else:
        result = verify.not_run("skipped", "run with --no-device")
        write_json(out_dir / RESULT_FILE, result)
    with steps.step(STEP_INSPECT):
        inspect_step(out_dir, board=result["board"] is not None)
    with steps.step(STEP_REPORT):
        return report.assemble(out_dir)


def inspect_step(out_dir: Path, board: bool) -> Path:
    """inspect/: float vs int8 vs generated C vs the emulated board, layer by layer, on the first test samples."""
    from shared.inspect import inspect_build

    return inspect_build(out_dir, samples=INSPECT_SAMPLES, device=board)


def device_command(demo: Demo, out_dir: Path, port: str | None) -> dict[str, Any]:
    """`python -m <app> device`: firmware → device → report again, from export/ alone."""
    steps = Steps([STEP_FIRMWARE, STEP_DEVICE, STEP_REPORT])
    device_chain(demo, out_dir, port, steps)
    with steps.step(STEP_REPORT):
        return report.assemble(out_dir)
