/* HAR decisions over a stream of windows (smoothing.h); the host reference is har/smoothing.py. */
#include "smoothing.h"

#include <stddef.h>

void har_smoothing_reset(har_smoothing_t *state) {
    state->count = 0;
    state->next = 0;
}

uint16_t har_smoothing_decide(har_smoothing_t *state, const int8_t *scores, int32_t *sums) {
    int32_t total[HAR_N_CLASSES];
    for (size_t c = 0; c < HAR_N_CLASSES; c++) { state->scores[state->next][c] = scores[c]; }
    state->next = (state->next + 1u) % HAR_SMOOTH_WINDOWS;
    if (state->count < HAR_SMOOTH_WINDOWS) { state->count++; }
    /* |sum| <= 128 * HAR_SMOOTH_WINDOWS <= 32640: int32 is safe */
    for (size_t c = 0; c < HAR_N_CLASSES; c++) {
        total[c] = 0;
        for (size_t w = 0; w < state->count; w++) { total[c] += (int32_t)state->scores[w][c]; }
    }
    uint16_t best = 0;
    for (uint16_t c = 1; c < HAR_N_CLASSES; c++) {
        if (total[c] > total[best]) { best = c; }
    }
    if (sums != NULL) {
        for (size_t c = 0; c < HAR_N_CLASSES; c++) { sums[c] = total[c]; }
    }
    return best;
}
