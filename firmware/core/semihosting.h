/* ARM semihosting calls (the debugger or QEMU does the file I/O on the host); no newlib, no heap. */
#ifndef CORE_SEMIHOSTING_H
#define CORE_SEMIHOSTING_H

#include <stddef.h>
#include <stdint.h>

/* Returns a handle >= 0, or -1. */
int32_t semihosting_open(const char *path, int for_writing);
/* Bytes transferred (short only at end of file or on error). */
size_t semihosting_read(int32_t handle, uint8_t *data, size_t n);
size_t semihosting_write(int32_t handle, const uint8_t *data, size_t n);
void semihosting_close(int32_t handle);
/* Ends the emulator with this exit status (QEMU: SYS_EXIT_EXTENDED). */
void semihosting_exit(uint32_t status) __attribute__((noreturn));

#endif /* CORE_SEMIHOSTING_H */
