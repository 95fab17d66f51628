/* The direct engine's fast path: the same O(n m) sums in float32.
 *
 * Points are copied to structure-of-arrays float buffers; each row (one
 * evaluation point) runs over the columns in blocks of SIMD_BLOCK, a block's
 * partial sums kept in float vector lanes and then added into double.  One
 * thread owns a row and its order of summation is fixed, so results do not
 * depend on the thread count.  The exp is glibc's libmvec vector expf (the
 * `declare simd` below makes GCC call its vector variants inside the simd
 * loops); this file is built with -fno-math-errno, which lets sqrtf
 * vectorise and changes no value or NaN. */
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "base/dl_error.h"
#include "drift/engine.h"
#include "drift/kernel_float.h"

#pragma omp declare simd notinbranch
float expf(float);
#pragma omp declare simd notinbranch
float log1pf(float);

#define SIMD_BLOCK 2048
/* images of the torus: kernel terms below this fraction of k(0) are dropped
 * (float keeps 6e-8 of a sum anyway) */
#define SIMD_IMAGE_TOL 1e-7
#define SIMD_IMAGE_TOL_ALGEBRAIC 1e-10
#define SIMD_MAX_IMAGES 27

typedef struct {
    int dim, torus;
    float L, invL;
    int n_img;
    float img[SIMD_MAX_IMAGES][3];
    dl_kernel_float k; /* last: its table is not cleared per call */
} simd_setup;

typedef struct {
    float *p[3];   /* columns, one array per coordinate */
    size_t cap;
    simd_setup setup; /* kept: a tabulated kernel's table is made once */
} simd_state;

static int setup_make(simd_setup *s, const dl_drift_request *req)
{
    memset(s, 0, offsetof(simd_setup, k));
    s->dim = req->domain->dim; /* kernel and dimension: dl_engine_check */
    int st = dl_kernel_float_init(&s->k, req->kernel, req->sigma, s->dim);
    if (st)
        return st;
    s->torus = req->domain->kind == DL_DOMAIN_TORUS;
    s->n_img = 1;
    if (s->torus) {
        const double L = req->domain->length;
        s->L = (float)L, s->invL = (float)(1.0 / L);
        /* an algebraic tail (Student-t, Cauchy) is small where it is cut, but its
         * moment summed over the points beyond is not (student:3 at sigma = 0.5
         * on L = 2 pi: 1.35e-3 rms|V| at 1e-7, 5.6e-5 with one image more) */
        const double tol = s->k.shape == DL_SHAPE_POWER ? SIMD_IMAGE_TOL_ALGEBRAIC : SIMD_IMAGE_TOL;
        int reach = (int)ceil(req->kernel->cutoff_radius(req->kernel, req->sigma, s->dim, tol) / L - 0.5);
        reach = reach < 0 ? 0 : reach;

        int per_axis = 2 * reach + 1, total = 1;
        for (int c = 0; c < s->dim; c++)
            total *= per_axis;
        if (total > SIMD_MAX_IMAGES)
            return dl_error(DL_EINVAL, "simd engine: sigma %g needs %d periodic images on a torus "
                                       "of length %g; use --engine pm or direct", req->sigma, total, L);
        s->n_img = total;
        for (int t = 0; t < total; t++)
            for (int c = 0, r = t; c < 3; c++, r /= per_axis)
                s->img[t][c] = c < s->dim ? (float)((r % per_axis - reach) * L) : 0.0f;
    }
    return DL_OK;
}

/* round to nearest without libm: adding 1.5 * 2^23 pushes the fraction out
 * (|x| < 2^22, round-to-nearest mode); it vectorises on plain SSE2 */
static inline float round_nearest(float x)
{
    const float magic = 12582912.0f;
    return (x + magic) - magic;
}

/* Sum over columns [j0, j1) of one row: w = k(u + image), u = column - x.
 * Always inlined with constant dim, torus and kernel, so each combination is
 * its own loop with nothing but the arithmetic in it; self-masking splits the
 * range rather than testing j in the loop. */
/* the kernel's weight at squared distance r2: always inlined with a constant
 * shape, so each loop holds only its own arithmetic */
static inline __attribute__((always_inline)) float weight(const dl_shape shape,
                                                         const dl_kernel_float *k, float r2)
{
    const float coef = k->coef;
    if (shape == DL_SHAPE_GAUSS)
        return expf(coef * r2);
    const float z = sqrtf(r2) * coef;
    if (shape == DL_SHAPE_EXPPOLY)
        return (1.0f + z * (k->p1 + z * k->p2)) * expf(-z);
    if (shape == DL_SHAPE_SECH) {
        const float e = expf(-z);
        return 2.0f * e / (1.0f + e * e);
    }
    if (shape == DL_SHAPE_POWER)
        return expf(-k->beta * log1pf(z * z));
    return expf(dl_kernel_float_table_log(k, z));
}

static inline __attribute__((always_inline)) void
row_range(const int dim, const int torus, const dl_shape shape, const simd_setup *s,
          const float *const col[3], const float xi[3], int j0, int j1, const float off[3],
          float acc[4])
{
    float k = 0, m0 = 0, m1 = 0, m2 = 0;
    const float x0 = xi[0], x1 = xi[1], x2 = xi[2], o0 = off[0], o1 = off[1], o2 = off[2];
    const float L = s->L, invL = s->invL;
    const float *c0 = col[0], *c1 = col[1], *c2 = col[2];
#pragma omp simd reduction(+ : k, m0, m1, m2)
    for (int j = j0; j < j1; j++) {
        float u0 = c0[j] - x0, u1 = 0, u2 = 0, r2;
        if (torus)
            u0 = u0 - L * round_nearest(u0 * invL) + o0;
        r2 = u0 * u0;
        if (dim > 1) {
            u1 = c1[j] - x1;
            if (torus)
                u1 = u1 - L * round_nearest(u1 * invL) + o1;
            r2 += u1 * u1;
        }
        if (dim > 2) {
            u2 = c2[j] - x2;
            if (torus)
                u2 = u2 - L * round_nearest(u2 * invL) + o2;
            r2 += u2 * u2;
        }
        float w = weight(shape, &s->k, r2);
        k += w;
        m0 += w * u0;
        if (dim > 1)
            m1 += w * u1;
        if (dim > 2)
            m2 += w * u2;
    }
    acc[0] += k, acc[1] += m0, acc[2] += m1, acc[3] += m2;
}

#define SHAPES(D, T)                                                                               \
    switch (s->k.shape) {                                                                          \
    case DL_SHAPE_GAUSS: row_range(D, T, DL_SHAPE_GAUSS, s, col, xi, j0, j1, off, acc); break;     \
    case DL_SHAPE_EXPPOLY: row_range(D, T, DL_SHAPE_EXPPOLY, s, col, xi, j0, j1, off, acc); break; \
    case DL_SHAPE_SECH: row_range(D, T, DL_SHAPE_SECH, s, col, xi, j0, j1, off, acc); break;       \
    case DL_SHAPE_POWER: row_range(D, T, DL_SHAPE_POWER, s, col, xi, j0, j1, off, acc); break;     \
    default: row_range(D, T, DL_SHAPE_TABLE, s, col, xi, j0, j1, off, acc); break;                 \
    }
#define DISPATCH(D, T) SHAPES(D, T)

static void row_block(const simd_setup *s, const float *const col[3], const float xi[3], int j0,
                      int j1, const float off[3], float acc[4])
{
    switch (s->dim * 2 + s->torus) {
    case 2: DISPATCH(1, 0); break;
    case 3: DISPATCH(1, 1); break;
    case 4: DISPATCH(2, 0); break;
    case 5: DISPATCH(2, 1); break;
    case 6: DISPATCH(3, 0); break;
    default: DISPATCH(3, 1); break;
    }
}

static int ensure(simd_state *st, size_t count)
{
    if (count > 2147483647u)
        return dl_error(DL_EINVAL, "simd engine: %zu points exceed its 32-bit column index", count);
    if (count <= st->cap)
        return DL_OK;
    for (int c = 0; c < 3; c++) {
        free(st->p[c]);
        st->p[c] = malloc(count * sizeof(float));
        if (!st->p[c]) {
            st->cap = 0;
            return dl_error(DL_ENOMEM, "simd engine: out of memory for %zu points", count);
        }
    }
    st->cap = count;
    return DL_OK;
}

static int mean_shift(simd_state *st, const simd_setup *s, const dl_drift_request *req,
                      const double *pts, size_t count, int self_mask, double *out)
{
    const int dim = s->dim;
    int rc = ensure(st, count);
    if (rc)
        return rc;
    for (size_t j = 0; j < count; j++)
        for (int c = 0; c < 3; c++)
            st->p[c][j] = c < dim ? (float)pts[j * dim + c] : 0.0f;
    const float *const col[3] = {st->p[0], st->p[1], st->p[2]};
    long failed = -1;
#pragma omp parallel for schedule(dynamic, 64)
    for (long i = 0; i < (long)req->n; i++) {
        const double *xd = req->x + (size_t)i * dim;
        const float xi[3] = {(float)xd[0], dim > 1 ? (float)xd[1] : 0.0f, dim > 2 ? (float)xd[2] : 0.0f};
        const size_t skip = self_mask ? (size_t)i : (size_t)-1;
        double K = 0, M[3] = {0, 0, 0};
        for (int t = 0; t < s->n_img; t++)
            for (size_t j0 = 0; j0 < count; j0 += SIMD_BLOCK) {
                const size_t j1 = j0 + SIMD_BLOCK < count ? j0 + SIMD_BLOCK : count;
                float acc[4] = {0, 0, 0, 0};
                if (skip >= j0 && skip < j1) { /* the masked column splits the block */
                    row_block(s, col, xi, (int)j0, (int)skip, s->img[t], acc);
                    row_block(s, col, xi, (int)skip + 1, (int)j1, s->img[t], acc);
                } else {
                    row_block(s, col, xi, (int)j0, (int)j1, s->img[t], acc);
                }
                K += acc[0];
                for (int c = 0; c < 3; c++)
                    M[c] += acc[c + 1];
            }
        double *o = out + (size_t)i * dim;
        if (K > 1e-30) {
            for (int c = 0; c < dim; c++)
                o[c] = M[c] / K;
            continue;
        }
        /* float underflow (far from every column): the reference's log-shifted row */
        dl_pair_kernel pk;
        if (dl_pair_kernel_init(&pk, req->kernel, req->sigma, req->domain) ||
            dl_direct_mean_shift_row(&pk, xd, pts, count, skip, o)) {
#pragma omp critical
            failed = i;
        }
    }
    if (failed >= 0)
        return dl_error(DL_ENUMERIC, "simd engine: kernel sum vanished at particle %ld", failed);
    return DL_OK;
}

static int simd_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus,
                      double *v_minus)
{
    simd_state *state = engine->state;
    simd_setup *s = &state->setup;
    int st = setup_make(s, req);
    if (!st && v_plus)
        st = mean_shift(state, s, req, req->y, req->m, 0, v_plus);
    if (!st && v_minus)
        st = mean_shift(state, s, req, req->q, req->nq, req->self_mask, v_minus);
    return st;
}

static void simd_destroy(dl_engine *engine)
{
    simd_state *st = engine->state;
    if (st)
        for (int c = 0; c < 3; c++)
            free(st->p[c]);
    free(st);
    free(engine);
}

static const dl_engine_ops simd_ops = {"simd", simd_drift, simd_destroy, NULL};

int dl_engine_simd_create(dl_engine **engine)
{
    dl_engine *e = calloc(1, sizeof *e);
    simd_state *st = calloc(1, sizeof *st);
    if (!e || !st) {
        free(e), free(st);
        return dl_error(DL_ENOMEM, "simd engine: out of memory");
    }
    e->ops = &simd_ops;
    e->state = st;
    *engine = e;
    return DL_OK;
}

double dl_simd_exp_roofline(const float *col, size_t count, size_t rows)
{
    double total = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : total)
    for (long i = 0; i < (long)rows; i++) {
        const float a = -1e-3f * (float)(i % 7 + 1);
        double row = 0;
        for (size_t j0 = 0; j0 < count; j0 += SIMD_BLOCK) {
            const size_t j1 = j0 + SIMD_BLOCK < count ? j0 + SIMD_BLOCK : count;
            float k = 0;
#pragma omp simd reduction(+ : k)
            for (size_t j = j0; j < j1; j++)
                k += expf(a * col[j]);
            row += k;
        }
        total += row;
    }
    return total;
}
