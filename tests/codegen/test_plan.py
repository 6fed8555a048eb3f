"""The static memory plan on small synthetic graphs: reuse, views, in-place writing, scratch, caller buffers."""

from __future__ import annotations

import pytest

from shared.codegen.plan import plan_memory, scratch_key

# tensors: 0 model input; 1..n activations; sizes in bytes
SIZES = {0: 64, 1: 100, 2: 25, 3: 40, 4: 40, 5: 10}


def test_chain_reuses_memory_and_keeps_caller_buffers_out_of_the_arena():
    layers = [(0, [0], 1, "op"), (1, [1], 2, "op"), (2, [2], 3, "op"), (3, [3], 5, "op")]
    plan = plan_memory(layers, SIZES, model_input=0, model_output=5)
    assert plan.buffer(0).place == "input" and plan.buffer(5).place == "output"
    # peak: tensor 1 and 2 alive together at op 1 (100 + 25, aligned to 8)
    assert plan.arena_bytes == 104 + 25


def test_in_place_pooling_drops_the_peak():
    layers = [(0, [0], 1, "op"), (1, [1], 2, "in_place"), (2, [2], 3, "op"), (3, [3], 5, "op")]
    plan = plan_memory(layers, SIZES, model_input=0, model_output=5)
    assert plan.arena_bytes == 100 and (1, 2) in plan.in_place
    assert plan.buffer(1).offset == plan.buffer(2).offset


def test_views_share_bytes_and_scratch_is_counted():
    layers = [(0, [0], 1, "op"), (1, [1], 2, "view"), (2, [2], 5, "op")]
    plan = plan_memory(layers, {**SIZES, 2: 100}, model_input=0, model_output=5,
                       scratch={2: 32})
    assert plan.root_of[2] == 1
    scratch = plan.buffers[scratch_key(2)]
    assert scratch.first == scratch.last == 2 and plan.arena_bytes == 104 + 32


def test_model_input_is_never_overwritten_in_place():
    layers = [(0, [0], 1, "in_place"), (1, [1], 5, "op")]
    plan = plan_memory(layers, {0: 64, 1: 64, 5: 10}, model_input=0, model_output=5)
    assert plan.buffer(1).place == "arena" and plan.in_place == set()


def test_offset_views_keep_their_root_alive_for_every_reader():
    """Tensor 1 feeds two slice views (2 at byte 0, 3 at byte 60, as a STRIDED_SLICE x[:, K:]): both readers keep it
    alive, so op 3 (in place over view 2) may not overwrite it while op 4 still reads view 3."""
    layers = [(0, [0], 1, "op"), (1, [1], 2, "view"), (2, [1], 3, "view"), (3, [2], 4, "in_place"),
              (4, [3], 6, "op"), (5, [4, 6], 5, "op")]
    sizes = {0: 64, 1: 100, 2: 40, 3: 40, 4: 40, 5: 10, 6: 8}
    plan = plan_memory(layers, sizes, model_input=0, model_output=5, view_offsets={3: 60})
    assert plan.root_of[2] == plan.root_of[3] == 1 and plan.offsets == {3: 60}
    assert plan.buffer(1).last == 4 and plan.in_place == set()
    four = plan.buffer(4)
    assert four.offset >= plan.buffer(1).offset + 100 or four.offset + 40 <= plan.buffer(1).offset


def test_no_in_place_writing_over_an_offset_view():
    """An in-place op whose input 0 starts inside its root is not pinned (its lead is counted from the root), and a
    view of an offset view adds up the offsets."""
    layers = [(0, [0], 1, "op"), (1, [1], 2, "view"), (2, [2], 3, "view"), (3, [3], 4, "in_place"), (4, [4], 5, "op")]
    sizes = {0: 64, 1: 100, 2: 48, 3: 48, 4: 48, 5: 10}
    plan = plan_memory(layers, sizes, model_input=0, model_output=5, view_offsets={2: 52})
    assert plan.offsets == {2: 52, 3: 52} and plan.in_place == set()
    plain = plan_memory(layers, sizes, model_input=0, model_output=5)
    assert (1, 4) in plain.in_place  # at offset 0 the same op is written in place


def test_model_output_may_not_be_part_of_a_tensor():
    layers = [(0, [0], 1, "op"), (1, [1], 5, "view")]
    with pytest.raises(ValueError, match="part of another tensor"):
        plan_memory(layers, {0: 64, 1: 100, 5: 10}, model_input=0, model_output=5, view_offsets={5: 8})
    with pytest.raises(ValueError, match="part of another tensor"):
        plan_memory(layers, {0: 64, 1: 100, 5: 10}, model_input=0, model_output=5)
