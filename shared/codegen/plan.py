"""Static memory plan: every activation buffer gets a fixed offset in one arena.

Views (RESHAPE and friends) share their input's buffer. The model input is read from the caller's pointer and
the model output is written straight into the caller's buffer, so neither takes arena space. Kernels that need
scratch (the int16 column of CONV_2D / FULLY_CONNECTED) get a buffer alive during their op only. All buffers
are placed greedily, largest first, at the lowest aligned offset that does not overlap any buffer whose lifetime
(first write .. last read, in op order) overlaps its own. The arena is the model's whole RAM besides the stack.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGN_BYTES = 8  # 64-bit loads of the DSP column (LDRD)


@dataclass
class Buffer:
    """One block of activation memory: a root tensor and the tensors that are views of it."""

    root: int  # tensor index of the tensor that owns the bytes (negative: an op's scratch, see scratch_key)
    size: int  # bytes
    first: int  # index of the op that writes it (-1: the model input)
    last: int  # index of the last op that reads it
    place: str = "arena"  # "arena", "input" or "output"
    offset: int = 0

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    buffers: dict[int, Buffer]  # by root tensor
    root_of: dict[int, int]  # tensor -> root tensor
    arena_bytes: int

    def buffer(self, tensor: int) -> Buffer:
        return self.buffers[self.root_of[tensor]]


def scratch_key(op_index: int) -> int:
    """Buffers are keyed by root tensor; an op's scratch gets a negative key."""
    return -1 - op_index


def plan_memory(layers, tensor_sizes: dict[int, int], model_input: int, model_output: int,
                scratch: dict[int, int] | None = None) -> MemoryPlan:
    """`layers`: (op index, input tensors, output tensor, is_view) in execution order; `scratch`: bytes of
    scratch by op index, live during that op only."""
    root_of = {model_input: model_input}
    buffers = {model_input: Buffer(model_input, tensor_sizes[model_input], -1, -1, place="input")}
    for index, inputs, output, is_view in layers:
        for tensor in inputs:
            buffer = buffers[root_of[tensor]]
            buffer.last = max(buffer.last, index)
        if is_view:
            root_of[output] = root_of[inputs[0]]
        else:
            root_of[output] = output
            buffers[output] = Buffer(output, tensor_sizes[output], index, index)
    for index, size in (scratch or {}).items():
        buffers[scratch_key(index)] = Buffer(scratch_key(index), size, index, index)
    output_buffer = buffers[root_of[model_output]]
    if output_buffer.place == "input":
        raise ValueError("the model output is a view of the model input; nothing to compute")
    output_buffer.place = "output"
    placed: list[Buffer] = []
    arena_buffers = [b for b in buffers.values() if b.place == "arena"]
    for buffer in sorted(arena_buffers, key=lambda b: (-b.size, b.first, b.root)):
        buffer.offset = lowest_free_offset(buffer, [p for p in placed if p.overlaps_in_time(buffer)])
        placed.append(buffer)
    arena_bytes = max((b.offset + b.size for b in placed), default=0)
    return MemoryPlan(buffers, root_of, arena_bytes)


def lowest_free_offset(buffer: Buffer, conflicts: list[Buffer]) -> int:
    offset = 0
    for other in sorted(conflicts, key=lambda b: b.offset):
        if offset + buffer.size <= other.offset:
            break
        offset = max(offset, align(other.offset + other.size))
    return offset


def align(offset: int) -> int:
    return (offset + ALIGN_BYTES - 1) // ALIGN_BYTES * ALIGN_BYTES
