"""Static memory plan: every activation buffer gets a fixed offset in one arena.

Views (RESHAPE and friends; a contiguous STRIDED_SLICE at an offset into it) share their input's buffer, which
stays alive while any of them is read, and so does the output of an op whose kernel can write
over its input (pooling without padding, unpadded 1x1 convolutions, elementwise ops) when that input dies there:
at the input's offset, or `lead` bytes before it (a sliding window; a widening convolution), or, for a
convolution run with its pixels last to first, `trail` bytes after it. The model input is read from the caller's
pointer and the model output is written straight into the caller's buffer, so neither takes arena space. Kernels
that need scratch (the int16 column of CONV_2D / FULLY_CONNECTED) get a buffer alive during their op only. All buffers
are placed greedily, largest first, at the lowest aligned offset that does not overlap any buffer whose lifetime
(first write .. last read, in op order) overlaps its own. The arena is the model's whole RAM besides the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    in_place: set[tuple[int, int]] = field(default_factory=set)  # (input root, output root) sharing an offset
    reversed: set[int] = field(default_factory=set)  # ops written in place after their input: pixels last to first
    offsets: dict[int, int] = field(default_factory=dict)  # view tensor -> bytes after its root's first byte (if > 0)

    def buffer(self, tensor: int) -> Buffer:
        return self.buffers[self.root_of[tensor]]


def scratch_key(op_index: int) -> int:
    """Buffers are keyed by root tensor; an op's scratch gets a negative key."""
    return -1 - op_index


def plan_memory(layers, tensor_sizes: dict[int, int], model_input: int, model_output: int,
                scratch: dict[int, int] | None = None, leads: dict[int, int] | None = None,
                trails: dict[int, int] | None = None, view_offsets: dict[int, int] | None = None) -> MemoryPlan:
    """`layers`: (op index, input tensors, output tensor, kind) in execution order, kind "view" (output is the
    input's bytes), "in_place" (the kernel may write its output over input 0 when input 0 dies there) or "op";
    `scratch`: bytes of scratch by op index, live during that op only; `leads`: for in-place ops, how many bytes
    before input 0 the output must start (0 when not given); `trails`: for in-place ops that can also run in
    reverse order, how many bytes (> 0) after input 0 the output must start then; `view_offsets`: for views
    that start inside their input (a contiguous STRIDED_SLICE), view tensor -> bytes after input 0's first byte.

    Writing in place keeps the input's block and the output's overlapping, which can also force worse placements
    elsewhere, so in-place ops are switched on one at a time, in model order, and each is kept only when the
    arena does not grow (a few dozen cheap plans); an op with a trail is tried forward, then in reverse, which is
    kept only when it makes the arena smaller still. Then, every op decided, each other choice of each op is tried
    again and kept when the arena shrinks (a reversed op may pay only once the ops after it are in place), until
    none does. Internally a trail is a negative lead."""
    leads = {index: align(lead) for index, lead in (leads or {}).items()}
    trails = {index: -align(trail) for index, trail in (trails or {}).items() if trail > 0}
    candidates = [index for index, _, _, kind in layers if kind == "in_place"]
    options = {index: [leads.get(index, 0), *([trails[index]] if index in trails else [])] for index in candidates}
    enabled: dict[int, int] = {}
    best = place_buffers(layers, tensor_sizes, model_input, model_output, scratch, enabled, view_offsets)
    for index in candidates:
        chosen = None
        for lead in options[index]:
            trial_ops = {**enabled, index: lead}
            trial = place_buffers(layers, tensor_sizes, model_input, model_output, scratch, trial_ops, view_offsets)
            if trial.arena_bytes < best.arena_bytes or (chosen is None and trial.arena_bytes == best.arena_bytes):
                best, chosen = trial, trial_ops
        enabled = chosen or enabled
    improved = True
    while improved:  # with every op decided, each other choice again, kept when the arena shrinks
        improved = False
        for index in candidates:
            for lead in (lead for lead in options[index] if enabled.get(index) != lead):
                trial_ops = {**enabled, index: lead}
                trial = place_buffers(layers, tensor_sizes, model_input, model_output, scratch, trial_ops, view_offsets)
                if trial.arena_bytes < best.arena_bytes:
                    best, enabled, improved = trial, trial_ops, True
    return best


def place_buffers(layers, tensor_sizes, model_input, model_output, scratch, in_place_ops: dict[int, int],
                  view_offsets: dict[int, int] | None = None):
    """One plan with in-place writing allowed for the ops of `in_place_ops` (op index -> lead bytes)."""
    root_of = view_roots(layers, model_input)
    offsets = root_offsets(layers, view_offsets or {})
    buffers = {model_input: Buffer(model_input, tensor_sizes[model_input], -1, -1, place="input")}
    for index, inputs, output, _ in layers:
        for tensor in inputs:
            buffer = buffers[root_of[tensor]]
            buffer.last = max(buffer.last, index)
        if root_of[output] == output:
            buffers[output] = Buffer(output, tensor_sizes[output], index, index)
    for index, size in (scratch or {}).items():
        buffers[scratch_key(index)] = Buffer(scratch_key(index), size, index, index)
    output_buffer = buffers[root_of[model_output]]
    if output_buffer.place == "input":
        raise ValueError("the model output is a view of the model input; nothing to compute")
    if model_output in offsets or output_buffer.size != tensor_sizes[model_output]:
        raise ValueError("the model output is a view of part of another tensor; it must be copied")
    output_buffer.place = "output"
    followers: dict[int, list[tuple[Buffer, int]]] = {}
    anchors: dict[int, tuple[Buffer, int]] = {}  # output root -> (the input block it is written over, lead)
    for target, (source, lead) in in_place_pins(layers, root_of, buffers, in_place_ops, offsets).items():
        followers.setdefault(source, []).append((buffers[target], lead))
        anchors[target] = (buffers[source], lead)
    placed: list[Buffer] = []
    for buffer in sorted((b for b in buffers.values() if b.place == "arena"), key=lambda b: (-b.size, b.first, b.root)):
        if buffer in placed:
            continue
        prefix = room_for_followers(buffer.root, followers)
        widened = Buffer(buffer.root, prefix + buffer.size, buffer.first, buffer.last)
        buffer.offset = prefix + lowest_free_offset(widened, [p for p in placed if p.overlaps_in_time(buffer)])
        placed.append(buffer)
        place_pinned(buffer, followers, anchors, placed)
    in_place = {(anchor, b.root) for anchor, group in followers.items() for b, lead in group
                if b.offset == buffers[anchor].offset - lead}
    arena_bytes = max((b.offset + b.size for b in placed), default=0)
    reversed_ops = {index for index, inputs, output, _ in layers if in_place_ops.get(index, 0) < 0
                    and (root_of[inputs[0]], root_of[output]) in in_place}
    return MemoryPlan(buffers, root_of, arena_bytes, in_place, reversed_ops, offsets)


def room_for_followers(root: int, followers: dict) -> int:
    """Bytes to keep free below a block so that its chain of in-place followers can start before it."""
    return max([0, *(lead + room_for_followers(buffer.root, followers) for buffer, lead in followers.get(root, []))])


def place_pinned(buffer: Buffer, followers: dict, anchors: dict, placed: list[Buffer]) -> None:
    """Place the blocks pinned to a block just placed, each where the pin puts it when nothing else is in the way
    there (otherwise where it fits), then theirs: the outputs written in place over it `lead` bytes before its
    offset, and (when the output is the larger block, so placed first) its input `lead` bytes after."""
    neighbours = [(b, buffer.offset - lead) for b, lead in followers.get(buffer.root, [])]
    if buffer.root in anchors:
        anchor, lead = anchors[buffer.root]
        neighbours.append((anchor, buffer.offset + lead))
    for neighbour, offset in neighbours:
        if neighbour in placed:
            continue
        conflicts = [p for p in placed if p.overlaps_in_time(neighbour)]
        if offset < 0 or any(overlaps_in_space(offset, neighbour.size, other) for other in conflicts
                             if other is not buffer):
            neighbour.offset = lowest_free_offset(neighbour, conflicts)
        else:
            neighbour.offset = offset  # the pin holds: written in place
        placed.append(neighbour)
        place_pinned(neighbour, followers, anchors, placed)


def view_roots(layers, model_input: int) -> dict[int, int]:
    """tensor -> root tensor owning its bytes (views share their input's root)."""
    root_of = {model_input: model_input}
    for _, inputs, output, kind in layers:
        root_of[output] = root_of[inputs[0]] if kind == "view" else output
    return root_of


def root_offsets(layers, view_offsets: dict[int, int]) -> dict[int, int]:
    """view tensor -> bytes from its root's first byte to its own, for views not at their root's start (a view of
    an offset view adds up the offsets)."""
    offsets: dict[int, int] = {}
    for _, inputs, output, kind in layers:
        if kind == "view" and offsets.get(inputs[0], 0) + view_offsets.get(output, 0):
            offsets[output] = offsets.get(inputs[0], 0) + view_offsets.get(output, 0)
    return offsets


def in_place_pins(layers, root_of: dict[int, int], buffers: dict[int, Buffer], in_place_ops: dict[int, int],
                  offsets: dict[int, int]):
    """output root -> (input root, lead) for in-place ops whose input 0 is an arena buffer read for the last time
    there: the output may start `lead` bytes before the input even though both are live during that op. Not when
    input 0 starts inside its root (an offset view: the lead would be off by the offset) or another input shares
    its root (two views of one buffer)."""
    pins = {}
    for index, inputs, output, kind in layers:
        if kind != "in_place" or index not in in_place_ops or inputs[0] in offsets:
            continue
        if sum(root_of[tensor] == root_of[inputs[0]] for tensor in inputs) != 1:
            continue
        source, target = buffers[root_of[inputs[0]]], buffers[root_of[output]]
        if source.place == target.place == "arena" and source.last == index and target.first == index:
            pins[target.root] = (source.root, in_place_ops[index])
    return pins


def overlaps_in_space(offset: int, size: int, other: Buffer) -> bool:
    return offset < other.offset + other.size and other.offset < offset + size


def lowest_free_offset(buffer: Buffer, conflicts: list[Buffer]) -> int:
    offset = 0
    for other in sorted(conflicts, key=lambda b: b.offset):
        if offset + buffer.size <= other.offset:
            break
        offset = max(offset, align(other.offset + other.size))
    return offset


def align(offset: int) -> int:
    return (offset + ALIGN_BYTES - 1) // ALIGN_BYTES * ALIGN_BYTES
