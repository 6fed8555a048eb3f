/* device_main.c: the inspector's program on the firmware harness (firmware/core startup and semihosting, the
 * mps2-an500 board's SysTick instruction count), built by shared/codegen/bench/CMakeLists.txt with
 * -DHARNESS_MAIN=this file and run under `qemu-system-arm -icount shift=0`, where timing_now() counts
 * instructions (resolution 40).
 *
 * The same model is linked twice: MODEL (generated without a hook: what a deployment runs, its invoke is the
 * measured inference) and HOOKED (the same C under another name, built with -DHOOKED_UPPER_LAYER_HOOK=inspect_hook).
 * For every sample of inputs.bin it counts MODEL_invoke, then runs HOOKED_invoke; the hook reads the counter at
 * entry (the layer that just returned ends there), writes the layer's bytes to layers.bin and reads the counter
 * again at exit (the next layer starts there), so the semihosting writes are not counted. Files:
 *   outputs.bin  MODEL's output per sample
 *   layers.bin   per sample, each hook call's layer output bytes in call order
 *   counts.bin   uint32: a header of 4 (instructions of a loop of known length, the loop as counted, instructions
 *                of HOOK_REPEATS hook calls with no layer between, HOOK_REPEATS), then per sample 2 + INSPECT_OPS
 *                (MODEL invoke, HOOKED invoke, each op from the previous hook's exit to its hook's entry).
 * Defines: MODEL, MODEL_UPPER (the harness), HOOKED, HOOKED_UPPER, INSPECT_OPS (HARNESS_DEFINES). Exit status as
 * the bulk firmware's (protocol_codes.h), so shared/board/emulator.run_semihosting names the problem. */

#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "protocol_codes.h"
#include "semihosting.h"
#include "timing.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#include STR(MODEL.h)
#include STR(HOOKED.h)

#define INPUT_SIZE CAT(MODEL_UPPER, _INPUT_SIZE)
#define OUTPUT_SIZE CAT(MODEL_UPPER, _OUTPUT_SIZE)
#define HOOK_REPEATS 4096u
#define LOOP_ITERATIONS 1000000u

void inspect_hook(int op_index, const int8_t *data, size_t bytes);

static int8_t input[INPUT_SIZE], plain_output[OUTPUT_SIZE], hooked_output[OUTPUT_SIZE];
static uint32_t counts[2 + INSPECT_OPS]; /* MODEL invoke, HOOKED invoke, each op */
static uint32_t resumed;                 /* counter when the hook last returned (or the hooked invoke started) */
static uint32_t last_gap;                /* from the previous hook's exit to this hook's entry */
static int32_t layers_file = -1;
static int write_failed;

void HardFault_Handler(void)
{
    semihosting_exit(BULK_EXIT_FAULT);
}

void inspect_hook(int op_index, const int8_t *data, size_t bytes)
{
    const uint32_t now = timing_now();
    last_gap = now - resumed;
    if (op_index >= 0 && op_index < INSPECT_OPS) {
        counts[2 + op_index] = last_gap;
        if (semihosting_write(layers_file, (const uint8_t *)data, bytes) != bytes) {
            write_failed = 1;
        }
    }
    resumed = timing_now();
}

/* 2 instructions per iteration (subs, bne): checks that the counter counts instructions */
static uint32_t loop_count(uint32_t iterations)
{
    const uint32_t start = timing_now();
    __asm volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(iterations) : : "cc");
    return timing_now() - start;
}

static int equal(const int8_t *a, const int8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

static void write_all(int32_t file, const void *data, size_t bytes)
{
    if (semihosting_write(file, (const uint8_t *)data, bytes) != bytes) {
        semihosting_exit(BULK_EXIT_NO_OUTPUT);
    }
}

static int32_t open_file(const char *path, int for_writing)
{
    const int32_t handle = semihosting_open(path, for_writing);
    if (handle < 0) {
        semihosting_exit(for_writing ? BULK_EXIT_NO_OUTPUT : BULK_EXIT_NO_INPUT);
    }
    return handle;
}

int main(void)
{
    board_init();
    timing_init();
    const int32_t in_file = open_file("inputs.bin", 0), out_file = open_file("outputs.bin", 1);
    const int32_t counts_file = open_file("counts.bin", 1);
    layers_file = open_file("layers.bin", 1);
    uint32_t header[4] = {2u * LOOP_ITERATIONS, loop_count(LOOP_ITERATIONS), 0u, HOOK_REPEATS};
    for (uint32_t i = 0; i < HOOK_REPEATS; i++) {
        inspect_hook(-1, NULL, 0);
        inspect_hook(-1, NULL, 0);
        header[2] += last_gap;
    }
    write_all(counts_file, header, sizeof header);
    size_t got;
    while ((got = semihosting_read(in_file, (uint8_t *)input, INPUT_SIZE)) == INPUT_SIZE) {
        for (uint32_t i = 0; i < 2 + INSPECT_OPS; i++) {
            counts[i] = 0u;
        }
        uint32_t start = timing_now();
        const int plain_status = CAT(MODEL, _invoke)(input, plain_output);
        counts[0] = timing_now() - start;
        start = timing_now();
        resumed = start;
        const int hooked_status = CAT(HOOKED, _invoke)(input, hooked_output);
        counts[1] = timing_now() - start;
        if (plain_status != 0 || hooked_status != 0 || !equal(plain_output, hooked_output, OUTPUT_SIZE)) {
            semihosting_exit(BULK_EXIT_APP_FAILED);
        }
        if (write_failed) {
            semihosting_exit(BULK_EXIT_NO_OUTPUT);
        }
        write_all(out_file, plain_output, OUTPUT_SIZE);
        write_all(counts_file, counts, sizeof counts);
    }
    if (got != 0) {
        semihosting_exit(BULK_EXIT_SHORT_INPUT);
    }
    semihosting_close(in_file);
    semihosting_close(out_file);
    semihosting_close(counts_file);
    semihosting_close(layers_file);
    semihosting_exit(BULK_EXIT_OK);
}
