"""Device verification: the board computes its own features from raw input and must give the host's answers.

Every demo calls one of two functions with what its host side computed (`HostReference`):

- `verify_on_emulator(app, generated_dir, build_dir, reference)`: builds the firmware, sends the first
  `serial_samples` inputs through the serial protocol (INFER and FEATURES), and all inputs in bulk through a
  semihosting image; compares device features with the host C twin's bit for bit (and with numpy within 1e-5) and
  device int8 scores with the TFLM host outputs byte for byte.
- `verify_on_port(port, reference)`: the same serial checks against a real board (`python -m <app> device --port`).

Both return the `device` section of metrics.json; `problems` lists every failed check (empty when all hold).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.board.client import DeviceClient, DeviceInfo, InferResult, open_port
from shared.board.emulator import Emulator, run_bulk
from shared.board.firmware import STM32F746_MEMORY, FirmwareImage, build_firmware

NUMPY_FEATURE_TOLERANCE = 1e-5  # float32 features: host numpy vs device, different operation order
THROUGHPUT_PAYLOAD_BYTES = 16000  # one second of 8 kHz int16 audio, the largest input any demo sends
MAX_REPORTED_MISMATCHES = 5


@dataclass(frozen=True)
class HostReference:
    """What the host says the device must answer, one row per sample."""

    raw_inputs: np.ndarray  # (N, input_bytes) uint8: exactly the bytes sent to the device
    expected_scores: np.ndarray  # (N, classes) int8: TFLM host runtime outputs for the deployed model
    labels: np.ndarray  # (N,) int: true classes, for device accuracy
    host_features: np.ndarray | None = None  # (N, features) float32 from the host-built C twin: must be bit-exact
    numpy_features: np.ndarray | None = None  # (N, features) float32 from the Python/numpy code: within 1e-5

    def __post_init__(self) -> None:
        n = len(self.raw_inputs)
        for name in ("expected_scores", "labels", "host_features", "numpy_features"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"HostReference.{name} has {len(value)} rows, raw_inputs has {n}")


def _first_score_mismatch(device: np.ndarray, host: np.ndarray, offset: int = 0) -> str | None:
    rows = np.flatnonzero(np.any(device != host, axis=1))
    if rows.size == 0:
        return None
    row = int(rows[0])
    col = int(np.flatnonzero(device[row] != host[row])[0])
    return (
        f"sample {row + offset}: device scores differ from host at index {col} "
        f"(device {int(device[row, col])}, host {int(host[row, col])}); {rows.size} samples differ"
    )


def _first_feature_mismatch(device: np.ndarray, host: np.ndarray, what: str, tolerance: float = 0.0) -> str | None:
    if device.shape != host.shape:
        return f"device features have shape {device.shape}, {what} {host.shape}"
    bad = np.abs(device.astype(np.float64) - host.astype(np.float64)) > tolerance
    if tolerance == 0.0:  # bit for bit: compare the float32 bit patterns (so -0.0 != 0.0 and NaN == NaN)
        bad = device.view(np.uint32) != host.view(np.uint32)
    if not bad.any():
        return None
    row, col = (int(i) for i in np.argwhere(bad)[0])
    return (
        f"sample {row}: device feature {col} = {device[row, col]!r}, {what} = {host[row, col]!r} "
        f"({int(bad.any(axis=1).sum())} samples differ{'' if tolerance == 0 else f' by more than {tolerance}'})"
    )


def _feature_problems(device: np.ndarray, reference: HostReference, rows: slice) -> list[str]:
    problems = []
    if reference.host_features is not None:
        host = np.asarray(reference.host_features[rows], dtype=np.float32)
        problems.append(_first_feature_mismatch(device, host, "host C twin"))
    if reference.numpy_features is not None:
        numpy_side = np.asarray(reference.numpy_features[rows], dtype=np.float32)
        problems.append(_first_feature_mismatch(device, numpy_side, "host numpy", NUMPY_FEATURE_TOLERANCE))
    return [p for p in problems if p]


def _check_info(info: DeviceInfo, app: str, reference: HostReference) -> list[str]:
    problems = []
    if info.app != app:
        problems.append(f"the board runs app {info.app!r}, not {app!r}")
    host_bytes, host_classes = reference.raw_inputs.shape[1], reference.expected_scores.shape[1]
    if info.input_bytes != host_bytes:
        problems.append(f"the board expects {info.input_bytes}-byte inputs, the host has {host_bytes}")
    if info.output_count != host_classes:
        problems.append(f"the board gives {info.output_count} scores, the host {host_classes}")
    return problems


def measure_throughput(device: DeviceClient) -> float:
    """Payload bytes per second through the link, both directions counted (one ECHO of 16000 bytes)."""
    payload = bytes(range(256)) * (THROUGHPUT_PAYLOAD_BYTES // 256) + bytes(THROUGHPUT_PAYLOAD_BYTES % 256)
    start = time.monotonic()
    echoed = device.echo(payload)
    elapsed = time.monotonic() - start
    if echoed != payload:
        raise AssertionError("ECHO came back different")
    return 2 * len(payload) / elapsed


def run_serial(device: DeviceClient, reference: HostReference, count: int) -> dict:
    """INFER and FEATURES for the first `count` samples over the serial protocol; device results and problems."""
    results: list[InferResult] = []
    features = []
    for raw in reference.raw_inputs[:count]:
        features.append(device.features(raw.tobytes()))
        results.append(device.infer(raw.tobytes()))
    scores = np.stack([r.scores for r in results])
    problems = []
    if (mismatch := _first_score_mismatch(scores, reference.expected_scores[:count])) is not None:
        problems.append(f"serial: {mismatch}")
    labels_from_scores = np.argmax(scores, axis=1)
    if not np.array_equal(labels_from_scores, [r.label for r in results]):
        problems.append("serial: the device's class is not the argmax of its own scores")
    problems += [f"serial: {p}" for p in _feature_problems(np.stack(features), reference, slice(0, count))]
    return {
        "scores": scores,
        "feature_counts": np.array([r.feature_count for r in results]),
        "inference_counts": np.array([r.inference_count for r in results]),
        "problems": problems,
    }


def _summary(scores: np.ndarray, reference: HostReference, rows: slice) -> dict:
    expected = reference.expected_scores[rows]
    agree = np.all(scores == expected, axis=1)
    return {
        "samples": len(scores),
        "agree_with_host": float(agree.mean()),
        "accuracy": float(np.mean(np.argmax(scores, axis=1) == np.asarray(reference.labels[rows]))),
    }


def _image_sizes(image: FirmwareImage, stm32_image: FirmwareImage | None) -> dict:
    sizes = {"flash_bytes": image.flash_bytes, "ram_bytes": image.ram_bytes}
    target = stm32_image or image
    sizes["stm32f746g_disco"] = {
        "flash_bytes": target.flash_bytes,
        "ram_bytes": target.ram_bytes,
        "fits": target.fits(STM32F746_MEMORY),
        "memory": {"flash_bytes": STM32F746_MEMORY.flash_bytes, "ram_bytes": STM32F746_MEMORY.ram_bytes},
    }
    return sizes


def _run_bulk(app, generated_dir, build_dir, reference, serial_scores, timeout_s, build_options):
    """Every sample through the semihosting image; its result and the problems found."""
    out = build_dir / "mps2-an500-semihosting"
    image = build_firmware(app, "mps2-an500", generated_dir, out, "semihosting", **build_options)
    timeout = timeout_s or 120.0 + 0.5 * len(reference.raw_inputs)
    result = run_bulk(image.elf, reference.raw_inputs, build_dir / "bulk", timeout)
    problems = []
    if (mismatch := _first_score_mismatch(result.scores, reference.expected_scores)) is not None:
        problems.append(f"bulk: {mismatch}")
    if not np.array_equal(result.scores[: len(serial_scores)], serial_scores):
        problems.append("bulk and serial runs of the same inputs gave different scores")
    problems += [f"bulk: {p}" for p in _feature_problems(result.features, reference, slice(None))]
    return result, problems


def verify_on_emulator(
    app: str,
    generated_dir: Path,
    build_dir: Path,
    reference: HostReference,
    serial_samples: int = 100,
    bulk: bool = True,
    bulk_timeout_s: float | None = None,
    install_tools: bool = False,
    build_options: dict | None = None,
) -> dict:
    """Build, run under QEMU (serial path for `serial_samples`, semihosting for all), compare with the host.
    install_tools: as root on Debian/Ubuntu, apt-get the toolchain and QEMU if missing (saying so).
    build_options: keyword arguments for every build_firmware call (e.g. library_sources for CMSIS-DSP)."""
    wall_start = time.monotonic()
    build_dir = Path(build_dir)
    options = dict(build_options or {})
    serial_image = build_firmware(
        app, "mps2-an500", generated_dir, build_dir / "mps2-an500-serial", install_tools=install_tools, **options
    )
    stm32_dir = build_dir / "stm32f746g-disco-serial"
    stm32_image = build_firmware(app, "stm32f746g-disco", generated_dir, stm32_dir, **options)
    count = min(serial_samples, len(reference.raw_inputs))
    with Emulator(serial_image.elf) as emulator:
        device = DeviceClient(emulator.serial)
        info = device.info()
        problems = _check_info(info, app, reference)
        serial = run_serial(device, reference, count) if not problems else None
        throughput = measure_throughput(device)
        retries = device.retries
    metrics: dict = {"board": "mps2-an500", "emulator": "qemu-system-arm -M mps2-an500 -icount shift=0"}
    metrics["counter_unit"] = info.counter_unit
    if serial is None:
        return {**metrics, "problems": problems, **_image_sizes(serial_image, stm32_image)}
    problems += serial["problems"]
    metrics["serial_samples"] = count
    metrics["serial_agree_with_host"] = _summary(serial["scores"], reference, slice(0, count))["agree_with_host"]
    metrics.update(_summary(serial["scores"], reference, slice(0, count)))
    counts = {"feature": serial["feature_counts"], "inference": serial["inference_counts"]}
    if bulk:
        result, bulk_problems = _run_bulk(
            app, generated_dir, build_dir, reference, serial["scores"], bulk_timeout_s, options
        )
        problems += bulk_problems
        metrics.update(_summary(result.scores, reference, slice(None)))
        counts = {"feature": result.feature_counts, "inference": result.inference_counts}
    metrics["instructions_per_inference"] = int(np.round(np.mean(counts["inference"])))
    metrics["feature_instructions_per_sample"] = int(np.round(np.mean(counts["feature"])))
    metrics["serial_bytes_per_second"] = round(throughput)
    metrics["request_retries"] = retries
    metrics["wall_seconds"] = round(time.monotonic() - wall_start, 1)
    metrics.update(_image_sizes(serial_image, stm32_image))
    metrics["problems"] = problems[: MAX_REPORTED_MISMATCHES * 4]
    return metrics


def verify_on_port(
    app: str, port: str | None, reference: HostReference, samples: int = 200, expected_model: str | None = None
) -> dict:
    """The serial checks against a real board on `port` (None: auto-detect the ST-LINK virtual COM port).
    expected_model: the model name the flashed firmware must report (catches a board still running an old model)."""
    wall_start = time.monotonic()
    with open_port(port) as serial_port:
        serial_port.reset_input_buffer()
        device = DeviceClient(serial_port)
        info = device.info()
        problems = _check_info(info, app, reference)
        if expected_model is not None and info.model != expected_model:
            problems.append(f"the board runs model {info.model!r}, not {expected_model!r}: flash the new image")
        count = min(samples, len(reference.raw_inputs))
        serial = run_serial(device, reference, count) if not problems else None
        throughput = measure_throughput(device) if serial is not None else None
    metrics: dict = {"board": info.board, "port": serial_port.name, "counter_unit": info.counter_unit}
    if serial is None:
        return {**metrics, "problems": problems}
    metrics.update(_summary(serial["scores"], reference, slice(0, count)))
    unit = "cycles" if info.counter_unit == "cycles" else "instructions"
    metrics[f"{unit}_per_inference"] = int(np.round(np.mean(serial["inference_counts"])))
    metrics[f"feature_{unit}_per_sample"] = int(np.round(np.mean(serial["feature_counts"])))
    metrics["serial_bytes_per_second"] = round(throughput)
    metrics["request_retries"] = device.retries
    metrics["wall_seconds"] = round(time.monotonic() - wall_start, 1)
    metrics["problems"] = problems + serial["problems"]
    return metrics


def raw_bytes(samples: np.ndarray) -> np.ndarray:
    """(N, ...) raw samples of any numeric dtype -> (N, bytes) uint8, little-endian: what goes over the wire
    (uint8 pixels as they are, int16 PCM as 2 bytes a sample, float32 m/s^2 as 4)."""
    samples = np.asarray(samples)
    little = samples.astype(samples.dtype.newbyteorder("<"), copy=False)
    return np.ascontiguousarray(little).view(np.uint8).reshape(len(samples), -1)


def tflm_expected_scores(model_bytes: bytes, model_inputs: np.ndarray) -> np.ndarray:
    """(N, classes) int8: what the TFLM host runtime answers for float model inputs, quantized as the host does."""
    from shared.evaluate import quantize_input
    from shared.tflm import run_tflm

    scores = run_tflm(model_bytes, quantize_input(model_bytes, model_inputs))
    return scores.reshape(len(scores), -1)


def check_device(
    app: str,
    tflite: Path,
    firmware_dir: Path,
    raw_inputs: np.ndarray,  # (N, ...) raw samples in their own dtype (uint8 pixels, int16 PCM, float32 m/s^2)
    labels: np.ndarray,
    model_inputs: np.ndarray,  # (N, *model input shape) float32: what the host feeds the float model
    config_values: dict[str, object],
    host_features: np.ndarray | None = None,
    numpy_features: np.ndarray | None = None,
    port: str | None = None,
    serial_samples: int = 100,
    bulk: bool = True,
    install_tools: bool = False,
    build_options: dict | None = None,
) -> dict:
    """The whole device step of a demo: generated C for `tflite`, `<app>_config.h` from `config_values`, expected
    scores from the TFLM runtime, then the emulator (port None) or the real board on `port` (its image is built
    for flashing; a board reporting another model than config_values["model_name"] is a problem). Returns metrics."""
    from shared.board.firmware import generate_model_code, write_config_header

    model_bytes = Path(tflite).read_bytes()
    reference = HostReference(
        raw_bytes(raw_inputs),
        tflm_expected_scores(model_bytes, model_inputs),
        np.asarray(labels),
        host_features,
        numpy_features,
    )
    generated = Path(firmware_dir) / "generated"
    generate_model_code(Path(tflite), generated)
    write_config_header(generated, app, config_values, f"python -m {app} (config)")
    if port is not None:  # a real board: build its image (to flash, see firmware/README.md), then check it
        image = build_firmware(app, "stm32f746g-disco", generated, Path(firmware_dir) / "stm32f746g-disco-serial",
                               install_tools=install_tools, **(build_options or {}))  # fmt: skip
        model_name = config_values.get("model_name")
        metrics = verify_on_port(app, port, reference, serial_samples, str(model_name) if model_name else None)
        return {**metrics, **_image_sizes(image, image), "image": str(image.elf.with_suffix(".bin"))}
    return verify_on_emulator(
        app, generated, Path(firmware_dir), reference, serial_samples, bulk,
        install_tools=install_tools, build_options=build_options,
    )  # fmt: skip
