/* The particle-mesh engine: V^+ and V^- by FFT convolution on a grid.
 *
 *   den(x)   = sum_j k(y_j - x)               = (rho * k)(x)
 *   num_c(x) = sum_j k(y_j - x) (y_j - x)_c   = (rho * g_c)(x),  g_c(u) = -u_c k(u)
 *   V(x)     = num(x) / den(x)
 *
 * rho is the points deposited with CIC or TSC weights; the same weights
 * interpolate den and num back.  The displacement kernel g_c (rather than the
 * density times y) keeps the minimum-image displacement on the torus.  The
 * kernels are sampled on the grid (periodised on the torus, through the same
 * dl_pair_kernel the reference uses), transformed once per (sigma, grid), and
 * divided by the squared assignment window, which cancels the smoothing of
 * deposit and interpolation to leading order.  On R^d the grid covers the
 * points' bounding box and is zero-padded so that the circular convolution
 * equals the linear one (docs/THEORY.md: the kernel is truncated at its 1e-10 radius).
 *
 * The deposit runs over fixed slices of the points, each into its own grid,
 * added in slice order; interpolation is parallel over points, each written
 * by one thread; FFTW plans use a fixed thread count.
 * So results do not depend on OMP_NUM_THREADS. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "base/dl_error.h"
#include "drift/engine.h"
#include "drift/assignment.h"

#define PM_CUTOFF_TOL 1e-10
/* points whose kernel sum is below this fraction of the grid's largest are
 * redone by the reference (its log-shift survives what a mesh cannot) */
#define PM_TINY_DENSITY 1e-6
#define PM_FFT_THREADS 2
/* deposit slices (see deposit) */
#define PM_CHUNKS 16
#define PM_CHUNK_MIN_POINTS 65536
#define PM_CHUNK_MAX_CELLS ((size_t)1 << 20)

typedef struct {
    dl_pm_config cfg;
    dl_engine *fallback; /* the direct reference, made on first need */
    int dim, G[3];
    size_t cells, cells_c;
    double h[3], inv_h[3], lo[3], Lg[3];
    double *rho, *out[4];
    double *chunk_grids; /* PM_CHUNKS grids for a large deposit, made on first need */
    fftw_complex *rho_hat, *work, *kern_hat[4];
    fftw_plan fwd, back;
    /* what the kernel transforms were made for */
    double k_sigma;
    double self_kernel[5][5][5]; /* the deconvolved grid kernel at node offsets -2..2 */
    const dl_kernel *k_kernel;
    dl_operator k_op;
    int k_valid;
    const double *fixed_y; /* dl_engine_fix_targets */
    size_t fixed_m;
    fftw_complex *y_hat; /* the fixed targets' deposit, transformed, on this grid */
    int y_hat_valid;
} pm_state;

dl_pm_config dl_pm_config_default(void)
{
    dl_pm_config c = {DL_ASSIGN_TSC, 0.0, 0, (size_t)1 << 22, 0};
    return c;
}

/* The grid spacing that meets 1e-3 rms|V| (max over points; tests/test_engines.c
 * measures it): sigma / 8 for the smooth Gaussian (errors 4e-5..3e-4), sigma / 16
 * for the Cauchy kernel (2e-7); the Laplacian's cusp at 0 converges only as
 * O(h): sigma / 64 in 1-D (2.4e-4 torus, 6.3e-4 R^1), sigma / 32 above (4.4e-4
 * torus, 6.3e-4 R^2). */
double dl_pm_cells_per_sigma(const dl_kernel *k, int dim)
{
    if (!strcmp(k->name, "gaussian"))
        return 8.0;
    if (!strcmp(k->name, "laplacian"))
        return dim == 1 ? 64.0 : 32.0;
    return 16.0;
}

int dl_pm_fft_size(double need)
{
    int n = need < 8 ? 8 : (int)ceil(need);
    for (;; n++) {
        int m = n;
        while (m % 2 == 0) m /= 2;
        while (m % 3 == 0) m /= 3;
        while (m % 5 == 0) m /= 5;
        if (m == 1)
            return n;
    }
}

static void free_grids(pm_state *s)
{
    if (s->fwd)
        fftw_destroy_plan(s->fwd);
    if (s->back)
        fftw_destroy_plan(s->back);
    s->fwd = s->back = NULL;
    fftw_free(s->rho), fftw_free(s->rho_hat), fftw_free(s->work), fftw_free(s->y_hat);
    free(s->chunk_grids);
    s->chunk_grids = NULL;
    s->rho = NULL, s->rho_hat = s->work = s->y_hat = NULL;
    s->y_hat_valid = 0;
    for (int k = 0; k < 4; k++) {
        fftw_free(s->out[k]), fftw_free(s->kern_hat[k]);
        s->out[k] = NULL, s->kern_hat[k] = NULL;
    }
    s->cells = 0;
    s->k_valid = 0;
}

/* (Re)allocate and plan for grid G; a no-op when the size is unchanged. */
static int ensure_grid(pm_state *s, int dim, const int G[3])
{
    if (s->cells && s->dim == dim && !memcmp(s->G, G, sizeof s->G))
        return DL_OK;
    free_grids(s);
    s->dim = dim;
    memcpy(s->G, G, sizeof s->G);
    s->cells = (size_t)G[0] * G[1] * G[2];
    s->cells_c = s->cells / G[dim - 1] * (G[dim - 1] / 2 + 1);
    s->rho = fftw_alloc_real(s->cells);
    s->rho_hat = fftw_alloc_complex(s->cells_c);
    s->work = fftw_alloc_complex(s->cells_c);
    int ok = s->rho && s->rho_hat && s->work;
    for (int k = 0; ok && k <= dim; k++)
        ok = (s->out[k] = fftw_alloc_real(s->cells)) && (s->kern_hat[k] = fftw_alloc_complex(s->cells_c));
    if (!ok) {
        free_grids(s);
        return dl_error(DL_ENOMEM, "pm engine: out of memory for a %d x %d x %d grid", G[0], G[1], G[2]);
    }
    fftw_plan_with_nthreads(s->cells >= (1u << 15) ? PM_FFT_THREADS : 1);
    s->fwd = fftw_plan_dft_r2c(dim, G, s->rho, s->rho_hat, FFTW_ESTIMATE);
    s->back = fftw_plan_dft_c2r(dim, G, s->work, s->out[0], FFTW_ESTIMATE);
    fftw_plan_with_nthreads(1);
    if (!s->fwd || !s->back) {
        free_grids(s);
        return dl_error(DL_EUNSUPPORTED, "pm engine: FFTW could not plan a %d-D grid", dim);
    }
    return DL_OK;
}

static size_t node_index(const pm_state *s, const int m[3])
{
    return ((size_t)m[0] * s->G[1] + (size_t)m[1]) * s->G[2] + (size_t)m[2];
}

/* The signed wave numbers of r2c entry i, per axis. */
static void wave_numbers(const pm_state *s, size_t i, int n[3])
{
    const int last = s->G[s->dim - 1] / 2 + 1;
    n[0] = n[1] = n[2] = 0;
    for (int c = s->dim - 1; c >= 0; c--) {
        n[c] = c == s->dim - 1 ? (int)(i % last) : (int)(i % s->G[c]);
        i /= c == s->dim - 1 ? last : s->G[c];
        if (n[c] > s->G[c] / 2)
            n[c] -= s->G[c];
    }
}

/* The window's deconvolution at entry i, squared (deposit and interpolation). */
static double window_at(const pm_state *s, size_t i)
{
    int n[3];
    wave_numbers(s, i, n);
    double w = 1.0;
    for (int c = 0; c < s->dim; c++)
        w *= dl_assignment_deconvolution(s->cfg.assign, n[c], s->G[c]);
    return w;
}

/* The Coulomb kernel's transforms in closed form, the Poisson solve of a
 * particle-in-cell code: Ghat = 1/|k|^2 and grad G -> i k / |k|^2, over the
 * cell volume (a sampled kernel's DFT is its transform over h^d), with the
 * mean (k = 0) and the gradient's Nyquist planes set to 0. */
static void coulomb_kernels(pm_state *s)
{
    double volume = 1.0;
    for (int c = 0; c < s->dim; c++)
        volume *= s->h[c];
    for (size_t i = 0; i < s->cells_c; i++) {
        int n[3];
        wave_numbers(s, i, n);
        double k[3] = {0, 0, 0}, k2 = 0;
        for (int c = 0; c < s->dim; c++) {
            k[c] = 2 * M_PI * n[c] / s->Lg[c];
            k2 += k[c] * k[c];
        }
        const double scale = k2 > 0 ? 1.0 / (k2 * volume * window_at(s, i) * (double)s->cells) : 0.0;
        s->kern_hat[0][i] = scale;
        for (int c = 0; c < s->dim; c++)
            s->kern_hat[c + 1][i] = 2 * n[c] == s->G[c] ? 0.0 : I * k[c] * scale;
    }
}

/* the kernel and the displacement kernels on the grid, transformed, deconvolved */
static int make_kernels(pm_state *s, const dl_drift_request *req, double rc, int truncate)
{
    const int dim = s->dim;
    if (req->kernel->flags & DL_KERNEL_COULOMB) {
        coulomb_kernels(s);
        memset(s->self_kernel, 0, sizeof s->self_kernel); /* only the MMD flow: its self-force is 0 */
        return DL_OK;
    }
    dl_pair_kernel pk;
    int st = dl_pair_kernel_init(&pk, req->kernel, req->sigma, req->domain);
    if (st)
        return st;
    for (int k = 0; k <= dim; k++) {
        int m[3] = {0, 0, 0};
        for (m[0] = 0; m[0] < s->G[0]; m[0]++)
            for (m[1] = 0; m[1] < s->G[1]; m[1]++)
                for (m[2] = 0; m[2] < s->G[2]; m[2]++) {
                    double u[DL_MAX_TORUS_DIM] = {0}, K = 0, M[DL_MAX_TORUS_DIM] = {0}, r2 = 0;
                    for (int c = 0; c < dim; c++) {
                        u[c] = (m[c] <= s->G[c] / 2 ? m[c] : m[c] - s->G[c]) * s->h[c];
                        r2 += u[c] * u[c];
                    }
                    if (truncate && r2 > rc * rc)
                        ; /* beyond the kernel's reach on a zero-padded R^d grid */
                    else if (req->op == DL_OPERATOR_MMD && k > 0)
                        dl_pair_kernel_accumulate_gradient(&pk, u, M);
                    else
                        dl_pair_kernel_accumulate(&pk, u, 0.0, &K, M);
                    s->rho[node_index(s, m)] = k == 0 ? K : -M[k - 1];
                }
        fftw_execute_dft_r2c(s->fwd, s->rho, s->kern_hat[k]);
        /* deconvolve the window twice (deposit and interpolation), and fold in 1/cells */
        for (size_t i = 0; i < s->cells_c; i++)
            s->kern_hat[k][i] /= window_at(s, i) * (double)s->cells;
    }
    /* A point's interaction with itself through the mesh, sum_ab W_a W_b K~(a - b),
     * is what self-masking must take out (the moment part is odd and cancels):
     * K~ near the origin, in real space. */
    memcpy(s->work, s->kern_hat[0], s->cells_c * sizeof(fftw_complex));
    fftw_execute_dft_c2r(s->back, s->work, s->out[0]);
    for (int a = -2; a <= 2; a++)
        for (int b = -2; b <= 2; b++)
            for (int e = -2; e <= 2; e++) {
                int m[3] = {a, dim > 1 ? b : 0, dim > 2 ? e : 0};
                for (int c = 0; c < 3; c++)
                    m[c] = ((m[c] % s->G[c]) + s->G[c]) % s->G[c];
                s->self_kernel[a + 2][b + 2][e + 2] = s->out[0][node_index(s, m)];
            }
    return DL_OK;
}

double dl_pm_self_interaction(double kernel[5][5][5], const int n[3], double w[3][3])
{
    double sum = 0;
    for (int a1 = 0; a1 < n[0]; a1++)
        for (int a2 = 0; a2 < n[0]; a2++)
            for (int b1 = 0; b1 < n[1]; b1++)
                for (int b2 = 0; b2 < n[1]; b2++)
                    for (int e1 = 0; e1 < n[2]; e1++)
                        for (int e2 = 0; e2 < n[2]; e2++)
                            sum += w[0][a1] * w[0][a2] * w[1][b1] * w[1][b2] * w[2][e1] * w[2][e2] *
                                   kernel[a1 - a2 + 2][b1 - b2 + 2][e1 - e2 + 2];
    return sum;
}

/* One point's assignment stencil, shared by deposit and interpolation: per
 * axis the wrapped node indices and their weights (unused axes: node 0,
 * weight 1).  Nodes lie within two cells of the grid (torus coordinates are
 * wrapped first, R^d boxes are padded), so one add or subtract wraps them:
 * integer modulo here was the mesh's largest cost at 10^6 points. */
static void stencil(const pm_state *s, const double *p, int torus, double L, int node[3][3], int n[3],
                    double w[3][3])
{
    for (int c = 0; c < 3; c++) {
        node[c][0] = 0, n[c] = 1;
        w[c][0] = 1, w[c][1] = w[c][2] = 0;
    }
    for (int c = 0; c < s->dim; c++) {
        double v = p[c];
        if (torus)
            v -= L * floor(v / L);
        int first;
        n[c] = dl_assignment_weights(s->cfg.assign, (v - s->lo[c]) * s->inv_h[c], &first, w[c]);
        for (int k = 0; k < n[c]; k++) {
            int m = first + k;
            m = m < 0 ? m + s->G[c] : m >= s->G[c] ? m - s->G[c] : m;
            node[c][k] = m;
        }
    }
}

/* deposit points [begin, end) into grid (cells, zeroed first) */
static void deposit_range(const pm_state *s, const double *pts, size_t begin, size_t end, int torus,
                          double L, double *grid)
{
    const int dim = s->dim;
    memset(grid, 0, s->cells * sizeof(double));
    for (size_t j = begin; j < end; j++) {
        int node[3][3], n[3];
        double w[3][3];
        stencil(s, pts + j * dim, torus, L, node, n, w);
        for (int a = 0; a < n[0]; a++)
            for (int b = 0; b < n[1]; b++)
                for (int e = 0; e < n[2]; e++) {
                    const int m[3] = {node[0][a], node[1][b], node[2][e]};
                    grid[node_index(s, m)] += w[0][a] * w[1][b] * w[2][e];
                }
    }
}

/* A scatter's sums depend on its order.  Large deposits go in PM_CHUNKS fixed
 * slices of the points, each into its own grid (in parallel), and the grids
 * are added in slice order: the same numbers on any number of threads. */
static int deposit(pm_state *s, const double *pts, size_t count, int torus, double L)
{
    const size_t from = s->cfg.slice_from ? s->cfg.slice_from : PM_CHUNK_MIN_POINTS;
    if (count < from || s->cells > PM_CHUNK_MAX_CELLS) {
        deposit_range(s, pts, 0, count, torus, L, s->rho);
        return DL_OK;
    }
    if (!s->chunk_grids) {
        s->chunk_grids = malloc((size_t)PM_CHUNKS * s->cells * sizeof(double));
        if (!s->chunk_grids)
            return dl_error(DL_ENOMEM, "pm engine: out of memory for the deposit slices");
    }
#pragma omp parallel for schedule(static)
    for (int k = 0; k < PM_CHUNKS; k++)
        deposit_range(s, pts, count * k / PM_CHUNKS, count * (k + 1) / PM_CHUNKS, torus, L,
                      s->chunk_grids + (size_t)k * s->cells);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)s->cells; i++) {
        double acc = 0;
        for (int k = 0; k < PM_CHUNKS; k++)
            acc += s->chunk_grids[(size_t)k * s->cells + (size_t)i];
        s->rho[i] = acc;
    }
    return DL_OK;
}

/* The points deposited (pts, count) against the evaluation points, into
 * out; rho_hat is their deposit transformed (deposit_transform). */
static int pm_half(pm_state *s, const dl_drift_request *req, const fftw_complex *rho_hat, const double *pts,
                   size_t count, int self_mask, double *out)
{
    const int dim = s->dim, torus = req->domain->kind == DL_DOMAIN_TORUS;
    const double L = req->domain->length;
    int st;
    for (int k = 0; k <= dim; k++) {
        for (size_t i = 0; i < s->cells_c; i++)
            s->work[i] = rho_hat[i] * s->kern_hat[k][i];
        fftw_execute_dft_c2r(s->back, s->work, s->out[k]);
    }
    double peak = 0;
    for (size_t i = 0; i < s->cells; i++)
        peak = fmax(peak, s->out[0][i]);
    const double tiny = PM_TINY_DENSITY * peak;
    long n_far = 0;
#pragma omp parallel for schedule(static) reduction(+ : n_far)
    for (long i = 0; i < (long)req->n; i++) {
        int node[3][3], n[3];
        double w[3][3];
        stencil(s, req->x + (size_t)i * dim, torus, L, node, n, w);
        double acc[4] = {0, 0, 0, 0};
        for (int a = 0; a < n[0]; a++)
            for (int b = 0; b < n[1]; b++)
                for (int e = 0; e < n[2]; e++) {
                    const int m[3] = {node[0][a], node[1][b], node[2][e]};
                    size_t at = node_index(s, m);
                    double wt = w[0][a] * w[1][b] * w[2][e];
                    for (int k = 0; k <= dim; k++)
                        acc[k] += wt * s->out[k][at];
                }
        double den = acc[0] - (self_mask ? dl_pm_self_interaction(s->self_kernel, n, w) : 0.0);
        double *o = out + (size_t)i * dim;
        if (req->op == DL_OPERATOR_MMD) { /* the empirical mean of the gradient */
            for (int c = 0; c < dim; c++)
                o[c] = acc[c + 1] / (double)(count - (self_mask ? 1 : 0));
        } else if (den > tiny) {
            for (int c = 0; c < dim; c++)
                o[c] = acc[c + 1] / den;
        } else {
            o[0] = NAN; /* marks the point for the reference below */
            n_far++;
        }
    }
    if (!n_far)
        return DL_OK;
    /* points far from everything: the reference, row by row */
    dl_pair_kernel pk;
    st = dl_pair_kernel_init(&pk, req->kernel, req->sigma, req->domain);
    for (size_t i = 0; !st && i < req->n; i++)
        if (isnan(out[i * dim]) &&
            dl_direct_mean_shift_row(&pk, req->x + i * dim, pts, count, self_mask ? i : (size_t)-1,
                                     out + i * dim))
            st = dl_error(DL_ENUMERIC, "pm engine: kernel sum vanished at particle %zu", i);
    return st;
}

/* pts deposited and transformed: rho_hat */
static int deposit_transform(pm_state *s, const dl_drift_request *req, const double *pts, size_t count)
{
    int st = deposit(s, pts, count, req->domain->kind == DL_DOMAIN_TORUS, req->domain->length);
    if (!st)
        fftw_execute(s->fwd);
    return st;
}

/* The targets' transformed deposit: for fixed targets kept in y_hat while
 * the grid's geometry holds, else made now in rho_hat. */
static int targets_transform(pm_state *s, const dl_drift_request *req, const fftw_complex **hat)
{
    const int fixed = req->y == s->fixed_y && req->m == s->fixed_m;
    if (fixed && s->y_hat_valid) {
        *hat = s->y_hat;
        return DL_OK;
    }
    if (fixed && !s->y_hat && !(s->y_hat = fftw_alloc_complex(s->cells_c)))
        return dl_error(DL_ENOMEM, "pm engine: out of memory for the targets' grid");
    int st = deposit_transform(s, req, req->y, req->m);
    if (st)
        return st;
    *hat = s->rho_hat;
    if (fixed) {
        memcpy(s->y_hat, s->rho_hat, s->cells_c * sizeof(fftw_complex));
        s->y_hat_valid = 1;
    }
    return DL_OK;
}

/* Point charges on a mesh finer than their spacing feel each other's singular
 * near field, and the flow turns granular (a 64 x 64 lattice in 2-D: rates at
 * rho0 within 0.1% on a 64-cell grid, 1.3-1.5 rho0 on 128): the Coulomb mesh
 * defaults to the largest FFT size with cells no finer than the spacing of
 * the more numerous points, (max(n, m))^(1/d) per axis. */
static int coulomb_grid(const dl_drift_request *req, int dim)
{
    const double count = (double)(req->nq > req->m ? req->nq : req->m);
    const double most = floor(pow(count, 1.0 / dim) * (1 + 1e-12));
    int g = 8;
    for (int n = 8; n <= most; n = dl_pm_fft_size(n + 1))
        g = n;
    return g;
}

static void note(dl_engine *e, const char *fmt, double a, double b, double c, double d)
{
    char buf[sizeof e->note];
    snprintf(buf, sizeof buf, fmt, a, b, c, d);
    if (strcmp(buf, e->note))
        memcpy(e->note, buf, sizeof buf), e->note_changed = 1;
}

static int pm_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus, double *v_minus)
{
    pm_state *s = engine->state;
    const int dim = req->domain->dim, torus = req->domain->kind == DL_DOMAIN_TORUS;
    const double cps = s->cfg.cells_per_sigma > 0 ? s->cfg.cells_per_sigma
                                                  : dl_pm_cells_per_sigma(req->kernel, dim);
    const double rc = req->kernel->cutoff_radius(req->kernel, req->sigma, dim, PM_CUTOFF_TOL);
    int G[3] = {1, 1, 1}, truncate = 0;
    double Lg[3] = {1, 1, 1}, lo[3] = {0, 0, 0};
    size_t cells = 1;
    for (int c = 0; c < dim; c++) {
        if (torus) {
            Lg[c] = req->domain->length;
        } else {
            /* bounding box of every point, padded by the stencil */
            double mn = INFINITY, mx = -INFINITY;
            const double *sets[3] = {req->x, v_plus ? req->y : NULL, v_minus ? req->q : NULL};
            const size_t counts[3] = {req->n, req->m, req->nq};
            for (int t = 0; t < 3; t++)
                for (size_t j = 0; sets[t] && j < counts[t]; j++)
                    mn = fmin(mn, sets[t][j * dim + c]), mx = fmax(mx, sets[t][j * dim + c]);
            if (!isfinite(mn) || !isfinite(mx))
                return dl_error(DL_EINVAL, "pm engine: a point is not finite");
            double h = req->sigma / cps, E = mx - mn + 4 * h;
            lo[c] = mn - 2 * h;
            /* circular = linear convolution: twice the box, or box + kernel radius */
            if (rc >= E)
                Lg[c] = 2 * E;
            else
                Lg[c] = E + rc, truncate = 1;
        }
        G[c] = s->cfg.grid > 0                               ? s->cfg.grid
               : req->kernel->flags & DL_KERNEL_COULOMB ? coulomb_grid(req, dim)
                                                         : dl_pm_fft_size(Lg[c] * cps / req->sigma);
        if (!torus)
            Lg[c] = G[c] * (req->sigma / cps) > Lg[c] ? G[c] * (req->sigma / cps) : Lg[c];
        cells *= (size_t)G[c];
    }
    if (cells > s->cfg.max_cells) {
        note(engine, "pm: sigma %.4g needs %.0f grid cells (> %.0f): direct engine", req->sigma,
             (double)cells, (double)s->cfg.max_cells, 0);
        if (!s->fallback) {
            int st = dl_engine_direct_create(&s->fallback);
            if (st)
                return st;
        }
        return s->fallback->ops->drift(s->fallback, req, v_plus, v_minus);
    }
    int st = ensure_grid(s, dim, G);
    if (st)
        return st;
    int same_geometry = 1, same_box = 1;
    for (int c = 0; c < dim; c++) {
        double h = Lg[c] / G[c];
        same_geometry &= s->h[c] == h;
        same_box &= s->lo[c] == lo[c]; /* on R^d the grid follows the points */
        s->h[c] = h, s->inv_h[c] = 1.0 / h, s->lo[c] = lo[c], s->Lg[c] = Lg[c];
    }
    s->y_hat_valid &= same_geometry && same_box;
    if (!s->k_valid || !same_geometry || s->k_sigma != req->sigma || s->k_kernel != req->kernel ||
        s->k_op != req->op) {
        if ((st = make_kernels(s, req, rc, truncate)))
            return st;
        s->k_valid = 1, s->k_sigma = req->sigma, s->k_kernel = req->kernel, s->k_op = req->op;
    }
    note(engine, "pm: grid %.0f x %.0f x %.0f, h = sigma / %.3g", G[0], G[1], G[2],
         req->sigma / s->h[0]);
    const fftw_complex *y_hat = NULL;
    if (v_plus && ((st = targets_transform(s, req, &y_hat)) ||
                   (st = pm_half(s, req, y_hat, req->y, req->m, 0, v_plus))))
        return st;
    if (v_minus && ((st = deposit_transform(s, req, req->q, req->nq)) ||
                    (st = pm_half(s, req, s->rho_hat, req->q, req->nq, req->self_mask, v_minus))))
        return st;
    return DL_OK;
}

static void pm_destroy(dl_engine *engine)
{
    pm_state *s = engine->state;
    if (s) {
        free_grids(s);
        dl_engine_destroy(s->fallback);
        free(s);
    }
    free(engine);
}

static void pm_fix_targets(dl_engine *engine, const double *y, size_t m)
{
    pm_state *s = engine->state;
    s->fixed_y = y, s->fixed_m = m;
    s->y_hat_valid = 0;
}

static const dl_engine_ops pm_ops = {"pm", pm_drift, pm_destroy, pm_fix_targets};

int dl_engine_pm_create(dl_engine **engine, const dl_pm_config *cfg)
{
    static int threads_ready;
    if (!threads_ready) {
        if (!fftw_init_threads())
            return dl_error(DL_EUNSUPPORTED, "pm engine: FFTW threads did not start");
        threads_ready = 1;
    }
    dl_engine *e = calloc(1, sizeof *e);
    pm_state *s = calloc(1, sizeof *s);
    if (!e || !s) {
        free(e), free(s);
        return dl_error(DL_ENOMEM, "pm engine: out of memory");
    }
    s->cfg = cfg ? *cfg : dl_pm_config_default();
    if (s->cfg.assign != DL_ASSIGN_CIC && s->cfg.assign != DL_ASSIGN_TSC)
        s->cfg.assign = DL_ASSIGN_TSC;
    e->ops = &pm_ops;
    e->state = s;
    *engine = e;
    return DL_OK;
}
