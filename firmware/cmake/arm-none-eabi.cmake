# Toolchain file for Cortex-M7 with the single-precision FPU (both boards), using Debian's gcc-arm-none-eabi.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy for .bin images")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size for flash/RAM reports")
# Test compiles make a library: a bare-metal executable cannot link without our startup and linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
# Both boards: Cortex-M7 with the single-precision FPU (FPv5-SP-D16), hard-float ABI, Thumb-2. CMakeLists.txt
# adds these to every target, so a -DCMAKE_C_FLAGS=... on the command line cannot drop them.
set(TINYML_CPU_FLAGS -mcpu=cortex-m7 -mfpu=fpv5-sp-d16 -mfloat-abi=hard -mthumb)
string(REPLACE ";" " " _tinyml_cpu_flags "${TINYML_CPU_FLAGS}")
set(CMAKE_C_FLAGS_INIT "${_tinyml_cpu_flags}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
