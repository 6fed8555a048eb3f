"""Firmware images (firmware/CMakeLists.txt, boards/, core/): they build warning-free for both boards, link against
the real STM32F746 memory map, fit its 1 MB flash / 320 KB RAM, start from a sane vector table and carry no heap
or stdio (what arm-none-eabi-size and arm-none-eabi-nm say)."""

import subprocess

import pytest

from shared.board.firmware import STM32F746_MEMORY, FirmwareError, build_firmware
from tests.firmware.standin import build_standin_image, write_generated_dir

pytestmark = pytest.mark.firmware

FLASH_ORIGIN = {"mps2-an500": 0x00000000, "stm32f746g-disco": 0x08000000}
IMAGES = [("mps2-an500", "serial"), ("mps2-an500", "semihosting"), ("stm32f746g-disco", "serial")]


@pytest.fixture(scope="module", params=IMAGES, ids=["-".join(p) for p in IMAGES])
def image(request, tmp_path_factory):
    board, variant = request.param
    return build_standin_image(tmp_path_factory.mktemp(f"{board}-{variant}"), board, variant)


def _symbols(elf) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    return {parts[-1]: int(parts[0], 16) for parts in (line.split() for line in out.splitlines()) if len(parts) == 3}


def test_image_fits_the_stm32f746(image):
    print(image.summary())
    assert image.flash_bytes <= STM32F746_MEMORY.flash_bytes
    assert image.ram_bytes <= STM32F746_MEMORY.ram_bytes
    assert image.fits()


def test_vector_table_starts_the_flash(image):
    symbols = _symbols(image.elf)
    origin = FLASH_ORIGIN[image.board]
    assert symbols["core_vector_table"] == origin
    assert origin < symbols["Reset_Handler"] < origin + STM32F746_MEMORY.flash_bytes
    assert symbols["_estack"] % 8 == 0


def test_no_heap_and_no_stdio(image):
    symbols = _symbols(image.elf)
    for name in ("malloc", "free", "_sbrk", "printf", "puts", "_write"):
        assert name not in symbols, f"{name} linked into {image.elf.name}"


def test_unknown_board_is_refused(tmp_path):
    generated = write_generated_dir(tmp_path / "generated")
    with pytest.raises(FirmwareError, match="unknown board"):
        build_firmware("mnist", "arduino-uno", generated, tmp_path / "build")


def test_third_party_sources_build_without_our_warning_flags(tmp_path):
    """A library file that warns under -Wconversion still builds with -Werror on our own sources."""
    library = tmp_path / "thirdparty"
    library.mkdir()
    (library / "narrow.h").write_text("int narrow_twice(int x);\n")
    (library / "narrow.c").write_text('#include "narrow.h"\nint narrow_twice(int x) { char c = x; return c * 2; }\n')
    generated = write_generated_dir(tmp_path / "generated")
    image = build_firmware(
        "mnist", "mps2-an500", generated, tmp_path / "build", werror=True,
        library_sources=[library / "narrow.c"], library_include_dirs=[library], library_flags=["-DNARROW_LIB=1"],
    )  # fmt: skip
    assert image.elf.is_file()
    assert "-DNARROW_LIB=1" in (tmp_path / "build" / "CMakeCache.txt").read_text()
