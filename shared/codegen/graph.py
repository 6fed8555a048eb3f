"""Reading an int8 .tflite into a small graph: tensors (shape, dtype, quantization, constant data) and ops in order.

The flatbuffer is read with the schema module that ships in the tflite-micro wheel (the same one its interpreter
uses), never parsed by hand. Only the first subgraph is read; TFLM runs that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema


class UnsupportedModelError(ValueError):
    """The model uses an op, type or option the generator does not implement (message names op, index, tensor)."""


# TensorType code -> (name, numpy dtype); only the types a full-integer model carries.
TENSOR_TYPES = {
    schema.TensorType.FLOAT32: ("float32", np.float32),
    schema.TensorType.INT32: ("int32", np.int32),
    schema.TensorType.UINT8: ("uint8", np.uint8),
    schema.TensorType.INT64: ("int64", np.int64),
    schema.TensorType.INT16: ("int16", np.int16),
    schema.TensorType.INT8: ("int8", np.int8),
}
OP_NAMES = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
ACTIVATION_NAMES = {
    code: name for name, code in vars(schema.ActivationFunctionType).items() if not name.startswith("_")
}


@dataclass
class Tensor:
    """One tensor of the subgraph. `data` is set for constants (weights, biases, shapes, axes)."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scales: np.ndarray | None = None  # (n,) float32: per-tensor (n == 1) or per-channel
    zero_points: np.ndarray | None = None  # (n,) int64
    quantized_dimension: int = 0
    data: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def scale(self) -> float:
        """The per-tensor scale (float32 value, as TFLM reads it)."""
        return float(self.scales[0])

    @property
    def zero_point(self) -> int:
        return int(self.zero_points[0])


@dataclass
class Op:
    """One operator: builtin name, its index in the subgraph, input/output tensor indices (-1 = absent), options."""

    index: int
    kind: str
    inputs: list[int]
    outputs: list[int]
    options: object | None = None


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    extra: dict = field(default_factory=dict)

    def refuse(self, op: Op, problem: str, tensor: int | None = None) -> UnsupportedModelError:
        """An UnsupportedModelError naming the op, its index and (when given) the tensor."""
        where = f"op {op.index} {op.kind}"
        if tensor is not None and tensor >= 0:
            where += f", tensor {tensor} {self.tensors[tensor].name!r}"
        return UnsupportedModelError(f"{where}: {problem}")


def _read_tensor(index: int, raw: schema.TensorT, buffers: list, model_bytes: bytes) -> Tensor:
    dtype = TENSOR_TYPES.get(raw.type, (f"type#{raw.type}", None))
    name = raw.name.decode() if isinstance(raw.name, bytes) else str(raw.name)
    shape = tuple(int(d) for d in raw.shape) if raw.shape is not None else ()
    tensor = Tensor(index, name, shape, dtype[0])
    quant = raw.quantization
    if quant is not None and quant.scale is not None and len(quant.scale) > 0:
        tensor.scales = np.asarray(quant.scale, dtype=np.float32)
        tensor.zero_points = np.asarray(quant.zeroPoint, dtype=np.int64)
        tensor.quantized_dimension = int(quant.quantizedDimension)
    buffer = buffers[raw.buffer] if raw.buffer < len(buffers) else None
    blob = _buffer_bytes(buffer, model_bytes)
    if blob is not None and len(blob) > 0 and dtype[1] is not None:
        tensor.data = np.frombuffer(blob, dtype=dtype[1]).reshape(shape)
    return tensor


def _buffer_bytes(buffer, model_bytes: bytes) -> bytes | None:
    """Bytes of a buffer: inline data, or (models over 2 GB style) an offset/size into the file."""
    if buffer is None:
        return None
    if buffer.data is not None and len(buffer.data) > 0:
        return np.asarray(buffer.data, dtype=np.uint8).tobytes()
    if getattr(buffer, "offset", 0) and buffer.offset > 1:
        return model_bytes[buffer.offset : buffer.offset + buffer.size]
    return None


def read_graph(model_bytes: bytes) -> Graph:
    """Parse `model_bytes` (a .tflite flatbuffer) into a Graph; UnsupportedModelError if it is not a usable model."""
    try:
        model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(bytearray(model_bytes), 0))
    except Exception as error:  # the flatbuffer reader raises assorted errors on garbage input
        raise UnsupportedModelError(f"not a TFLite flatbuffer ({type(error).__name__}: {error})") from error
    if not model.subgraphs:
        raise UnsupportedModelError("the model has no subgraph")
    if len(model.subgraphs) > 1:
        raise UnsupportedModelError(f"the model has {len(model.subgraphs)} subgraphs; only single-subgraph models")
    subgraph = model.subgraphs[0]
    buffers = model.buffers or []
    tensors = [_read_tensor(i, t, buffers, model_bytes) for i, t in enumerate(subgraph.tensors or [])]
    ops = []
    for index, raw in enumerate(subgraph.operators or []):
        code = model.operatorCodes[raw.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        kind = OP_NAMES.get(builtin, f"BUILTIN#{builtin}")
        if kind == "CUSTOM":
            custom = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
            kind = f"CUSTOM({custom})"
        inputs = [int(i) for i in raw.inputs] if raw.inputs is not None else []
        outputs = [int(i) for i in raw.outputs] if raw.outputs is not None else []
        ops.append(Op(index, kind, inputs, outputs, raw.builtinOptions))
    return Graph(tensors, ops, [int(i) for i in subgraph.inputs], [int(i) for i in subgraph.outputs])
