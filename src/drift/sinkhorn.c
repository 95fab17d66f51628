#include "drift/sinkhorn.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/dl_error.h"
#include "drift/engine.h"

/* libmvec's vector exp in the log-sum-exp loops (this file is built with
 * -fno-math-errno, like the fast engines) */
#pragma omp declare simd notinbranch
double exp(double);

dl_sinkhorn_config dl_sinkhorn_config_default(double eps)
{
    dl_sinkhorn_config c = {eps, 500, 1e-9, 0};
    return c;
}

int dl_sinkhorn_create(dl_sinkhorn **out, const dl_sinkhorn_config *cfg)
{
    *out = NULL;
    if (!(cfg->eps > 0) || !isfinite(cfg->eps))
        return dl_error(DL_EINVAL, "sinkhorn: epsilon must be positive and finite, got %g", cfg->eps);
    if (cfg->max_iter < 1)
        return dl_error(DL_EINVAL, "sinkhorn: the iteration cap must be at least 1, got %d", cfg->max_iter);
    if (!(cfg->tol > 0) || !isfinite(cfg->tol))
        return dl_error(DL_EINVAL, "sinkhorn: the marginal tolerance must be positive, got %g", cfg->tol);
    dl_sinkhorn *s = calloc(1, sizeof *s);
    if (!s)
        return dl_error(DL_ENOMEM, "sinkhorn: out of memory");
    s->cfg = *cfg;
    *out = s;
    return DL_OK;
}

void dl_sinkhorn_destroy(dl_sinkhorn *s)
{
    if (!s)
        return;
    free(s->f), free(s->g), free(s->C), free(s->CT);
    free(s);
}

/* f_i = -eps LSE_j(log b + (g_j - C_ij)/eps); one thread per row */
static void update_rows(const double *C, size_t n, size_t m, const double *g, double eps,
                        double log_b, double *f)
{
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)n; i++) {
        const double *c = C + (size_t)i * m, inv = 1.0 / eps;
        double mx = -INFINITY, s = 0;
#pragma omp simd reduction(max : mx)
        for (size_t j = 0; j < m; j++)
            mx = fmax(mx, (g[j] - c[j]) * inv);
#pragma omp simd reduction(+ : s)
        for (size_t j = 0; j < m; j++)
            s += exp((g[j] - c[j]) * inv - mx);
        f[i] = -eps * (log_b + mx + log(s));
    }
}

/* g_j = -eps LSE_i(log a + (f_i - C_ij)/eps): the row update on the transposed costs */
static void update_cols(const double *CT, size_t n, size_t m, const double *f, double eps,
                        double log_a, double *g)
{
    update_rows(CT, m, n, f, eps, log_a, g);
}

static double row_error(const dl_sinkhorn *s)
{
    const size_t n = s->n, m = s->m;
    const double eps = s->cfg.eps, la = -log((double)n), lb = -log((double)m);
    double err = 0;
#pragma omp parallel for schedule(static) reduction(+ : err)
    for (long i = 0; i < (long)n; i++) {
        double r = 0;
        for (size_t j = 0; j < m; j++)
            r += exp(la + lb + (s->f[i] + s->g[j] - s->C[(size_t)i * m + j]) / eps);
        err += fabs(r - 1.0 / (double)n);
    }
    return err;
}

int dl_sinkhorn_solve(dl_sinkhorn *s, const dl_domain *dom, const double *x, size_t n,
                      const double *y, size_t m)
{
    if (n < 1 || m < 1)
        return dl_error(DL_EINVAL, "sinkhorn: need at least one point on each side");
    const int dim = dom->dim;
    for (size_t k = 0; k < n * dim; k++)
        if (!isfinite(x[k]))
            return dl_error(DL_EINVAL, "sinkhorn: point %zu of the first cloud is not finite", k / dim);
    for (size_t k = 0; k < m * dim; k++)
        if (!isfinite(y[k]))
            return dl_error(DL_EINVAL, "sinkhorn: point %zu of the second cloud is not finite", k / dim);
    const int warm = s->n == n && s->m == m && !s->cfg.rows_only;
    if (n * m > s->cap || !s->f || s->n != n || s->m != m) {
        free(s->f), free(s->g);
        s->f = calloc(n, sizeof(double));
        s->g = calloc(m, sizeof(double));
        if (n * m > s->cap) {
            free(s->C), free(s->CT);
            s->C = malloc(n * m * sizeof(double));
            s->CT = malloc(n * m * sizeof(double));
            s->cap = s->C && s->CT ? n * m : 0;
        }
        if (!s->f || !s->g || !s->C || !s->CT) {
            free(s->f), free(s->g), free(s->C), free(s->CT);
            s->f = s->g = s->C = s->CT = NULL, s->cap = s->n = s->m = 0;
            return dl_error(DL_ENOMEM, "sinkhorn: out of memory for %zu x %zu", n, m);
        }
    }
    if (!warm) {
        memset(s->f, 0, n * sizeof(double));
        memset(s->g, 0, m * sizeof(double));
    }
    s->n = n, s->m = m;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)n; i++) {
        double u[DL_MAX_DIM];
        for (size_t j = 0; j < m; j++) {
            dl_domain_displacement(dom, x + (size_t)i * dim, y + j * dim, u);
            double r2 = 0;
            for (int c = 0; c < dim; c++)
                r2 += u[c] * u[c];
            s->C[(size_t)i * m + j] = 0.5 * r2;
        }
    }
#pragma omp parallel for schedule(static)
    for (long j = 0; j < (long)m; j++)
        for (size_t i = 0; i < n; i++)
            s->CT[(size_t)j * n + i] = s->C[i * m + (size_t)j];
    const double eps = s->cfg.eps, la = -log((double)n), lb = -log((double)m);
    if (s->cfg.rows_only) {
        /* the one-sided plan: rows normalised against g = 0 */
        update_rows(s->C, n, m, s->g, eps, lb, s->f);
        s->iterations = 1;
        s->marginal_error = 0;
        return DL_OK;
    }
    s->iterations = 0;
    for (int it = 0; it < s->cfg.max_iter; it++) {
        update_rows(s->C, n, m, s->g, eps, lb, s->f);
        update_cols(s->CT, n, m, s->f, eps, la, s->g);
        s->iterations = it + 1;
        /* the marginal check costs an iteration's worth of exps: every 5th */
        if ((it % 5 == 4 || it + 1 == s->cfg.max_iter) &&
            (s->marginal_error = row_error(s)) <= s->cfg.tol)
            break;
    }
    if (!isfinite(s->marginal_error))
        return dl_error(DL_ENUMERIC, "sinkhorn: the iterations diverged (eps %g)", eps);
    return DL_OK;
}

void dl_sinkhorn_plan(const dl_sinkhorn *s, double *pi)
{
    const double eps = s->cfg.eps, la = -log((double)s->n), lb = -log((double)s->m);
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < s->m; j++)
            pi[i * s->m + j] = exp(la + lb + (s->f[i] + s->g[j] - s->C[i * s->m + j]) / eps);
}

void dl_sinkhorn_displacement(const dl_sinkhorn *s, const dl_domain *dom, const double *x,
                              const double *y, double *out)
{
    const int dim = dom->dim;
    const size_t m = s->m;
    const double eps = s->cfg.eps;
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)s->n; i++) {
        const double *c = s->C + (size_t)i * m;
        double mx = -INFINITY, w = 0, acc[DL_MAX_DIM] = {0}, u[DL_MAX_DIM];
        for (size_t j = 0; j < m; j++)
            mx = fmax(mx, (s->g[j] - c[j]) / eps);
        for (size_t j = 0; j < m; j++) {
            /* pi_ij / pi_i. depends on j only through g_j - C_ij */
            double p = exp((s->g[j] - c[j]) / eps - mx);
            dl_domain_displacement(dom, x + (size_t)i * dim, y + j * dim, u);
            w += p;
            for (int k = 0; k < dim; k++)
                acc[k] += p * u[k];
        }
        for (int k = 0; k < dim; k++)
            out[(size_t)i * dim + k] = acc[k] / w;
    }
}

double dl_sinkhorn_value(const dl_sinkhorn *s)
{
    double v = 0;
    for (size_t i = 0; i < s->n; i++)
        v += s->f[i] / (double)s->n;
    for (size_t j = 0; j < s->m; j++)
        v += s->g[j] / (double)s->m;
    return v;
}

int dl_sinkhorn_divergence(const dl_sinkhorn_config *cfg, const dl_domain *dom, const double *x,
                           size_t n, const double *y, size_t m, double *value)
{
    dl_sinkhorn *s;
    int st = dl_sinkhorn_create(&s, cfg);
    if (st)
        return st;
    double qp = 0, qq = 0, pp = 0;
    if (!(st = dl_sinkhorn_solve(s, dom, x, n, y, m)))
        qp = dl_sinkhorn_value(s);
    if (!st && !(st = dl_sinkhorn_solve(s, dom, x, n, x, n)))
        qq = dl_sinkhorn_value(s);
    if (!st && !(st = dl_sinkhorn_solve(s, dom, y, m, y, m)))
        pp = dl_sinkhorn_value(s);
    dl_sinkhorn_destroy(s);
    if (!st)
        *value = qp - 0.5 * qq - 0.5 * pp;
    return st;
}

/* ---- the drift operator as an engine: V+ = T_qp - x, V- = T_qq - x ---- */

typedef struct {
    dl_sinkhorn_config cfg;
    dl_sinkhorn *qp, *qq;
} sinkhorn_engine;

static int sinkhorn_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus,
                          double *v_minus)
{
    sinkhorn_engine *e = engine->state; /* the Gaussian kernel only: dl_engine_check */
    const double eps = req->sigma * req->sigma;
    int st = DL_OK;
    /* eps follows sigma (annealing); the potentials of the last step stay as
     * the warm start, also when eps has moved a little */
    for (int k = 0; k < 2; k++) {
        dl_sinkhorn **s = k ? &e->qq : &e->qp;
        dl_sinkhorn_config c = e->cfg;
        c.eps = eps;
        if (!*s && (st = dl_sinkhorn_create(s, &c)))
            return st;
        (*s)->cfg.eps = eps;
    }
    if (v_plus && !(st = dl_sinkhorn_solve(e->qp, req->domain, req->x, req->n, req->y, req->m)))
        dl_sinkhorn_displacement(e->qp, req->domain, req->x, req->y, v_plus);
    if (!st && v_minus && !(st = dl_sinkhorn_solve(e->qq, req->domain, req->x, req->n, req->q, req->nq)))
        dl_sinkhorn_displacement(e->qq, req->domain, req->x, req->q, v_minus);
    if (!st) {
        char buf[sizeof engine->note];
        snprintf(buf, sizeof buf, "sinkhorn: eps %.4g, last solves %d and %d iterations, marginal "
                 "error %.2g", eps, e->qp->iterations, e->qq->iterations, e->qq->marginal_error);
        memcpy(engine->note, buf, sizeof buf); /* informational, not a decision: no change flag */
    }
    return st;
}

static void sinkhorn_destroy(dl_engine *engine)
{
    sinkhorn_engine *e = engine->state;
    if (e)
        dl_sinkhorn_destroy(e->qp), dl_sinkhorn_destroy(e->qq);
    free(e);
    free(engine);
}

static const dl_engine_ops sinkhorn_ops = {"sinkhorn", sinkhorn_drift, sinkhorn_destroy, NULL};

int dl_engine_sinkhorn_create(dl_engine **engine, const dl_sinkhorn_config *cfg)
{
    dl_engine *e = calloc(1, sizeof *e);
    sinkhorn_engine *st = calloc(1, sizeof *st);
    if (!e || !st) {
        free(e), free(st);
        return dl_error(DL_ENOMEM, "sinkhorn engine: out of memory");
    }
    st->cfg = cfg ? *cfg : dl_sinkhorn_config_default(1.0);
    e->ops = &sinkhorn_ops;
    e->state = st;
    *engine = e;
    return DL_OK;
}
