/*
 * Host harness for firmware/apps/har/app.c (tests/har/test_app.py builds it with host gcc and a stand-in model).
 * Reads raw windows (app_info.input_bytes each) from argv[1]; writes, per window, the app's float model inputs
 * (app_info.feature_count float32) then the int8 model input (MODEL_INPUT_SIZE bytes) to argv[2].
 */
#include <stdio.h>

#include "app.h"
#include "model.h"

int main(int argc, char **argv) {
    static uint8_t raw[4096];
    const float *features = NULL;
    const int8_t *scores = NULL;
    if (argc != 3 || app_info.input_bytes > sizeof raw) { return 2; }
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL) { return 3; }
    while (fread(raw, app_info.input_bytes, 1, in) == 1) {
        if (app_features(raw, app_info.input_bytes, &features) != 0) { return 4; }
        if (app_infer(features, &scores) != 0) { return 5; }
        fwrite(features, sizeof(float), app_info.feature_count, out);
        fwrite(stub_last_input, 1, MODEL_INPUT_SIZE, out);
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : 6;
}
