"""shared.convert and shared.evaluate: every variant loads and runs; int8 I/O; LiteRT vs TFLM; quantize rule."""

import numpy as np
import pytest

from shared import convert, evaluate, tflm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def variants(trained, blobs):
    model = trained[0]
    representative = convert.representative_samples(blobs[0][0])
    return {
        "float32": convert.to_float32(model),
        "dynamic_range": convert.to_dynamic_range(model),
        "float16": convert.to_float16(model),
        "int8": convert.to_int8(model, representative),
    }


def test_every_variant_runs_and_classifies(variants, blobs):
    _, _, (xt, yt) = blobs
    for name, blob in variants.items():
        accuracy = evaluate.accuracy(evaluate.run_litert(blob, xt), yt)
        assert accuracy > 0.85, f"{name}: accuracy {accuracy:.3f}"


def test_int8_model_has_int8_input_and_output(variants):
    input_quant, output_quant = evaluate.io_quantization(variants["int8"])
    assert input_quant.dtype == np.int8 and output_quant.dtype == np.int8
    assert input_quant.scale > 0


def test_smaller_variants_are_smaller(variants):
    assert len(variants["dynamic_range"]) < len(variants["float32"])
    assert len(variants["float16"]) < len(variants["float32"])


def test_tflm_agrees_with_litert(variants, blobs):
    _, _, (xt, yt) = blobs
    agreement = evaluate.compare_with_tflm(variants["int8"], xt, yt)
    assert agreement.same_class_share > 0.99
    assert agreement.max_abs_difference <= 8, "TFLM and LiteRT should differ by a few LSB at most (softmax)"


def test_tflm_arena_with_margin_runs(variants):
    """The recommended arena really works: run the model in a child with exactly that arena."""
    import subprocess
    import sys

    arena = tflm.measure_arena_bytes(variants["int8"])
    assert arena > tflm.measured_allocation_bytes(variants["int8"])
    script = (
        "import sys, numpy as np\nfrom tflite_micro import runtime\n"
        "i = runtime.Interpreter.from_bytes(open(sys.argv[1], 'rb').read(), arena_size=int(sys.argv[2]))\n"
        "i.set_input(np.zeros((1, 12), np.int8), 0); i.invoke(); print(i.get_output(0).shape)\n"
    )
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".tflite") as handle:
        handle.write(variants["int8"])
        handle.flush()
        done = subprocess.run([sys.executable, "-c", script, handle.name, str(arena)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]


def test_model_files_round_trip(trained, tmp_path, blobs):
    model = trained[0]
    model.save(tmp_path / "m.h5")
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "saved")
    _, _, (xt, _) = blobs
    reference = evaluate.run_litert(convert.to_float32(model), xt[:20])
    for source in (tmp_path / "m.h5", tmp_path / "m.keras", tmp_path / "saved"):
        np.testing.assert_allclose(evaluate.run_litert(convert.to_float32(source), xt[:20]), reference, atol=1e-5,
                                   err_msg=f"{source.name} converts to the same model")


def test_missing_model_file_is_a_clear_error(tmp_path):
    from shared.data import DataError

    with pytest.raises(DataError, match="no such model"):
        convert.load_keras_model(tmp_path / "absent.h5")


def test_quantize_rounds_half_away_from_zero():
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1000.0, -1000.0], dtype=np.float32)
    np.testing.assert_array_equal(evaluate.quantize(values, 1.0, 0), [1, 2, 3, -1, -3, 127, -128])
    np.testing.assert_array_equal(evaluate.quantize(np.array([0.0, 1.0]), 1 / 255, -128), [-128, 127])
