"""MNIST demo settings: one frozen dataclass (training settings inherited from the shared core), two profiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.train import TrainSettings

IMAGE_SIDE = 28
N_CLASSES = 10
LABELS = [str(digit) for digit in range(N_CLASSES)]


@dataclass(frozen=True)
class MnistConfig(TrainSettings):
    """Everything the MNIST demo can change; `--set field=value` on the command line."""

    model: Literal["cnn", "mlp_textbook"] = field(
        default="cnn", metadata={"doc": "cnn: small int8 CNN for the MCU; mlp_textbook: the book's Dense 100-100-10"}
    )
    conv_filters: tuple[int, ...] = field(default=(16, 32, 64), metadata={"doc": "filters of the three 3x3 convs"})
    dropout: float = field(default=0.25, metadata={"doc": "dropout before the classifier"})
    train_limit: int = field(default=0, metadata={"doc": "use at most this many training images (0 = all)"})
    test_size: int = field(default=10000, metadata={"doc": "images carved as test split when t10k files are absent"})
    val_size: int = field(default=5000, metadata={"doc": "images held out of training for early stopping"})
    test_limit: int = field(default=0, metadata={"doc": "evaluate on at most this many test images (0 = all)"})
    shift_pixels: int = field(default=2, metadata={"doc": "augmentation: random shift of up to N pixels (0 = off)"})
    epochs: int = field(default=25, metadata={"doc": "maximum float training epochs"})
    patience: int = field(default=5, metadata={"doc": "early stopping: epochs without val_loss improvement"})
    batch_size: int = field(default=128, metadata={"doc": "samples per gradient step"})
    prune_epochs: int = field(default=2, metadata={"doc": "fine-tuning epochs while pruning"})
    cluster_epochs: int = field(default=1, metadata={"doc": "fine-tuning epochs while clustering"})
    qat_epochs: int = field(default=1, metadata={"doc": "quantization-aware training epochs"})


FULL = MnistConfig()
# Tests and labs: a subset that trains in about a minute on 2 cores.
QUICK = MnistConfig(train_limit=4000, val_size=1000, test_limit=1000, epochs=4, prune_epochs=1, qat_epochs=1,
                    cluster_epochs=1, patience=2)
