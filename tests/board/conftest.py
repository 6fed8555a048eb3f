"""Firmware images with the stand-in model, built once per test session for the emulator tests."""

import pytest

from tests.firmware.standin import build_standin_image


@pytest.fixture(scope="session")
def standin_serial_image(tmp_path_factory):
    return build_standin_image(tmp_path_factory.mktemp("standin_serial"))


@pytest.fixture(scope="session")
def standin_semihosting_image(tmp_path_factory):
    return build_standin_image(tmp_path_factory.mktemp("standin_semihosting"), variant="semihosting")
