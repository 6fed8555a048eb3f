/* float -> int8 model input, exactly as the host computes it (shared/evaluate.py quantize). */
#ifndef CORE_QUANTIZE_H
#define CORE_QUANTIZE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* TFLite's QUANTIZE: q = round(x / scale) + zero_point, saturated to int8, rounding half away from zero
 * (std::round), written step by step in float32 as the host does: sign(s) * floor(|s| + 0.5f). Even |s| just
 * below 0.5, where floor(|s| + 0.5f) rounds up in float32, agrees with the host because both round alike. */
static inline int8_t quantize_int8(float x, float scale, int32_t zero_point)
{
    const float scaled = x / scale;
    const float magnitude = floorf(fabsf(scaled) + 0.5f);
    const float q = (scaled < 0.0f ? -magnitude : magnitude) + (float)zero_point;
    if (q < -128.0f) {
        return -128;
    }
    if (q > 127.0f) {
        return 127;
    }
    return (int8_t)q;
}

static inline void quantize_int8_buffer(const float *in, int8_t *out, size_t count, float scale, int32_t zero_point)
{
    for (size_t i = 0; i < count; i++) {
        out[i] = quantize_int8(in[i], scale, zero_point);
    }
}

#endif /* CORE_QUANTIZE_H */
