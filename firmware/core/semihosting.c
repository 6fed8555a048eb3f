/* Semihosting operation numbers and argument blocks from Arm's "Semihosting for AArch32 and AArch64" spec. */
#include "semihosting.h"

#define SYS_OPEN 0x01u
#define SYS_CLOSE 0x02u
#define SYS_WRITE 0x05u
#define SYS_READ 0x06u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define OPEN_MODE_RB 1u /* fopen "rb" */
#define OPEN_MODE_WB 5u /* fopen "wb" */

static int32_t semihosting_call(uint32_t operation, const void *argument)
{
    register uint32_t r0 __asm("r0") = operation;
    register const void *r1 __asm("r1") = argument;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

int32_t semihosting_open(const char *path, int for_writing)
{
    size_t length = 0;
    while (path[length] != '\0') {
        length++;
    }
    uint32_t block[3] = {(uint32_t)(uintptr_t)path, for_writing ? OPEN_MODE_WB : OPEN_MODE_RB, (uint32_t)length};
    return semihosting_call(SYS_OPEN, block);
}

size_t semihosting_read(int32_t handle, uint8_t *data, size_t n)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)data, (uint32_t)n};
    int32_t not_read = semihosting_call(SYS_READ, block); /* the call returns the bytes NOT read */
    return not_read < 0 ? 0u : n - (size_t)not_read;
}

size_t semihosting_write(int32_t handle, const uint8_t *data, size_t n)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)data, (uint32_t)n};
    int32_t not_written = semihosting_call(SYS_WRITE, block);
    return not_written < 0 ? 0u : n - (size_t)not_written;
}

void semihosting_close(int32_t handle)
{
    uint32_t block[1] = {(uint32_t)handle};
    (void)semihosting_call(SYS_CLOSE, block);
}

void semihosting_exit(uint32_t status)
{
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, status};
    (void)semihosting_call(SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}
