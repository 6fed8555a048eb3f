"""Device verification: the board computes its own features from raw input and must give the host's answers.

The device step (`shared.chain`) calls one of two functions with built images and what the host computed
(`HostReference`, from export/expected.npz):

- `verify_on_emulator(app, serial_elf, semihosting_elf, reference, image)`: sends the first `serial_samples` inputs
  through the serial protocol (INFER and FEATURES) and all inputs in bulk through the semihosting image; compares
  device features with the host C twin's bit for bit (and with numpy within 1e-5) and device int8 scores with the
  TFLM host outputs byte for byte.
- `verify_on_port(app, port, reference)`: the same serial checks against a real board (`python -m <app> device
  --port`).

Both return the `device` section of metrics.json in one schema (`device_result`; `not_run` when no board answered):
`problems` lists every failed check (empty when all hold), `status` is one of STATUSES.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.board.client import DeviceClient, DeviceInfo, InferResult, open_port
from shared.board.emulator import Emulator, run_bulk
from shared.board.firmware import STM32F746_MEMORY
from shared.progress import bar

NUMPY_FEATURE_TOLERANCE = 1e-5  # float32 features: host numpy vs device, different operation order
THROUGHPUT_PAYLOAD_BYTES = 16000  # one second of 8 kHz int16 audio, the largest input any demo sends
MAX_REPORTED_MISMATCHES = 5
QEMU_BOARD = "mps2-an500"


@dataclass(frozen=True)
class HostReference:
    """What the host says the device must answer, one row per sample."""

    raw_inputs: np.ndarray  # (N, input_bytes) uint8: exactly the bytes sent to the device
    expected_scores: np.ndarray  # (N, classes) int8: TFLM host runtime outputs for the deployed model
    labels: np.ndarray  # (N,) int: true classes, for device accuracy
    host_features: np.ndarray | None = None  # (N, features) float32 from the host-built C twin: must be bit-exact
    numpy_features: np.ndarray | None = None  # (N, features) float32 from the Python/numpy code: within 1e-5
    # An app that decides over a stream (HAR's smoothing): where each stream starts (N,) bool, and the class the
    # host's reference of that decision gives (N,) int. None: one class per input, the argmax of its scores.
    stream_starts: np.ndarray | None = None
    expected_labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.raw_inputs)
        for name in ("expected_scores", "labels", "host_features", "numpy_features", "stream_starts",
                     "expected_labels"):
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


def _label_problem(device_labels: np.ndarray, device_scores: np.ndarray, reference: HostReference,
                   rows: slice) -> str | None:
    """The device's classes against the host's decisions (or, without them, the argmax of its own scores)."""
    device_labels = np.asarray(device_labels)
    if reference.expected_labels is None:
        if np.array_equal(device_labels, np.argmax(device_scores, axis=1)):
            return None
        return "the device's class is not the argmax of its own scores"
    expected = np.asarray(reference.expected_labels[rows])
    wrong = np.flatnonzero(device_labels != expected)
    if wrong.size == 0:
        return None
    first = int(wrong[0])
    return (f"sample {first + (rows.start or 0)}: device class {int(device_labels[first])}, host decision "
            f"{int(expected[first])}; {wrong.size} samples differ")


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
    starts = reference.stream_starts
    for row, raw in enumerate(bar(reference.raw_inputs[:count], "serial check", total=count)):
        features.append(device.features(raw.tobytes()))
        if starts is not None and starts[row]:
            device.reset()
        results.append(device.infer(raw.tobytes()))
    scores = np.stack([r.scores for r in results])
    labels = np.array([r.label for r in results])
    problems = []
    if (mismatch := _first_score_mismatch(scores, reference.expected_scores[:count])) is not None:
        problems.append(f"serial: {mismatch}")
    if (problem := _label_problem(labels, scores, reference, slice(0, count))) is not None:
        problems.append(f"serial: {problem}")
    problems += [f"serial: {p}" for p in _feature_problems(np.stack(features), reference, slice(0, count))]
    return {
        "scores": scores,
        "labels": labels,
        "feature_counts": np.array([r.feature_count for r in results]),
        "inference_counts": np.array([r.inference_count for r in results]),
        "problems": problems,
    }


def _agreement(scores: np.ndarray, reference: HostReference, rows: slice) -> dict:
    expected = reference.expected_scores[rows]
    agree = np.all(scores == expected, axis=1)
    return {
        "samples": len(scores),
        "agree_with_host": float(agree.mean()),
        "accuracy": float(np.mean(np.argmax(scores, axis=1) == np.asarray(reference.labels[rows]))),
    }


def _decisions(labels: np.ndarray, reference: HostReference, rows: slice) -> dict | None:
    """For an app deciding over a stream: its classes' agreement with the host's decisions, and their accuracy."""
    if reference.expected_labels is None:
        return None
    return {"agree_with_host": float(np.mean(labels == np.asarray(reference.expected_labels[rows]))),
            "accuracy": float(np.mean(labels == np.asarray(reference.labels[rows])))}


STATUSES = ("passed", "failed", "skipped", "not deployable")


def device_result(board: str, problems: list[str], agreement: dict | None, unit: str, counts: dict | None,
                  image: dict | None, details: dict) -> dict:
    """The `device` section, the same keys on every path (emulator, real board, `not_run`): README.md lists them."""
    per_inference = features = None
    if counts is not None:
        per_inference = int(np.round(np.mean(counts["inference"])))
        features = int(np.round(np.mean(counts["feature"])))
    agreement = agreement or {"samples": 0, "agree_with_host": None, "accuracy": None}
    return {
        "board": board, "status": "failed" if problems else "passed", **agreement,
        "counter": {"unit": unit, "per_inference": per_inference, "features_per_sample": features},
        "flash_bytes": image["flash_bytes"] if image else None, "ram_bytes": image["ram_bytes"] if image else None,
        "problems": problems[: MAX_REPORTED_MISMATCHES * 4], "details": details,
    }  # fmt: skip


def not_run(status: str, why: str) -> dict:
    """The `device` section when no board answered: the contract's keys, empty, and why."""
    if status not in STATUSES:
        raise ValueError(f"device status {status!r} is not one of {STATUSES}")
    return {
        "board": None, "status": status, "samples": 0, "agree_with_host": None, "accuracy": None,
        "counter": {"unit": None, "per_inference": None, "features_per_sample": None},
        "flash_bytes": None, "ram_bytes": None, "problems": [], "details": {"why": why},
    }  # fmt: skip


def summary(device: dict) -> str:
    """One phrase for every demo's summary line."""
    if device.get("board") is None:
        return f"device: {device['status']} ({device['details'].get('why', '')})"
    counter = device["counter"]
    text = (f"device ({device['board']}) {device['status']}: {100 * device['agree_with_host']:.1f} % of "
            f"{device['samples']} samples equal to the host's int8 scores, accuracy {100 * device['accuracy']:.2f} %, "
            f"{counter['features_per_sample']:,} {counter['unit']} features + {counter['per_inference']:,} inference")
    if (decisions := device.get("details", {}).get("decisions")) is not None:
        text += (f"; its decisions over the stream equal the host's on {100 * decisions['agree_with_host']:.1f} %, "
                 f"accuracy {100 * decisions['accuracy']:.2f} %")
    return text + (f"; {len(device['problems'])} problem(s), see the report" if device["problems"] else "")


def _stm32_fit(stm32_image: dict) -> dict:
    return {"flash_bytes": stm32_image["flash_bytes"], "ram_bytes": stm32_image["ram_bytes"],
            "fits": stm32_image["fits_stm32f746"],
            "memory": {"flash_bytes": STM32F746_MEMORY.flash_bytes, "ram_bytes": STM32F746_MEMORY.ram_bytes}}


def _run_bulk(elf: Path, reference: HostReference, serial_scores: np.ndarray, timeout_s: float | None):
    """Every sample through the semihosting image; its result and the problems found."""
    timeout = timeout_s or 120.0 + 0.5 * len(reference.raw_inputs)
    result = run_bulk(elf, reference.raw_inputs, elf.parent / "bulk", timeout, reference.stream_starts)
    problems = []
    if (mismatch := _first_score_mismatch(result.scores, reference.expected_scores)) is not None:
        problems.append(f"bulk: {mismatch}")
    if (problem := _label_problem(result.labels, result.scores, reference, slice(None))) is not None:
        problems.append(f"bulk: {problem}")
    if not np.array_equal(result.scores[: len(serial_scores)], serial_scores):
        problems.append("bulk and serial runs of the same inputs gave different scores")
    problems += [f"bulk: {p}" for p in _feature_problems(result.features, reference, slice(None))]
    return result, problems


def verify_on_emulator(app: str, serial_elf: Path, semihosting_elf: Path | None, reference: HostReference,
                       image: dict, stm32_image: dict | None = None, serial_samples: int = 100,
                       bulk_timeout_s: float | None = None) -> dict:
    """The serial protocol for the first `serial_samples` inputs and (semihosting_elf given) every input in bulk,
    under QEMU; compared with the host. `image`/`stm32_image`: firmware/images.json entries (sizes)."""
    wall_start = time.monotonic()
    count = min(serial_samples, len(reference.raw_inputs))
    with Emulator(Path(serial_elf)) as emulator:
        device = DeviceClient(emulator.serial)
        info = device.info()
        problems = _check_info(info, app, reference)
        serial = run_serial(device, reference, count) if not problems else None
        throughput = measure_throughput(device)
    details: dict = {"emulator": "qemu-system-arm -M mps2-an500 -icount shift=0", "serial_samples": count,
                     "serial_bytes_per_second": round(throughput), "request_retries": device.retries}
    if stm32_image is not None:
        details["stm32f746g_disco"] = _stm32_fit(stm32_image)
    if serial is None:
        return device_result(QEMU_BOARD, problems, None, info.counter_unit, None, image, details)
    problems += serial["problems"]
    agreement = _agreement(serial["scores"], reference, slice(0, count))
    details["serial_agree_with_host"] = agreement["agree_with_host"]
    decisions = _decisions(serial["labels"], reference, slice(0, count))
    counts = {"feature": serial["feature_counts"], "inference": serial["inference_counts"]}
    if semihosting_elf is not None:
        result, bulk_problems = _run_bulk(Path(semihosting_elf), reference, serial["scores"], bulk_timeout_s)
        problems += bulk_problems
        agreement = _agreement(result.scores, reference, slice(None))
        decisions = _decisions(result.labels, reference, slice(None))
        counts = {"feature": result.feature_counts, "inference": result.inference_counts}
    if decisions is not None:
        details["decisions"] = decisions
    details["wall_seconds"] = round(time.monotonic() - wall_start, 1)
    return device_result(QEMU_BOARD, problems, agreement, info.counter_unit, counts, image, details)


def verify_on_port(app: str, port: str | None, reference: HostReference, expected_model: str | None = None,
                   image: dict | None = None, samples: int = 200) -> dict:
    """The serial checks against a real board on `port` (None: auto-detect the ST-LINK virtual COM port).
    expected_model: the model name the flashed firmware must report (catches a board still running an old model);
    image: the firmware/images.json entry of the image to flash (its sizes are reported)."""
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
    details: dict = {"port": serial_port.name, "serial_samples": count, "request_retries": device.retries}
    if image is not None:
        details["image"] = image["elf"].removesuffix(".elf") + ".bin"
    if serial is None:
        return device_result(info.board, problems, None, info.counter_unit, None, image, details)
    details["serial_bytes_per_second"] = round(throughput or 0)
    details["wall_seconds"] = round(time.monotonic() - wall_start, 1)
    counts = {"feature": serial["feature_counts"], "inference": serial["inference_counts"]}
    agreement = _agreement(serial["scores"], reference, slice(0, count))
    if (decisions := _decisions(serial["labels"], reference, slice(0, count))) is not None:
        details["decisions"] = decisions
    return device_result(info.board, problems + serial["problems"], agreement, info.counter_unit, counts, image,
                         details)


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
