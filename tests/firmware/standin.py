"""Python twin of the stand-in model in standin_model/ (tests only) and the fixture that builds firmware with it.

Until a real generated model is used, the firmware is tested with this tiny hand-written model: the MNIST app's
pixel scaling and input quantization, then score k = clamp(((sum of (q[i] - zp) over i % 10 == k) >> 6) - 128).
"""

from pathlib import Path

import numpy as np

from mnist.pixels import PIXEL_MAX, scale_pixels
from shared.board.firmware import write_config_header
from shared.chain import write_identity_header
from shared.evaluate import quantize

STANDIN_DIR = Path(__file__).with_name("standin_model")
INPUT_SCALE = np.float32(0.00392156886)
INPUT_ZERO_POINT = -128


def write_generated_dir(out: Path) -> Path:
    """model.c/model.h (the stand-in), model_identity.h and mnist_config.h, as a run exports them for a real model."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("model.c", "model.h"):
        (out / name).write_text((STANDIN_DIR / name).read_text())
    values = {"image_rows": 28, "image_cols": 28, "pixel_divisor": float(PIXEL_MAX)}
    write_config_header(out, "mnist", values, "tests/firmware/standin.py")
    write_identity_header(out, "standin")
    return out


def pixel_features(images: np.ndarray) -> np.ndarray:
    """(N, 784) uint8 -> (N, 784) float32, the host's pixel scaling (mnist/pixels.py)."""
    return scale_pixels(images.reshape(-1, 28, 28)).reshape(len(images), -1)


def standin_scores(images: np.ndarray) -> np.ndarray:
    """(N, 784) uint8 -> (N, 10) int8, what the firmware must answer."""
    q = quantize(pixel_features(images), float(INPUT_SCALE), INPUT_ZERO_POINT).astype(np.int32) - INPUT_ZERO_POINT
    sums = np.stack([q[:, k::10].sum(axis=1) for k in range(10)], axis=1)  # (N, 10): pixels i with i % 10 == k
    return np.clip((sums >> 6) - 128, -128, 127).astype(np.int8)


def build_standin_image(tmp: Path, board: str = "mps2-an500", variant: str = "serial"):
    """The MNIST app with the stand-in model for `board`, warnings as errors (skips without the toolchain)."""
    from shared.board.firmware import build_firmware
    from tests.conftest import require_tool

    for tool in ("cmake", "arm-none-eabi-gcc"):
        require_tool(tool)
    generated = write_generated_dir(tmp / "generated")
    return build_firmware("mnist", board, generated, tmp / f"{board}-{variant}", variant=variant, werror=True)
