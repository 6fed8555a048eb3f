/* Frame parser and writer; the Python twin is shared/board/protocol.py (FrameDecoder, encode_frame). */
#include "protocol.h"

#include <string.h>

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), what zlib.crc32 computes; four bits per step through a
 * 16-entry table: 64 bytes of flash instead of 1 KB, fast enough for 10 KB/s serial. */
static const uint32_t crc32_nibble_table[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t protocol_crc32(uint32_t crc, const uint8_t *data, size_t n)
{
    uint32_t c = ~crc;
    for (size_t i = 0; i < n; i++) {
        c ^= data[i];
        c = (c >> 4) ^ crc32_nibble_table[c & 0xFu];
        c = (c >> 4) ^ crc32_nibble_table[c & 0xFu];
    }
    return ~c;
}

/* CRC-16/CCITT-FALSE (polynomial 0x1021, MSB first, no final xor), binascii.crc_hqx(data, 0xFFFF). */
uint16_t protocol_crc16(uint16_t crc, const uint8_t *data, size_t n)
{
    uint32_t c = crc;
    for (size_t i = 0; i < n; i++) {
        c ^= (uint32_t)data[i] << 8;
        for (int bit = 0; bit < 8; bit++) {
            c = (c & 0x8000u) ? ((c << 1) ^ 0x1021u) : (c << 1);
        }
    }
    return (uint16_t)(c & 0xFFFFu);
}

static uint16_t read_u16(const uint8_t *p) { return (uint16_t)(p[0] | (uint16_t)(p[1] << 8)); }

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void protocol_init(protocol_parser_t *parser)
{
    parser->start = 0;
    parser->count = 0;
}

static void drop(protocol_parser_t *parser, size_t n)
{
    parser->start += n;
    parser->count -= n;
    if (parser->count == 0) {
        parser->start = 0;
    }
}

size_t protocol_push(protocol_parser_t *parser, const uint8_t *data, size_t n)
{
    if (parser->start + parser->count + n > PROTOCOL_MAX_FRAME_BYTES && parser->start > 0) {
        memmove(parser->buffer, parser->buffer + parser->start, parser->count);
        parser->start = 0;
    }
    size_t room = PROTOCOL_MAX_FRAME_BYTES - parser->start - parser->count;
    size_t taken = n < room ? n : room;
    memcpy(parser->buffer + parser->start + parser->count, data, taken);
    parser->count += taken;
    return taken;
}

static protocol_status_t reject(protocol_parser_t *parser, protocol_event_t *event, uint8_t error)
{
    const uint8_t *frame = parser->buffer + parser->start;
    event->type = parser->count >= PROTOCOL_HEADER_BYTES ? frame[2] : 0u;
    event->seq = parser->count >= PROTOCOL_HEADER_BYTES ? frame[3] : 0u;
    event->length = 0;
    event->payload = NULL;
    event->error = error;
    drop(parser, 1);
    return PROTOCOL_REJECTED;
}

/* Drops bytes up to the next possible frame start; returns 0 when fewer than a header's bytes remain. */
static int find_header(protocol_parser_t *parser)
{
    while (parser->count > 0) {
        const uint8_t *frame = parser->buffer + parser->start;
        if (frame[0] != PROTOCOL_SYNC0 || (parser->count >= 2 && frame[1] != PROTOCOL_SYNC1)) {
            drop(parser, 1);
            continue;
        }
        if (parser->count < PROTOCOL_HEADER_BYTES) {
            return 0;
        }
        if (protocol_crc16(0xFFFFu, frame + 2, 4) != read_u16(frame + 6)) {
            drop(parser, 1);
            continue;
        }
        return 1;
    }
    return 0;
}

protocol_status_t protocol_next(protocol_parser_t *parser, protocol_event_t *event)
{
    if (!find_header(parser)) {
        return PROTOCOL_NEED_MORE;
    }
    const uint8_t *frame = parser->buffer + parser->start;
    uint16_t length = read_u16(frame + 4);
    if (length > PROTOCOL_MAX_PAYLOAD_BYTES) {
        return reject(parser, event, ERR_BAD_LENGTH);
    }
    size_t total = (size_t)PROTOCOL_HEADER_BYTES + length + PROTOCOL_CRC_BYTES;
    if (parser->count < total) {
        return PROTOCOL_NEED_MORE;
    }
    uint32_t crc = protocol_crc32(0u, frame + 2, 4);
    crc = protocol_crc32(crc, frame + PROTOCOL_HEADER_BYTES, length);
    if (crc != read_u32(frame + PROTOCOL_HEADER_BYTES + length)) {
        return reject(parser, event, ERR_BAD_CRC);
    }
    event->type = frame[2];
    event->seq = frame[3];
    event->length = length;
    event->payload = frame + PROTOCOL_HEADER_BYTES;
    event->error = 0;
    drop(parser, total); /* the bytes stay in place until the next push, so event->payload stays valid */
    return PROTOCOL_FRAME;
}

int protocol_partial(const protocol_parser_t *parser) { return parser->count > 0; }

protocol_status_t protocol_expire(protocol_parser_t *parser, protocol_event_t *event)
{
    if (parser->count == 0) {
        return PROTOCOL_NEED_MORE;
    }
    return reject(parser, event, ERR_TRUNCATED);
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)((v >> (8 * i)) & 0xFFu);
    }
}

void protocol_send(protocol_write_fn write, uint8_t type, uint8_t seq, const uint8_t *head, size_t head_bytes,
                   const uint8_t *body, size_t body_bytes)
{
    uint8_t header[PROTOCOL_HEADER_BYTES];
    uint8_t trailer[PROTOCOL_CRC_BYTES];
    header[0] = PROTOCOL_SYNC0;
    header[1] = PROTOCOL_SYNC1;
    header[2] = type;
    header[3] = seq;
    put_u16(header + 4, (uint16_t)(head_bytes + body_bytes));
    put_u16(header + 6, protocol_crc16(0xFFFFu, header + 2, 4));
    uint32_t crc = protocol_crc32(0u, header + 2, 4);
    crc = protocol_crc32(crc, head, head_bytes);
    crc = protocol_crc32(crc, body, body_bytes);
    put_u32(trailer, crc);
    write(header, sizeof header);
    if (head_bytes > 0) {
        write(head, head_bytes);
    }
    if (body_bytes > 0) {
        write(body, body_bytes);
    }
    write(trailer, sizeof trailer);
}
