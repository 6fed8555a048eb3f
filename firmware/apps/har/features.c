/*
 * HAR window features, float32, in exactly the operation order of har/features.py compute_features_float32():
 * sequential sums, a radix-2 decimation-in-time FFT with the generated twiddle table, sqrtf. Compile with
 * -ffp-contract=off (a fused multiply-add rounds once instead of twice and breaks bit-identity with the host).
 * The feature list and formulas are documented in har/features.py and in har_features_tables.h.
 */
#include "har_features.h"

#include <math.h>
#include <stddef.h>

#include "har_features_tables.h"

#define HAR_PER_AXIS 8
#define HAR_FFT_BINS (HAR_FFT_LENGTH / 2) /* bins 1..F/2 are used; bin 0 is the removed mean */

#if HAR_N_FEATURES != 3 * HAR_PER_AXIS + 3
#error "har_config.h HAR_N_FEATURES does not match features.c (27 features)"
#endif

/* Sum of n floats, left to right: the order the host reference mirrors. */
static float har_features_sum(const float *values, size_t n) {
    float total = 0.0f;
    for (size_t i = 0; i < n; i++) { total += values[i]; }
    return total;
}

/* In-place complex FFT of HAR_FFT_LENGTH points; re must already be in bit-reversed order, im zero. */
static void har_features_fft(float *re, float *im) {
    for (size_t size = 2; size <= HAR_FFT_LENGTH; size *= 2) {
        const size_t half = size / 2;
        const size_t stride = HAR_FFT_LENGTH / size;
        for (size_t start = 0; start < HAR_FFT_LENGTH; start += size) {
            for (size_t j = 0; j < half; j++) {
                const float wr = har_twiddle_re[j * stride];
                const float wi = har_twiddle_im[j * stride];
                const size_t a = start + j;
                const size_t b = a + half;
                const float tr = wr * re[b] - wi * im[b];
                const float ti = wr * im[b] + wi * re[b];
                const float re_a = re[a];
                const float im_a = im[a];
                re[b] = re_a - tr;
                im[b] = im_a - ti;
                re[a] = re_a + tr;
                im[a] = im_a + ti;
            }
        }
    }
}

/* The 8 features of one axis (stride 3 through the interleaved window) into out[0..7]. */
static void har_features_axis(const float *window, size_t axis, float *out) {
    static float samples[HAR_WINDOW_SAMPLES];
    static float centred[HAR_WINDOW_SAMPLES];
    static float re[HAR_FFT_LENGTH];
    static float im[HAR_FFT_LENGTH];
    static float magnitude[HAR_FFT_BINS];
    const float n = (float)HAR_WINDOW_SAMPLES;
    float lowest = window[axis];
    float highest = window[axis];
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
        samples[i] = window[i * HAR_N_AXES + axis];
        if (samples[i] < lowest) { lowest = samples[i]; }
        if (samples[i] > highest) { highest = samples[i]; }
    }
    const float mean = har_features_sum(samples, HAR_WINDOW_SAMPLES) / n;
    float squares = 0.0f;
    float positives = 0.0f;
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
        centred[i] = samples[i] - mean;
        squares += centred[i] * centred[i];
        if (centred[i] > 0.0f) { positives += 1.0f; }
    }
    for (size_t i = 0; i < HAR_FFT_LENGTH; i++) {
        re[har_bit_reverse[i]] = i < HAR_WINDOW_SAMPLES ? centred[i] : 0.0f;
        im[i] = 0.0f;
    }
    har_features_fft(re, im);
    size_t peak = 0;
    for (size_t k = 0; k < HAR_FFT_BINS; k++) {
        magnitude[k] = sqrtf(re[k + 1] * re[k + 1] + im[k + 1] * im[k + 1]);
        if (magnitude[k] > magnitude[peak]) { peak = k; }
    }
    out[0] = mean;
    out[1] = sqrtf(squares / n);
    out[2] = positives / n;
    out[3] = lowest;
    out[4] = highest;
    out[5] = (float)(peak + 1) * HAR_FFT_BIN_HZ;
    out[6] = magnitude[peak] * HAR_FFT_AMP_SCALE;
    out[7] = har_features_sum(magnitude, HAR_FFT_BINS) / (float)HAR_FFT_BINS * HAR_FFT_AMP_SCALE;
}

/* sma, magnitude mean and magnitude std (ddof 0) into out[0..2]. */
static void har_features_global(const float *window, float *out) {
    static float magnitude[HAR_WINDOW_SAMPLES];
    const float n = (float)HAR_WINDOW_SAMPLES;
    float sma = 0.0f;
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
        const float x = window[i * HAR_N_AXES];
        const float y = window[i * HAR_N_AXES + 1];
        const float z = window[i * HAR_N_AXES + 2];
        sma += (fabsf(x) + fabsf(y)) + fabsf(z);
        magnitude[i] = sqrtf((x * x + y * y) + z * z);
    }
    const float mean = har_features_sum(magnitude, HAR_WINDOW_SAMPLES) / n;
    float squares = 0.0f;
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
        const float deviation = magnitude[i] - mean;
        squares += deviation * deviation;
    }
    out[0] = sma / n;
    out[1] = mean;
    out[2] = sqrtf(squares / n);
}

int har_features_compute(const float *window, float *features) {
    if (window == NULL || features == NULL) { return 1; }
    for (size_t axis = 0; axis < HAR_N_AXES; axis++) {
        har_features_axis(window, axis, &features[axis * HAR_PER_AXIS]);
    }
    har_features_global(window, &features[HAR_N_AXES * HAR_PER_AXIS]);
    return 0;
}

void har_features_normalize(float *features) {
    for (size_t i = 0; i < HAR_N_FEATURES; i++) {
        features[i] = (features[i] - har_feature_mean[i]) * har_feature_inv_std[i];
    }
}
