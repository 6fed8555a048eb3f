"""Export the TFLite Micro way: the model as a C array, the ops it needs, and a measured tensor-arena size.

Writes, for model NAME, into the output folder:
- `NAME_model.h` / `NAME_model.c`: `const unsigned char NAME_model[]` (16-byte aligned, in flash) and its length,
  plus `NAME_TENSOR_ARENA_SIZE` measured with the TFLM host runtime and a stated margin;
- `NAME_op_resolver.h`: a C++ function registering exactly the ops the model uses with a MicroMutableOpResolver,
  ready for an STM32CubeIDE project that has TFLM.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from shared import tflm
from shared.c_source import c_array, c_identifier, generated_header, include_guard
from shared.data import atomic_write_text

GENERATOR = "tinyml-labs shared.export"


@dataclass(frozen=True)
class TflmExport:
    """What the TFLM-way export wrote and measured."""

    files: tuple[Path, ...]
    ops: tuple[str, ...]
    arena_bytes: int
    measured_allocation_bytes: int
    model_bytes: int


def builtin_op_names(model_bytes: bytes) -> tuple[str, ...]:
    """Builtin operator names used by the model, in first-use order (e.g. ("FULLY_CONNECTED", "SOFTMAX"))."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    code_names = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    names: list[str] = []
    for subgraph in model.subgraphs:
        for operator in subgraph.operators:
            code = model.operatorCodes[operator.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            if builtin == schema.BuiltinOperator.CUSTOM:
                raise ValueError(f"custom op {code.customCode!r} cannot be exported for TFLM")
            if code_names[builtin] not in names:
                names.append(code_names[builtin])
    return tuple(names)


def resolver_method(op_name: str) -> str:
    """MicroMutableOpResolver method for a builtin op: DEPTHWISE_CONV_2D -> AddDepthwiseConv2D."""
    parts = [part if part[0].isdigit() else part.capitalize() for part in op_name.split("_")]
    return "Add" + "".join(parts)


def _model_header(name: str, length: int, arena_bytes: int, measured: int, source: str) -> str:
    opening, closing = include_guard(f"{name}_model")
    return (
        generated_header(GENERATOR, source, f"python -m <app> run  (writes export/tflm/{name}_model.*)")
        + opening
        + "\n#include <stddef.h>\n\n"
        + f"/* Tensor arena for the TFLM interpreter: {measured} bytes measured with the TFLM host runtime\n"
        + f" * (RecordingMicroAllocator total) + {tflm.ARENA_MARGIN_FRACTION:.0%} + {tflm.ARENA_MARGIN_BYTES} bytes"
        + " margin; too small an arena makes TFLM fail. */\n"
        + f"#define {name.upper()}_TENSOR_ARENA_SIZE {arena_bytes}\n"
        + f"#define {name.upper()}_MODEL_LEN {length}\n\n"
        + f"extern const unsigned char {name}_model[{length}];\n"
        + f"extern const size_t {name}_model_len;\n\n"
        + closing
    )


def _model_source(name: str, model_bytes: bytes, source: str) -> str:
    return (
        generated_header(GENERATOR, source, f"python -m <app> run  (writes export/tflm/{name}_model.*)")
        + f'#include "{name}_model.h"\n\n'
        + "/* 16-byte aligned: TFLM reads the flatbuffer in place and needs aligned tensor data. */\n"
        + c_array(f"{name}_model", list(model_bytes), "unsigned char", align_bytes=16)
        + f"const size_t {name}_model_len = {len(model_bytes)};\n"
    )


def _resolver_header(name: str, ops: tuple[str, ...], source: str) -> str:
    opening, closing = include_guard(f"{name}_op_resolver")
    count = f"k{name.capitalize()}OpCount"
    lines = "\n".join(f"    if (resolver.{resolver_method(op)}() != kTfLiteOk) return kTfLiteError;" for op in ops)
    return (
        generated_header(GENERATOR, source, "python -m <app> run")
        + opening
        + "\n/* C++ (TFLM is C++): registers exactly the ops this model uses. */\n"
        + '#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"\n\n'
        + f"constexpr int {count} = {len(ops)};\n\n"
        + f"inline TfLiteStatus {name}_register_ops(tflite::MicroMutableOpResolver<{count}> &resolver) {{\n"
        + lines
        + "\n    return kTfLiteOk;\n}\n\n"
        + closing
    )


def export_tflm(model_bytes: bytes, out_dir: Path, name: str, source_name: str) -> TflmExport:
    """Write the TFLM-way export of an int8 model into `out_dir` (files written atomically)."""
    c_identifier(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    ops = builtin_op_names(model_bytes)
    measured = tflm.measured_allocation_bytes(model_bytes)
    arena = tflm.measure_arena_bytes(model_bytes)
    source = f"{source_name} (sha256 {hashlib.sha256(model_bytes).hexdigest()})"
    texts = {
        out_dir / f"{name}_model.h": _model_header(name, len(model_bytes), arena, measured, source),
        out_dir / f"{name}_model.c": _model_source(name, model_bytes, source),
        out_dir / f"{name}_op_resolver.h": _resolver_header(name, ops, source),
    }
    for path, text in texts.items():
        atomic_write_text(path, text)
    return TflmExport(tuple(texts), ops, arena, measured, len(model_bytes))
