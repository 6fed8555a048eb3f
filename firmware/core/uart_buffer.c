/* The receive ring shared by every board's UART interrupt (producer) and the main loop (consumer). */
#include <stdint.h>

#include "uart.h"
#include "uart_buffer.h"

/* 1024 bytes = 89 ms of 115200 baud: longer than any inference the core runs between reads. */
#define RX_RING_BYTES 1024u

static uint8_t rx_ring[RX_RING_BYTES];
static volatile uint32_t rx_head; /* written only by the interrupt */
static volatile uint32_t rx_tail; /* written only by the main loop */
static volatile uint32_t rx_overflows;

void uart_rx_push(uint8_t byte)
{
    uint32_t head = rx_head;
    if (head - rx_tail >= RX_RING_BYTES) {
        rx_overflows++;
        return;
    }
    rx_ring[head % RX_RING_BYTES] = byte;
    rx_head = head + 1u;
}

size_t uart_read(uint8_t *data, size_t max_bytes)
{
    size_t n = 0;
    uint32_t tail = rx_tail;
    while (n < max_bytes && tail != rx_head) {
        data[n++] = rx_ring[tail % RX_RING_BYTES];
        tail++;
    }
    rx_tail = tail;
    return n;
}

uint32_t uart_rx_overflows(void) { return rx_overflows; }

void uart_wait(void)
{
    /* With interrupts masked, a byte arriving between the check and WFI still wakes WFI (it is pending). */
    __asm volatile("cpsid i" ::: "memory");
    if (rx_head == rx_tail) {
        __asm volatile("dsb\n\twfi" ::: "memory");
    }
    __asm volatile("cpsie i\n\tisb" ::: "memory");
}

void uart_write_text(const char *text)
{
    size_t n = 0;
    while (text[n] != '\0') {
        n++;
    }
    uart_write((const uint8_t *)text, n);
}
