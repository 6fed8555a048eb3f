/* STM32F746G-DISCO (STM32F746NG, Cortex-M7): 216 MHz from the 25 MHz HSE crystal, USART1 at 115200 8N1 as the
 * ST-LINK virtual COM port, DWT cycle counter, I- and D-cache on.
 * The board wires the ST-LINK's VCP to USART1_TX = PA9 and USART1_RX = PB7 (board user manual UM1907 and ST's BSP),
 * not PA10 (not wired to the ST-LINK on this board); both pins use alternate function 7.
 * Register addresses and bit positions: ST RM0385 (reference manual) and Arm DDI 0489 (Cortex-M7). */
#include <stdint.h>

#include "board.h"
#include "protocol_codes.h"
#include "timing.h"
#include "uart.h"
#include "uart_buffer.h"

#define REG(address) (*(volatile uint32_t *)(address))

#define RCC_BASE 0x40023800u
#define RCC_CR REG(RCC_BASE + 0x00u)
#define RCC_PLLCFGR REG(RCC_BASE + 0x04u)
#define RCC_CFGR REG(RCC_BASE + 0x08u)
#define RCC_AHB1ENR REG(RCC_BASE + 0x30u)
#define RCC_APB1ENR REG(RCC_BASE + 0x40u)
#define RCC_APB2ENR REG(RCC_BASE + 0x44u)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_AHB1ENR_GPIOBEN (1u << 1)
#define RCC_APB2ENR_USART1EN (1u << 4)

#define PWR_CR1 REG(0x40007000u)
#define PWR_CSR1 REG(0x40007004u)
#define PWR_CR1_VOS_SCALE1 (3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

#define FLASH_ACR REG(0x40023C00u)
#define FLASH_ACR_LATENCY_7WS 7u /* 210 < HCLK <= 216 MHz at 2.7-3.6 V (RM0385 table 5) */
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ARTEN (1u << 9)

#define GPIOA_BASE 0x40020000u
#define GPIOA_MODER REG(GPIOA_BASE + 0x00u)
#define GPIOA_OSPEEDR REG(GPIOA_BASE + 0x08u)
#define GPIOA_AFRH REG(GPIOA_BASE + 0x24u)
#define GPIOB_BASE 0x40020400u
#define GPIOB_MODER REG(GPIOB_BASE + 0x00u)
#define GPIOB_OSPEEDR REG(GPIOB_BASE + 0x08u)
#define GPIOB_PUPDR REG(GPIOB_BASE + 0x0Cu)
#define GPIOB_AFRL REG(GPIOB_BASE + 0x20u)

#define USART1_BASE 0x40011000u
#define USART1_CR1 REG(USART1_BASE + 0x00u)
#define USART1_BRR REG(USART1_BASE + 0x0Cu)
#define USART1_ISR REG(USART1_BASE + 0x1Cu)
#define USART1_ICR REG(USART1_BASE + 0x20u)
#define USART1_RDR REG(USART1_BASE + 0x24u)
#define USART1_TDR REG(USART1_BASE + 0x28u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_ISR_ORE (1u << 3)
#define USART_ISR_RXNE (1u << 5)
#define USART_ISR_TXE (1u << 7)
#define USART_ICR_ORECF (1u << 3)
#define USART1_IRQ 37u

#define NVIC_ISER(n) REG(0xE000E100u + 4u * (n))
#define SCB_CCR REG(0xE000ED14u)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)
#define SCB_CCSIDR REG(0xE000ED80u)
#define SCB_CSSELR REG(0xE000ED84u)
#define SCB_ICIALLU REG(0xE000EF50u)
#define SCB_DCISW REG(0xE000EF60u)
#define DEMCR REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)
#define DWT_LAR REG(0xE0001FB0u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

#define HCLK_HZ 216000000u
#define PCLK2_HZ (HCLK_HZ / 2u)
#define BAUD_RATE 115200u

const char board_name[] = "stm32f746g-disco";
const uint8_t timing_unit = COUNTER_CYCLES;

static volatile uint32_t milliseconds;

void SysTick_Handler(void) { milliseconds++; }

static void usart1_handler(void)
{
    uint32_t status = USART1_ISR;
    if (status & USART_ISR_ORE) {
        USART1_ICR = USART_ICR_ORECF; /* a lost byte: the frame CRC will catch it */
    }
    while (USART1_ISR & USART_ISR_RXNE) {
        uart_rx_push((uint8_t)(USART1_RDR & 0xFFu));
    }
}

typedef void (*vector_t)(void);

/* Only the interrupts this firmware enables have handlers; the others are never enabled (a zero entry would
 * fault into Default_Handler). */
/* STM32F746: 98 device interrupts after the 16 core vectors (RM0385 table 46). */
__attribute__((section(".isr_vector.board"), used)) static const vector_t board_vector_table[98] = {
    [USART1_IRQ] = usart1_handler,
};

static void wait_set(volatile uint32_t *reg, uint32_t mask)
{
    while ((*reg & mask) != mask) {
    }
}

/* HSE 25 MHz / M 25 * N 432 = 432 MHz VCO; / P 2 = 216 MHz; / Q 9 = 48 MHz. AHB /1, APB1 /4 (54 MHz),
 * APB2 /2 (108 MHz). 216 MHz needs voltage scale 1 with over-drive (RM0385 section 4.1.4). */
static void clock_init(void)
{
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    PWR_CR1 |= PWR_CR1_VOS_SCALE1;
    RCC_CR |= RCC_CR_HSEON;
    wait_set(&RCC_CR, RCC_CR_HSERDY);
    /* PLLM [5:0] = 25, PLLN [14:6] = 432, PLLP [17:16] = 0 (/2), PLLSRC [22] = HSE, PLLQ [27:24] = 9; the other
     * bits keep their reset values. */
    RCC_PLLCFGR = (RCC_PLLCFGR & ~0x0F437FFFu) | 25u | (432u << 6) | (0u << 16) | (1u << 22) | (9u << 24);
    RCC_CR |= RCC_CR_PLLON;
    PWR_CR1 |= PWR_CR1_ODEN;
    wait_set(&PWR_CSR1, PWR_CSR1_ODRDY);
    PWR_CR1 |= PWR_CR1_ODSWEN;
    wait_set(&PWR_CSR1, PWR_CSR1_ODSWRDY);
    wait_set(&RCC_CR, RCC_CR_PLLRDY);
    FLASH_ACR = FLASH_ACR_LATENCY_7WS | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN;
    while ((FLASH_ACR & 0xFu) != FLASH_ACR_LATENCY_7WS) {
    }
    /* Bus dividers first (HPRE /1, PPRE1 /4, PPRE2 /2), then switch: APB1 <= 54 MHz and APB2 <= 108 MHz at all times. */
    RCC_CFGR = (RCC_CFGR & ~0xFCF0u) | (5u << 10) | (4u << 13);
    RCC_CFGR = (RCC_CFGR & ~0x3u) | 2u; /* SW = PLL */
    while (((RCC_CFGR >> 2) & 3u) != 2u) {
    }
}

static void barrier(void) { __asm volatile("dsb\n\tisb" ::: "memory"); }

/* Invalidate then enable the caches, as the Cortex-M7 TRM requires (both hold garbage after reset). */
static void caches_init(void)
{
    barrier();
    SCB_ICIALLU = 0u;
    barrier();
    SCB_CCR |= SCB_CCR_IC;
    barrier();

    SCB_CSSELR = 0u; /* level 1 data cache */
    barrier();
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    uint32_t line_shift = (ccsidr & 7u) + 4u;
    uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (uint32_t set = 0; set < sets; set++) {
        for (uint32_t way = 0; way < ways; way++) {
            SCB_DCISW = (set << line_shift) | (way << way_shift);
        }
    }
    barrier();
    SCB_CCR |= SCB_CCR_DC;
    barrier();
}

void board_init(void)
{
    clock_init();
    caches_init();
}

void uart_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN | RCC_AHB1ENR_GPIOBEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    barrier();
    /* PA9 = USART1_TX: alternate function 7 (AFRH bits 7:4), high speed. */
    GPIOA_MODER = (GPIOA_MODER & ~(3u << 18)) | (2u << 18);
    GPIOA_OSPEEDR |= 3u << 18;
    GPIOA_AFRH = (GPIOA_AFRH & ~(0xFu << 4)) | (7u << 4);
    /* PB7 = USART1_RX: alternate function 7 (AFRL bits 31:28), pull-up so an idle line reads as mark. */
    GPIOB_MODER = (GPIOB_MODER & ~(3u << 14)) | (2u << 14);
    GPIOB_OSPEEDR |= 3u << 14;
    GPIOB_PUPDR = (GPIOB_PUPDR & ~(3u << 14)) | (1u << 14);
    GPIOB_AFRL = (GPIOB_AFRL & ~(0xFu << 28)) | (7u << 28);
    USART1_BRR = (PCLK2_HZ + BAUD_RATE / 2u) / BAUD_RATE; /* oversampling by 16 */
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE | USART_CR1_RXNEIE;
    NVIC_ISER(USART1_IRQ / 32u) = 1u << (USART1_IRQ % 32u);
}

void uart_write(const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (!(USART1_ISR & USART_ISR_TXE)) {
        }
        USART1_TDR = data[i];
    }
}

void timing_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = 0xC5ACCE55u; /* the Cortex-M7 DWT is locked after reset */
    DWT_CYCCNT = 0u;
    DWT_CTRL |= 1u;
    SYST_RVR = HCLK_HZ / 1000u - 1u; /* 1 ms */
    SYST_CVR = 0u;
    SYST_CSR = 0x7u; /* enable, interrupt, processor clock */
}

uint32_t timing_now(void) { return DWT_CYCCNT; }

uint32_t timing_millis(void) { return milliseconds; }
