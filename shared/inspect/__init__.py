"""Per-layer inspector: where an int8 model loses accuracy, where the generated C or the board differs, where
the time goes.

    python -m shared.inspect build/<app> [--samples N] [--inputs X.npy] [--no-device]
    python -m shared.inspect --tflite M.tflite [--keras M.keras] [--inputs X.npy] --out DIR
    inspect_build(build_dir, samples=100) -> build_dir/inspect/layers.json

For each op of the int8 model, over N samples: float Keras vs LiteRT int8 (SNR, max error in LSB, cosine; the
layer matching is in quant.py), TFLM vs generated C (host debug build) vs the emulated board, byte for byte
(parity.py, device.py), and instructions per layer on the emulated Cortex-M7. Writes layers.json, inspect.md and
layers.png.
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.data import DataError
from shared.inspect.inspector import inspect_model, load_inputs

__all__ = ["BUILD_INPUTS", "inspect_build", "inspect_model"]

BUILD_INPUTS = "export/expected.npz"  # key model_inputs: what the int8 model is fed (float host features)


def build_model_path(build_dir: Path) -> Path:
    """The deployed int8 model: metrics.json's deploy.tflite, else models/int8.tflite."""
    metrics = build_dir / "metrics.json"
    if metrics.is_file():
        deploy = json.loads(metrics.read_text()).get("deploy", {}).get("tflite")
        if deploy:
            return build_dir / deploy
    return build_dir / "models" / "int8.tflite"


def build_keras_path(build_dir: Path) -> Path | None:
    for name in ("float_model.keras", "float_model.h5"):
        if (build_dir / "train" / name).is_file():
            return build_dir / "train" / name
    return None


def inspect_build(build_dir: Path, samples: int = 100, inputs: Path | None = None, device: bool = True) -> Path:
    """Inspect a demo's build folder and write build_dir/inspect/; returns inspect/layers.json.

    Model: the deployed int8 .tflite; float model: train/float_model.keras (or .h5); inputs: the first `samples`
    of export/expected.npz["model_inputs"], else the .npy `inputs`, else seeded random int8 inputs."""
    import numpy as np

    build_dir = Path(build_dir)
    model_path = build_model_path(build_dir)
    if not model_path.is_file():
        raise DataError(f"{model_path}: no deployed int8 model in {build_dir}")
    model_bytes = model_path.read_bytes()
    from shared.codegen.graph import read_graph

    graph = read_graph(model_bytes)
    values, label = None, "the inputs given"
    if (build_dir / BUILD_INPUTS).is_file():
        label = f"{BUILD_INPUTS} (model_inputs)"
        with np.load(build_dir / BUILD_INPUTS, allow_pickle=False) as archive:
            if "model_inputs" not in archive:
                raise DataError(f"{build_dir / BUILD_INPUTS}: no key 'model_inputs'")
            from shared.inspect.inspector import check_inputs

            values = check_inputs(archive["model_inputs"], graph, str(build_dir / BUILD_INPUTS))
    elif inputs is not None:
        values, label = load_inputs(inputs, graph), str(inputs)
    return inspect_model(model_bytes, build_dir / "inspect", build_keras_path(build_dir), values, samples,
                         device=device, title=f"{build_dir.name} ({model_path.relative_to(build_dir)})",
                         inputs_label=label)
