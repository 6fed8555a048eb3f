/* main.c: the codegen benchmark on the firmware harness (firmware/core, boards/mps2-an500). Runs MODEL_invoke
 * (MODEL = -DMODEL=name, MODEL_UPPER its macro prefix) on every sample of inputs.bin (semihosting), writes the
 * outputs to outputs.bin and, per inference, the instructions of the whole invoke and of each layer (by op index)
 * to counts.bin as 1 + BENCH_MAX_OPS uint32. Under `qemu-system-arm -icount shift=0` timing_now() counts
 * instructions (resolution 40). Exit status as firmware/core/main_semihosting.c's, so
 * shared/board/emulator.run_semihosting names the problem. */
#include <stdint.h>

#include "board.h"
#include "profile.h"
#include "semihosting.h"
#include "timing.h"

#define STR_(a) #a
#define STR(a) STR_(a)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#include STR(MODEL.h)

#define INPUT_SIZE CAT(MODEL_UPPER, _INPUT_SIZE)
#define OUTPUT_SIZE CAT(MODEL_UPPER, _OUTPUT_SIZE)
#define BENCH_MAX_OPS 512

enum { EXIT_OK = 0, EXIT_NO_INPUT = 2, EXIT_NO_OUTPUT = 3, EXIT_MODEL_FAILED = 5, EXIT_FAULT = 6 };

static int8_t input[INPUT_SIZE], output[OUTPUT_SIZE];
static uint32_t counts[1 + BENCH_MAX_OPS]; /* whole invoke, then each layer */
static uint32_t layer_mark;

void HardFault_Handler(void)
{
    semihosting_exit(EXIT_FAULT);
}

/* NAME.c calls this after each layer when built with -DNAME_LAYER_HOOK=bench_layer_done (profile.h) */
void bench_layer_done(int op_index, const int8_t *data, size_t bytes)
{
    (void)data; /* the hook's output view serves the inspector; the profile needs only the moment */
    (void)bytes;
    const uint32_t now = timing_now();
    if (op_index >= 0 && op_index < BENCH_MAX_OPS) {
        counts[1 + op_index] += now - layer_mark;
    }
    layer_mark = timing_now();
}

int main(void)
{
    board_init();
    timing_init();
    const int32_t in_file = semihosting_open("inputs.bin", 0);
    if (in_file < 0) {
        semihosting_exit(EXIT_NO_INPUT);
    }
    const int32_t out_file = semihosting_open("outputs.bin", 1), counts_file = semihosting_open("counts.bin", 1);
    if (out_file < 0 || counts_file < 0) {
        semihosting_exit(EXIT_NO_OUTPUT);
    }
    while (semihosting_read(in_file, (uint8_t *)input, INPUT_SIZE) == INPUT_SIZE) {
        for (uint32_t i = 0; i < 1 + BENCH_MAX_OPS; i++) {
            counts[i] = 0u;
        }
        const uint32_t start = timing_now();
        layer_mark = start;
        const int status = CAT(MODEL, _invoke)(input, output);
        counts[0] = timing_now() - start;
        if (status != 0) {
            semihosting_exit(EXIT_MODEL_FAILED);
        }
        if (semihosting_write(out_file, (const uint8_t *)output, OUTPUT_SIZE) != OUTPUT_SIZE ||
            semihosting_write(counts_file, (const uint8_t *)counts, sizeof(counts)) != sizeof(counts)) {
            semihosting_exit(EXIT_NO_OUTPUT);
        }
    }
    semihosting_close(in_file);
    semihosting_close(out_file);
    semihosting_close(counts_file);
    semihosting_exit(EXIT_OK);
}
