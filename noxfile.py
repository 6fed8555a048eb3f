"""Sessions: one demo end to end (har, kws, mnist), tests, lint, firmware.

    nox -s mnist              # the MNIST demo, full data, all variants -> build/mnist/
    nox -s mnist -- --quick   # small subset, about a minute
    nox -s labs               # the six classroom labs (docs/labs/); -- 3 runs lab 3, -- --smoke CI's smoke mode
    nox -s tests              # the test suite (what CI runs)

Virtual environments are reused between runs (the pinned TensorFlow stack is ~2.7 GB and takes minutes to install).
"""

from pathlib import Path

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint"]

PYTHON = "3.11"


def _install(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    # CMSIS-DSP C sources (PyPI sdist, sha256-pinned) into the cache now, so builds and tests need no network later.
    session.run("python", "-c", "from shared.cmsis_dsp import cmsis_dsp_root; print('CMSIS-DSP:', cmsis_dsp_root())")


def _demo(session: nox.Session, app: str) -> None:
    _install(session)
    session.run("python", "-m", app, "run", *session.posargs)


@nox.session(python=PYTHON)
def mnist(session: nox.Session) -> None:
    """MNIST demo end to end: data, CNN, all variants, export, firmware, device check, report."""
    _demo(session, "mnist")


@nox.session(python=PYTHON)
def kws(session: nox.Session) -> None:
    """Keyword spotting (FSDD spoken digits) end to end: MFCC as CMSIS-DSP computes it, the board computes it too."""
    _demo(session, "kws")


@nox.session(python=PYTHON)
def har(session: nox.Session) -> None:
    """Human activity recognition end to end: WISDM raw if local or downloadable, else MotionSense (says which);
    -- --data motionsense|synthetic|wisdm-arff choose."""
    _demo(session, "har")


@nox.session(python=PYTHON)
def labs(session: nox.Session) -> None:
    """The classroom labs (docs/labs/): all, or the ones named (-- 3 5); -- --smoke runs CI's fast smoke mode."""
    _install(session)
    args = [arg for arg in session.posargs if arg != "--smoke"]
    env = {"TINYML_LABS_SMOKE": "1"} if "--smoke" in session.posargs else {}
    found = sorted(Path("docs/labs").glob("[0-9][0-9]_*.py"))
    chosen = [lab for lab in found if not args or any(a.isdigit() and lab.name.startswith(f"{int(a):02d}_")
                                                      for a in args)]
    if not chosen:
        session.error(f"no lab matches {args}; labs: {', '.join(lab.stem for lab in found)}")
    for lab in chosen:
        session.run("python", str(lab), env=env)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite: unit, parity, emulator end-to-end. Extra args go to pytest (e.g. -- -m 'not slow')."""
    _install(session)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def firmware(session: nox.Session) -> None:
    """Firmware builds, protocol fuzzing and emulator tests only (cmake, arm-none-eabi-gcc, qemu-system-arm)."""
    _install(session)
    session.run("pytest", "tests/board", "tests/firmware", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
