"""shared.quiet: third-party stderr noise dropped around one call, everything else kept."""

import os
import sys
import warnings

import pytest

from shared import convert
from shared.quiet import native_stderr_without


def test_only_matching_native_lines_are_dropped(capfd):
    with native_stderr_without(r"^noise \d+$", "^INFO: chatter"):
        os.write(2, b"noise 1\nkeep me: noise 1 is not at the line start\nINFO: chatter from C\n")
        print("python line on stderr", file=sys.stderr)
        os.write(2, b"noise 22\nlast line without newline")
    err = capfd.readouterr().err
    assert "python line on stderr\n" in err  # (pytest's capfd swaps sys.stderr, so its place in the order varies)
    assert err.replace("python line on stderr\n", "") == (
        "keep me: noise 1 is not at the line start\nlast line without newline"
    )


def test_stderr_is_restored_and_kept_when_the_call_fails(capfd):
    with pytest.raises(RuntimeError), native_stderr_without("^noise$"):
        os.write(2, b"noise\nwhy it failed\n")
        raise RuntimeError("boom")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "why it failed\nafter\n"


@pytest.mark.slow
def test_int8_conversion_is_silent(trained, blobs, capfd):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        blob = convert.to_int8(trained[0], convert.representative_samples(blobs[0][0]))
    assert blob
    assert [str(w.message) for w in seen if convert.INT8_CONVERTER_WARNING in str(w.message)] == []
    assert "fully_quantize" not in capfd.readouterr().err
