/* device_main.c: the inspector's bare-metal program for QEMU mps2-an500 (Cortex-M7), semihosting I/O.
 *
 * The same model is linked twice: PLAIN (generated without a hook, the measured inference) and HOOKED (the same C
 * under another name, built with HOOKED_UPPER_LAYER_HOOK=inspect_hook). For every sample of batch_in.bin it
 * times PLAIN_invoke, then runs HOOKED_invoke; the hook takes SysTick at entry (the layer that just returned ends
 * there), writes the layer's bytes to layers_out.bin and takes SysTick again at exit (the next layer starts
 * there), so the semihosting writes are not counted. One line per sample:
 *   sample <plain ticks> <hooked ticks> <ticks of op 0> ... <ticks of op INSPECT_OPS-1>
 * plus "calibration <instructions> <ticks>" (a loop of known length) and "hook <ticks> <calls>" (hook calls timed
 * from the previous exit to entry with no layer between: the overhead counted into each layer). Defines: PLAIN, PLAIN_UPPER,
 * HOOKED, HOOKED_UPPER, INSPECT_OPS. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#include STR(PLAIN.h)
#include STR(HOOKED.h)

#define INPUT_SIZE CAT(PLAIN_UPPER, _INPUT_SIZE)
#define OUTPUT_SIZE CAT(PLAIN_UPPER, _OUTPUT_SIZE)

extern uint64_t bench_ticks(void);
void inspect_hook(int op_index, const int8_t *data, size_t bytes);

#define HOOK_REPEATS 4096

static int8_t input[INPUT_SIZE], plain_output[OUTPUT_SIZE], hooked_output[OUTPUT_SIZE];
static uint64_t layer_ticks[INSPECT_OPS];
static uint64_t resumed; /* SysTick when the hook last returned (or the hooked invoke started) */
static FILE *layers_file;
static int write_failed;
static uint64_t last_gap; /* ticks from the previous hook's exit to this hook's entry */

void inspect_hook(int op_index, const int8_t *data, size_t bytes)
{
    uint64_t now = bench_ticks();
    last_gap = now - resumed;
    if (op_index >= 0 && op_index < INSPECT_OPS) {
        layer_ticks[op_index] = last_gap;
        if (layers_file != NULL && fwrite(data, 1, bytes, layers_file) != bytes) {
            write_failed = 1;
        }
    }
    resumed = bench_ticks();
}

/* 2 instructions per iteration (subs, bne) */
static uint64_t calibration_ticks(uint32_t iterations)
{
    uint64_t start = bench_ticks();
    __asm volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(iterations) : : "cc");
    return bench_ticks() - start;
}

int main(void)
{
    const uint32_t loop_iterations = 1000000u;
    printf("calibration %lu %lu\n", (unsigned long)(2u * loop_iterations),
           (unsigned long)calibration_ticks(loop_iterations));
    uint64_t hook_total = 0;
    for (int i = 0; i < HOOK_REPEATS; i++) {
        inspect_hook(-1, NULL, 0);
        inspect_hook(-1, NULL, 0);
        hook_total += last_gap;
    }
    printf("hook %lu %d\n", (unsigned long)hook_total, HOOK_REPEATS);
    FILE *in_file = fopen("batch_in.bin", "rb");
    FILE *out_file = fopen("batch_out.bin", "wb");
    layers_file = fopen("layers_out.bin", "wb");
    if (in_file == NULL || out_file == NULL || layers_file == NULL) {
        return 2;
    }
    while (fread(input, 1, INPUT_SIZE, in_file) == INPUT_SIZE) {
        uint64_t start = bench_ticks();
        int status = CAT(PLAIN, _invoke)(input, plain_output);
        uint64_t plain = bench_ticks() - start;
        memset(layer_ticks, 0, sizeof layer_ticks);
        start = bench_ticks();
        resumed = start;
        status |= CAT(HOOKED, _invoke)(input, hooked_output);
        uint64_t hooked = bench_ticks() - start;
        if (status != 0 || write_failed || fwrite(plain_output, 1, OUTPUT_SIZE, out_file) != OUTPUT_SIZE ||
            memcmp(plain_output, hooked_output, OUTPUT_SIZE) != 0) {
            return 3;
        }
        printf("sample %lu %lu", (unsigned long)plain, (unsigned long)hooked);
        for (int op = 0; op < INSPECT_OPS; op++) {
            printf(" %lu", (unsigned long)layer_ticks[op]);
        }
        printf("\n");
    }
    fclose(in_file);
    fclose(out_file);
    fclose(layers_file);
    return 0;
}
