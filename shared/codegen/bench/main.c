/* main.c: run MODEL_invoke on every sample of batch_in.bin (semihosting), write batch_out.bin, and print the
 * SysTick ticks of each inference plus a calibration loop of known instruction count. MODEL is -DMODEL=name,
 * MODEL_UPPER the upper-case name (macros). */

#include <stdint.h>
#include <stdio.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#include STR(MODEL.h)

#define INPUT_SIZE CAT(MODEL_UPPER, _INPUT_SIZE)
#define OUTPUT_SIZE CAT(MODEL_UPPER, _OUTPUT_SIZE)

extern uint64_t bench_ticks(void);

static int8_t input[INPUT_SIZE], output[OUTPUT_SIZE];

/* per-layer ticks of one inference: NAME.c calls CG_LAYER_DONE(op index) = bench_layer_done after each layer */
#define MAX_OPS 512
static uint32_t layer_ticks[MAX_OPS];
static uint64_t layer_mark;

void bench_layer_done(int op_index)
{
    const uint64_t now = bench_ticks();
    if (op_index >= 0 && op_index < MAX_OPS) {
        layer_ticks[op_index] += (uint32_t)(now - layer_mark);
    }
    layer_mark = bench_ticks();
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
    printf("calibration %lu instructions %lu ticks\n", (unsigned long)(2u * loop_iterations),
           (unsigned long)calibration_ticks(loop_iterations));
    FILE *in_file = fopen("batch_in.bin", "rb");
    FILE *out_file = fopen("batch_out.bin", "wb");
    if (in_file == NULL || out_file == NULL) {
        return 2;
    }
    while (fread(input, 1, INPUT_SIZE, in_file) == INPUT_SIZE) {
        for (int i = 0; i < MAX_OPS; i++) {
            layer_ticks[i] = 0u;
        }
        uint64_t start = bench_ticks();
        layer_mark = start;
        int status = CAT(MODEL, _invoke)(input, output);
        uint64_t ticks = bench_ticks() - start;
        for (int i = 0; i < MAX_OPS; i++) {
            if (layer_ticks[i] != 0u) {
                printf("layer %d %lu ticks\n", i, (unsigned long)layer_ticks[i]);
            }
        }
        if (status != 0 || fwrite(output, 1, OUTPUT_SIZE, out_file) != OUTPUT_SIZE) {
            return 3;
        }
        printf("invoke %lu ticks\n", (unsigned long)ticks);
    }
    fclose(in_file);
    fclose(out_file);
    return 0;
}
