/* The practical field for short rows (D up to a few dozen: the per-location
 * fields of a convolutional map, 49 per map and class and step), in float
 * with vectorised exp and sqrt.  dl_field_compute_guided's Gram-matrix route
 * pays C x C work per row pair there, and its double exp was most of the cost;
 * here every loop runs over the C columns, stored coordinate by coordinate
 * (D x C) so that the compiler vectorises it.
 *
 * Same definition, step by step, as drift_field.c, with the softmaxes in log
 * space (each row and column shifted by its own largest logit): short rows
 * spread their distances far more than long ones, and one shared shift would
 * underflow float.  Three exps per entry, against one in the double path's
 * common case, and still far cheaper.  test_drift_field checks it against
 * the slow reference and the double path.  Built with -fno-math-errno
 * (src/CMakeLists.txt). */
#include "drift_field.h"

#include <math.h>
#include <stdlib.h>

#include "dl_error.h"

#pragma omp declare simd notinbranch
float expf(float);

/* |F| below this fraction of the terms it cancels (their L1 norm, where the
 * double path takes the L2 norm at 1e-12) is float rounding, not force */
#define FLOAT_CANCEL 1e-5

int dl_field_compute_lowdim(const dl_field_config *cfg, const float *X, size_t N, const float *Y,
                            size_t M, const float *U, size_t Mu, double weight, int D, float *V,
                            double *scale_out)
{
    if (N < 2 || M < 1 || D < 1 || cfg->n_tau < 1)
        return dl_error(DL_EINVAL, "drift field: need N >= 2 generated, M >= 1 positive rows");
    if ((Mu && !U) || !(weight >= 0) || isinf(weight))
        return dl_error(DL_EINVAL, "drift field: the unconditional negatives need rows and a "
                                   "finite weight >= 0 (got %g)", weight);
    const size_t C = M + N + Mu, NG = M + N, nd = (size_t)D;
    const float log_w = (float)log(weight); /* -inf at weight 0: those columns drop out */
    /* OT (D x C): centred columns; dist, A, Wc (N x C); colmax, colsum, lcol (C); lrow (N) */
    float *OT = malloc((nd * C + 3 * N * C + 3 * C + N) * sizeof(float));
    double *mean = calloc(nd, sizeof(double));
    if (!OT || !mean) {
        free(OT), free(mean);
        return dl_error(DL_ENOMEM, "drift field: out of memory");
    }
    float *dist = OT + nd * C, *A = dist + N * C, *Wc = A + N * C, *colmax = Wc + N * C,
          *colsum = colmax + C, *lcol = colsum + C, *lrow = lcol + C;
    for (size_t j = 0; j < C; j++) {
        const float *o = j < M ? Y + j * nd : j < NG ? X + (j - M) * nd : U + (j - NG) * nd;
        for (size_t c = 0; c < nd; c++)
            OT[c * C + j] = o[c], mean[c] += o[c];
    }
    for (size_t c = 0; c < nd; c++) /* centred: F's terms cancel less */
        for (size_t j = 0; j < C; j++)
            OT[c * C + j] = (float)(OT[c * C + j] - mean[c] / (double)C);
    /* 1. distances and their mean over the positive and generated columns */
    double total = 0;
    size_t count = 0;
    for (size_t i = 0; i < N; i++) {
        float *di = dist + i * C;
        for (size_t j = 0; j < C; j++)
            di[j] = 0;
        for (size_t c = 0; c < nd; c++) {
            const float xc = OT[c * C + M + i], *oc = OT + c * C;
#pragma omp simd
            for (size_t j = 0; j < C; j++)
                di[j] += (xc - oc[j]) * (xc - oc[j]);
        }
#pragma omp simd
        for (size_t j = 0; j < C; j++)
            di[j] = sqrtf(di[j]);
        di[M + i] = 0;
        double row = 0;
        for (size_t j = 0; j < NG; j++)
            row += di[j];
        total += row;
        count += NG - (cfg->self_mask ? 1 : 0);
    }
    const double scale = count && total > 0 ? total / (double)count : 1.0;
    *scale_out = scale;
    for (size_t k = 0; k < N * C; k++)
        Wc[k] = 0;
    for (int t = 0; t < cfg->n_tau; t++) {
        const float coef = (float)(1.0 / (scale * cfg->tau[t])),
                    coef2 = (float)(1.0 / (scale * scale * cfg->tau[t]));
        const int gaussian = cfg->kernel == DL_FIELD_GAUSSIAN;
        /* 2. logits (in A), masked self pairs at -inf; each row's and each
         * column's log-sum-exp, shifted by its own largest logit so that no
         * spread of the logits under- or overflows float */
        for (size_t j = 0; j < C; j++)
            colmax[j] = -INFINITY, colsum[j] = 0;
        for (size_t i = 0; i < N; i++) {
            float *a = A + i * C, rmax = -INFINITY, rs = 0;
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
            const float *a = A + i * C;
#pragma omp simd
            for (size_t j = 0; j < C; j++) /* an all -inf column (weight 0) sums to 0 */
                colsum[j] += expf(a[j] - (colmax[j] > -INFINITY ? colmax[j] : 0.0f));
        }
        for (size_t j = 0; j < C; j++)
            lcol[j] = colsum[j] > 0 ? colmax[j] + logf(colsum[j]) : 0.0f;
        /* 3. the affinities floored at 1e-6, signed weights w~, F = w~ O */
        double sq = 0, wabs = 0;
        for (size_t i = 0; i < N; i++) {
            float *a = A + i * C;
            const float lr = lrow[i];
            float sp = 0, sn = 0;
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
            /* floored at 1e-6, but the masked pairs (-inf logits) stay 0;
             * NaN stays NaN (and ends the run as a non-finite gradient) */
            const size_t floored = log_w > -INFINITY ? C : NG;
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
            float sum = 0;
#pragma omp simd reduction(+ : sum)
            for (size_t j = 0; j < M; j++)
                a[j] *= sn, sum += a[j];
#pragma omp simd reduction(+ : sum)
            for (size_t j = M; j < C; j++)
                a[j] *= -sp, sum += a[j];
            a[M + i] -= sum;
            for (size_t c = 0; c < nd; c++) {
                const float *oc = OT + c * C;
                float f = 0, w = 0;
#pragma omp simd reduction(+ : f, w)
                for (size_t j = 0; j < C; j++)
                    f += a[j] * oc[j], w += fabsf(a[j] * oc[j]);
                sq += (double)f * f;
                wabs += w;
            }
        }
        /* 4. RMS-normalise; a force at rounding level stays zero */
        if (!(sq > FLOAT_CANCEL * FLOAT_CANCEL * wabs * wabs))
            continue;
        const float inv = (float)(1.0 / (sqrt(sq / ((double)N * D)) / scale));
        for (size_t k = 0; k < N * C; k++)
            Wc[k] += A[k] * inv;
    }
    const float inv_scale = (float)(1.0 / scale);
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < nd; c++) {
            const float *w = Wc + i * C, *oc = OT + c * C;
            float v = 0;
#pragma omp simd reduction(+ : v)
            for (size_t j = 0; j < C; j++)
                v += w[j] * oc[j];
            V[i * nd + c] = v * inv_scale;
        }
    free(OT), free(mean);
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
        if ((st = dl_field_compute_lowdim(cfg, xk, N, yk, M, uk, Mu, weight, (int)nch, vk,
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
