"""Pixel scaling, the MNIST "feature" step: uint8 0..255 -> float32 0..1, shape (N, 28, 28, 1).

The device does the same in C (firmware/apps/mnist): float32 division by 255, then the model's input quantization.
"""

from __future__ import annotations

import numpy as np

PIXEL_MAX = np.float32(255.0)


def scale_pixels(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 28, 28, 1) float32 in [0, 1], by float32 division (as the C twin)."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {images.dtype}")
    return (images.astype(np.float32) / PIXEL_MAX)[..., None]
