/* fully_connected.c: int8 FULLY_CONNECTED (per-tensor or per-channel), as TFLite's reference FullyConnected:
 * the input row becomes a column of (x - zp) int16 values, then matvec.c does all outputs. */

typedef struct {
    int32_t batches, in_n, in_zp;
    cg_matvec_params matvec; /* rows = outputs, depth = in_n padded to 4 */
} cg_fully_connected_params;

/* column: scratch of matvec.depth int16 values, 4-byte aligned */
static void cg_fully_connected(const cg_fully_connected_params *p, const int8_t *in, int8_t *out, int16_t *column)
{
    for (int32_t b = 0; b < p->batches; b++) {
        cg_widen(in + b * p->in_n, p->in_n, p->in_zp, column, 0, 1);
        cg_column_zero(column, p->in_n, p->matvec.depth - p->in_n, 1);
        cg_matvec(&p->matvec, column, out + b * p->matvec.rows);
    }
}
