/*
 * HAR decisions over a stream of windows: the C twin of har/smoothing.py. The class reported for a window is the
 * argmax (the first of equal ones) of the int8 scores summed over it and up to HAR_SMOOTH_WINDOWS - 1 windows
 * before it since the last reset; integer arithmetic, so the board and the host agree exactly.
 */
#ifndef HAR_SMOOTHING_H
#define HAR_SMOOTHING_H

#include <stdint.h>

#include "har_config.h"

#if HAR_SMOOTH_WINDOWS < 1 || HAR_SMOOTH_WINDOWS > 255
#error "har_config.h HAR_SMOOTH_WINDOWS must be in 1..255"
#endif

typedef struct {
    int8_t scores[HAR_SMOOTH_WINDOWS][HAR_N_CLASSES]; /* ring of the latest windows' scores */
    uint32_t count;                                   /* windows since the reset (saturates at HAR_SMOOTH_WINDOWS) */
    uint32_t next;                                    /* ring slot the next window goes to */
} har_smoothing_t;

/* Forget every window: the next one starts a new stream. */
void har_smoothing_reset(har_smoothing_t *state);

/* Add this window's HAR_N_CLASSES int8 scores; sums (optional, may be NULL) gets the int32 sums; returns the
 * class. */
uint16_t har_smoothing_decide(har_smoothing_t *state, const int8_t *scores, int32_t *sums);

#endif /* HAR_SMOOTHING_H */
