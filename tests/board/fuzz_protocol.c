/* Host driver for firmware/core/protocol.c (built by tests/board/test_protocol.py with -fsanitize=address,undefined).
 *
 *   fuzz_protocol fuzz SEED FRAMES   seeded random frames: pristine, mutated (bit flips, cut short, bytes inserted
 *                                    or deleted, bad length, damaged CRC) and pure garbage, fed in random chunks.
 *                                    Checks: nothing out of bounds (the sanitizers), every FRAME event carries a
 *                                    correct CRC and a legal length, and every pristine frame sent after a quiet
 *                                    line comes out exactly once, unchanged. Prints "ok FRAMES EVENTS" or fails.
 *   fuzz_protocol replay             reads a byte stream on stdin, feeds it in 7-byte chunks, then expires until the
 *                                    buffer is empty; prints one line per event, to compare with the Python twin.
 *   fuzz_protocol constants          prints "NAME VALUE" for every protocol_codes.h constant.
 *   fuzz_protocol texts              prints "NAME HEX" for every protocol_codes.h string (its bytes in hex).
 *   fuzz_protocol crc                reads stdin, prints its CRC-32 and CRC-16/CCITT-FALSE in hex. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static protocol_parser_t parser;

static uint64_t rng_state;

static uint32_t rng_next(void) /* xorshift64*: small, seedable, good enough to pick mutations */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint32_t rng_below(uint32_t n) { return n == 0 ? 0 : rng_next() % n; }

static void fail(const char *why, unsigned long long frame)
{
    fprintf(stderr, "FAIL at frame %llu: %s\n", frame, why);
    exit(1);
}

static uint8_t capture[PROTOCOL_MAX_FRAME_BYTES + 64];
static size_t capture_bytes;

static void capture_write(const uint8_t *data, size_t n)
{
    memcpy(capture + capture_bytes, data, n);
    capture_bytes += n;
}

/* A correct frame built by protocol_send itself (the writer is under test too). */
static size_t make_frame(uint8_t *out, uint8_t type, uint8_t seq, const uint8_t *payload, size_t length)
{
    capture_bytes = 0;
    protocol_send(capture_write, type, seq, payload, length, NULL, 0);
    memcpy(out, capture, capture_bytes);
    return capture_bytes;
}

static unsigned long long events_seen;
static unsigned long long frame_index;

/* Drains events; returns the number of FRAME events equal to `expected` (if not NULL) and fails on any bad one. */
static int drain(const uint8_t *expected, size_t expected_bytes, int *other_events)
{
    protocol_event_t ev;
    protocol_status_t status;
    int matches = 0;
    while ((status = protocol_next(&parser, &ev)) != PROTOCOL_NEED_MORE) {
        events_seen++;
        if (parser.start + parser.count > PROTOCOL_MAX_FRAME_BYTES) {
            fail("parser window outside its buffer", frame_index);
        }
        if (status == PROTOCOL_FRAME) {
            if (ev.length > PROTOCOL_MAX_PAYLOAD_BYTES) {
                fail("frame longer than the maximum", frame_index);
            }
            uint8_t head[4] = {ev.type, ev.seq, (uint8_t)(ev.length & 0xFF), (uint8_t)(ev.length >> 8)};
            uint32_t crc = protocol_crc32(protocol_crc32(0, head, 4), ev.payload, ev.length);
            const uint8_t *trailer = ev.payload + ev.length;
            uint32_t sent = (uint32_t)trailer[0] | ((uint32_t)trailer[1] << 8) | ((uint32_t)trailer[2] << 16) |
                            ((uint32_t)trailer[3] << 24);
            if (crc != sent) {
                fail("frame accepted with a wrong CRC", frame_index);
            }
            if (expected != NULL && ev.length + 12u == expected_bytes && ev.type == expected[2] &&
                ev.seq == expected[3] && memcmp(ev.payload, expected + 8, ev.length) == 0) {
                matches++;
                continue;
            }
        }
        if (other_events != NULL) {
            (*other_events)++;
        }
    }
    return matches;
}

static int feed(const uint8_t *data, size_t n, const uint8_t *expected, size_t expected_bytes, int *other)
{
    int matches = 0;
    size_t offset = 0;
    while (offset < n) {
        size_t chunk = 1u + rng_below(rng_below(4) == 0 ? 4096u : 64u);
        if (chunk > n - offset) {
            chunk = n - offset;
        }
        size_t taken = protocol_push(&parser, data + offset, chunk);
        offset += taken;
        matches += drain(expected, expected_bytes, other);
        if (taken == 0) {
            fail("parser took no bytes and reported nothing", frame_index);
        }
    }
    return matches;
}

/* A quiet line: expire partial frames until the buffer is empty (each expiry drops one byte and rescans). */
static void quiet(void)
{
    protocol_event_t ev;
    size_t guard = 0;
    while (protocol_partial(&parser)) {
        (void)protocol_expire(&parser, &ev);
        (void)drain(NULL, 0, NULL);
        if (++guard > PROTOCOL_MAX_FRAME_BYTES + 1u) {
            fail("expire makes no progress", frame_index);
        }
    }
}

static uint8_t payload[PROTOCOL_MAX_PAYLOAD_BYTES + 16];
static uint8_t frame[PROTOCOL_MAX_FRAME_BYTES + 64];

static size_t random_length(void)
{
    switch (rng_below(256)) { /* mostly short frames; 1 in 128 long, to reach the buffer's end */
    case 0:
        return PROTOCOL_MAX_PAYLOAD_BYTES - rng_below(8);
    case 1:
        return rng_below(PROTOCOL_MAX_PAYLOAD_BYTES + 1u);
    default:
        return rng_below(48);
    }
}

static size_t mutate(uint8_t *data, size_t n)
{
    switch (rng_below(6)) {
    case 0: /* flip 1..3 bits anywhere */
        for (uint32_t k = 1 + rng_below(3); k > 0; k--) {
            data[rng_below((uint32_t)n)] ^= (uint8_t)(1u << rng_below(8));
        }
        return n;
    case 1: /* cut short */
        return rng_below((uint32_t)n);
    case 2: /* one byte inserted */
    {
        size_t at = rng_below((uint32_t)n);
        memmove(data + at + 1, data + at, n - at);
        data[at] = (uint8_t)rng_next();
        return n + 1;
    }
    case 3: /* one byte deleted */
    {
        size_t at = rng_below((uint32_t)n);
        memmove(data + at, data + at + 1, n - at - 1);
        return n - 1;
    }
    case 4: /* damaged frame check */
        data[n - 1u - rng_below(4)] ^= 0x5Au;
        return n;
    default: /* length above the maximum with a correct header check */
    {
        uint16_t length = (uint16_t)(PROTOCOL_MAX_PAYLOAD_BYTES + 1u + rng_below(1000));
        data[4] = (uint8_t)(length & 0xFF);
        data[5] = (uint8_t)(length >> 8);
        uint16_t check = protocol_crc16(0xFFFFu, data + 2, 4);
        data[6] = (uint8_t)(check & 0xFF);
        data[7] = (uint8_t)(check >> 8);
        return n;
    }
    }
}

static int run_fuzz(uint64_t seed, unsigned long long frames)
{
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1u;
    protocol_init(&parser);
    unsigned long long pristine = 0;
    for (frame_index = 0; frame_index < frames; frame_index++) {
        size_t length = random_length();
        for (size_t i = 0; i < length; i++) {
            payload[i] = (uint8_t)rng_next();
        }
        size_t n = make_frame(frame, (uint8_t)rng_next(), (uint8_t)rng_next(), payload, length);
        uint32_t kind = rng_below(4);
        if (kind == 0) { /* pristine after a quiet line: must come out exactly once, alone */
            quiet();
            int other = 0;
            int matches = feed(frame, n, frame, n, &other);
            if (matches != 1 || other != 0) {
                fail("a pristine frame was not received exactly once", frame_index);
            }
            pristine++;
        } else if (kind == 1) { /* garbage */
            size_t garbage = rng_below(256);
            for (size_t i = 0; i < garbage; i++) {
                frame[i] = (uint8_t)(rng_below(8) == 0 ? PROTOCOL_SYNC0 : rng_next());
            }
            (void)feed(frame, garbage, NULL, 0, NULL);
        } else {
            n = mutate(frame, n);
            (void)feed(frame, n, NULL, 0, NULL);
        }
    }
    printf("ok %llu frames, %llu pristine, %llu events\n", frames, pristine, events_seen);
    return 0;
}

static void print_hex(const char *name, const char *text)
{
    printf("%s ", name);
    for (const char *c = text; *c != '\0'; c++) {
        printf("%02x", (unsigned)(unsigned char)*c);
    }
    printf("\n");
}

static void print_events(void)
{
    protocol_event_t ev;
    protocol_status_t status;
    while ((status = protocol_next(&parser, &ev)) != PROTOCOL_NEED_MORE) {
        if (status == PROTOCOL_FRAME) {
            uint32_t crc = protocol_crc32(0, ev.payload, ev.length);
            printf("F %u %u %u %08x\n", ev.type, ev.seq, ev.length, crc);
        } else {
            printf("R %u %u %u\n", ev.error, ev.type, ev.seq);
        }
    }
}

static size_t read_stdin(uint8_t **data)
{
    size_t capacity = 1u << 16, n = 0;
    *data = malloc(capacity);
    size_t got;
    while (*data != NULL && (got = fread(*data + n, 1, capacity - n, stdin)) > 0) {
        n += got;
        if (n == capacity) {
            capacity *= 2;
            *data = realloc(*data, capacity);
        }
    }
    if (*data == NULL) {
        fail("out of memory", 0);
    }
    return n;
}

static int run_replay(void)
{
    uint8_t *data;
    size_t n = read_stdin(&data);
    protocol_init(&parser);
    for (size_t offset = 0; offset < n;) {
        size_t chunk = n - offset < 7u ? n - offset : 7u;
        offset += protocol_push(&parser, data + offset, chunk);
        print_events();
    }
    protocol_event_t ev;
    while (protocol_partial(&parser)) {
        if (protocol_expire(&parser, &ev) == PROTOCOL_REJECTED) {
            printf("R %u %u %u\n", ev.error, ev.type, ev.seq);
        }
        print_events();
    }
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "fuzz") == 0) {
        return run_fuzz(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
    }
    if (argc == 2 && strcmp(argv[1], "replay") == 0) {
        return run_replay();
    }
    if (argc == 2 && strcmp(argv[1], "crc") == 0) {
        uint8_t *data;
        size_t n = read_stdin(&data);
        printf("%08x %04x\n", protocol_crc32(0, data, n), protocol_crc16(0xFFFFu, data, n));
        free(data);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "constants") == 0) {
#define SHOW(name) printf("%s %lu\n", #name, (unsigned long)(name));
        PROTOCOL_CODES_LIST(SHOW)
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "texts") == 0) {
#define SHOW_TEXT(name) print_hex(#name, name);
        PROTOCOL_TEXTS_LIST(SHOW_TEXT)
        return 0;
    }
    fprintf(stderr, "usage: %s fuzz SEED FRAMES | replay | crc | constants | texts\n", argv[0]);
    return 2;
}
