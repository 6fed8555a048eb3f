/* For board UART drivers only: hand a received byte to the core's ring (call from the RX interrupt). */
#ifndef CORE_UART_BUFFER_H
#define CORE_UART_BUFFER_H

#include <stdint.h>

void uart_rx_push(uint8_t byte);
uint32_t uart_rx_overflows(void);

#endif /* CORE_UART_BUFFER_H */
