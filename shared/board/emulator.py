"""Running firmware on the emulated Cortex-M7 (`qemu-system-arm -M mps2-an500 -icount shift=0`).

`Emulator(image)` is a context manager: it starts QEMU with the board UART on a free local TCP port, connects, waits
for the firmware's banner and always shuts QEMU down, even when the test or check inside fails. `run_semihosting`
runs a semihosting image to completion on an input file (bulk evaluation).
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.board.firmware import FirmwareError, require_tools
from shared.board.protocol import BANNER_TEXTS, BULK_EXIT_CODES, BULK_FIELDS, BULK_MAGIC, field_offsets, unpack_fields

BANNER_APP = BANNER_TEXTS["APP"].encode()  # the banner is complete once this and then a line end have arrived
BANNER_END = BANNER_TEXTS["END"].encode()
QEMU_MACHINE = "mps2-an500"


def qemu_command(elf: Path, serial: str) -> list[str]:
    """The QEMU command line; -icount shift=0 makes SysTick count instructions (1 instruction = 1 ns)."""
    return [
        "qemu-system-arm", "-M", QEMU_MACHINE, "-display", "none", "-monitor", "none", "-nodefaults",
        "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
        "-serial", serial, "-kernel", str(elf),
    ]  # fmt: skip


# A second start on a new port if the first gives no banner: the port from free_port() can be taken by another
# process between the probe and QEMU's bind (seen once with several emulators started at the same moment).
START_ATTEMPTS = 2


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (QEMU binds it a moment later; a clash fails loudly, not silently)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> str:
    """Stop QEMU (terminate, then kill) and return what it wrote on stderr."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.stderr.read().decode(errors="replace") if process.stderr else ""


class Emulator:
    """QEMU running a serial firmware image; inside `with`, `serial` is a pyserial port on its UART."""

    def __init__(self, elf: Path, start_timeout_s: float = 20.0) -> None:
        self.elf = Path(elf)
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.banner = b""
        self.serial = None  # a pyserial port connected to the board UART, while inside `with`

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def __enter__(self) -> Emulator:
        require_tools("qemu-system-arm")
        if not self.elf.is_file():
            raise FirmwareError(f"firmware image {self.elf} does not exist")
        for attempt in range(1, START_ATTEMPTS + 1):
            self._start()
            try:
                self._connect_and_wait_for_banner()
                return self
            except FirmwareError:
                self.__exit__(None, None, None)
                if attempt == START_ATTEMPTS:
                    raise
            except BaseException:
                self.__exit__(None, None, None)
                raise
        return self

    def _start(self) -> None:
        self.port = free_port()
        self.banner = b""
        # wait=on: QEMU starts the CPU only once we are connected, so the banner is never lost.
        serial = f"tcp:127.0.0.1:{self.port},server=on,wait=on,nodelay=on"
        self.process = subprocess.Popen(
            qemu_command(self.elf, serial), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def _connect_and_wait_for_banner(self) -> None:
        import serial

        deadline = time.monotonic() + self.start_timeout_s
        while self.serial is None:
            if self.process.poll() is not None:
                raise FirmwareError(f"QEMU exited with {self.process.returncode} before listening on {self.url}")
            try:
                self.serial = serial.serial_for_url(self.url, timeout=0.2)
            except serial.SerialException:
                if time.monotonic() > deadline:
                    raise FirmwareError(f"QEMU did not open {self.url} within {self.start_timeout_s} s") from None
                time.sleep(0.02)
        raw_socket = getattr(self.serial, "_socket", None)
        if raw_socket is not None:  # small frames would wait ~40 ms for Nagle's algorithm otherwise
            raw_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while BANNER_APP not in self.banner or not self.banner.endswith(BANNER_END):
            if time.monotonic() > deadline:
                raise FirmwareError(f"no banner from {self.elf.name} within {self.start_timeout_s} s: {self.banner!r}")
            if self.process.poll() is not None:
                raise FirmwareError(f"QEMU exited with {self.process.returncode} before the banner: {self.banner!r}")
            self.banner += self.serial.read(256)

    def __exit__(self, *exc_info) -> None:
        if self.serial is not None:
            self.serial.close()
            self.serial = None
        if self.process is not None:
            _stop(self.process)
            if self.process.stderr:
                self.process.stderr.close()
            self.process = None


def run_semihosting(elf: Path, work_dir: Path, timeout_s: float) -> None:
    """Run a semihosting image in `work_dir` (it reads inputs.bin, writes outputs.bin) until it exits."""
    require_tools("qemu-system-arm")
    command = qemu_command(Path(elf).resolve(), "null")
    try:
        result = subprocess.run(command, cwd=work_dir, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise FirmwareError(f"{Path(elf).name} did not finish within {timeout_s:.0f} s under QEMU") from None
    if result.returncode != 0:
        reasons = dict(BULK_EXIT_CODES.values())
        why = reasons.get(result.returncode, result.stderr.decode(errors="replace").strip())
        raise FirmwareError(f"{Path(elf).name} exited with {result.returncode} under QEMU: {why}")


@dataclass(frozen=True)
class BulkResult:
    scores: np.ndarray  # (N, output_count) int8
    feature_counts: np.ndarray  # (N,) uint32, instructions spent on features
    inference_counts: np.ndarray  # (N,) uint32, instructions spent on the model
    features: np.ndarray  # (N, feature_count) float32
    counter_unit: int
    labels: np.ndarray | None = None  # (N,) the app's class per input (app_decide)


def run_bulk(elf: Path, raw_inputs: np.ndarray, work_dir: Path, timeout_s: float,
             stream_starts: np.ndarray | None = None) -> BulkResult:
    """All inputs (N, input_bytes) uint8 through a semihosting image in one QEMU run; its outputs, decoded.
    stream_starts (N,) bool: where a new stream starts (the app forgets earlier inputs); None: one stream."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    raw_inputs = np.ascontiguousarray(raw_inputs, dtype=np.uint8)
    (work_dir / "inputs.bin").write_bytes(raw_inputs.tobytes())
    (work_dir / "starts.bin").unlink(missing_ok=True)
    if stream_starts is not None:
        (work_dir / "starts.bin").write_bytes(np.asarray(stream_starts, dtype=bool).astype(np.uint8).tobytes())
    outputs = work_dir / "outputs.bin"
    outputs.unlink(missing_ok=True)
    run_semihosting(elf, work_dir, timeout_s)
    data = outputs.read_bytes()
    header = unpack_fields(BULK_FIELDS, data)
    n_out, n_features = header["OUTPUT_COUNT"], header["FEATURE_COUNT"]
    if header["MAGIC"] != BULK_MAGIC or header["INPUT_BYTES"] != raw_inputs.shape[1]:
        raise FirmwareError(f"{outputs}: not a bulk output for {raw_inputs.shape[1]}-byte inputs")
    record = np.dtype([("scores", "i1", (n_out,)), ("feature_count", "<u4"), ("inference_count", "<u4"),
                       ("label", "<u4"), ("features", "<f4", (n_features,))])  # fmt: skip
    records = np.frombuffer(data, dtype=record, offset=field_offsets(BULK_FIELDS)["FIXED_BYTES"])
    if len(records) != len(raw_inputs):
        raise FirmwareError(f"{outputs}: {len(records)} results for {len(raw_inputs)} inputs")
    return BulkResult(
        records["scores"].reshape(len(records), n_out).copy(),
        records["feature_count"].copy(),
        records["inference_count"].copy(),
        records["features"].reshape(len(records), n_features).copy(),
        header["COUNTER_UNIT"],
        records["label"].astype(np.int64),
    )
