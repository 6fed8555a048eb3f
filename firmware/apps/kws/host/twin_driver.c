/* Host driver for the KWS C twins, built by kws/twin.py (tests, and the reference for the device check).
 * Not part of the firmware image (firmware/CMakeLists.txt compiles only the .c files directly in apps/kws).
 * stdin: clips, each an int32 sample count n then n int16 samples (native byte order).
 * stdout per clip: int32 window start, KWS_WINDOW_SAMPLES int16 window, KWS_N_FEATURES float32 MFCC. */
#include <stdio.h>
#include <stdlib.h>

#include "kws_config.h"
#include "mfcc.h"
#include "window.h"

#define KWS_DRIVER_MAX_SAMPLES 200000

static int16_t clip[KWS_DRIVER_MAX_SAMPLES];
static int16_t window_pcm[KWS_WINDOW_SAMPLES];
static float features[KWS_N_FEATURES];

int main(void)
{
    int32_t n;
    if (kws_mfcc_init() != 0) {
        return 3;
    }
    while (fread(&n, sizeof n, 1, stdin) == 1) {
        if (n < 0 || n > KWS_DRIVER_MAX_SAMPLES || fread(clip, sizeof clip[0], (size_t)n, stdin) != (size_t)n) {
            return 2;
        }
        int32_t start = kws_window_start(clip, (size_t)n);
        kws_window_extract(clip, (size_t)n, window_pcm);
        if (kws_mfcc_compute(window_pcm, features) != 0) {
            return 4;
        }
        fwrite(&start, sizeof start, 1, stdout);
        fwrite(window_pcm, sizeof window_pcm[0], KWS_WINDOW_SAMPLES, stdout);
        fwrite(features, sizeof features[0], KWS_N_FEATURES, stdout);
    }
    return 0;
}
