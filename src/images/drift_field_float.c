/* The practical field in float: the training's path for every map.  Same
 * definition, step by step, as dl_field_compute_guided (drift_field.c, the
 * double-precision reference), with the softmaxes in log space (each row and
 * column shifted by its own largest logit): short rows spread their
 * distances far more than long ones, and one shared shift would underflow
 * float.  Three exps per entry, against one in the double path's common
 * case, but vectorised.
 *
 * Two routes to the products, chosen by the row length alone:
 *  - short rows (D < FLOAT_BLAS_MIN_D: the per-location fields, 49 per map
 *    and class and step) loop over the C columns stored coordinate by
 *    coordinate (D x C), so that the compiler vectorises them;
 *  - long rows (the flattened maps, D = 392 or 784) go through OpenBLAS:
 *    one sgemm for the generated rows' dot products with every column, and
 *    one for the forces of all temperatures at once, F = [A_1; A_2; ...] O.
 *    The double path's Gram-matrix shortcut for |F|^2 (w~ G w~^T) is not
 *    used: in float it cancels to ~1e-6 of the terms, too close to the
 *    check that tells a force from rounding.
 * test_drift_field checks both routes against the slow reference and the
 * double path.  Built with -fno-math-errno (src/CMakeLists.txt). */
#include "images/drift_field.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "base/dl_error.h"

#pragma omp declare simd notinbranch
float expf(float);

/* |F| below this fraction of the terms it cancels (their L1 norm, where the
 * double path takes the L2 norm at 1e-12) is float rounding, not force */
#define FLOAT_CANCEL 1e-5
/* rows at least this long take the OpenBLAS route */
#define FLOAT_BLAS_MIN_D 32

/* Row i's signed weights w~ for one temperature, from its logits a (C
 * entries, overwritten): affinities (row log-sum-exp lr, columns' lcol),
 * floored at 1e-6 except masked pairs, W_pos = A_pos sum A_neg on the M
 * positives, -W_neg = -A_neg sum A_pos on the rest, minus their sum on x_i's
 * own column M + i. */
static void signed_weights(const dl_field_config *cfg, float *a, size_t C, size_t M, size_t NG,
                           size_t i, float lr, const float *lcol, int weighted)
{
    float sp = 0, sn = 0, sum = 0;
    if (cfg->norm == DL_FIELD_TWO_SIDED) {
#pragma omp simd
        for (size_t j = 0; j < C; j++)
            a[j] = expf(a[j] - 0.5f * (lr + lcol[j]));
    } else if (cfg->norm == DL_FIELD_ROWS) {
#pragma omp simd
        for (size_t j = 0; j < C; j++)
            a[j] = expf(a[j] - lr);
    } else {
#pragma omp simd
        for (size_t j = 0; j < C; j++)
            a[j] = expf(a[j]);
    }
    /* floored at 1e-6, but the masked pairs (-inf logits) stay 0; NaN stays
     * NaN (and ends the run as a non-finite gradient) */
    const size_t floored = weighted ? C : NG;
#pragma omp simd
    for (size_t j = 0; j < floored; j++)
        a[j] = a[j] < 1e-6f ? 1e-6f : a[j];
    for (size_t j = floored; j < C; j++)
        a[j] = 0;
    if (cfg->self_mask)
        a[M + i] = 0;
#pragma omp simd reduction(+ : sp)
    for (size_t j = 0; j < M; j++)
        sp += a[j];
#pragma omp simd reduction(+ : sn)
    for (size_t j = M; j < C; j++)
        sn += a[j];
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < M; j++)
        a[j] *= sn, sum += a[j];
#pragma omp simd reduction(+ : sum)
    for (size_t j = M; j < C; j++)
        a[j] *= -sp, sum += a[j];
    a[M + i] -= sum;
}

/* The workspace of one field: O, the centred columns [Y | X | U], C x D
 * (blas) or D x C (short rows); dist (N x C); A, each temperature's signed
 * weights (T x N x C); F, the forces (T x N x D, blas) or the weights'
 * RMS-normalised sum (N x C, short rows); colmax, colsum, lcol, norm1 (C);
 * lrow (N); norm2 (C, double). */
typedef struct {
    size_t N, M, Mu, C, NG, nd, T;
    int blas;
    float log_w; /* -inf at weight 0: those columns drop out */
    float *O, *dist, *A, *F, *colmax, *colsum, *lcol, *norm1, *lrow;
    double *mean, *norm2;
} float_field;

static int float_field_alloc(float_field *w, const dl_field_config *cfg, size_t N, size_t M,
                             size_t Mu, double weight, int D)
{
    w->N = N, w->M = M, w->Mu = Mu, w->C = M + N + Mu, w->NG = M + N, w->nd = (size_t)D;
    w->T = (size_t)cfg->n_tau, w->blas = D >= FLOAT_BLAS_MIN_D, w->log_w = (float)log(weight);
    const size_t C = w->C, nd = w->nd, T = w->T;
    const size_t nF = w->blas ? T * N * nd : N * C;
    const size_t nfloat = nd * C + N * C + T * N * C + nF + 4 * C + N;
    w->O = malloc(nfloat * sizeof(float));
    w->mean = calloc(nd + C, sizeof(double)), w->norm2 = w->mean ? w->mean + nd : NULL;
    if (!w->O || !w->mean) {
        free(w->O), free(w->mean);
        return dl_error(DL_ENOMEM, "drift field: out of memory");
    }
    w->dist = w->O + nd * C, w->A = w->dist + N * C, w->F = w->A + T * N * C;
    w->colmax = w->F + nF, w->colsum = w->colmax + C, w->lcol = w->colsum + C;
    w->norm1 = w->lcol + C, w->lrow = w->norm1 + C;
    return DL_OK;
}

/* O: the columns [Y | X | U] minus their mean (F's terms cancel less), with
 * each column's L1 and squared L2 norms */
static void centre_columns(float_field *w, const float *X, const float *Y, const float *U)
{
    const size_t C = w->C, nd = w->nd, M = w->M, NG = w->NG;
#define ROW(j) ((j) < M ? Y + (j) * nd : (j) < NG ? X + ((j) - M) * nd : U + ((j) - NG) * nd)
    for (size_t j = 0; j < C; j++) {
        const float *o = ROW(j);
        for (size_t c = 0; c < nd; c++)
            w->mean[c] += o[c];
    }
    for (size_t c = 0; c < nd; c++)
        w->mean[c] /= (double)C;
    const size_t row_stride = w->blas ? nd : 1, col_stride = w->blas ? 1 : C;
    for (size_t j = 0; j < C; j++) {
        const float *o = ROW(j);
        double n1 = 0, n2 = 0;
        /* (the reductions need the pragma to vectorise) */
#pragma omp simd reduction(+ : n1, n2)
        for (size_t c = 0; c < nd; c++) {
            const double v = o[c] - w->mean[c];
            w->O[j * row_stride + c * col_stride] = (float)v;
            n1 += fabs(v), n2 += v * v;
        }
        w->norm1[j] = (float)n1, w->norm2[j] = n2;
    }
#undef ROW
}

/* 1. distances from every x_i to every column, and their mean over the
 * positive and generated columns (the scale) */
static double distances(float_field *w, const dl_field_config *cfg, int D)
{
    const size_t N = w->N, C = w->C, M = w->M, NG = w->NG, nd = w->nd;
    float *O = w->O, *dist = w->dist;
    if (w->blas) { /* |x_i|^2 + |o_j|^2 - 2 x_i.o_j, the dot products in dist */
        /* gcc cannot see that centre_columns fills all of O (C, D >= 1) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)C, D, 1.0f, O + M * nd,
                    D, O, D, 0.0f, dist, (int)C);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < C; j++) {
                const double d2 = w->norm2[M + i] + w->norm2[j] - 2.0 * dist[i * C + j];
                dist[i * C + j] = (float)sqrt(d2 > 0 ? d2 : 0);
            }
    } else {
        for (size_t i = 0; i < N; i++) {
            float *di = dist + i * C;
            for (size_t j = 0; j < C; j++)
                di[j] = 0;
            for (size_t c = 0; c < nd; c++) {
                const float xc = O[c * C + M + i], *oc = O + c * C;
#pragma omp simd
                for (size_t j = 0; j < C; j++)
                    di[j] += (xc - oc[j]) * (xc - oc[j]);
            }
#pragma omp simd
            for (size_t j = 0; j < C; j++)
                di[j] = sqrtf(di[j]);
        }
    }
    double total = 0;
    size_t count = 0;
    for (size_t i = 0; i < N; i++) {
        dist[i * C + M + i] = 0;
        double row = 0;
        for (size_t j = 0; j < NG; j++)
            row += dist[i * C + j];
        total += row;
        count += NG - (cfg->self_mask ? 1 : 0);
    }
    return count && total > 0 ? total / (double)count : 1.0;
}

/* 2.-3. temperature t's logits (masked self pairs at -inf), each row's and
 * each column's log-sum-exp, shifted by its own largest logit so that no
 * spread of the logits under- or overflows float; then the signed weights */
static void temperature_weights(float_field *w, const dl_field_config *cfg, double scale, size_t t)
{
    const size_t N = w->N, C = w->C, M = w->M, NG = w->NG;
    const int gaussian = cfg->kernel == DL_FIELD_GAUSSIAN;
    const float coef = (float)(1.0 / (scale * cfg->tau[t])),
                coef2 = (float)(1.0 / (scale * scale * cfg->tau[t]));
    float *At = w->A + t * N * C, *colmax = w->colmax, *colsum = w->colsum;
    for (size_t j = 0; j < C; j++)
        colmax[j] = -INFINITY, colsum[j] = 0;
    for (size_t i = 0; i < N; i++) {
        float *a = At + i * C, rmax = -INFINITY, rs = 0;
        const float *di = w->dist + i * C;
#pragma omp simd
        for (size_t j = 0; j < C; j++)
            a[j] = gaussian ? -di[j] * di[j] * coef2 : -di[j] * coef;
        for (size_t j = NG; j < C; j++)
            a[j] += w->log_w;
        if (cfg->self_mask)
            a[M + i] = -INFINITY;
#pragma omp simd reduction(max : rmax)
        for (size_t j = 0; j < C; j++)
            rmax = a[j] > rmax ? a[j] : rmax;
#pragma omp simd reduction(+ : rs)
        for (size_t j = 0; j < C; j++)
            rs += expf(a[j] - rmax); /* at least 1: the largest term */
        w->lrow[i] = rmax + logf(rs);
#pragma omp simd
        for (size_t j = 0; j < C; j++)
            colmax[j] = a[j] > colmax[j] ? a[j] : colmax[j];
    }
    for (size_t i = 0; i < N; i++) {
        const float *a = At + i * C;
#pragma omp simd
        for (size_t j = 0; j < C; j++) /* an all -inf column (weight 0) sums to 0 */
            colsum[j] += expf(a[j] - (colmax[j] > -INFINITY ? colmax[j] : 0.0f));
    }
    for (size_t j = 0; j < C; j++)
        w->lcol[j] = colsum[j] > 0 ? colmax[j] + logf(colsum[j]) : 0.0f;
    for (size_t i = 0; i < N; i++)
        signed_weights(cfg, At + i * C, C, M, NG, i, w->lrow[i], w->lcol, w->log_w > -INFINITY);
}

/* 4. (long rows) F = w~ O through OpenBLAS, each temperature RMS-normalised
 * and summed into V (N x D) */
static void forces_blas(float_field *w, int D, float *V)
{
    const size_t N = w->N, C = w->C, nd = w->nd, T = w->T;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(T * N), D, (int)C, 1.0f, w->A,
                (int)C, w->O, D, 0.0f, w->F, D);
    for (size_t k = 0; k < N * nd; k++)
        V[k] = 0;
    for (size_t t = 0; t < T; t++) {
        const float *Ft = w->F + t * N * nd, *At = w->A + t * N * C;
        double sq = 0, wabs = 0;
#pragma omp simd reduction(+ : sq)
        for (size_t k = 0; k < N * nd; k++)
            sq += (double)Ft[k] * Ft[k];
        for (size_t i = 0; i < N; i++)
#pragma omp simd reduction(+ : wabs)
            for (size_t j = 0; j < C; j++)
                wabs += fabsf(At[i * C + j]) * w->norm1[j];
        if (!(sq > FLOAT_CANCEL * FLOAT_CANCEL * wabs * wabs))
            continue;
        const float inv = (float)(1.0 / sqrt(sq / ((double)N * D)));
#pragma omp simd
        for (size_t k = 0; k < N * nd; k++)
            V[k] += Ft[k] * inv;
    }
}

/* 4. (short rows) the same with loops: the weights' RMS-normalised sum Wc,
 * then V = Wc O */
static void forces_rows(float_field *w, int D, float *V)
{
    const size_t N = w->N, C = w->C, nd = w->nd, T = w->T;
    float *Wc = w->F;
    const float *O = w->O;
    for (size_t k = 0; k < N * C; k++)
        Wc[k] = 0;
    for (size_t t = 0; t < T; t++) {
        const float *At = w->A + t * N * C;
        double sq = 0, wabs = 0;
        for (size_t i = 0; i < N; i++)
            for (size_t c = 0; c < nd; c++) {
                const float *a = At + i * C, *oc = O + c * C;
                float f = 0, wt = 0;
#pragma omp simd reduction(+ : f, wt)
                for (size_t j = 0; j < C; j++)
                    f += a[j] * oc[j], wt += fabsf(a[j] * oc[j]);
                sq += (double)f * f;
                wabs += wt;
            }
        if (!(sq > FLOAT_CANCEL * FLOAT_CANCEL * wabs * wabs))
            continue;
        const float inv = (float)(1.0 / sqrt(sq / ((double)N * D)));
        for (size_t k = 0; k < N * C; k++)
            Wc[k] += At[k] * inv;
    }
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < nd; c++) {
            const float *wr = Wc + i * C, *oc = O + c * C;
            float v = 0;
#pragma omp simd reduction(+ : v)
            for (size_t j = 0; j < C; j++)
                v += wr[j] * oc[j];
            V[i * nd + c] = v;
        }
}

/* The forces: a force at rounding level (|F| within FLOAT_CANCEL of the L1
 * norm of the terms it cancels) stays zero, not amplified.  In units of the
 * scale F / scale is RMS-normalised, which is F / rms(F). */
int dl_field_compute_float(const dl_field_config *cfg, const float *X, size_t N, const float *Y,
                           size_t M, const float *U, size_t Mu, double weight, int D, float *V,
                           double *scale_out)
{
    int st = cfg->op != DL_OPERATOR_MEANSHIFT
                 ? dl_error(DL_EUNSUPPORTED, "drift field: the float path (training) runs the "
                            "mean shift; the MMD flow is in dl_field_compute")
                 : dl_field_check_guided(cfg, N, M, U, Mu, weight, D);
    float_field w = {0};
    if (st || (st = float_field_alloc(&w, cfg, N, M, Mu, weight, D)))
        return st;
    centre_columns(&w, X, Y, U);
    const double scale = *scale_out = distances(&w, cfg, D);
    for (size_t t = 0; t < w.T; t++)
        temperature_weights(&w, cfg, scale, t);
    if (w.blas)
        forces_blas(&w, D, V);
    else
        forces_rows(&w, D, V);
    free(w.O), free(w.mean);
    return DL_OK;
}

int dl_field_compute_per_location(const dl_field_config *cfg, const float *X, size_t N,
                                  const float *Y, size_t M, const float *U, size_t Mu,
                                  double weight, int D, int block, float *V, double *scales)
{
    if (block < 1 || D % block)
        return dl_error(DL_EINVAL, "per-location field: %d values per row do not split into "
                                   "channels of %d locations", D, block);
    const size_t nch = (size_t)(D / block), rows = 2 * N + M + Mu;
    float *xk = malloc(rows * nch * sizeof(float));
    if (!xk)
        return dl_error(DL_ENOMEM, "per-location field: out of memory");
    float *yk = xk + N * nch, *uk = yk + M * nch, *vk = uk + Mu * nch;
    int st = DL_OK;
    for (int k = 0; k < block && !st; k++) {
        for (size_t ch = 0; ch < nch; ch++) {
            const size_t at = ch * (size_t)block + (size_t)k;
            for (size_t i = 0; i < N; i++)
                xk[i * nch + ch] = X[i * (size_t)D + at];
            for (size_t j = 0; j < M; j++)
                yk[j * nch + ch] = Y[j * (size_t)D + at];
            for (size_t j = 0; j < Mu; j++)
                uk[j * nch + ch] = U[j * (size_t)D + at];
        }
        if ((st = dl_field_compute_float(cfg, xk, N, yk, M, uk, Mu, weight, (int)nch, vk,
                                          &scales[k]))) {
            st = dl_error(st, "location %d of %d: %s", k, block, dl_error_message());
            break;
        }
        for (size_t i = 0; i < N; i++)
            for (size_t ch = 0; ch < nch; ch++)
                V[i * (size_t)D + ch * (size_t)block + (size_t)k] = vk[i * nch + ch];
    }
    free(xk);
    return st;
}
