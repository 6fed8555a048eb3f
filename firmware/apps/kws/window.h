/* The fixed-length rule of kws/window.py: any clip of int16 PCM -> KWS_WINDOW_SAMPLES samples.
 * Integer-only, so the device picks exactly the samples the host trained on (tests/kws/test_window.py). */
#ifndef KWS_WINDOW_H
#define KWS_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* Index in pcm of the window's first sample; negative = zero padding in front. */
int32_t kws_window_start(const int16_t *pcm, size_t n);

/* Copies the window of pcm[0..n) into out[0..KWS_WINDOW_SAMPLES), zero outside the clip. */
void kws_window_extract(const int16_t *pcm, size_t n, int16_t *out);

#endif /* KWS_WINDOW_H */
