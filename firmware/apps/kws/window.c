/* C twin of kws/window.py (rule documented there). Constants come from the generated kws_config.h. */
#include "window.h"

#include "kws_config.h"

#if KWS_WINDOW_RULE_PEAK
/* Index of the first block of KWS_ENERGY_BLOCK_SAMPLES with the largest sum of x*x (the last block may be short).
 * |x| <= 32768, so a block sums to at most B * 2^30: int64_t is safe. */
static int32_t kws_window_loudest_block(const int16_t *pcm, size_t n)
{
    int64_t best = -1;
    int32_t peak = 0;
    int32_t index = 0;
    for (size_t first = 0; first < n; first += KWS_ENERGY_BLOCK_SAMPLES, index++) {
        size_t last = (n - first > KWS_ENERGY_BLOCK_SAMPLES) ? first + KWS_ENERGY_BLOCK_SAMPLES : n;
        int64_t energy = 0;
        for (size_t i = first; i < last; i++) {
            energy += (int64_t)pcm[i] * (int64_t)pcm[i];
        }
        if (energy > best) {
            best = energy;
            peak = index;
        }
    }
    return peak;
}
#endif

int32_t kws_window_start(const int16_t *pcm, size_t n)
{
#if KWS_WINDOW_RULE_PEAK
    if (n == 0) {
        return 0;
    }
    int32_t peak = kws_window_loudest_block(pcm, n);
    int32_t start = peak * KWS_ENERGY_BLOCK_SAMPLES + KWS_ENERGY_BLOCK_SAMPLES / 2 - KWS_WINDOW_SAMPLES / 2;
    int32_t spare = (int32_t)n - KWS_WINDOW_SAMPLES; /* < 0: the clip is shorter than the window */
    int32_t lowest = spare < 0 ? spare : 0;
    int32_t highest = spare > 0 ? spare : 0;
    if (start < lowest) {
        start = lowest;
    }
    if (start > highest) {
        start = highest;
    }
    return start;
#else
    (void)pcm;
    (void)n;
    return 0; /* rule "start": the first KWS_WINDOW_SAMPLES samples */
#endif
}

void kws_window_extract(const int16_t *pcm, size_t n, int16_t *out)
{
    int32_t start = kws_window_start(pcm, n);
    for (int32_t i = 0; i < KWS_WINDOW_SAMPLES; i++) {
        int32_t source = start + i;
        out[i] = (source >= 0 && (size_t)source < n) ? pcm[source] : (int16_t)0;
    }
}
