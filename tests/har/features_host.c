/*
 * Host harness for the C twin of the HAR features (tests/har/test_features.py builds it with host gcc).
 * Reads float32 windows (HAR_WINDOW_SAMPLES x 3, interleaved) from argv[1], writes float32 features (raw, then
 * normalised) to argv[2]. Exit status 0 on success.
 */
#include <stdio.h>

#include "har_features.h"

int main(int argc, char **argv) {
    static float window[HAR_WINDOW_SAMPLES * HAR_N_AXES];
    static float features[HAR_N_FEATURES];
    if (argc != 3) { return 2; }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL) { return 3; }
    while (fread(window, sizeof window, 1, in) == 1) {
        if (har_features_compute(window, features) != 0) { return 4; }
        fwrite(features, sizeof features, 1, out);
        har_features_normalize(features);
        fwrite(features, sizeof features, 1, out);
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : 5;
}
