"""Third-party noise that says nothing to the user, filtered around the one call that makes it.

TensorFlow and LiteRT write some lines from C++ straight to the process's stderr (file descriptor 2), where Python's
`warnings` filters cannot reach them. `native_stderr_without` captures fd 2 for the duration of one call and then
writes back every line that does not match one of the given patterns, so nothing else is lost (only delayed until
the call returns). Python warnings are filtered with `warnings.catch_warnings` at the call that raises them.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

STDERR_FD = 2


@contextmanager
def native_stderr_without(*patterns: str) -> Iterator[None]:
    """Inside the block, C-level stderr lines matching any regex in `patterns` are dropped; the rest pass after it."""
    noise = re.compile("|".join(f"(?:{p})" for p in patterns))
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(STDERR_FD)
        os.dup2(captured.fileno(), STDERR_FD)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, STDERR_FD)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines(keepends=True)
                    if not noise.search(line)]  # fmt: skip
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
