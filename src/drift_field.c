#include "drift_field.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h> /* declarations only; OpenBLAS provides the symbols */

#include "dl_error.h"

dl_field_config dl_field_default(void)
{
    dl_field_config c = {DL_FIELD_LAPLACIAN, DL_FIELD_TWO_SIDED, 3, {0.02, 0.05, 0.2}, 1};
    return c;
}

int dl_field_kernel_parse(const char *name, dl_field_kernel *k)
{
    if (!strcmp(name, "laplacian"))
        *k = DL_FIELD_LAPLACIAN;
    else if (!strcmp(name, "gaussian"))
        *k = DL_FIELD_GAUSSIAN;
    else
        return dl_error(DL_EINVAL, "unknown field kernel '%s' (known: laplacian, gaussian)", name);
    return DL_OK;
}

int dl_field_norm_parse(const char *name, dl_field_norm *n)
{
    if (!strcmp(name, "two-sided"))
        *n = DL_FIELD_TWO_SIDED;
    else if (!strcmp(name, "rows"))
        *n = DL_FIELD_ROWS;
    else if (!strcmp(name, "none"))
        *n = DL_FIELD_NONE;
    else
        return dl_error(DL_EINVAL, "unknown normalisation '%s' (known: two-sided, rows, none)", name);
    return DL_OK;
}

int dl_field_compute(const dl_field_config *cfg, const float *X, size_t N, const float *Y, size_t M,
                     int D, float *V, double *scale_out)
{
    if (N < 2 || M < 1 || D < 1 || cfg->n_tau < 1)
        return dl_error(DL_EINVAL, "drift field: need N >= 2 generated, M >= 1 positive rows");
    const size_t C = M + N; /* columns: positives, then the generated set */
    double *dist = malloc(N * C * sizeof(double)), *logit = malloc(N * C * sizeof(double));
    double *A = malloc(N * C * sizeof(double)), *colmax = malloc(C * sizeof(double)),
           *colsum = malloc(C * sizeof(double)), *F = malloc(N * (size_t)D * sizeof(double)),
           *acc = calloc(N * (size_t)D, sizeof(double));
    if (!dist || !logit || !A || !colmax || !colsum || !F || !acc) {
        free(dist), free(logit), free(A), free(colmax), free(colsum), free(F), free(acc);
        return dl_error(DL_ENOMEM, "drift field: out of memory");
    }
    /* 1. distances through |x|^2 + |o|^2 - 2 x.o (one dgemm), and their mean;
     * O = [Y; X] (C x D) in double */
    double *O = malloc(C * (size_t)D * sizeof(double)), *on = malloc(C * sizeof(double));
    if (!O || !on) {
        free(O), free(on), free(dist), free(logit), free(A), free(colmax), free(colsum), free(F), free(acc);
        return dl_error(DL_ENOMEM, "drift field: out of memory");
    }
    for (size_t j = 0; j < C; j++) {
        const float *o = j < M ? Y + j * D : X + (j - M) * D;
        double s2 = 0;
        for (int c = 0; c < D; c++)
            s2 += (double)o[c] * o[c], O[j * D + c] = o[c];
        on[j] = s2;
    }
    const double *Xd = O + M * (size_t)D, *xn = on + M; /* the generated rows of O */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)C, D, -2.0, Xd, D, O, D, 0.0,
                dist, (int)C);
    double total = 0;
    size_t count = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < C; j++) {
            double d2 = dist[i * C + j] + xn[i] + on[j];
            dist[i * C + j] = j == M + i ? 0.0 : sqrt(d2 > 0 ? d2 : 0);
            if (!(cfg->self_mask && j == M + i))
                total += dist[i * C + j], count++;
        }
    double scale = count && total > 0 ? total / count : 1.0;
    *scale_out = scale;
    memset(acc, 0, N * (size_t)D * sizeof(double));
    for (int t = 0; t < cfg->n_tau; t++) {
        const double tau = cfg->tau[t];
        /* 2. logits, masked self pairs at -inf */
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < C; j++) {
                double d = dist[i * C + j] / scale;
                logit[i * C + j] = cfg->self_mask && j == M + i ? -INFINITY
                                   : cfg->kernel == DL_FIELD_GAUSSIAN ? -d * d / tau
                                                                       : -d / tau;
            }
        /* row and column softmax in log space, combined */
        for (size_t j = 0; j < C; j++) {
            double m = -INFINITY, s = 0;
            for (size_t i = 0; i < N; i++)
                m = fmax(m, logit[i * C + j]);
            for (size_t i = 0; i < N && isfinite(m); i++)
                s += exp(logit[i * C + j] - m);
            colmax[j] = m;
            colsum[j] = s;
        }
        for (size_t i = 0; i < N; i++) {
            double m = -INFINITY, s = 0;
            for (size_t j = 0; j < C; j++)
                m = fmax(m, logit[i * C + j]);
            for (size_t j = 0; j < C; j++)
                s += exp(logit[i * C + j] - m);
            double lrow = m + log(s);
            for (size_t j = 0; j < C; j++) {
                double l = logit[i * C + j], a;
                if (!isfinite(l)) {
                    A[i * C + j] = 0; /* masked */
                    continue;
                }
                double log_row = l - lrow, log_col = l - colmax[j] - log(colsum[j]);
                if (cfg->norm == DL_FIELD_TWO_SIDED)
                    a = exp(0.5 * (log_row + log_col));
                else if (cfg->norm == DL_FIELD_ROWS)
                    a = exp(log_row);
                else
                    a = exp(l);
                A[i * C + j] = fmax(a, 1e-6);
            }
        }
        /* 3. forces: with signed weights w_ij (W_pos on the positives, -W_neg on
         * the generated), F = (w O - diag(sum_j w_ij) X) / scale: one dgemm */
        for (size_t i = 0; i < N; i++) {
            double sp = 0, sn = 0;
            for (size_t j = 0; j < M; j++)
                sp += A[i * C + j];
            for (size_t j = M; j < C; j++)
                sn += A[i * C + j];
            for (size_t j = 0; j < C; j++)
                A[i * C + j] *= j < M ? sn : -sp;
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, D, (int)C, 1.0 / scale, A,
                    (int)C, O, D, 0.0, F, D);
        double sq = 0;
        for (size_t i = 0; i < N; i++) {
            double wsum = 0;
            for (size_t j = 0; j < C; j++)
                wsum += A[i * C + j];
            for (int c = 0; c < D; c++) {
                F[i * D + c] -= wsum * Xd[i * D + c] / scale;
                sq += F[i * D + c] * F[i * D + c];
            }
        }
        /* 4. RMS-normalise, then add up */
        double rms = sqrt(sq / ((double)N * D));
        /* a force at rounding level (the anti-symmetric case) stays zero, not amplified */
        double inv = rms > 1e-12 ? 1.0 / rms : 0.0;
        for (size_t k = 0; k < N * (size_t)D; k++)
            acc[k] += F[k] * inv;
    }
    for (size_t k = 0; k < N * (size_t)D; k++)
        V[k] = (float)acc[k];
    free(dist), free(logit), free(A), free(colmax), free(colsum), free(F), free(acc), free(O), free(on);
    return DL_OK;
}
