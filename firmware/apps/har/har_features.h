/*
 * HAR window features: the C twin of har/features.py (compute_features_float32, normalize_float32).
 * Sizes and constants come from the generated har_config.h and har_features_tables.h.
 * Named har_features.h, not features.h: glibc has its own <features.h>, which a -I to this folder would shadow.
 */
#ifndef HAR_FEATURES_H
#define HAR_FEATURES_H

#include "har_config.h"

/* window: HAR_WINDOW_SAMPLES samples, x/y/z interleaved, m/s^2; features: HAR_N_FEATURES floats.
 * Returns 0 on success. */
int har_features_compute(const float *window, float *features);

/* In place: features[i] = (features[i] - mean[i]) * inv_std[i], training-set constants. */
void har_features_normalize(float *features);

#endif /* HAR_FEATURES_H */
