/*
 * HAR window features, float32, in exactly the operation order of har/features.py compute_features_float32():
 * compensated sums for means, sequential sums elsewhere, a radix-2 decimation-in-time FFT with the generated
 * twiddle table, sqrtf. Compile with -ffp-contract=off (a fused multiply-add rounds once instead of twice and
 * breaks bit-identity with the host).
 * The feature list and formulas are documented in har/features.py and in har_features_tables.h.
 */
#include "har_features.h"

#include <math.h>
#include <stddef.h>

#include "har_features_tables.h"

#define HAR_PER_AXIS 8
#define HAR_FFT_BINS (HAR_FFT_LENGTH / 2) /* bins 1..F/2 are used; bin 0 is the removed mean */

#define HAR_PER_SHAPE 3 /* skewness, kurtosis, jerk std */
#define HAR_PER_RHYTHM (HAR_N_BANDS + 2) /* band shares, acf max, acf min */

#if HAR_FEATURE_SET_ORIENTATION
#if HAR_N_FEATURES != 2 * HAR_PER_AXIS + 3 + 2 + 2 * HAR_PER_SHAPE + 2 * HAR_PER_RHYTHM
#error "har_config.h HAR_N_FEATURES does not match features.c (41 orientation features)"
#endif
#if HAR_ACF_FIRST_LAG < 1 || HAR_ACF_LAST_LAG >= HAR_WINDOW_SAMPLES || HAR_ACF_FIRST_LAG > HAR_ACF_LAST_LAG
#error "har_features_tables.h autocorrelation lags outside the window"
#endif
#elif HAR_N_FEATURES != 3 * HAR_PER_AXIS + 3
#error "har_config.h HAR_N_FEATURES does not match features.c (27 features)"
#endif

/* Sum of n floats, left to right, with Kahan's compensation (har/features.py _compensated_sum mirrors it): a plain
 * float32 sum of 80 values near 9.8 m/s^2 is off by up to ~5e-6, too much for low-variance features such as |g|.
 * Needs strict IEEE evaluation (no -ffast-math, -ffp-contract=off), as the rest of this file. */
static float har_features_sum(const float *values, size_t n) {
    float total = 0.0f;
    float compensation = 0.0f;
    for (size_t i = 0; i < n; i++) {
        const float corrected = values[i] - compensation;
        const float running = total + corrected;
        compensation = (running - total) - corrected;
        total = running;
    }
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

/* power[k - 1] = re^2 + im^2 of bin k = 1..HAR_FFT_BINS of the centred series, zero-padded to HAR_FFT_LENGTH. */
static void har_features_power(const float *centred, float *power) {
    static float re[HAR_FFT_LENGTH];
    static float im[HAR_FFT_LENGTH];
    for (size_t i = 0; i < HAR_FFT_LENGTH; i++) {
        re[har_bit_reverse[i]] = i < HAR_WINDOW_SAMPLES ? centred[i] : 0.0f;
        im[i] = 0.0f;
    }
    har_features_fft(re, im);
    for (size_t k = 0; k < HAR_FFT_BINS; k++) { power[k] = re[k + 1] * re[k + 1] + im[k + 1] * im[k + 1]; }
}

/* The 8 features of one series of HAR_WINDOW_SAMPLES samples (an axis, or an orientation series) into out[0..7];
 * its power spectrum (har_features_power) is left in power[0..HAR_FFT_BINS-1] for the rhythm features. */
static void har_features_series(const float *samples, float *out, float *power) {
    static float centred[HAR_WINDOW_SAMPLES];
    static float magnitude[HAR_FFT_BINS];
    const float n = (float)HAR_WINDOW_SAMPLES;
    float lowest = samples[0];
    float highest = samples[0];
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
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
    har_features_power(centred, power);
    size_t peak = 0;
    for (size_t k = 0; k < HAR_FFT_BINS; k++) {
        magnitude[k] = sqrtf(power[k]);
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

/* One axis (stride 3 through the interleaved window) as a contiguous series. */
static void har_features_axis_series(const float *window, size_t axis, float *series) {
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) { series[i] = window[i * HAR_N_AXES + axis]; }
}

#if HAR_FEATURE_SET_ORIENTATION
/* Skewness m3 / (var + HAR_QUIET_VAR)^1.5, kurtosis m4 / (var + HAR_QUIET_VAR)^2 and the std of the differences
 * (s[i+1] - s[i]) * rate of one series (for the vertical one: the motion along gravity, the same shape). The moment
 * sums are compensated: a plain float32 sum of 160 fourth powers is off by ~1e-5 of the kurtosis' spread. */
static void har_features_shape(const float *samples, float *out) {
    static float jerk[HAR_WINDOW_SAMPLES - 1];
    static float centred[HAR_WINDOW_SAMPLES];
    static float power[HAR_WINDOW_SAMPLES]; /* centred^2, then ^3, then ^4 */
    const float n = (float)HAR_WINDOW_SAMPLES;
    const float n_jerk = (float)(HAR_WINDOW_SAMPLES - 1);
    const float mean = har_features_sum(samples, HAR_WINDOW_SAMPLES) / n;
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
        centred[i] = samples[i] - mean;
        power[i] = centred[i] * centred[i];
    }
    const float var = har_features_sum(power, HAR_WINDOW_SAMPLES) / n + HAR_QUIET_VAR;
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) { power[i] = (centred[i] * centred[i]) * centred[i]; }
    const float cubes = har_features_sum(power, HAR_WINDOW_SAMPLES);
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
        const float square = centred[i] * centred[i];
        power[i] = square * square;
    }
    const float fourths = har_features_sum(power, HAR_WINDOW_SAMPLES);
    out[0] = (cubes / n) / (var * sqrtf(var));
    out[1] = (fourths / n) / (var * var);
    for (size_t i = 0; i + 1 < HAR_WINDOW_SAMPLES; i++) {
        jerk[i] = (samples[i + 1] - samples[i]) * (float)HAR_SAMPLE_RATE_HZ;
    }
    const float jerk_mean = har_features_sum(jerk, HAR_WINDOW_SAMPLES - 1) / n_jerk;
    float jerk_squares = 0.0f;
    for (size_t i = 0; i + 1 < HAR_WINDOW_SAMPLES; i++) {
        const float deviation = jerk[i] - jerk_mean;
        jerk_squares += deviation * deviation;
    }
    out[2] = sqrtf(jerk_squares / n_jerk);
}

/* Band shares of the spectral power, then the largest and smallest autocorrelation over the lags
 * HAR_ACF_FIRST_LAG..HAR_ACF_LAST_LAG, of one series (for the vertical one: the motion along gravity) into
 * out[0..HAR_PER_RHYTHM-1]. power: the series' har_features_power if already computed (the horizontal series':
 * har_features_series left it, the same centring and FFT), NULL to compute it here. Every sum is compensated
 * (har_features_sum): the features are ratios of sums. The floors in the denominators stand for HAR_QUIET_VAR of
 * extra variance, so a phone at rest reads ~0. */
static void har_features_rhythm(const float *samples, const float *power, float *out) {
    static float centred[HAR_WINDOW_SAMPLES];
    static float products[HAR_WINDOW_SAMPLES];
    static float own_power[HAR_FFT_BINS];
    const float mean = har_features_sum(samples, HAR_WINDOW_SAMPLES) / (float)HAR_WINDOW_SAMPLES;
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) { centred[i] = samples[i] - mean; }
    if (power == NULL) {
        har_features_power(centred, own_power);
        power = own_power;
    }
    const float total = har_features_sum(power, HAR_FFT_BINS) + HAR_POWER_FLOOR;
    for (size_t band = 0; band < HAR_N_BANDS; band++) {
        const size_t first_bin = har_band_start[band];
        const size_t end_bin = har_band_start[band + 1];
        out[band] = har_features_sum(&power[first_bin - 1], end_bin - first_bin) / total; /* power[k - 1] = bin k */
    }
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) { products[i] = centred[i] * centred[i]; }
    const float energy = har_features_sum(products, HAR_WINDOW_SAMPLES) + HAR_ENERGY_FLOOR;
    float highest = 0.0f;
    float lowest = 0.0f;
    for (size_t lag = HAR_ACF_FIRST_LAG; lag <= HAR_ACF_LAST_LAG; lag++) {
        for (size_t i = 0; i + lag < HAR_WINDOW_SAMPLES; i++) { products[i] = centred[i] * centred[i + lag]; }
        const float correlation = har_features_sum(products, HAR_WINDOW_SAMPLES - lag) / energy;
        if (lag == HAR_ACF_FIRST_LAG || correlation > highest) { highest = correlation; }
        if (lag == HAR_ACF_FIRST_LAG || correlation < lowest) { lowest = correlation; }
    }
    out[HAR_N_BANDS] = highest;
    out[HAR_N_BANDS + 1] = lowest;
}

/* vertical = a . u and horizontal = |a - vertical u| per sample, u = g / |g| with g the per-axis window mean (u = 0
 * if |g| = 0); posture[axis] = |g_axis| / |g|. Operation order as har/features.py _orientation_series_float32. */
static void har_features_orientation(const float *window, float *vertical, float *horizontal, float *along_gravity,
                                     float *posture) {
    const float n = (float)HAR_WINDOW_SAMPLES;
    float gravity[HAR_N_AXES];
    float unit[HAR_N_AXES];
    for (size_t axis = 0; axis < HAR_N_AXES; axis++) {
        har_features_axis_series(window, axis, vertical); /* scratch: the axis samples */
        gravity[axis] = har_features_sum(vertical, HAR_WINDOW_SAMPLES) / n;
    }
    const float norm = sqrtf((gravity[0] * gravity[0] + gravity[1] * gravity[1]) + gravity[2] * gravity[2]);
    for (size_t axis = 0; axis < HAR_N_AXES; axis++) {
        unit[axis] = norm > 0.0f ? gravity[axis] / norm : 0.0f;
        posture[axis] = norm > 0.0f ? fabsf(gravity[axis]) / norm : 0.0f;
    }
    for (size_t i = 0; i < HAR_WINDOW_SAMPLES; i++) {
        const float *a = &window[i * HAR_N_AXES];
        vertical[i] = (a[0] * unit[0] + a[1] * unit[1]) + a[2] * unit[2];
        /* |a - (a.u)u| as |d - (d.u)u| with the motion d = a - g: no cancellation of two ~9.8 m/s^2 numbers */
        const float mx = a[0] - gravity[0];
        const float my = a[1] - gravity[1];
        const float mz = a[2] - gravity[2];
        const float along = (mx * unit[0] + my * unit[1]) + mz * unit[2];
        along_gravity[i] = along;
        const float dx = mx - along * unit[0];
        const float dy = my - along * unit[1];
        const float dz = mz - along * unit[2];
        horizontal[i] = sqrtf((dx * dx + dy * dy) + dz * dz);
    }
}
#endif

int har_features_compute(const float *window, float *features) {
    static float series[HAR_WINDOW_SAMPLES];
    static float power[HAR_FFT_BINS];
    if (window == NULL || features == NULL) { return 1; }
#if HAR_FEATURE_SET_ORIENTATION
    static float horizontal[HAR_WINDOW_SAMPLES];
    static float along_gravity[HAR_WINDOW_SAMPLES];
    float global[3];
    har_features_orientation(window, series, horizontal, along_gravity, &features[2 * HAR_PER_AXIS]);
    har_features_series(series, &features[0], power);
    har_features_series(horizontal, &features[HAR_PER_AXIS], power); /* power: the horizontal series' from here */
    har_features_global(window, global);
    features[2 * HAR_PER_AXIS + HAR_N_AXES] = global[1]; /* magnitude mean */
    features[2 * HAR_PER_AXIS + HAR_N_AXES + 1] = global[2]; /* magnitude std */
    float *shape = &features[2 * HAR_PER_AXIS + HAR_N_AXES + 2];
    har_features_shape(along_gravity, shape);
    har_features_shape(horizontal, &shape[HAR_PER_SHAPE]);
    float *rhythm = &shape[2 * HAR_PER_SHAPE];
    har_features_rhythm(along_gravity, NULL, rhythm);
    har_features_rhythm(horizontal, power, &rhythm[HAR_PER_RHYTHM]); /* its FFT once, in har_features_series */
#else
    for (size_t axis = 0; axis < HAR_N_AXES; axis++) {
        har_features_axis_series(window, axis, series);
        har_features_series(series, &features[axis * HAR_PER_AXIS], power);
    }
    har_features_global(window, &features[HAR_N_AXES * HAR_PER_AXIS]);
#endif
    return 0;
}

void har_features_normalize(float *features) {
    for (size_t i = 0; i < HAR_N_FEATURES; i++) {
        features[i] = (features[i] - har_feature_mean[i]) * har_feature_inv_std[i];
    }
}
