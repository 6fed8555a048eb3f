"""The user's own digit images -> MNIST-style 28x28 uint8: light digit on dark, centred like MNIST.

MNIST digits were size-normalised to fit a 20x20 box and centred by centre of mass in 28x28; a photo or a drawing
is brought to the same form. A 28x28 image is taken as it is (apart from polarity).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.cli import UserError

IDX_SUFFIXES = (".idx", "-ubyte", ".idx3", "-ubyte.gz", ".gz")
DIGIT_BOX = 20
SIDE = 28


def _to_mnist_polarity(gray: np.ndarray) -> np.ndarray:
    """Invert when the border is light (a dark digit on paper): MNIST digits are light on dark."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 255 - gray if border.mean() > 127 else gray


def _centre(gray: np.ndarray) -> np.ndarray:
    from PIL import Image

    ys, xs = np.nonzero(gray > 30)
    if len(ys) == 0:
        return np.zeros((SIDE, SIDE), np.uint8)
    crop = gray[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = DIGIT_BOX / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    digit = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS), dtype=np.float64)
    canvas = np.zeros((SIDE, SIDE))
    top, left = (SIDE - digit.shape[0]) // 2, (SIDE - digit.shape[1]) // 2
    canvas[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    total = canvas.sum()
    cy, cx = (np.indices(canvas.shape) * canvas).reshape(2, -1).sum(axis=1) / total
    shift_y, shift_x = round(SIDE / 2 - 0.5 - cy), round(SIDE / 2 - 0.5 - cx)
    canvas = np.roll(canvas, (shift_y, shift_x), axis=(0, 1))
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def load_picture(path: Path) -> np.ndarray:
    """A PNG/JPEG (any size, colour or grey) as a 28x28 uint8 MNIST-style image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            gray = np.asarray(image.convert("L"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as error:
        raise UserError(f"{path}: not a readable image ({error})") from None
    gray = _to_mnist_polarity(gray)
    return gray if gray.shape == (SIDE, SIDE) else _centre(gray)
