/* The serial firmware: receive frames, run the app, answer. Knows no app; see app.h. */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "board.h"
#include "protocol.h"
#include "timing.h"
#include "uart.h"
#include "uart_buffer.h"

#ifndef TINYML_FIRMWARE_VERSION
#define TINYML_FIRMWARE_VERSION "0.0.0"
#endif

/* A frame cut short is given up after this much silence. A byte at 115200 baud takes 0.09 ms, but a loaded PC
 * running QEMU can stall the emulated line for 500 ms and more (idle virtual time follows real time), so be generous;
 * the host retries a request the device reports as TRUNCATED. */
#ifndef IDLE_TIMEOUT_MS
#define IDLE_TIMEOUT_MS 1000u
#endif
#define INFO_CAPACITY_BYTES 256u /* the fixed part (INFO_FIXED_BYTES) and the four texts, cut to fit */

#if INFO_INPUT_SHAPE_COUNT != APP_MAX_RANK
#error "INFO's INPUT_SHAPE (shared/board/protocol.py) must hold APP_MAX_RANK dimensions (app.h)"
#endif

static protocol_parser_t parser;

static void put_u16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, v & 0xFFFFu);
    put_u16(p + 2, v >> 16);
}

static void reply(uint8_t request_type, uint8_t seq, const uint8_t *head, size_t head_bytes, const uint8_t *body,
                  size_t body_bytes)
{
    protocol_send(uart_write, (uint8_t)(request_type | PROTOCOL_REPLY_FLAG), seq, head, head_bytes, body,
                  body_bytes);
}

static void send_error(uint8_t seq, uint8_t request_type, uint8_t code)
{
    const uint8_t payload[2] = {code, request_type};
    protocol_send(uart_write, MSG_ERROR, seq, payload, sizeof payload, NULL, 0);
}

static size_t append_text(uint8_t *out, size_t at, size_t capacity, const char *text)
{
    if (at >= capacity) {
        return at;
    }
    while (*text != '\0' && at + 1u < capacity) {
        out[at++] = (uint8_t)*text++;
    }
    out[at++] = 0u; /* each string ends with NUL; at + 1 < capacity above leaves room for it */
    return at;
}

/* INFO reply: the fields of INFO_FIELDS (shared/board/protocol.py), then NUL-terminated app, model, firmware
 * version, board. */
static void handle_info(uint8_t seq)
{
    static uint8_t info[INFO_CAPACITY_BYTES];
    info[INFO_VERSION_OFFSET] = PROTOCOL_VERSION;
    info[INFO_COUNTER_UNIT_OFFSET] = timing_unit;
    info[INFO_INPUT_TYPE_OFFSET] = app_info.input_type;
    info[INFO_INPUT_RANK_OFFSET] = app_info.input_rank;
    for (size_t i = 0; i < INFO_INPUT_SHAPE_COUNT; i++) {
        put_u16(info + INFO_INPUT_SHAPE_OFFSET + 2 * i, app_info.input_shape[i]);
    }
    put_u32(info + INFO_INPUT_BYTES_OFFSET, app_info.input_bytes);
    put_u32(info + INFO_FEATURE_COUNT_OFFSET, app_info.feature_count);
    put_u32(info + INFO_OUTPUT_COUNT_OFFSET, app_info.output_count);
    put_u32(info + INFO_RX_BYTES_LOST_OFFSET, uart_rx_overflows());
    size_t at = INFO_FIXED_BYTES;
    at = append_text(info, at, INFO_CAPACITY_BYTES, app_info.app_name);
    at = append_text(info, at, INFO_CAPACITY_BYTES, app_info.model_name);
    at = append_text(info, at, INFO_CAPACITY_BYTES, TINYML_FIRMWARE_VERSION);
    at = append_text(info, at, INFO_CAPACITY_BYTES, board_name);
    reply(MSG_INFO, seq, info, at, NULL, 0);
}

/* INFER reply: the fields of INFER_FIELDS (the app's class, score count, feature and inference counter deltas),
 * then the int8 scores. */
static void handle_infer(const protocol_event_t *ev)
{
    const float *features = NULL;
    const int8_t *scores = NULL;
    uint32_t t0 = timing_now();
    int status = app_features(ev->payload, ev->length, &features);
    uint32_t t1 = timing_now();
    if (status == 0) {
        status = app_infer(features, &scores);
    }
    uint32_t t2 = timing_now();
    if (status != 0) {
        send_error(ev->seq, ev->type, ERR_APP_FAILED);
        return;
    }
    uint8_t head[INFER_FIXED_BYTES];
    put_u16(head + INFER_LABEL_OFFSET, app_decide(scores));
    put_u16(head + INFER_SCORE_COUNT_OFFSET, app_info.output_count);
    put_u32(head + INFER_FEATURE_COUNTER_OFFSET, t1 - t0);
    put_u32(head + INFER_INFERENCE_COUNTER_OFFSET, t2 - t1);
    reply(ev->type, ev->seq, head, sizeof head, (const uint8_t *)scores, app_info.output_count);
}

/* FEATURES reply: the app's float32 features, little-endian (the Cortex-M7's own byte order). */
static void handle_features(const protocol_event_t *ev)
{
    const float *features = NULL;
    size_t bytes = app_info.feature_count * sizeof(float);
    if (bytes > PROTOCOL_MAX_PAYLOAD_BYTES || app_features(ev->payload, ev->length, &features) != 0) {
        send_error(ev->seq, ev->type, ERR_APP_FAILED); /* more than 4096 features do not fit one frame */
        return;
    }
    reply(ev->type, ev->seq, (const uint8_t *)features, bytes, NULL, 0);
}

static void handle_frame(const protocol_event_t *ev)
{
    int needs_input = ev->type == MSG_INFER || ev->type == MSG_FEATURES;
    if (needs_input && ev->length != app_info.input_bytes) {
        send_error(ev->seq, ev->type, ERR_WRONG_INPUT_SIZE);
        return;
    }
    switch (ev->type) {
    case MSG_INFO:
        handle_info(ev->seq);
        break;
    case MSG_INFER:
        handle_infer(ev);
        break;
    case MSG_FEATURES:
        handle_features(ev);
        break;
    case MSG_RESET:
        app_stream_reset();
        reply(ev->type, ev->seq, NULL, 0, NULL, 0);
        break;
    case MSG_ECHO:
        reply(ev->type, ev->seq, ev->payload, ev->length, NULL, 0);
        break;
    default:
        send_error(ev->seq, ev->type, ERR_UNKNOWN_TYPE);
        break;
    }
}

static void handle_events(void)
{
    protocol_event_t ev;
    protocol_status_t status;
    while ((status = protocol_next(&parser, &ev)) != PROTOCOL_NEED_MORE) {
        if (status == PROTOCOL_FRAME) {
            handle_frame(&ev);
        } else {
            send_error(ev.seq, ev.type, ev.error);
        }
    }
}

static void receive(const uint8_t *data, size_t n)
{
    size_t offset = 0;
    while (offset < n) {
        size_t taken = protocol_push(&parser, data + offset, n - offset);
        offset += taken;
        handle_events();
        if (taken == 0) { /* cannot happen (a full buffer always holds a complete frame); never spin if it does */
            protocol_event_t ev;
            (void)protocol_expire(&parser, &ev);
        }
    }
}

static void expire_partial_frame(void)
{
    protocol_event_t ev;
    if (protocol_expire(&parser, &ev) == PROTOCOL_REJECTED && ev.seq != 0u) {
        send_error(ev.seq, ev.type, ev.error);
    }
    handle_events();
}

int main(void)
{
    board_init();
    uart_init();
    timing_init();
    protocol_init(&parser);
    uart_write_text(PROTOCOL_BANNER_START TINYML_FIRMWARE_VERSION PROTOCOL_BANNER_APP);
    uart_write_text(app_info.app_name);
    uart_write_text(PROTOCOL_BANNER_BOARD);
    uart_write_text(board_name);
    uart_write_text(PROTOCOL_BANNER_END);

    uint8_t chunk[64];
    uint32_t last_byte_ms = timing_millis();
    for (;;) {
        size_t n = uart_read(chunk, sizeof chunk);
        if (n > 0) {
            receive(chunk, n);
            last_byte_ms = timing_millis();
        } else if (protocol_partial(&parser) && timing_millis() - last_byte_ms > IDLE_TIMEOUT_MS) {
            expire_partial_frame();
            last_byte_ms = timing_millis();
        } else {
            uart_wait();
        }
    }
}
