#include "images/drift_field.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h> /* declarations only; OpenBLAS provides the symbols */

#include "base/dl_error.h"
#include "drift/field_energy.h"
#include "drift/sinkhorn.h"

dl_field_config dl_field_default(void)
{
    dl_field_config c = {DL_FIELD_LAPLACIAN, DL_FIELD_TWO_SIDED, 3, {0.02, 0.05, 0.2}, 1, DL_OPERATOR_MEANSHIFT};
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

/* The GEMM path (shared with the gemm engine's idea, issue 6): every
 * quantity the field needs comes from the Gram matrix G = O O^T of the
 * centred rows O = [Y; X] (C x C, one dsyrk, C = M + N << D):
 *   distances     |x_i - o_j|^2 = G_ii + G_jj - 2 G_ij;
 *   force norms   |F_i|^2 = w~_i G w~_i^T / scale^2, where w~_i is row i's
 *                 signed weights with -sum_j w_ij put on x_i's own column, so
 *                 F_i = sum_j w~_ij o_j / scale (the weights sum to 0, which
 *                 also makes centring harmless);
 *   the field     V = (sum_tau w~_tau / rms_tau) O / scale: ONE sgemm (N x C x D)
 * for all temperatures.  The O(D) work is the dsyrk and that sgemm, against a
 * distance dgemm plus one force dgemm per temperature before.  Rows shorter
 * than C (the per-location fields) take |F_i|^2 from F = w~ O directly
 * (N x C x D per temperature, not N x C x C). */
int dl_field_compute(const dl_field_config *cfg, const float *X, size_t N, const float *Y, size_t M,
                     int D, float *V, double *scale_out)
{
    return dl_field_compute_guided(cfg, X, N, Y, M, NULL, 0, 0.0, D, V, scale_out);
}

int dl_field_check_guided(const dl_field_config *cfg, size_t N, size_t M, const float *U,
                          size_t Mu, double weight, int D)
{
    if (N < 2 || M < 1 || D < 1 || cfg->n_tau < 1)
        return dl_error(DL_EINVAL, "drift field: need N >= 2 generated, M >= 1 positive rows");
    if (cfg->op == DL_OPERATOR_MMD && Mu)
        return dl_error(DL_EINVAL, "drift field: the MMD flow takes no guidance negatives");
    if ((Mu && !U) || !(weight >= 0) || isinf(weight))
        return dl_error(DL_EINVAL, "drift field: the unconditional negatives need rows and a "
                                   "finite weight >= 0 (got %g)", weight);
    return DL_OK;
}

/* The workspace of one double-precision field over C = M + N + Mu columns
 * [Y | X | U]: dist, logit, A (N x C); colmax, colsum (C); Wc, the summed
 * weights (N x C); G, the Gram matrix of the centred columns (C x C); T,
 * scratch (N x C); Od, the centred columns (C x D), Of their floats; Wf (N x C). */
typedef struct {
    size_t N, M, C, NG;
    int D;
    double *dist, *logit, *A, *colmax, *colsum, *Wc, *G, *T, *Od, *mean;
    float *Of, *Wf;
} double_field;

static void double_field_free(double_field *w)
{
    free(w->dist), free(w->logit), free(w->A), free(w->colmax), free(w->colsum), free(w->Wc);
    free(w->G), free(w->T), free(w->Od), free(w->mean), free(w->Of), free(w->Wf);
}

static int double_field_alloc(double_field *w, size_t N, size_t M, size_t Mu, int D)
{
    const size_t C = w->C = M + N + Mu;
    w->N = N, w->M = M, w->NG = M + N, w->D = D;
    w->dist = malloc(N * C * sizeof(double)), w->logit = malloc(N * C * sizeof(double));
    w->A = malloc(N * C * sizeof(double)), w->colmax = malloc(C * sizeof(double));
    w->colsum = malloc(C * sizeof(double)), w->Wc = calloc(N * C, sizeof(double));
    w->G = malloc(C * C * sizeof(double)), w->T = malloc(N * C * sizeof(double));
    w->Od = calloc(C * (size_t)D, sizeof(double)), w->mean = calloc((size_t)D, sizeof(double));
    w->Of = malloc(C * (size_t)D * sizeof(float)), w->Wf = malloc(N * C * sizeof(float));
    if (!w->dist || !w->logit || !w->A || !w->colmax || !w->colsum || !w->Wc || !w->G || !w->T ||
        !w->Od || !w->mean || !w->Of || !w->Wf) {
        double_field_free(w);
        return dl_error(DL_ENOMEM, "drift field: out of memory");
    }
    return DL_OK;
}

/* 1. centred rows, the Gram matrix, distances; returns their mean (the scale) */
static double gram_distances(double_field *w, const dl_field_config *cfg, const float *X,
                             const float *Y, const float *U)
{
    const size_t N = w->N, M = w->M, C = w->C, NG = w->NG;
    const int D = w->D;
    double *G = w->G;
    for (size_t j = 0; j < C; j++) {
        const float *o = j < M ? Y + j * D : j < NG ? X + (j - M) * D : U + (j - NG) * D;
        for (int c = 0; c < D; c++)
            w->mean[c] += o[c];
    }
    for (size_t j = 0; j < C; j++) {
        const float *o = j < M ? Y + j * D : j < NG ? X + (j - M) * D : U + (j - NG) * D;
        for (int c = 0; c < D; c++) {
            w->Od[j * D + c] = o[c] - w->mean[c] / (double)C;
            w->Of[j * D + c] = (float)w->Od[j * D + c];
        }
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)C, D, 1.0, w->Od, D, 0.0, G, (int)C);
    for (size_t j = 0; j < C; j++)
        for (size_t k = 0; k < j; k++)
            G[j * C + k] = G[k * C + j];
    double total = 0;
    size_t count = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < C; j++) {
            const size_t xi = M + i;
            double d2 = G[xi * C + xi] + G[j * C + j] - 2.0 * G[xi * C + j];
            w->dist[i * C + j] = j == xi ? 0.0 : sqrt(d2 > 0 ? d2 : 0);
            /* the scale leaves the unconditional negatives out: at weight 0
             * the guided field is the plain one */
            if (!(cfg->self_mask && j == xi) && j < NG)
                total += w->dist[i * C + j], count++;
        }
    return count && total > 0 ? total / count : 1.0;
}

/* 2. logits at temperature tau, masked self pairs at -inf */
static void logits(double_field *w, const dl_field_config *cfg, double scale, double tau, double log_w)
{
    const size_t N = w->N, M = w->M, C = w->C;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < C; j++) {
            double d = w->dist[i * C + j] / scale;
            w->logit[i * C + j] = cfg->self_mask && j == M + i ? -INFINITY
                                  : cfg->kernel == DL_FIELD_GAUSSIAN ? -d * d / tau
                                                                      : -d / tau;
            if (j >= w->NG) /* a weighted sample: its kernel times the weight */
                w->logit[i * C + j] += log_w;
        }
}

/* Row and column softmax, combined, with one exp per entry and a common
 * shift lmax (sqrt(row * col) = E / sqrt(rowsum colsum)).  0 if a sum
 * underflows: the caller then takes the log-space form. */
static int affinities_shifted(double_field *w, const dl_field_config *cfg, double lmax)
{
    const size_t N = w->N, C = w->C;
    double *rowsum = w->T, *colsum = w->colsum, *A = w->A; /* T: scratch of N doubles */
    int fast = 1;
    for (size_t j = 0; j < C; j++)
        colsum[j] = 0;
    for (size_t i = 0; i < N; i++) {
        double rs = 0;
        for (size_t j = 0; j < C; j++) {
            double e = exp(w->logit[i * C + j] - lmax); /* masked: exp(-inf) = 0 */
            A[i * C + j] = e;
            rs += e;
            colsum[j] += e;
        }
        rowsum[i] = rs;
        fast &= rs > 1e-290;
    }
    for (size_t j = 0; j < C; j++)
        fast &= colsum[j] > 1e-290 || colsum[j] == 0;
    for (size_t i = 0; fast && i < N; i++)
        for (size_t j = 0; j < C; j++) {
            double e = A[i * C + j], a;
            if (!isfinite(w->logit[i * C + j])) {
                A[i * C + j] = 0; /* masked */
                continue;
            }
            if (cfg->norm == DL_FIELD_TWO_SIDED)
                a = e / sqrt(rowsum[i] * colsum[j]);
            else if (cfg->norm == DL_FIELD_ROWS)
                a = e / rowsum[i];
            else
                a = exp(w->logit[i * C + j]);
            A[i * C + j] = fmax(a, 1e-6);
        }
    return fast;
}

/* The same affinities from each row's and column's log-sum-exp: any spread. */
static void affinities_logspace(double_field *w, const dl_field_config *cfg)
{
    const size_t N = w->N, C = w->C;
    const double *logit = w->logit;
    double *A = w->A;
    for (size_t j = 0; j < C; j++) {
        double m = -INFINITY, s = 0;
        for (size_t i = 0; i < N; i++)
            m = fmax(m, logit[i * C + j]);
        for (size_t i = 0; i < N && isfinite(m); i++)
            s += exp(logit[i * C + j] - m);
        w->colmax[j] = m + log(s); /* the column's log-sum-exp */
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
            double log_row = l - lrow, log_col = l - w->colmax[j];
            if (cfg->norm == DL_FIELD_TWO_SIDED)
                a = exp(0.5 * (log_row + log_col));
            else if (cfg->norm == DL_FIELD_ROWS)
                a = exp(log_row);
            else
                a = exp(l);
            A[i * C + j] = fmax(a, 1e-6);
        }
    }
}

/* The MMD flow's weights g(d) = -k'(d)/d in the normalised coordinates
 * (Laplacian exp(-d/tau): e^(-d/tau) / (tau d); Gaussian exp(-d^2/tau):
 * (2/tau) e^(-d^2/tau)), over the count of each side; 0 where d = 0, whose
 * displacement is 0 too. */
static void mmd_weights(double_field *w, const dl_field_config *cfg, double scale, double tau)
{
    const size_t N = w->N, M = w->M, C = w->C;
    const double neg = 1.0 / (double)(N - (cfg->self_mask ? 1 : 0));
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < C; j++) {
            const double d = w->dist[i * C + j] / scale, l = w->logit[i * C + j];
            double g = !isfinite(l) || d == 0 ? 0.0
                       : cfg->kernel == DL_FIELD_GAUSSIAN ? 2.0 / tau * exp(l)
                                                          : exp(l) / (tau * d);
            w->A[i * C + j] = g * (j < M ? 1.0 / (double)M : neg);
        }
}

/* When every logit lies within 600 of the largest, the shifted form;
 * otherwise, or if a sum underflows, the log-space form. */
static void affinities(double_field *w, const dl_field_config *cfg)
{
    double lmax = -INFINITY, lmin = INFINITY;
    for (size_t k = 0; k < w->N * w->C; k++)
        if (isfinite(w->logit[k]))
            lmax = fmax(lmax, w->logit[k]), lmin = fmin(lmin, w->logit[k]);
    if (!(lmin - lmax > -600.0) || !affinities_shifted(w, cfg, lmax))
        affinities_logspace(w, cfg);
}

/* 3. signed weights w~ (W_pos on the positives, -W_neg on the generated,
 * minus their sum on x_i's own column); returns sum |w~| |o_j|, the size of
 * the terms the forces cancel, and *sq = sum_i |F_i|^2 = w~_i G w~_i^T */
static double signed_weights_double(double_field *w, dl_operator op, double *sq)
{
    const size_t N = w->N, M = w->M, C = w->C;
    const int D = w->D;
    double *A = w->A, *T = w->T, *G = w->G;
    double wabs = 0;
    for (size_t i = 0; i < N; i++) {
        double sp = 0, sn = 0, sum = 0;
        for (size_t j = 0; j < M; j++)
            sp += A[i * C + j];
        for (size_t j = M; j < C; j++)
            sn += A[i * C + j];
        if (op == DL_OPERATOR_MMD) /* unnormalised: the weights as they are */
            sp = sn = 1.0;
        for (size_t j = 0; j < C; j++) {
            A[i * C + j] *= j < M ? sn : -sp;
            sum += A[i * C + j];
        }
        A[i * C + M + i] -= sum;
        for (size_t j = 0; j < C; j++)
            wabs += fabs(A[i * C + j]) * sqrt(G[j * C + j]);
    }
    *sq = 0;
    if ((size_t)D < C) { /* low-dimensional rows: F = w~ O itself is the cheaper product */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, D, (int)C, 1.0, A,
                    (int)C, w->Od, D, 0.0, T, D);
        for (size_t k = 0; k < N * (size_t)D; k++)
            *sq += T[k] * T[k];
    } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)C, (int)C, 1.0, A,
                    (int)C, G, (int)C, 0.0, T, (int)C);
        for (size_t k = 0; k < N * C; k++)
            *sq += A[k] * T[k];
    }
    return wabs;
}

int dl_field_compute_guided(const dl_field_config *cfg, const float *X, size_t N, const float *Y,
                            size_t M, const float *U, size_t Mu, double weight, int D, float *V,
                            double *scale_out)
{
    int st = dl_field_check_guided(cfg, N, M, U, Mu, weight, D);
    double_field w = {0};
    if (st || (st = double_field_alloc(&w, N, M, Mu, D)))
        return st;
    const size_t C = w.C;
    const double log_w = log(weight); /* -inf at weight 0: those columns drop out */
    const double scale = *scale_out = gram_distances(&w, cfg, X, Y, U);
    for (int t = 0; t < cfg->n_tau; t++) {
        logits(&w, cfg, scale, cfg->tau[t], log_w);
        if (cfg->op == DL_OPERATOR_MMD)
            mmd_weights(&w, cfg, scale, cfg->tau[t]);
        else
            affinities(&w, cfg);
        double sq;
        const double wabs = signed_weights_double(&w, cfg->op, &sq);
        /* 4. RMS-normalise; a force at rounding level (the anti-symmetric case:
         * |F| within 1e-12 of the terms it cancels) stays zero, not amplified */
        if (!(sq > 1e-24 * wabs * wabs))
            continue;
        double inv = 1.0 / (sqrt(sq / ((double)N * D)) / scale); /* 1 / rms of F = w~ O / scale */
        for (size_t k = 0; k < N * C; k++)
            w.Wc[k] += w.A[k] * inv;
    }
    for (size_t k = 0; k < N * C; k++)
        w.Wf[k] = (float)(w.Wc[k] / scale);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, D, (int)C, 1.0f, w.Wf, (int)C,
                w.Of, D, 0.0f, V, D);
    double_field_free(&w);
    return DL_OK;
}

/* the practical field's scale: the mean distance over generated-positive and
 * generated-generated pairs, self pairs left out */
static double pair_scale(const float *X, size_t N, const float *Y, size_t M, int D)
{
    double total = 0;
    size_t count = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < M + N; j++) {
            if (j == M + i)
                continue;
            const float *o = j < M ? Y + j * D : X + (j - M) * D;
            double s = 0;
            for (int c = 0; c < D; c++)
                s += ((double)X[i * D + c] - o[c]) * ((double)X[i * D + c] - o[c]);
            total += sqrt(s), count++;
        }
    return total > 0 ? total / (double)count : 1.0;
}

int dl_field_meanshift(const dl_field_config *cfg, double tau, const float *X, size_t N,
                       const float *Y, size_t M, int D, float *V, float *grad, double *scale_out)
{
    if (N < 2 || M < 1 || D < 1 || D > DL_MAX_DIM || !(tau > 0))
        return dl_error(DL_EINVAL, "mean-shift field: need N >= 2, M >= 1, 1 <= D <= %d, tau > 0",
                        DL_MAX_DIM);
    double *x = malloc(N * (size_t)D * sizeof(double)), *y = malloc(M * (size_t)D * sizeof(double));
    double *v = malloc(N * (size_t)D * sizeof(double)), *g = grad ? malloc(N * (size_t)D * sizeof(double)) : NULL;
    if (!x || !y || !v || (grad && !g)) {
        free(x), free(y), free(v), free(g);
        return dl_error(DL_ENOMEM, "mean-shift field: out of memory");
    }
    const double scale = pair_scale(X, N, Y, M, D);
    *scale_out = scale;
    for (size_t k = 0; k < N * (size_t)D; k++)
        x[k] = X[k] / scale;
    for (size_t k = 0; k < M * (size_t)D; k++)
        y[k] = Y[k] / scale;
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_RD, D, 0);
    /* Laplacian exp(-d / tau) is sigma = tau; Gaussian exp(-d^2 / tau) is sigma^2 = tau / 2 */
    const dl_kernel *k = dl_kernel_find(cfg->kernel == DL_FIELD_GAUSSIAN ? "gaussian" : "laplacian");
    const double sigma = cfg->kernel == DL_FIELD_GAUSSIAN ? sqrt(0.5 * tau) : tau;
    int st = dl_field_energy(&dom, k, sigma, x, N, y, M, v, g, NULL);
    for (size_t i = 0; !st && i < N * (size_t)D; i++) {
        V[i] = (float)v[i];
        if (grad)
            grad[i] = (float)g[i];
    }
    free(x), free(y), free(v), free(g);
    return st;
}

int dl_field_sinkhorn(const dl_sinkhorn_config *cfg, const float *X, size_t N, const float *Y,
                      size_t M, int D, float *V, double *scale_out)
{
    if (N < 2 || M < 1 || D < 1 || D > DL_MAX_DIM)
        return dl_error(DL_EINVAL, "sinkhorn field: need N >= 2, M >= 1, 1 <= D <= %d", DL_MAX_DIM);
    const double scale = pair_scale(X, N, Y, M, D);
    *scale_out = scale;
    double *x = malloc(N * (size_t)D * sizeof(double)), *y = malloc(M * (size_t)D * sizeof(double));
    double *qp = malloc(N * (size_t)D * sizeof(double)), *qq = malloc(N * (size_t)D * sizeof(double));
    dl_sinkhorn *s = NULL;
    int st = !x || !y || !qp || !qq ? dl_error(DL_ENOMEM, "sinkhorn field: out of memory") : DL_OK;
    for (size_t k = 0; !st && k < N * (size_t)D; k++)
        x[k] = X[k] / scale;
    for (size_t k = 0; !st && k < M * (size_t)D; k++)
        y[k] = Y[k] / scale;
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_RD, D, 0);
    if (!st)
        st = dl_sinkhorn_create(&s, cfg);
    if (!st && !(st = dl_sinkhorn_solve(s, &dom, x, N, y, M)))
        dl_sinkhorn_displacement(s, &dom, x, y, qp);
    if (!st && !(st = dl_sinkhorn_solve(s, &dom, x, N, x, N)))
        dl_sinkhorn_displacement(s, &dom, x, x, qq);
    for (size_t k = 0; !st && k < N * (size_t)D; k++)
        V[k] = (float)(qp[k] - qq[k]);
    dl_sinkhorn_destroy(s);
    free(x), free(y), free(qp), free(qq);
    return st;
}
