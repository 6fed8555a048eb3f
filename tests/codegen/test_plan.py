"""The static memory plan on small synthetic graphs: reuse, views, in-place writing, scratch, caller buffers."""

from __future__ import annotations

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
