/*
 * Host harness for firmware/apps/har/smoothing.c (tests/har/test_smoothing.py builds it with host gcc).
 * Reads records of 1 start byte (1 = the window starts a new stream) + HAR_N_CLASSES int8 scores from argv[1];
 * writes per window the int32 sums (HAR_N_CLASSES) and the class as an int32 to argv[2].
 */
#include <stdio.h>

#include "smoothing.h"

int main(int argc, char **argv) {
    static har_smoothing_t state;
    uint8_t start = 0;
    int8_t scores[HAR_N_CLASSES];
    int32_t sums[HAR_N_CLASSES];
    if (argc != 3) { return 2; }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL) { return 3; }
    while (fread(&start, 1, 1, in) == 1 && fread(scores, 1, sizeof scores, in) == sizeof scores) {
        if (start != 0) { har_smoothing_reset(&state); }
        const int32_t label = har_smoothing_decide(&state, scores, sums);
        fwrite(sums, sizeof sums[0], HAR_N_CLASSES, out);
        fwrite(&label, sizeof label, 1, out);
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : 4;
}
