/* The distributed particle mesh (engine_pm_mpi.h): engine_pm.c's torus
 * algorithm, with the grid in FFTW-MPI slabs.
 *
 *   den(x) = (rho * k)(x),  num_c(x) = (rho * g_c)(x),  V = num / den
 *
 * Layout.  The transform has rank r = max(dim, 2): dims N = (G0, G1, G2), or
 * (G0, 1) in 1-D.  A rank owns planes [s0, s0 + ln0) of axis 0; a real plane
 * is `plane` doubles (rows padded to 2 (N_last / 2 + 1), FFTW's r2c layout)
 * and the real grids hold GUARD more planes after the slab: planes s0 + ln0
 * .. s0 + ln0 + GUARD - 1 (mod G0), owned by the next ranks. */
#include "parallel/engine_pm_mpi.h"

#include <complex.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3-mpi.h>

#include "base/dl_error.h"
#include "drift/assignment.h"
#include "parallel/collective.h"

/* TSC's stencil spans three planes: the first and two past it */
#define GUARD 2
/* as engine_pm.c: points whose kernel sum is below this fraction of the peak */
#define PM_TINY_DENSITY 1e-6

/* One set of points sent to the ranks that own their first plane.  Counts
 * are in points (an MPI type of dim doubles). */
typedef struct {
    int *send_n, *send_off, *recv_n, *recv_off; /* per rank */
    size_t *order;                              /* local index of each sent point, in send order */
    double *sent;                               /* sent positions; later the results coming home */
    double *recv;                               /* received positions, recv_total x dim */
    size_t count, recv_total, cap_count, cap_recv;
} route;

typedef struct {
    MPI_Comm comm;
    int rank, size;
    MPI_Datatype point; /* dim doubles */
    dl_pm_config cfg;
    int dim, rnk, G[3];
    ptrdiff_t N[3], ln0, s0, alloc;
    size_t row, plane, plane_c, cells, real_len;
    ptrdiff_t *start, *count; /* every rank's slab */
    int *owner;               /* plane -> rank */
    double h[3], inv_h[3];
    double *rho, *out[4], *res;
    size_t res_cap;
    fftw_complex *rho_hat, *work, *kern_hat[4];
    fftw_plan fwd, back;
    double self_kernel[5][5][5];
    double k_sigma;
    const dl_kernel *k_kernel;
    int k_valid;
    route xr, yr, qr;
    const double *fixed_y; /* dl_engine_fix_targets */
    size_t fixed_m;
    fftw_complex *y_hat; /* the fixed targets' deposit, transformed, on this grid */
    int y_hat_valid;
} pmm_state;

static void route_free(route *r)
{
    free(r->send_n), free(r->send_off), free(r->recv_n), free(r->recv_off);
    free(r->order), free(r->sent), free(r->recv);
    memset(r, 0, sizeof *r);
}

static void free_grids(pmm_state *s)
{
    if (s->fwd)
        fftw_destroy_plan(s->fwd);
    if (s->back)
        fftw_destroy_plan(s->back);
    s->fwd = s->back = NULL;
    fftw_free(s->rho), fftw_free(s->rho_hat), fftw_free(s->work), fftw_free(s->y_hat);
    s->rho = NULL, s->rho_hat = s->work = s->y_hat = NULL;
    s->y_hat_valid = 0;
    for (int k = 0; k < 4; k++) {
        fftw_free(s->out[k]), fftw_free(s->kern_hat[k]);
        s->out[k] = NULL, s->kern_hat[k] = NULL;
    }
    free(s->start), free(s->count), free(s->owner);
    s->start = s->count = NULL, s->owner = NULL;
    s->cells = 0, s->k_valid = 0;
}

/* the real array's index of node (local plane lp, m1, m2) */
static size_t real_index(const pmm_state *s, ptrdiff_t lp, int m1, int m2)
{
    if (s->dim == 1)
        return (size_t)lp * s->row;
    if (s->dim == 2)
        return (size_t)lp * s->row + (size_t)m1;
    return ((size_t)lp * s->G[1] + (size_t)m1) * s->row + (size_t)m2;
}

static int alloc_grids(pmm_state *s)
{
    /* FFTW may use the whole of 2 alloc doubles; the guard planes come on top */
    const size_t slab = (size_t)(s->ln0 + GUARD) * s->plane;
    s->real_len = 2 * (size_t)s->alloc > slab ? 2 * (size_t)s->alloc : slab;
    const size_t clen = s->alloc > 0 ? (size_t)s->alloc : 1;
    s->rho = fftw_alloc_real(s->real_len);
    s->rho_hat = fftw_alloc_complex(clen), s->work = fftw_alloc_complex(clen);
    int ok = s->rho && s->rho_hat && s->work;
    for (int k = 0; ok && k <= s->dim; k++)
        ok = (s->out[k] = fftw_alloc_real(s->real_len)) && (s->kern_hat[k] = fftw_alloc_complex(clen));
    s->start = malloc((size_t)s->size * sizeof(ptrdiff_t));
    s->count = malloc((size_t)s->size * sizeof(ptrdiff_t));
    s->owner = malloc((size_t)s->G[0] * sizeof(int));
    ok = ok && s->start && s->count && s->owner;
    if (ok)
        memset(s->rho, 0, s->real_len * sizeof(double));
    return ok ? DL_OK
              : dl_error(DL_ENOMEM, "distributed pm: out of memory for a %d x %d x %d grid", s->G[0],
                         s->G[1], s->G[2]);
}

/* Slabs, arrays and plans for grid G (collective); a no-op when unchanged. */
static int ensure_grid(pmm_state *s, int dim, const int G[3])
{
    if (s->cells && s->dim == dim && !memcmp(s->G, G, sizeof s->G))
        return DL_OK;
    free_grids(s);
    s->dim = dim, s->rnk = dim < 2 ? 2 : dim;
    memcpy(s->G, G, sizeof s->G);
    s->cells = (size_t)G[0] * G[1] * G[2];
    for (int c = 0; c < s->rnk; c++)
        s->N[c] = dim == 1 && c == 1 ? 1 : G[c];
    ptrdiff_t nc[3] = {s->N[0], s->N[1], s->N[2]};
    nc[s->rnk - 1] = s->N[s->rnk - 1] / 2 + 1;
    s->alloc = fftw_mpi_local_size(s->rnk, nc, s->comm, &s->ln0, &s->s0);
    s->row = 2 * (size_t)nc[s->rnk - 1];
    s->plane = dim == 3 ? (size_t)G[1] * s->row : s->row;
    s->plane_c = dim == 3 ? (size_t)G[1] * (size_t)nc[2] : (size_t)nc[s->rnk - 1];
    int st = dl_mpi_agree(s->comm, alloc_grids(s));
    if (st) {
        free_grids(s);
        return st;
    }
    MPI_Allgather(&s->s0, 1, MPI_AINT, s->start, 1, MPI_AINT, s->comm);
    MPI_Allgather(&s->ln0, 1, MPI_AINT, s->count, 1, MPI_AINT, s->comm);
    for (int q = 0; q < s->size; q++)
        for (ptrdiff_t p = s->start[q]; p < s->start[q] + s->count[q]; p++)
            s->owner[p] = q;
    s->fwd = fftw_mpi_plan_dft_r2c(s->rnk, s->N, s->rho, s->rho_hat, s->comm, FFTW_ESTIMATE);
    s->back = fftw_mpi_plan_dft_c2r(s->rnk, s->N, s->work, s->out[0], s->comm, FFTW_ESTIMATE);
    st = s->fwd && s->back ? DL_OK
                           : dl_error(DL_EUNSUPPORTED, "distributed pm: FFTW-MPI could not plan a %d-D grid", dim);
    if ((st = dl_mpi_agree(s->comm, st)))
        free_grids(s);
    return st;
}

/* ---- moving planes between neighbours ---- */

/* global plane of rank q's guard plane g */
static ptrdiff_t guard_plane(const pmm_state *s, int q, int g)
{
    return (s->start[q] + s->count[q] + g) % s->G[0];
}

/* fold = 1: every rank's guard planes are added into their owners' planes
 * (after a deposit).  fold = 0: every rank's guard planes are copied from
 * their owners (before an interpolation).  The same messages, one way or the
 * other; additions go in source-rank order, so the sums are fixed. */
static int exchange_guards(pmm_state *s, double *grid, int fold)
{
    int *n_out = calloc((size_t)s->size, sizeof(int)), *d_out = calloc((size_t)s->size, sizeof(int));
    int *n_in = calloc((size_t)s->size, sizeof(int)), *d_in = calloc((size_t)s->size, sizeof(int));
    /* mine: my guard planes, to their owners; theirs: my planes that are others' guards */
    double *mine = malloc((GUARD * s->plane + 1) * sizeof(double));
    size_t their_planes = 0;
    for (int q = 0; q < s->size; q++)
        for (int g = 0; g < GUARD && s->count[q]; g++)
            their_planes += s->owner[guard_plane(s, q, g)] == s->rank;
    double *theirs = malloc((their_planes * s->plane + 1) * sizeof(double));
    int st = n_out && d_out && n_in && d_in && mine && theirs
                 ? DL_OK : dl_error(DL_ENOMEM, "distributed pm: out of memory for the guard planes");
    if (!(st = dl_mpi_agree(s->comm, st))) {
        /* my guards, grouped by owner (ascending), g ascending within */
        size_t at = 0;
        for (int o = 0; o < s->size; o++) {
            d_out[o] = (int)at;
            for (int g = 0; g < GUARD && s->ln0; g++)
                if (s->owner[guard_plane(s, s->rank, g)] == o) {
                    if (fold) /* else the owner fills it */
                        memcpy(mine + at, grid + (size_t)(s->ln0 + g) * s->plane, s->plane * sizeof(double));
                    at += s->plane;
                }
            n_out[o] = (int)(at - (size_t)d_out[o]);
        }
        /* others' guards that are my planes, by source rank, g ascending */
        at = 0;
        for (int q = 0; q < s->size; q++) {
            d_in[q] = (int)at;
            for (int g = 0; g < GUARD && s->count[q]; g++) {
                ptrdiff_t p = guard_plane(s, q, g);
                if (s->owner[p] != s->rank)
                    continue;
                if (!fold)
                    memcpy(theirs + at, grid + (size_t)(p - s->s0) * s->plane, s->plane * sizeof(double));
                at += s->plane;
            }
            n_in[q] = (int)(at - (size_t)d_in[q]);
        }
        if (fold)
            MPI_Alltoallv(mine, n_out, d_out, MPI_DOUBLE, theirs, n_in, d_in, MPI_DOUBLE, s->comm);
        else
            MPI_Alltoallv(theirs, n_in, d_in, MPI_DOUBLE, mine, n_out, d_out, MPI_DOUBLE, s->comm);
        at = 0;
        if (fold) {
            for (int q = 0; q < s->size; q++)
                for (int g = 0; g < GUARD && s->count[q]; g++) {
                    ptrdiff_t p = guard_plane(s, q, g);
                    if (s->owner[p] != s->rank)
                        continue;
                    double *dst = grid + (size_t)(p - s->s0) * s->plane;
                    for (size_t i = 0; i < s->plane; i++)
                        dst[i] += theirs[at + i];
                    at += s->plane;
                }
        } else {
            for (int o = 0; o < s->size; o++)
                for (int g = 0; g < GUARD && s->ln0; g++)
                    if (s->owner[guard_plane(s, s->rank, g)] == o) {
                        memcpy(grid + (size_t)(s->ln0 + g) * s->plane, mine + at, s->plane * sizeof(double));
                        at += s->plane;
                    }
        }
    }
    free(n_out), free(d_out), free(n_in), free(d_in), free(mine), free(theirs);
    return st;
}

/* ---- points to their planes' owners and back ---- */

/* One point's stencil: per axis the nodes' indices (axis 0: the first node's
 * plane, unwrapped beyond it, so guard planes are consecutive) and weights. */
static void stencil(const pmm_state *s, const double *p, double L, int node[3][3], int n[3],
                    double w[3][3])
{
    for (int c = 0; c < 3; c++) {
        node[c][0] = 0, n[c] = 1;
        w[c][0] = 1, w[c][1] = w[c][2] = 0;
    }
    for (int c = 0; c < s->dim; c++) {
        double v = p[c] - L * floor(p[c] / L);
        int first;
        n[c] = dl_assignment_weights(s->cfg.assign, v * s->inv_h[c], &first, w[c]);
        first = first < 0 ? first + s->G[c] : first >= s->G[c] ? first - s->G[c] : first;
        for (int k = 0; k < n[c]; k++) {
            int m = first + k;
            node[c][k] = c == 0 ? m : m >= s->G[c] ? m - s->G[c] : m;
        }
    }
}

static int first_plane(const pmm_state *s, const double *p, double L)
{
    int node[3][3], n[3];
    double w[3][3];
    stencil(s, p, L, node, n, w);
    return node[0][0];
}

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap && *buf)
        return DL_OK;
    void *p = realloc(*buf, (need ? need : 1) * elem);
    if (!p)
        return dl_error(DL_ENOMEM, "distributed pm: out of memory for %zu routed points", need);
    *buf = p, *cap = need;
    return DL_OK;
}

/* Sends pts (count x dim) to the owners of their first planes; stable, so a
 * rank receives points by source rank and, within one, in index order. */
static int route_build(pmm_state *s, route *r, const double *pts, size_t count, double L)
{
    const int dim = s->dim, R = s->size;
    if (!r->send_n) {
        r->send_n = calloc((size_t)R, sizeof(int)), r->send_off = calloc((size_t)R, sizeof(int));
        r->recv_n = calloc((size_t)R, sizeof(int)), r->recv_off = calloc((size_t)R, sizeof(int));
    }
    size_t cap = r->cap_count;
    int st = r->send_n && r->send_off && r->recv_n && r->recv_off ? DL_OK
             : dl_error(DL_ENOMEM, "distributed pm: out of memory");
    if (!st && count > (size_t)INT_MAX)
        st = dl_error(DL_EINVAL, "distributed pm: %zu points on one rank (at most %d)", count, INT_MAX);
    if (!st && !(st = grow((void **)&r->order, &cap, count, sizeof(size_t)))) {
        cap = r->cap_count;
        st = grow((void **)&r->sent, &cap, count, (size_t)dim * sizeof(double));
        r->cap_count = cap;
    }
    if ((st = dl_mpi_agree(s->comm, st)))
        return st;
    memset(r->send_n, 0, (size_t)R * sizeof(int));
    int *dest = malloc((count ? count : 1) * sizeof(int));
    if ((st = dl_mpi_agree(s->comm, dest ? DL_OK : dl_error(DL_ENOMEM, "distributed pm: out of memory"))))
        return st;
    for (size_t i = 0; i < count; i++)
        r->send_n[dest[i] = s->owner[first_plane(s, pts + i * dim, L)]]++;
    for (int q = 0, at = 0; q < R; q++)
        r->send_off[q] = at, at += r->send_n[q];
    int *fill = r->recv_off; /* scratch until the counts arrive */
    memcpy(fill, r->send_off, (size_t)R * sizeof(int));
    for (size_t i = 0; i < count; i++) {
        size_t k = (size_t)fill[dest[i]]++;
        r->order[k] = i;
        memcpy(r->sent + k * dim, pts + i * dim, (size_t)dim * sizeof(double));
    }
    free(dest);
    r->count = count;
    MPI_Alltoall(r->send_n, 1, MPI_INT, r->recv_n, 1, MPI_INT, s->comm);
    size_t total = 0;
    for (int q = 0; q < R; q++)
        total += (size_t)r->recv_n[q];
    st = total > (size_t)INT_MAX ? dl_error(DL_EINVAL, "distributed pm: %zu points routed to one rank", total)
                                 : grow((void **)&r->recv, &r->cap_recv, total, (size_t)dim * sizeof(double));
    if ((st = dl_mpi_agree(s->comm, st)))
        return st;
    for (int q = 0, at = 0; q < R; q++)
        r->recv_off[q] = at, at += r->recv_n[q];
    r->recv_total = total;
    MPI_Alltoallv(r->sent, r->send_n, r->send_off, s->point, r->recv, r->recv_n, r->recv_off, s->point,
                  s->comm);
    return DL_OK;
}

/* The results for r's received points (recv_total x dim) home, into out (count x dim). */
static void route_home(pmm_state *s, route *r, const double *res, double *out)
{
    const int dim = s->dim;
    MPI_Alltoallv(res, r->recv_n, r->recv_off, s->point, r->sent, r->send_n, r->send_off, s->point,
                  s->comm);
    for (size_t k = 0; k < r->count; k++)
        memcpy(out + r->order[k] * dim, r->sent + k * dim, (size_t)dim * sizeof(double));
}

/* ---- the mesh ---- */

static void deposit(pmm_state *s, const route *r, double L)
{
    const int dim = s->dim;
    memset(s->rho, 0, (size_t)(s->ln0 + GUARD) * s->plane * sizeof(double));
    for (size_t j = 0; j < r->recv_total; j++) {
        int node[3][3], n[3];
        double w[3][3];
        stencil(s, r->recv + j * dim, L, node, n, w);
        for (int a = 0; a < n[0]; a++)
            for (int b = 0; b < n[1]; b++)
                for (int e = 0; e < n[2]; e++)
                    s->rho[real_index(s, node[0][a] - s->s0, node[1][b], node[2][e])] +=
                        w[0][a] * w[1][b] * w[2][e];
    }
}

/* the signed wave number of complex element i's axis c */
static void wave_numbers(const pmm_state *s, size_t i, int n[3])
{
    const size_t last = s->plane_c / (s->dim == 3 ? (size_t)s->G[1] : 1);
    n[0] = n[1] = n[2] = 0;
    size_t lp = i / s->plane_c, rest = i % s->plane_c;
    int k0 = (int)(s->s0 + (ptrdiff_t)lp);
    n[0] = k0 > s->G[0] / 2 ? k0 - s->G[0] : k0;
    if (s->dim == 2)
        n[1] = (int)rest;
    if (s->dim == 3) {
        int k1 = (int)(rest / last);
        n[1] = k1 > s->G[1] / 2 ? k1 - s->G[1] : k1;
        n[2] = (int)(rest % last);
    }
}

/* the kernel and the displacement kernels on the slab, transformed, deconvolved */
static int make_kernels(pmm_state *s, const dl_drift_request *req)
{
    const int dim = s->dim;
    dl_pair_kernel pk;
    int st = dl_mpi_agree(s->comm, dl_pair_kernel_init(&pk, req->kernel, req->sigma, req->domain));
    if (st)
        return st;
    const size_t local_c = (size_t)s->ln0 * s->plane_c;
    for (int k = 0; k <= dim; k++) {
        memset(s->rho, 0, s->real_len * sizeof(double));
        for (ptrdiff_t lp = 0; lp < s->ln0; lp++)
            for (int m1 = 0; m1 < (dim > 1 ? s->G[1] : 1); m1++)
                for (int m2 = 0; m2 < (dim > 2 ? s->G[2] : 1); m2++) {
                    const int m[3] = {(int)(s->s0 + lp), m1, m2};
                    double u[DL_MAX_TORUS_DIM] = {0}, K = 0, M[DL_MAX_TORUS_DIM] = {0};
                    for (int c = 0; c < dim; c++)
                        u[c] = (m[c] <= s->G[c] / 2 ? m[c] : m[c] - s->G[c]) * s->h[c];
                    dl_pair_kernel_accumulate(&pk, u, 0.0, &K, M);
                    s->rho[real_index(s, lp, m1, m2)] = k == 0 ? K : -M[k - 1];
                }
        fftw_mpi_execute_dft_r2c(s->fwd, s->rho, s->kern_hat[k]);
        for (size_t i = 0; i < local_c; i++) {
            int n[3];
            wave_numbers(s, i, n);
            double w = 1.0;
            for (int c = dim - 1; c >= 0; c--) /* engine_pm.c's order */
                w *= dl_assignment_deconvolution(s->cfg.assign, n[c], s->G[c]);
            s->kern_hat[k][i] /= w * (double)s->cells;
        }
    }
    /* the mesh's self-interaction kernel near the origin (engine_pm.c):
     * each entry comes from the one rank that owns its plane */
    memcpy(s->work, s->kern_hat[0], local_c * sizeof(fftw_complex));
    fftw_mpi_execute_dft_c2r(s->back, s->work, s->out[0]);
    double part[5][5][5];
    for (int a = -2; a <= 2; a++)
        for (int b = -2; b <= 2; b++)
            for (int e = -2; e <= 2; e++) {
                int m[3] = {a, dim > 1 ? b : 0, dim > 2 ? e : 0};
                for (int c = 0; c < 3; c++)
                    m[c] = ((m[c] % s->G[c]) + s->G[c]) % s->G[c];
                int mine = m[0] >= s->s0 && m[0] < s->s0 + s->ln0;
                part[a + 2][b + 2][e + 2] = mine ? s->out[0][real_index(s, m[0] - s->s0, m[1], m[2])] : 0.0;
            }
    MPI_Allreduce(part, s->self_kernel, 125, MPI_DOUBLE, MPI_SUM, s->comm);
    return DL_OK;
}

/* V at the points x routed here: res (xr->recv_total x dim); counts the
 * points whose kernel sum is too small for the mesh */
static long interpolate(pmm_state *s, const route *xr, int self_mask, double L, double tiny)
{
    const int dim = s->dim;
    long n_far = 0;
    for (size_t i = 0; i < xr->recv_total; i++) {
        int node[3][3], n[3];
        double w[3][3], acc[4] = {0, 0, 0, 0};
        stencil(s, xr->recv + i * dim, L, node, n, w);
        for (int a = 0; a < n[0]; a++)
            for (int b = 0; b < n[1]; b++)
                for (int e = 0; e < n[2]; e++) {
                    size_t at = real_index(s, node[0][a] - s->s0, node[1][b], node[2][e]);
                    double wt = w[0][a] * w[1][b] * w[2][e];
                    for (int k = 0; k <= dim; k++)
                        acc[k] += wt * s->out[k][at];
                }
        double den = acc[0] - (self_mask ? dl_pm_self_interaction(s->self_kernel, n, w) : 0.0);
        for (int c = 0; c < dim; c++)
            s->res[i * dim + c] = den > tiny ? acc[c + 1] / den : 0.0;
        n_far += !(den > tiny);
    }
    return n_far;
}

/* The points routed in pr, deposited and transformed: rho_hat (collective). */
static int deposit_transform(pmm_state *s, const route *pr, double L)
{
    deposit(s, pr, L);
    int st = exchange_guards(s, s->rho, 1);
    if (!st)
        fftw_mpi_execute_dft_r2c(s->fwd, s->rho, s->rho_hat);
    return st;
}

/* One half of V: the transformed deposit rho_hat against the evaluation
 * points (routed in xr), into out (this rank's x block). */
static int pm_half(pmm_state *s, const dl_drift_request *req, const fftw_complex *rho_hat, route *xr,
                   int self_mask, double *out)
{
    const int dim = s->dim;
    const double L = req->domain->length;
    int st;
    const size_t local_c = (size_t)s->ln0 * s->plane_c;
    for (int k = 0; k <= dim; k++) {
        for (size_t i = 0; i < local_c; i++)
            s->work[i] = rho_hat[i] * s->kern_hat[k][i];
        fftw_mpi_execute_dft_c2r(s->back, s->work, s->out[k]);
        if ((st = exchange_guards(s, s->out[k], 0)))
            return st;
    }
    double peak = 0, all_peak;
    const size_t used = s->dim == 1 ? 1 : (size_t)s->G[dim - 1];
    for (ptrdiff_t lp = 0; lp < s->ln0; lp++)
        for (size_t r0 = 0; r0 < s->plane / s->row; r0++)
            for (size_t j = 0; j < used; j++)
                peak = fmax(peak, s->out[0][(size_t)lp * s->plane + r0 * s->row + j]);
    MPI_Allreduce(&peak, &all_peak, 1, MPI_DOUBLE, MPI_MAX, s->comm);
    size_t cap = s->res_cap;
    st = grow((void **)&s->res, &cap, xr->recv_total, (size_t)dim * sizeof(double));
    s->res_cap = cap;
    if ((st = dl_mpi_agree(s->comm, st)))
        return st;
    long n_far = interpolate(s, xr, self_mask, L, PM_TINY_DENSITY * all_peak), all_far;
    MPI_Allreduce(&n_far, &all_far, 1, MPI_LONG, MPI_SUM, s->comm);
    if (all_far)
        return dl_error(DL_ENUMERIC, "distributed pm: %ld point(s) where the kernel sum is below %g of its "
                        "peak; the serial mesh redoes them with the direct engine, the distributed one "
                        "cannot (a larger sigma, or one process)", all_far, PM_TINY_DENSITY);
    route_home(s, xr, s->res, out);
    return DL_OK;
}

/* The targets' transformed deposit: kept in y_hat for fixed targets (made
 * on the first call on this grid, their route then freed), else made now in
 * rho_hat.  The cache is used only where every rank can use it. */
static int targets_transform(pmm_state *s, const dl_drift_request *req, const fftw_complex **hat)
{
    const size_t local_c = (size_t)s->ln0 * s->plane_c;
    int fixed[2] = {req->y == s->fixed_y && req->m == s->fixed_m, 0}, all[2];
    fixed[1] = fixed[0] && s->y_hat_valid;
    MPI_Allreduce(fixed, all, 2, MPI_INT, MPI_MIN, s->comm);
    if (all[1]) {
        *hat = s->y_hat;
        return DL_OK;
    }
    int st = DL_OK;
    if (all[0] && !s->y_hat && !(s->y_hat = fftw_alloc_complex(local_c ? local_c : 1)))
        st = dl_error(DL_ENOMEM, "distributed pm: out of memory for the targets' grid");
    const double L = req->domain->length;
    if ((st = dl_mpi_agree(s->comm, st)) || (st = route_build(s, &s->yr, req->y, req->m, L)) ||
        (st = deposit_transform(s, &s->yr, L)))
        return st;
    *hat = s->rho_hat;
    if (all[0]) {
        memcpy(s->y_hat, s->rho_hat, local_c * sizeof(fftw_complex));
        s->y_hat_valid = 1;
        route_free(&s->yr);
    }
    return DL_OK;
}

static int grid_for(pmm_state *s, const dl_drift_request *req, int G[3])
{
    const int dim = req->domain->dim;
    if (req->domain->kind != DL_DOMAIN_TORUS)
        return dl_error(DL_EUNSUPPORTED, "distributed pm: the torus only (this run is on R^%d)", dim);
    const double cps = s->cfg.cells_per_sigma > 0 ? s->cfg.cells_per_sigma
                                                  : dl_pm_cells_per_sigma(req->kernel, dim);
    size_t cells = 1;
    G[0] = G[1] = G[2] = 1;
    for (int c = 0; c < dim; c++) {
        G[c] = s->cfg.grid > 0 ? s->cfg.grid : dl_pm_fft_size(req->domain->length * cps / req->sigma);
        cells *= (size_t)G[c];
    }
    if (cells > s->cfg.max_cells)
        return dl_error(DL_EUNSUPPORTED, "distributed pm: sigma %g needs %zu grid cells (> %zu, "
                        "--pm-max-cells); the serial mesh would switch to the direct engine, the "
                        "distributed one has none", req->sigma, cells, s->cfg.max_cells);
    return DL_OK;
}

static int pm_mpi_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus, double *v_minus)
{
    pmm_state *s = engine->state;
    int G[3];
    int st = dl_mpi_agree(s->comm, grid_for(s, req, G));
    if (st || (st = ensure_grid(s, req->domain->dim, G)))
        return st;
    const int dim = s->dim;
    int same_geometry = 1;
    for (int c = 0; c < dim; c++) {
        double h = req->domain->length / G[c];
        same_geometry &= s->h[c] == h;
        s->h[c] = h, s->inv_h[c] = 1.0 / h;
    }
    s->y_hat_valid &= same_geometry;
    if (!s->k_valid || !same_geometry || s->k_sigma != req->sigma || s->k_kernel != req->kernel) {
        if ((st = make_kernels(s, req)))
            return st;
        s->k_valid = 1, s->k_sigma = req->sigma, s->k_kernel = req->kernel;
    }
    char buf[sizeof engine->note];
    snprintf(buf, sizeof buf, "pm (distributed over %d ranks): grid %d x %d x %d, h = sigma / %.3g",
             s->size, G[0], G[1], G[2], req->sigma / s->h[0]);
    if (strcmp(buf, engine->note))
        memcpy(engine->note, buf, sizeof buf), engine->note_changed = 1;
    MPI_Datatype point;
    MPI_Type_contiguous(dim, MPI_DOUBLE, &point);
    MPI_Type_commit(&point);
    s->point = point;
    const double L = req->domain->length;
    const fftw_complex *y_hat = NULL;
    if (!(st = route_build(s, &s->xr, req->x, req->n, L)) && v_plus &&
        !(st = targets_transform(s, req, &y_hat)))
        st = pm_half(s, req, y_hat, &s->xr, 0, v_plus);
    route *qr = req->q == req->x && req->nq == req->n ? &s->xr : &s->qr;
    if (!st && v_minus && (qr == &s->xr || !(st = route_build(s, qr, req->q, req->nq, L))) &&
        !(st = deposit_transform(s, qr, L)))
        st = pm_half(s, req, s->rho_hat, &s->xr, req->self_mask, v_minus);
    MPI_Type_free(&point);
    return st;
}

static void pm_mpi_destroy(dl_engine *engine)
{
    pmm_state *s = engine->state;
    if (s) {
        free_grids(s);
        route_free(&s->xr), route_free(&s->yr), route_free(&s->qr);
        free(s->res);
        free(s);
    }
    free(engine);
}

size_t dl_engine_pm_mpi_bytes(const dl_engine *engine)
{
    const pmm_state *s = engine->state;
    size_t bytes = s->cells ? (size_t)(s->dim + 2) * s->real_len * sizeof(double) +
                                  (size_t)(s->dim + 3 + !!s->y_hat) * (size_t)s->alloc * sizeof(fftw_complex)
                            : 0;
    const route *r[3] = {&s->xr, &s->yr, &s->qr};
    for (int k = 0; k < 3; k++)
        bytes += r[k]->cap_count * (sizeof(size_t) + (size_t)s->dim * sizeof(double)) +
                 r[k]->cap_recv * (size_t)s->dim * sizeof(double);
    return bytes + s->res_cap * (size_t)s->dim * sizeof(double);
}

static void pm_mpi_fix_targets(dl_engine *engine, const double *y, size_t m)
{
    pmm_state *s = engine->state;
    s->fixed_y = y, s->fixed_m = m;
    s->y_hat_valid = 0;
}

static const dl_engine_ops pm_mpi_ops = {"pm", pm_mpi_drift, pm_mpi_destroy, pm_mpi_fix_targets};

int dl_engine_pm_mpi_create(dl_engine **engine, const dl_pm_config *cfg, MPI_Comm comm)
{
    static int ready;
    if (!ready)
        fftw_mpi_init(), ready = 1;
    dl_engine *e = calloc(1, sizeof *e);
    pmm_state *s = calloc(1, sizeof *s);
    int st = e && s ? DL_OK : dl_error(DL_ENOMEM, "distributed pm: out of memory");
    if ((st = dl_mpi_agree(comm, st))) {
        free(e), free(s);
        return st;
    }
    s->comm = comm;
    MPI_Comm_rank(comm, &s->rank);
    MPI_Comm_size(comm, &s->size);
    s->cfg = cfg ? *cfg : dl_pm_config_default();
    if (s->cfg.assign != DL_ASSIGN_CIC && s->cfg.assign != DL_ASSIGN_TSC)
        s->cfg.assign = DL_ASSIGN_TSC;
    e->ops = &pm_mpi_ops;
    e->state = s;
    *engine = e;
    return DL_OK;
}
