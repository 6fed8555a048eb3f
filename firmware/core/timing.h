/* Counting work and time. Implemented per board:
 *  - mps2-an500 (QEMU): SysTick under `-icount shift=0`, where one instruction is one nanosecond of virtual time,
 *    so the 25 MHz SysTick advances once per 40 instructions: timing_now() counts instructions (resolution 40).
 *  - stm32f746g-disco: the DWT cycle counter (CYCCNT) at 216 MHz: timing_now() counts cycles.
 * Both also keep a millisecond clock for the serial idle timeout, and a periodic SysTick interrupt that wakes the
 * core from WFI so the main loop sees time pass on a silent line. On mps2-an500 one computation between two timing
 * reads must stay below 2^24 SysTick ticks (671 million instructions), see boards/mps2-an500/board.c. */
#ifndef CORE_TIMING_H
#define CORE_TIMING_H

#include <stdint.h>

void timing_init(void);
/* Free-running 32-bit count in timing_unit; differences of two readings are exact modulo 2^32. */
uint32_t timing_now(void);
uint32_t timing_millis(void);
extern const uint8_t timing_unit; /* COUNTER_INSTRUCTIONS or COUNTER_CYCLES (protocol_codes.h) */

#endif /* CORE_TIMING_H */
