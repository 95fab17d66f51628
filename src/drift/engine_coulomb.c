/* The Coulomb engine: the MMD flow of the Laplacian's Green's function on the
 * 1-D torus, exactly, from sorted positions (docs/THEORY.md section 8).
 *
 * On [0, L), G(r) = L/12 - |r|/2 + r^2/(2L) and, for u = (x - y) mod L in
 * (0, L), G'(u) = u/L - 1/2 (0 at u = 0, where the one-sided limits cancel).
 * Summed over points y_j,
 *   sum_j G'(x - y_j) = m (x - mean y) / L - m/2 + #(y_j > x) + #(y_j = x) / 2,
 * so each evaluation point needs only its rank among the sorted points: one
 * radix sort of the evaluation points and a merge against the sorted targets
 * (kept between steps when the caller promises they stay put).  Every
 * coincident pair contributes 0, itself included, so self-masking changes
 * only the normalisation 1/(nq - 1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "drift/engine.h"

typedef struct {
    uint64_t key;
    size_t index;
} keyed;

#define RADIX 65536

typedef struct {
    keyed *a, *b;           /* radix buffers */
    size_t count[RADIX + 1];
    size_t cap;
    uint64_t *targets;      /* the sorted targets' keys */
    size_t targets_cap, targets_m;
    uint64_t *qkeys;        /* the repelling points' sorted keys */
    size_t qkeys_cap;
    const double *fixed_y;  /* dl_engine_fix_targets */
    size_t fixed_m;
    int targets_valid;
    double targets_mean;
} coulomb_state;

/* Non-negative doubles order as their bit patterns (-0.0 made +0.0 first). */
static uint64_t key_of(double v)
{
    v += 0.0;
    uint64_t k;
    memcpy(&k, &v, sizeof k);
    return k;
}

static double mean_of(const double *v, size_t n)
{
    long double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return (double)(s / (long double)n);
}

/* LSD radix sort on 16-bit digits: four stable passes between a and b, so
 * the result ends in a. */
static void radix_sort(keyed *a, keyed *b, size_t n, size_t *count)
{
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, (RADIX + 1) * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[((a[i].key >> shift) & 0xffff) + 1]++;
        for (int d = 0; d < RADIX; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            b[count[(a[i].key >> shift) & 0xffff]++] = a[i];
        keyed *t = a;
        a = b;
        b = t;
    }
}

static int ensure(coulomb_state *s, size_t n)
{
    if (n <= s->cap)
        return DL_OK;
    keyed *a = realloc(s->a, n * sizeof *a), *b = a ? realloc(s->b, n * sizeof *b) : NULL;
    if (a)
        s->a = a;
    if (!a || !b)
        return dl_error(DL_ENOMEM, "coulomb engine: out of memory for %zu points", n);
    s->b = b;
    s->cap = n;
    return DL_OK;
}

/* keys of pts, sorted, into out (m of them) */
static int sorted_keys(coulomb_state *s, const double *pts, size_t m, uint64_t *out)
{
    int st = ensure(s, m);
    if (st)
        return st;
    for (size_t j = 0; j < m; j++)
        s->a[j] = (keyed){key_of(pts[j]), j};
    radix_sort(s->a, s->b, m, s->count);
    for (size_t j = 0; j < m; j++)
        out[j] = s->a[j].key;
    return DL_OK;
}

/* a key buffer of at least n entries, kept between steps */
static int grow_keys(uint64_t **keys, size_t *cap, size_t n)
{
    if (n <= *cap)
        return DL_OK;
    uint64_t *k = realloc(*keys, n * sizeof *k);
    if (!k)
        return dl_error(DL_ENOMEM, "coulomb engine: out of memory for %zu points", n);
    *keys = k;
    *cap = n;
    return DL_OK;
}

static int targets_sorted(coulomb_state *s, const double *y, size_t m)
{
    if (s->targets_valid && y == s->fixed_y && m == s->fixed_m)
        return DL_OK;
    int st = grow_keys(&s->targets, &s->targets_cap, m);
    if (!st)
        st = sorted_keys(s, y, m, s->targets);
    if (st)
        return st;
    s->targets_m = m;
    s->targets_mean = mean_of(y, m);
    s->targets_valid = y == s->fixed_y && m == s->fixed_m;
    return DL_OK;
}

/* out[i] = (1/norm) sum_j G'(x_i - p_j) over the sorted keys of p (count of
 * them, mean pmean); x's sorted order is in s->a. */
static void field_from_ranks(const coulomb_state *s, const double *x, size_t n, const uint64_t *p,
                             size_t count, double pmean, double L, double norm, double *out)
{
    size_t below = 0, upto = 0; /* #(p < x), #(p <= x) for the current x */
    for (size_t r = 0; r < n; r++) {
        const uint64_t key = s->a[r].key;
        while (below < count && p[below] < key)
            below++;
        if (upto < below)
            upto = below;
        while (upto < count && p[upto] <= key)
            upto++;
        const size_t i = s->a[r].index;
        const double greater = (double)(count - upto), equal = (double)(upto - below);
        double sum = (double)count * ((x[i] - pmean) / L - 0.5) + greater + 0.5 * equal;
        out[i] = sum / norm;
    }
}

static int coulomb_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus,
                         double *v_minus)
{
    coulomb_state *s = engine->state; /* the 1-D torus only: dl_engine_check */
    const double L = req->domain->length;
    int st;
    if (v_plus && (st = targets_sorted(s, req->y, req->m)))
        return st;
    size_t need = req->n > req->nq ? req->n : req->nq;
    if (v_minus && (st = grow_keys(&s->qkeys, &s->qkeys_cap, need)))
        return st;
    if (v_minus && req->q != req->x && (st = sorted_keys(s, req->q, req->nq, s->qkeys)))
        return st;
    if ((st = ensure(s, need)))
        return st;
    /* the evaluation points' order, left in s->a */
    for (size_t i = 0; i < req->n; i++)
        s->a[i] = (keyed){key_of(req->x[i]), i};
    radix_sort(s->a, s->b, req->n, s->count);
    if (v_plus)
        field_from_ranks(s, req->x, req->n, s->targets, s->targets_m, s->targets_mean, L,
                         (double)req->m, v_plus);
    if (v_minus) {
        if (req->q == req->x) /* q is x: its keys in sorted order are the ones just sorted */
            for (size_t r = 0; r < req->n; r++)
                s->qkeys[r] = s->a[r].key;
        field_from_ranks(s, req->x, req->n, s->qkeys, req->nq, mean_of(req->q, req->nq), L,
                         (double)(req->nq - (req->self_mask ? 1 : 0)), v_minus);
    }
    return DL_OK;
}

static void coulomb_fix_targets(dl_engine *engine, const double *y, size_t m)
{
    coulomb_state *s = engine->state;
    s->fixed_y = y;
    s->fixed_m = m;
    s->targets_valid = 0;
}

static void coulomb_destroy(dl_engine *engine)
{
    if (!engine)
        return;
    coulomb_state *s = engine->state;
    if (s) {
        free(s->a), free(s->b), free(s->targets), free(s->qkeys);
        free(s);
    }
    free(engine);
}

static const dl_engine_ops coulomb_ops = {"coulomb", coulomb_drift, coulomb_destroy,
                                          coulomb_fix_targets};

int dl_engine_coulomb_create(dl_engine **engine)
{
    dl_engine *e = calloc(1, sizeof *e);
    coulomb_state *s = e ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        free(e);
        return dl_error(DL_ENOMEM, "coulomb engine: out of memory");
    }
    e->ops = &coulomb_ops;
    e->state = s;
    *engine = e;
    return DL_OK;
}
