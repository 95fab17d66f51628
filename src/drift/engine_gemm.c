/* The GEMM engine, for high dimension (d >= 16, e.g. image features):
 *
 *   |x_i - y_j|^2 = |x_i|^2 + |y_j|^2 - 2 X Y^T      (one sgemm per row block)
 *   w_ij = k(|x_i - y_j|) exp(-shift_i)               (vector expf, libmvec)
 *   V_i  = (W Y)_i / sum_j w_ij - x_i                 (a second sgemm)
 *
 * Each row is shifted by its largest log-kernel value (the nearest column),
 * as a softmax is, so no row underflows however far it lies.  Float32 with
 * OpenBLAS; rows go in blocks of GEMM_ROWS to bound the N x M weight matrix.
 * Distances from the expanded square lose digits when |x|^2 >> |x - y|^2:
 * coordinates are centred on the columns' mean first, and d2 is floored at 0.
 * Float itself bounds the accuracy: a log-weight l carries ~|l| 2^-24 of
 * rounding, so where weights span e^-hundreds (sigma far below the typical
 * distance) V is good to ~1e-4, not 1e-5 (measured: d = 64, sigma = 0.5).
 * Built with -fno-math-errno, like the simd engine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h> /* declarations only; OpenBLAS provides the symbols */

#include <omp.h>

#include "base/dl_error.h"
#include "drift/engine.h"
#include "drift/kernel_float.h"

#pragma omp declare simd notinbranch
float expf(float);
#pragma omp declare simd notinbranch
float log1pf(float);

#define GEMM_ROWS 256

typedef struct {
    float *X, *P, *D, *out; /* rows, columns, distances/weights, W P */
    float *xn, *pn, *mean, *rowscale;
    size_t cap_rows, cap_cols, cap_dim;
    int cap_threads;
    dl_kernel_float k; /* kept: a tabulated kernel's table is made once */
} gemm_state;

static int grow(float **p, size_t n)
{
    free(*p);
    *p = malloc(n * sizeof(float));
    return *p != NULL;
}

static int ensure(gemm_state *s, size_t rows, size_t cols, size_t dim)
{
    const int threads = omp_get_max_threads();
    if (rows <= s->cap_rows && cols <= s->cap_cols && dim <= s->cap_dim && threads <= s->cap_threads)
        return DL_OK;
    s->cap_threads = threads > s->cap_threads ? threads : s->cap_threads;
    rows = rows > s->cap_rows ? rows : s->cap_rows;
    cols = cols > s->cap_cols ? cols : s->cap_cols;
    dim = dim > s->cap_dim ? dim : s->cap_dim;
    const size_t blk = (size_t)s->cap_threads * GEMM_ROWS; /* one block per thread */
    if (!grow(&s->X, rows * dim) || !grow(&s->P, cols * dim) || !grow(&s->D, blk * cols) ||
        !grow(&s->out, blk * dim) || !grow(&s->xn, rows) || !grow(&s->pn, cols) ||
        !grow(&s->mean, dim) || !grow(&s->rowscale, rows)) {
        s->cap_rows = s->cap_cols = s->cap_dim = 0;
        return dl_error(DL_ENOMEM, "gemm engine: out of memory for %zu x %zu points in %zu-D", rows,
                        cols, dim);
    }
    s->cap_rows = rows, s->cap_cols = cols, s->cap_dim = dim;
    return DL_OK;
}

/* log k at squared distance d2 (kernel_float.h's shapes), inlined with a
 * constant shape so that each row's loop vectorises */
static inline __attribute__((always_inline)) float log_weight(const dl_shape shape,
                                                             const dl_kernel_float *k, float d2)
{
    if (shape == DL_SHAPE_GAUSS)
        return k->coef * d2;
    const float z = sqrtf(d2) * k->coef;
    if (shape == DL_SHAPE_EXPPOLY)
        return log1pf(z * (k->p1 + z * k->p2)) - z;
    if (shape == DL_SHAPE_SECH)
        return 0.69314718f - z - log1pf(expf(-2.0f * z));
    if (shape == DL_SHAPE_POWER)
        return -k->beta * log1pf(z * z);
    return dl_kernel_float_table_log(k, z);
}

/* one row of log-weights from its expanded distances; returns the largest */
static inline __attribute__((always_inline)) float
log_row(const dl_shape shape, const dl_kernel_float *k, float *row, size_t count, float xn,
        const float *pn, size_t skip)
{
    float lmax = -INFINITY;
#pragma omp simd reduction(max : lmax)
    for (size_t j = 0; j < count; j++) {
        float d2 = row[j] + xn + pn[j];
        d2 = d2 > 0 ? d2 : 0;
        float l = log_weight(shape, k, d2);
        l = j == skip ? -INFINITY : l;
        row[j] = l;
        lmax = l > lmax ? l : lmax;
    }
    return lmax;
}

static float log_row_any(const dl_kernel_float *k, float *row, size_t count, float xn,
                         const float *pn, size_t skip)
{
    switch (k->shape) {
    case DL_SHAPE_GAUSS: return log_row(DL_SHAPE_GAUSS, k, row, count, xn, pn, skip);
    case DL_SHAPE_EXPPOLY: return log_row(DL_SHAPE_EXPPOLY, k, row, count, xn, pn, skip);
    case DL_SHAPE_SECH: return log_row(DL_SHAPE_SECH, k, row, count, xn, pn, skip);
    case DL_SHAPE_POWER: return log_row(DL_SHAPE_POWER, k, row, count, xn, pn, skip);
    default: return log_row(DL_SHAPE_TABLE, k, row, count, xn, pn, skip);
    }
}

static int mean_shift(gemm_state *s, const dl_drift_request *req, const double *pts, size_t count,
                      int self_mask, double *out)
{
    const size_t n = req->n, d = (size_t)req->domain->dim;
    int st = ensure(s, n, count, d);
    if (st)
        return st;
    if ((st = dl_kernel_float_init(&s->k, req->kernel, req->sigma, (int)d)))
        return st;
    /* centre on the columns' mean: shorter vectors, fewer digits lost in the expansion */
    for (size_t c = 0; c < d; c++) {
        double m = 0;
        for (size_t j = 0; j < count; j++)
            m += pts[j * d + c];
        s->mean[c] = (float)(m / (double)count);
    }
#pragma omp parallel for schedule(static)
    for (long j = 0; j < (long)count; j++) {
        float sq = 0;
        for (size_t c = 0; c < d; c++) {
            float v = (float)(pts[(size_t)j * d + c] - s->mean[c]);
            s->P[(size_t)j * d + c] = v, sq += v * v;
        }
        s->pn[j] = sq;
    }
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)n; i++) {
        float sq = 0;
        for (size_t c = 0; c < d; c++) {
            float v = (float)(req->x[(size_t)i * d + c] - s->mean[c]);
            s->X[(size_t)i * d + c] = v, sq += v * v;
        }
        s->xn[i] = sq;
    }
    long failed = -1;
    /* Row blocks of fixed size, each one single-threaded sgemm (OpenBLAS runs
     * serially inside a parallel region): the result of a block depends on the
     * block alone, not on how many threads share the blocks. */
#pragma omp parallel for schedule(dynamic, 1)
    for (long blk = 0; blk < (long)((n + GEMM_ROWS - 1) / GEMM_ROWS); blk++) {
        const size_t i0 = (size_t)blk * GEMM_ROWS, rows = n - i0 < GEMM_ROWS ? n - i0 : GEMM_ROWS;
        float *D = s->D + (size_t)omp_get_thread_num() * GEMM_ROWS * count;
        float *O = s->out + (size_t)omp_get_thread_num() * GEMM_ROWS * d;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)count, (int)d, -2.0f,
                    s->X + i0 * d, (int)d, s->P, (int)d, 0.0f, D, (int)count);
        for (size_t r = 0; r < rows; r++) {
            const size_t i = i0 + r, skip = self_mask ? i : (size_t)-1;
            float *row = D + r * count;
            /* log-kernel values; the row's largest becomes the shift */
            const float lmax = log_row_any(&s->k, row, count, s->xn[i], s->pn, skip);
            float sum = 0;
#pragma omp simd reduction(+ : sum)
            for (size_t j = 0; j < count; j++) {
                float w = expf(row[j] - lmax);
                row[j] = w;
                sum += w;
            }
            if (!(sum > 0) || !isfinite(lmax)) {
#pragma omp critical
                failed = (long)i;
            }
            s->rowscale[i] = 1.0f / sum;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)d, (int)count, 1.0f,
                    D, (int)count, s->P, (int)d, 0.0f, O, (int)d);
        for (size_t r = 0; r < rows; r++) {
            const size_t i = i0 + r;
            for (size_t c = 0; c < d; c++)
                out[i * d + c] = (double)O[r * d + c] * s->rowscale[i] - s->X[i * d + c];
        }
    }
    if (failed >= 0)
        return dl_error(DL_ENUMERIC, "gemm engine: no kernel weight at point %ld", failed);
    return DL_OK;
}

static int gemm_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus, double *v_minus)
{
    int st = DL_OK; /* R^d only: dl_engine_check */
    if (v_plus)
        st = mean_shift(engine->state, req, req->y, req->m, 0, v_plus);
    if (!st && v_minus)
        st = mean_shift(engine->state, req, req->q, req->nq, req->self_mask, v_minus);
    return st;
}

static void gemm_destroy(dl_engine *engine)
{
    gemm_state *s = engine->state;
    if (s) {
        free(s->X), free(s->P), free(s->D), free(s->out), free(s->xn), free(s->pn), free(s->mean), free(s->rowscale);
        free(s);
    }
    free(engine);
}

static const dl_engine_ops gemm_ops = {"gemm", gemm_drift, gemm_destroy, NULL};

int dl_engine_gemm_create(dl_engine **engine)
{
    dl_engine *e = calloc(1, sizeof *e);
    gemm_state *s = calloc(1, sizeof *s);
    if (!e || !s) {
        free(e), free(s);
        return dl_error(DL_ENOMEM, "gemm engine: out of memory");
    }
    e->ops = &gemm_ops;
    e->state = s;
    *engine = e;
    return DL_OK;
}
