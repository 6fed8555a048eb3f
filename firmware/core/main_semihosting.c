/* The bulk-evaluation firmware: reads raw inputs from the host file inputs.bin (semihosting, ~15 MB/s under QEMU
 * against ~10 KB/s for the emulated UART), runs the same app code as main.c, writes outputs.bin, exits with one of
 * the BULK_EXIT_* statuses. starts.bin (optional, one byte per input): 1 = the input starts a new stream
 * (app_stream_reset first); without it the inputs are one stream.
 *
 * outputs.bin: a header laid out as BULK_FIELDS (shared/board/protocol.py: magic, PROTOCOL_VERSION, output count,
 * feature count, counter unit, input bytes), then per input: int8 scores[output count], uint32 feature counter
 * delta, uint32 inference counter delta, uint32 the app's class (app_decide), float32 features[feature count];
 * little-endian. Read by shared/board/emulator.py. */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "board.h"
#include "protocol_codes.h"
#include "semihosting.h"
#include "timing.h"

/* A fault ends the run with a status the host can name, instead of spinning until its timeout. */
void HardFault_Handler(void);
void HardFault_Handler(void) { semihosting_exit(BULK_EXIT_FAULT); }

static uint8_t raw[PROTOCOL_MAX_PAYLOAD_BYTES];

static void put_u32(uint8_t *p, uint32_t value)
{
    p[0] = (uint8_t)value;
    p[1] = (uint8_t)(value >> 8);
    p[2] = (uint8_t)(value >> 16);
    p[3] = (uint8_t)(value >> 24);
}

static void write_u32(int32_t handle, uint32_t value)
{
    uint8_t bytes[4];
    put_u32(bytes, value);
    (void)semihosting_write(handle, bytes, sizeof bytes);
}

static void write_header(int32_t out)
{
    uint8_t header[BULK_FIXED_BYTES];
    put_u32(header + BULK_MAGIC_OFFSET, BULK_MAGIC);
    put_u32(header + BULK_VERSION_OFFSET, PROTOCOL_VERSION);
    put_u32(header + BULK_OUTPUT_COUNT_OFFSET, app_info.output_count);
    put_u32(header + BULK_FEATURE_COUNT_OFFSET, app_info.feature_count);
    put_u32(header + BULK_COUNTER_UNIT_OFFSET, timing_unit);
    put_u32(header + BULK_INPUT_BYTES_OFFSET, app_info.input_bytes);
    (void)semihosting_write(out, header, sizeof header);
}

static uint32_t run_one(int32_t out)
{
    const float *features = NULL;
    const int8_t *scores = NULL;
    uint32_t t0 = timing_now();
    int status = app_features(raw, app_info.input_bytes, &features);
    uint32_t t1 = timing_now();
    if (status == 0) {
        status = app_infer(features, &scores);
    }
    uint32_t t2 = timing_now();
    if (status != 0) {
        return BULK_EXIT_APP_FAILED;
    }
    (void)semihosting_write(out, (const uint8_t *)scores, app_info.output_count);
    write_u32(out, t1 - t0);
    write_u32(out, t2 - t1);
    write_u32(out, app_decide(scores));
    (void)semihosting_write(out, (const uint8_t *)features, app_info.feature_count * sizeof(float));
    return BULK_EXIT_OK;
}

int main(void)
{
    board_init();
    timing_init();
    if (app_info.input_bytes > sizeof raw) {
        semihosting_exit(BULK_EXIT_SHORT_INPUT);
    }
    int32_t in = semihosting_open("inputs.bin", 0);
    if (in < 0) {
        semihosting_exit(BULK_EXIT_NO_INPUT);
    }
    int32_t out = semihosting_open("outputs.bin", 1);
    if (out < 0) {
        semihosting_exit(BULK_EXIT_NO_OUTPUT);
    }
    int32_t starts = semihosting_open("starts.bin", 0); /* < 0: no such file, one stream */
    write_header(out);
    uint32_t status = BULK_EXIT_OK;
    for (;;) {
        size_t got = semihosting_read(in, raw, app_info.input_bytes);
        if (got == 0) {
            break;
        }
        if (got != app_info.input_bytes) {
            status = BULK_EXIT_SHORT_INPUT;
            break;
        }
        uint8_t start = 0;
        if (starts >= 0 && semihosting_read(starts, &start, 1) != 1) {
            status = BULK_EXIT_SHORT_INPUT;
            break;
        }
        if (start != 0) {
            app_stream_reset();
        }
        status = run_one(out);
        if (status != BULK_EXIT_OK) {
            break;
        }
    }
    semihosting_close(in);
    if (starts >= 0) {
        semihosting_close(starts);
    }
    semihosting_close(out);
    semihosting_exit(status);
}
