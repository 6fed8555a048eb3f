/* Framed messages over the serial line: the parser (bytes in, frames out) and the frame writer.
 * Layout and codes: shared/board/protocol.py (the generated protocol_codes.h carries the numbers).
 * The parser never allocates, never writes past its buffer and always makes progress: every call either
 * consumes bytes or reports that it needs more. */
#ifndef CORE_PROTOCOL_H
#define CORE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "protocol_codes.h"

#define PROTOCOL_MAX_FRAME_BYTES (PROTOCOL_HEADER_BYTES + PROTOCOL_MAX_PAYLOAD_BYTES + PROTOCOL_CRC_BYTES)

typedef struct {
    uint8_t buffer[PROTOCOL_MAX_FRAME_BYTES];
    size_t start; /* first unparsed byte */
    size_t count; /* unparsed bytes: buffer[start, start + count) */
} protocol_parser_t;

typedef enum {
    PROTOCOL_NEED_MORE = 0, /* nothing complete yet: push more bytes */
    PROTOCOL_FRAME = 1,     /* a good frame: event.payload valid until the next protocol_push */
    PROTOCOL_REJECTED = 2   /* a bad frame: event.error says why; scanning resumes after its first byte */
} protocol_status_t;

typedef struct {
    uint8_t type;
    uint8_t seq;
    uint16_t length;
    const uint8_t *payload;
    uint8_t error; /* ERR_* when PROTOCOL_REJECTED */
} protocol_event_t;

void protocol_init(protocol_parser_t *parser);
/* Append up to n bytes; returns how many were taken (call protocol_next until NEED_MORE before pushing again). */
size_t protocol_push(protocol_parser_t *parser, const uint8_t *data, size_t n);
protocol_status_t protocol_next(protocol_parser_t *parser, protocol_event_t *event);
/* The line went quiet mid-frame: reject the partial frame (REJECTED with ERR_TRUNCATED) or NEED_MORE if none. */
protocol_status_t protocol_expire(protocol_parser_t *parser, protocol_event_t *event);
int protocol_partial(const protocol_parser_t *parser);

uint16_t protocol_crc16(uint16_t crc, const uint8_t *data, size_t n);
uint32_t protocol_crc32(uint32_t crc, const uint8_t *data, size_t n);

/* Sends one frame through `write` (the board UART, or a test buffer); the payload may come in two pieces so a
 * reply header and a body need no copy into one buffer. */
typedef void (*protocol_write_fn)(const uint8_t *data, size_t n);
void protocol_send(protocol_write_fn write, uint8_t type, uint8_t seq, const uint8_t *head, size_t head_bytes,
                   const uint8_t *body, size_t body_bytes);

#endif /* CORE_PROTOCOL_H */
