/* Arm MPS2 with the AN500 FPGA image (Cortex-M7 + FPU), as QEMU 7.2 `-M mps2-an500` models it:
 * CMSDK APB UART0 at 0x40004000 (RX interrupt = IRQ 0), 25 MHz system clock, SysTick.
 * Timing is meant for `qemu-system-arm -icount shift=0`: each instruction is 1 ns of virtual time. */
#include <stdint.h>

#include "board.h"
#include "protocol_codes.h"
#include "timing.h"
#include "uart.h"
#include "uart_buffer.h"

#define REG(address) (*(volatile uint32_t *)(address))

/* CMSDK APB UART (Arm DDI 0479, "APB UART") */
#define UART0_BASE 0x40004000u
#define UART_DATA REG(UART0_BASE + 0x00u)
#define UART_STATE REG(UART0_BASE + 0x04u)
#define UART_CTRL REG(UART0_BASE + 0x08u)
#define UART_INTSTATUS REG(UART0_BASE + 0x0Cu) /* write 1 to clear */
#define UART_BAUDDIV REG(UART0_BASE + 0x10u)
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_ENABLE 0x1u
#define UART_CTRL_RX_ENABLE 0x2u
#define UART_CTRL_RX_INTERRUPT 0x8u
#define UART_INT_RX 0x2u
#define UART0_RX_IRQ 0u

#define NVIC_ISER0 REG(0xE000E100u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define SYST_CSR_ENABLE_TICKINT_CPUCLK 0x7u

#define SYSCLK_HZ 25000000u
#define TICKS_PER_MS (SYSCLK_HZ / 1000u)
/* SysTick over its full 24-bit range: it wraps every 2^24 ticks, 671 ms of virtual time = 671 million
 * instructions under -icount shift=0; one computation between two timing reads must stay below that. */
#define SYSTICK_MASK 0xFFFFFFu
/* -icount shift=0: 1 instruction = 1 ns; the 25 MHz SysTick ticks every 40 ns, i.e. every 40 instructions. */
#define INSTRUCTIONS_PER_TICK 40u

const char board_name[] = "mps2-an500";
const uint8_t timing_unit = COUNTER_INSTRUCTIONS;

/* Time is the sum of counter differences, taken on every read: no interrupt handler keeps count. (One did, and
 * lost a race: QEMU reloads the counter a little before it takes the interrupt, so a read in between saw the new
 * period with the old count, time stepped back 10 ms, and the serial idle timeout fired on valid frames.) */
static uint32_t total_ticks;     /* since timing_init, modulo 2^32 */
static uint32_t last_value;      /* SYST_CVR at the previous read */
static uint32_t elapsed_ms;      /* whole milliseconds counted so far */
static uint32_t counted_ms_mark; /* total_ticks at the end of the last whole millisecond counted */

/* The interrupt only wakes the core from WFI at least once a period, so the main loop reads the time often enough
 * and checks its idle timeout even when the line is silent. */
void SysTick_Handler(void) {}

static void uart0_rx_handler(void)
{
    UART_INTSTATUS = UART_INT_RX;
    while (UART_STATE & UART_STATE_RX_FULL) {
        uart_rx_push((uint8_t)(UART_DATA & 0xFFu));
    }
}

typedef void (*vector_t)(void);

/* Only the interrupts this firmware enables have handlers; the others are never enabled (a zero entry would
 * fault into Default_Handler). */
/* The AN500's 32 device interrupts follow the 16 core vectors (startup.c). */
__attribute__((section(".isr_vector.board"), used)) static const vector_t board_vector_table[32] = {
    [0] = uart0_rx_handler,
};

void board_init(void) {}

void uart_init(void)
{
    UART_BAUDDIV = 16u; /* the smallest legal divider; QEMU ignores the rate */
    UART_CTRL = UART_CTRL_TX_ENABLE | UART_CTRL_RX_ENABLE | UART_CTRL_RX_INTERRUPT;
    NVIC_ISER0 = 1u << UART0_RX_IRQ;
}

void uart_write(const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (UART_STATE & UART_STATE_TX_FULL) {
        }
        UART_DATA = data[i];
    }
}

void timing_init(void)
{
    SYST_RVR = SYSTICK_MASK;
    SYST_CVR = 0u;
    SYST_CSR = SYST_CSR_ENABLE_TICKINT_CPUCLK;
    while (SYST_CVR == 0u) { /* QEMU reads 0 until the first tick after enabling */
    }
    last_value = SYST_CVR;
}

static void advance(void)
{
    uint32_t value = SYST_CVR;
    total_ticks += (last_value - value) & SYSTICK_MASK; /* a down-counter, modulo its 2^24 period */
    last_value = value;
}

uint32_t timing_now(void)
{
    advance();
    return total_ticks * INSTRUCTIONS_PER_TICK; /* wraps cleanly modulo 2^32 */
}

uint32_t timing_millis(void)
{
    advance();
    uint32_t whole_ms = (total_ticks - counted_ms_mark) / TICKS_PER_MS;
    elapsed_ms += whole_ms;
    counted_ms_mark += whole_ms * TICKS_PER_MS;
    return elapsed_ms;
}
