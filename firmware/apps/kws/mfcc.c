/* C twin of kws/mfcc.py: frames the window as the host does (frame f = samples [f*hop, f*hop + n_fft)), scales
 * int16 to float32 by 2^-15 (exact), hands each frame to CMSIS-DSP arm_mfcc_f32, then (KWS_CMN) subtracts the
 * cepstral mean over the frames that hold sound and multiplies by the lifter. */
#include "mfcc.h"

#include "arm_math.h"
#include "kws_config.h"
#include "kws_mfcc_tables.h"

/* arm_mfcc_init_<N>_f32 only links the FFT tables of length N (arm_mfcc_init_f32 would pull in all of them). */
#define KWS_MFCC_INIT_N(n) arm_mfcc_init_##n##_f32
#define KWS_MFCC_INIT(n) KWS_MFCC_INIT_N(n)

static arm_mfcc_instance_f32 kws_mfcc_instance;
static float32_t kws_mfcc_frame[KWS_N_FFT];
/* arm_mfcc_f32 (1.10.3) runs arm_cmplx_mag_f32 over n_fft complex values of this buffer, i.e. reads 2*n_fft floats,
 * although only the first n_fft/2 magnitudes reach the mel filters: size it 2*n_fft so no read leaves it. */
static float32_t kws_mfcc_scratch[2 * KWS_N_FFT];
static int kws_mfcc_ready;

#if KWS_CMN
/* Cepstral mean normalisation (kws/mfcc.py subtract_cepstral_mean): over the active frames (any nonzero sample),
 * each coefficient minus its mean; inactive (zero-padded) frames become 0. Sums run frame by frame in float32. */
static void kws_mfcc_subtract_mean(float *features, const uint8_t *active)
{
    int32_t count = 0;
    for (int32_t f = 0; f < KWS_N_FRAMES; f++) {
        count += active[f];
    }
    for (int32_t c = 0; c < KWS_N_MFCC; c++) {
        float32_t sum = 0.0f;
        for (int32_t f = 0; f < KWS_N_FRAMES; f++) {
            if (active[f]) {
                sum += features[f * KWS_N_MFCC + c];
            }
        }
        float32_t mean = (count > 0) ? sum / (float32_t)count : 0.0f;
        for (int32_t f = 0; f < KWS_N_FRAMES; f++) {
            float32_t *value = &features[f * KWS_N_MFCC + c];
            *value = active[f] ? *value - mean : 0.0f;
        }
    }
}
#endif

int kws_mfcc_init(void)
{
    arm_status status = KWS_MFCC_INIT(KWS_N_FFT)(&kws_mfcc_instance, KWS_N_MELS, KWS_N_MFCC, kws_mfcc_dct,
                                                 kws_mfcc_filter_pos, kws_mfcc_filter_len, kws_mfcc_filter_coefs,
                                                 kws_mfcc_window);
    kws_mfcc_ready = (status == ARM_MATH_SUCCESS);
    return kws_mfcc_ready ? 0 : -1;
}

int kws_mfcc_compute(const int16_t *window, float *features)
{
    if (!kws_mfcc_ready) {
        return -1;
    }
    static uint8_t active[KWS_N_FRAMES];
    for (int32_t f = 0; f < KWS_N_FRAMES; f++) {
        const int16_t *frame_pcm = window + f * KWS_HOP_SAMPLES;
        active[f] = 0;
        for (int32_t i = 0; i < KWS_N_FFT; i++) {
            kws_mfcc_frame[i] = (float32_t)frame_pcm[i] * KWS_PCM_SCALE;
            active[f] |= (uint8_t)(frame_pcm[i] != 0);
        }
        /* arm_mfcc_f32 overwrites the frame buffer: it is refilled for every frame */
        arm_mfcc_f32(&kws_mfcc_instance, kws_mfcc_frame, features + f * KWS_N_MFCC, kws_mfcc_scratch);
    }
#if KWS_CMN
    kws_mfcc_subtract_mean(features, active);
#else
    (void)active;
#endif
    for (int32_t i = 0; i < KWS_N_FRAMES * KWS_N_MFCC; i++) {
        features[i] *= kws_mfcc_lifter[i % KWS_N_MFCC]; /* HTK lifter: evens out the coefficients' ranges */
    }
    return 0;
}
