/* startup.c: minimal bare-metal start for the codegen benchmark on QEMU mps2-an500 (Cortex-M7).
 * Vector table, .data copy, .bss zeroing, FPU enable, newlib semihosting, SysTick as an instruction counter:
 * under `qemu-system-arm -icount shift=0` one SysTick tick at 25 MHz is a fixed number of instructions. */

#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;
extern int main(void);
extern void initialise_monitor_handles(void);

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

static volatile uint32_t systick_wraps;

void _init(void) {}
void _fini(void) {}

static void systick_handler(void)
{
    systick_wraps++;
}

/* SysTick ticks since start (24-bit counter counting down, wraps counted by the interrupt) */
uint64_t bench_ticks(void)
{
    uint32_t wraps, value;
    do {
        wraps = systick_wraps;
        value = SYST_CVR;
    } while (wraps != systick_wraps);
    return ((uint64_t)wraps << 24) + (0xFFFFFFu - value);
}

static void systick_start(void)
{
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
    while (SYST_CVR == 0u) {
    }
}

static void fault_handler(void)
{
    exit(99);
}

void reset_handler(void)
{
    uint32_t *source = &__data_load;
    for (uint32_t *target = &__data_start; target < &__data_end;) {
        *target++ = *source++;
    }
    for (uint32_t *target = &__bss_start; target < &__bss_end;) {
        *target++ = 0u;
    }
    SCB_CPACR |= 0xFu << 20; /* CP10, CP11: full access to the FPU */
    __asm volatile("dsb\n isb" ::: "memory");
    initialise_monitor_handles();
    systick_start();
    exit(main());
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(&__stack_top), reset_handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler, systick_handler,
};
