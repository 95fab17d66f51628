/* The direct engine: O(n m) pairwise sums in double precision.
 *
 * Each row (one evaluation point) is summed over j in index order by a single
 * thread, so the result does not depend on the thread count. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "base/dl_error.h"
#include "drift/engine.h"

/* One row of the mean-shift: returns 0 on success, nonzero if the kernel sum
 * underflowed even after shifting by the largest term (cannot happen for the
 * kernels here, since the shifted peak term is exactly 1). */
int dl_direct_mean_shift_row(const dl_pair_kernel *pk, const double *xi, const double *pts,
                          size_t count, size_t skip, double *out)
{
    const int dim = pk->domain.dim;
    double K = 0, M[DL_MAX_DIM] = {0}, u[DL_MAX_DIM];
    for (size_t j = 0; j < count; j++) {
        if (j == skip)
            continue;
        dl_domain_displacement(&pk->domain, xi, pts + j * dim, u);
        dl_pair_kernel_accumulate(pk, u, 0.0, &K, M);
    }
    if (!(K > 1e-280)) {
        /* Far from every point: redo the row relative to its largest term. */
        double shift = -INFINITY;
        for (size_t j = 0; j < count; j++) {
            if (j == skip)
                continue;
            dl_domain_displacement(&pk->domain, xi, pts + j * dim, u);
            shift = fmax(shift, dl_pair_kernel_log_peak(pk, u));
        }
        K = 0;
        for (int c = 0; c < dim; c++)
            M[c] = 0;
        for (size_t j = 0; j < count; j++) {
            if (j == skip)
                continue;
            dl_domain_displacement(&pk->domain, xi, pts + j * dim, u);
            dl_pair_kernel_accumulate(pk, u, shift, &K, M);
        }
        if (!(K > 0))
            return 1;
    }
    for (int c = 0; c < dim; c++)
        out[c] = M[c] / K;
    return 0;
}

static int mean_shift(const dl_pair_kernel *pk, const double *x, size_t n, const double *pts,
                      size_t count, int self_mask, double *out)
{
    const int dim = pk->domain.dim;
    long failed = -1;
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < (long)n; i++) {
        size_t skip = self_mask ? (size_t)i : (size_t)-1;
        if (dl_direct_mean_shift_row(pk, x + i * dim, pts, count, skip, out + i * dim)) {
#pragma omp critical
            failed = i;
        }
    }
    if (failed >= 0)
        return dl_error(DL_ENUMERIC, "direct engine: kernel sum vanished at particle %ld", failed);
    return DL_OK;
}

/* The MMD flow's half: out_i = (1/count') sum_{j != skip} grad_x k(x_i - p_j),
 * count' the points summed (the empirical expectation of section 8). */
static void mmd_half(const dl_pair_kernel *pk, const double *x, size_t n, const double *pts,
                     size_t count, int self_mask, double *out)
{
    const int dim = pk->domain.dim;
    const double inv = 1.0 / (double)(count - (self_mask ? 1 : 0));
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < (long)n; i++) {
        double M[DL_MAX_DIM] = {0}, u[DL_MAX_DIM];
        for (size_t j = 0; j < count; j++) {
            if (self_mask && j == (size_t)i)
                continue;
            dl_domain_displacement(&pk->domain, x + i * dim, pts + j * dim, u);
            dl_pair_kernel_accumulate_gradient(pk, u, M);
        }
        for (int c = 0; c < dim; c++)
            out[i * dim + c] = M[c] * inv;
    }
}

static int direct_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus,
                        double *v_minus)
{
    (void)engine;
    dl_pair_kernel pk;
    int st = dl_pair_kernel_init(&pk, req->kernel, req->sigma, req->domain);
    if (st)
        return st;
    if (req->op == DL_OPERATOR_MMD) {
        if (req->domain->kind == DL_DOMAIN_TORUS && pk.grad_images == 0)
            return dl_error(DL_EUNSUPPORTED, "direct engine: the MMD flow of '%s' at sigma %g needs "
                            "more periodic images than the limit of %d terms", req->kernel->name,
                            req->sigma, DL_PERIODIC_MAX_TERMS);
        if (v_plus)
            mmd_half(&pk, req->x, req->n, req->y, req->m, 0, v_plus);
        if (v_minus)
            mmd_half(&pk, req->x, req->n, req->q, req->nq, req->self_mask, v_minus);
        return DL_OK;
    }
    if (v_plus && (st = mean_shift(&pk, req->x, req->n, req->y, req->m, 0, v_plus)))
        return st;
    if (v_minus && (st = mean_shift(&pk, req->x, req->n, req->q, req->nq, req->self_mask, v_minus)))
        return st;
    return DL_OK;
}

static void direct_destroy(dl_engine *engine) { free(engine); }

static const dl_engine_ops direct_ops = {"direct", direct_drift, direct_destroy, NULL};

int dl_engine_direct_create(dl_engine **engine)
{
    dl_engine *e = calloc(1, sizeof *e);
    if (!e)
        return dl_error(DL_ENOMEM, "direct engine: out of memory");
    e->ops = &direct_ops;
    *engine = e;
    return DL_OK;
}
