/* The serial line to the host. Implemented per board in firmware/boards/<board>/board.c: received bytes go
 * through an interrupt-fed ring buffer so none are lost while the core computes. */
#ifndef CORE_UART_H
#define CORE_UART_H

#include <stddef.h>
#include <stdint.h>

void uart_init(void);
void uart_write(const uint8_t *data, size_t n);
void uart_write_text(const char *text);
/* Moves up to max_bytes received bytes into data; returns how many (0 when none are waiting). */
size_t uart_read(uint8_t *data, size_t max_bytes);
/* Sleeps (WFI) until an interrupt, unless a byte is already waiting. */
void uart_wait(void);

#endif /* CORE_UART_H */
