/* C twin of kws/mfcc.py: MFCC of one fixed window through CMSIS-DSP arm_mfcc_f32, with the generated tables
 * (kws_mfcc_tables.c) and constants (kws_config.h). Checked against the host in tests/kws/test_mfcc.py. */
#ifndef KWS_MFCC_H
#define KWS_MFCC_H

#include <stdint.h>

/* Sets up the arm_mfcc_f32 instance; 0 on success. Call once before kws_mfcc_compute. */
int kws_mfcc_init(void);

/* window: KWS_WINDOW_SAMPLES int16 samples -> features: KWS_N_FRAMES x KWS_N_MFCC float, frame-major.
 * Returns 0 on success, -1 if kws_mfcc_init has not succeeded. */
int kws_mfcc_compute(const int16_t *window, float *features);

#endif /* KWS_MFCC_H */
