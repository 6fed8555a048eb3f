"""Generated-C inference: an int8 .tflite compiled ahead of time into self-contained C99, bit-exact with TFLM.

    generate(model_bytes, name, source_name) -> GeneratedModel (.c_text, .h_text, .arena_bytes, .layers)
    write_model(model_bytes, out_dir, name, source_name) -> (c_path, h_path), written atomically
    python -m shared.codegen M.tflite --out DIR --name NAME [--flash-budget BYTES]

Macros in NAME.h are upper-case (`MNIST_INPUT_SIZE` for name "mnist"); functions keep the name as given
(`mnist_invoke`). All symbols in NAME.c other than NAME_invoke are static, so several models link together.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from shared.codegen.emit_c import GeneratedModel, LayerInfo, generate
from shared.codegen.graph import UnsupportedModelError

__all__ = ["GeneratedModel", "LayerInfo", "UnsupportedModelError", "generate", "write_generated", "write_model"]


def write_model(model_bytes: bytes, out_dir: Path, name: str, source_name: str,
                flash_budget: int | None = None) -> tuple[Path, Path]:
    """Generate and write out_dir/NAME.c and NAME.h: everything is generated first, each file goes to a temporary
    name then is renamed, so a refusal or a crash leaves no half-written file. flash_budget: see generate."""
    return write_generated(generate(model_bytes, name, source_name, flash_budget), out_dir)


def write_generated(model: GeneratedModel, out_dir: Path) -> tuple[Path, Path]:
    """Write an already generated model as out_dir/NAME.c and NAME.h (each to a temporary name, then renamed)."""
    name = model.name
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / f"{name}.c", out_dir / f"{name}.h")
    temporaries = []
    try:
        for path, text in zip(paths, (model.c_text, model.h_text), strict=True):
            handle, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{path.name}.", suffix=".tmp")
            temporaries.append(temporary)
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        for path, temporary in zip(paths, temporaries, strict=True):
            os.replace(temporary, path)
    finally:
        for temporary in temporaries:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return paths
