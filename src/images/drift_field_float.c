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

int dl_field_compute_float(const dl_field_config *cfg, const float *X, size_t N, const float *Y,
                           size_t M, const float *U, size_t Mu, double weight, int D, float *V,
                           double *scale_out)
{
    int st = dl_field_check_guided(cfg, N, M, U, Mu, weight, D);
    if (st)
        return st;
    const size_t C = M + N + Mu, NG = M + N, nd = (size_t)D, T = (size_t)cfg->n_tau;
    const int blas = D >= FLOAT_BLAS_MIN_D;
    const float log_w = (float)log(weight); /* -inf at weight 0: those columns drop out */
    /* O: centred columns, C x D (blas) or D x C (short rows); dist (N x C);
     * A: each temperature's signed weights (T x N x C); F: the forces
     * (T x N x D, blas) or the weights' RMS-normalised sum (N x C, short
     * rows); colmax, colsum, lcol, norm1 (C); lrow (N) */
    const size_t nF = blas ? T * N * nd : N * C;
    const size_t nfloat = nd * C + N * C + T * N * C + nF + 4 * C + N;
    float *O = malloc(nfloat * sizeof(float));
    double *mean = calloc(nd + C, sizeof(double)), *norm2 = mean + nd;
    if (!O || !mean) {
        free(O), free(mean);
        return dl_error(DL_ENOMEM, "drift field: out of memory");
    }
    float *dist = O + nd * C, *A = dist + N * C, *F = A + T * N * C,
          *colmax = F + nF, *colsum = colmax + C, *lcol = colsum + C,
          *norm1 = lcol + C, *lrow = norm1 + C;
#define ROW(j) ((j) < M ? Y + (j) * nd : (j) < NG ? X + ((j) - M) * nd : U + ((j) - NG) * nd)
    for (size_t j = 0; j < C; j++) {
        const float *o = ROW(j);
        for (size_t c = 0; c < nd; c++)
            mean[c] += o[c];
    }
    for (size_t c = 0; c < nd; c++) /* centred: F's terms cancel less */
        mean[c] /= (double)C;
    const size_t row_stride = blas ? nd : 1, col_stride = blas ? 1 : C;
    for (size_t j = 0; j < C; j++) {
        const float *o = ROW(j);
        double n1 = 0, n2 = 0;
        /* (the reductions need the pragma to vectorise) */
#pragma omp simd reduction(+ : n1, n2)
        for (size_t c = 0; c < nd; c++) {
            const double v = o[c] - mean[c];
            O[j * row_stride + c * col_stride] = (float)v;
            n1 += fabs(v), n2 += v * v;
        }
        norm1[j] = (float)n1, norm2[j] = n2;
    }
#undef ROW
    /* 1. distances and their mean over the positive and generated columns */
    if (blas) { /* |x_i|^2 + |o_j|^2 - 2 x_i.o_j, the dot products in dist */
        /* gcc cannot see that the loops above fill all of O (C, D >= 1) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)C, D, 1.0f, O + M * nd,
                    D, O, D, 0.0f, dist, (int)C);
#pragma GCC diagnostic pop
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < C; j++) {
                const double d2 = norm2[M + i] + norm2[j] - 2.0 * dist[i * C + j];
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
    const double scale = count && total > 0 ? total / (double)count : 1.0;
    *scale_out = scale;
    const int gaussian = cfg->kernel == DL_FIELD_GAUSSIAN;
    for (size_t t = 0; t < T; t++) {
        const float coef = (float)(1.0 / (scale * cfg->tau[t])),
                    coef2 = (float)(1.0 / (scale * scale * cfg->tau[t]));
        float *At = A + t * N * C;
        /* 2. logits, masked self pairs at -inf; each row's and each column's
         * log-sum-exp, shifted by its own largest logit so that no spread of
         * the logits under- or overflows float */
        for (size_t j = 0; j < C; j++)
            colmax[j] = -INFINITY, colsum[j] = 0;
        for (size_t i = 0; i < N; i++) {
            float *a = At + i * C, rmax = -INFINITY, rs = 0;
            const float *di = dist + i * C;
#pragma omp simd
            for (size_t j = 0; j < C; j++)
                a[j] = gaussian ? -di[j] * di[j] * coef2 : -di[j] * coef;
            for (size_t j = NG; j < C; j++)
                a[j] += log_w;
            if (cfg->self_mask)
                a[M + i] = -INFINITY;
#pragma omp simd reduction(max : rmax)
            for (size_t j = 0; j < C; j++)
                rmax = a[j] > rmax ? a[j] : rmax;
#pragma omp simd reduction(+ : rs)
            for (size_t j = 0; j < C; j++)
                rs += expf(a[j] - rmax); /* at least 1: the largest term */
            lrow[i] = rmax + logf(rs);
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
            lcol[j] = colsum[j] > 0 ? colmax[j] + logf(colsum[j]) : 0.0f;
        /* 3. the signed weights w~ */
        for (size_t i = 0; i < N; i++)
            signed_weights(cfg, At + i * C, C, M, NG, i, lrow[i], lcol, log_w > -INFINITY);
    }
    /* 4. the forces F = w~ O, each temperature RMS-normalised and summed; a
     * force at rounding level (|F| within FLOAT_CANCEL of the L1 norm of the
     * terms it cancels) stays zero, not amplified.  In units of the scale
     * F / scale is RMS-normalised, which is F / rms(F). */
    if (blas) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(T * N), D, (int)C, 1.0f, A,
                    (int)C, O, D, 0.0f, F, D);
        for (size_t k = 0; k < N * nd; k++)
            V[k] = 0;
        for (size_t t = 0; t < T; t++) {
            const float *Ft = F + t * N * nd, *At = A + t * N * C;
            double sq = 0, wabs = 0;
#pragma omp simd reduction(+ : sq)
            for (size_t k = 0; k < N * nd; k++)
                sq += (double)Ft[k] * Ft[k];
            for (size_t i = 0; i < N; i++)
#pragma omp simd reduction(+ : wabs)
                for (size_t j = 0; j < C; j++)
                    wabs += fabsf(At[i * C + j]) * norm1[j];
            if (!(sq > FLOAT_CANCEL * FLOAT_CANCEL * wabs * wabs))
                continue;
            const float inv = (float)(1.0 / sqrt(sq / ((double)N * D)));
#pragma omp simd
            for (size_t k = 0; k < N * nd; k++)
                V[k] += Ft[k] * inv;
        }
    } else {
        float *Wc = F;
        for (size_t k = 0; k < N * C; k++)
            Wc[k] = 0;
        for (size_t t = 0; t < T; t++) {
            const float *At = A + t * N * C;
            double sq = 0, wabs = 0;
            for (size_t i = 0; i < N; i++)
                for (size_t c = 0; c < nd; c++) {
                    const float *a = At + i * C, *oc = O + c * C;
                    float f = 0, w = 0;
#pragma omp simd reduction(+ : f, w)
                    for (size_t j = 0; j < C; j++)
                        f += a[j] * oc[j], w += fabsf(a[j] * oc[j]);
                    sq += (double)f * f;
                    wabs += w;
                }
            if (!(sq > FLOAT_CANCEL * FLOAT_CANCEL * wabs * wabs))
                continue;
            const float inv = (float)(1.0 / sqrt(sq / ((double)N * D)));
            for (size_t k = 0; k < N * C; k++)
                Wc[k] += At[k] * inv;
        }
        for (size_t i = 0; i < N; i++)
            for (size_t c = 0; c < nd; c++) {
                const float *w = Wc + i * C, *oc = O + c * C;
                float v = 0;
#pragma omp simd reduction(+ : v)
                for (size_t j = 0; j < C; j++)
                    v += w[j] * oc[j];
                V[i * nd + c] = v;
            }
    }
    free(O), free(mean);
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
