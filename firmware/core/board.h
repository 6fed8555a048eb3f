/* Board bring-up, implemented in firmware/boards/<board>/board.c: clocks, caches, pins. */
#ifndef CORE_BOARD_H
#define CORE_BOARD_H

void board_init(void);
extern const char board_name[];

#endif /* CORE_BOARD_H */
