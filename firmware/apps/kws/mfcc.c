/* C twin of kws/mfcc.py: frames the window as the host does (frame f = samples [f*hop, f*hop + n_fft)), scales
 * int16 to float32 by 2^-15 (exact), hands each frame to CMSIS-DSP arm_mfcc_f32, then (KWS_CMN) subtracts the
 * cepstral mean. */
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
/* Cepstral mean normalisation (kws/mfcc.py subtract_cepstral_mean): c1.. minus their mean over the frames;
 * c0 (loudness) is kept. The sum runs frame by frame in float32, then is divided by the frame count. */
static void kws_mfcc_subtract_mean(float *features)
{
    for (int32_t c = 1; c < KWS_N_MFCC; c++) {
        float32_t sum = 0.0f;
        for (int32_t f = 0; f < KWS_N_FRAMES; f++) {
            sum += features[f * KWS_N_MFCC + c];
        }
        float32_t mean = sum / (float32_t)KWS_N_FRAMES;
        for (int32_t f = 0; f < KWS_N_FRAMES; f++) {
            features[f * KWS_N_MFCC + c] -= mean;
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
    for (int32_t f = 0; f < KWS_N_FRAMES; f++) {
        const int16_t *frame_pcm = window + f * KWS_HOP_SAMPLES;
        for (int32_t i = 0; i < KWS_N_FFT; i++) {
            kws_mfcc_frame[i] = (float32_t)frame_pcm[i] * KWS_PCM_SCALE;
        }
        /* arm_mfcc_f32 overwrites the frame buffer: it is refilled for every frame */
        arm_mfcc_f32(&kws_mfcc_instance, kws_mfcc_frame, features + f * KWS_N_MFCC, kws_mfcc_scratch);
    }
#if KWS_CMN
    kws_mfcc_subtract_mean(features);
#endif
    return 0;
}
