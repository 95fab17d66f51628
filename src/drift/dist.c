#include "drift/dist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "base/dl_error.h"
#include "base/parse.h"

static const char *const kind_names[] = {"uniform",      "modes",     "normal", "gmm",
                                         "8gaussians",   "checkerboard", "swissroll",
                                         "moons",        "rings",     "file"};
#define N_KINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

const char *dl_dist_kind_name(dl_dist_kind kind)
{
    return (int)kind >= 0 && (int)kind < N_KINDS ? kind_names[kind] : "?";
}

const char *dl_dist_kind_names(void)
{
    return "uniform, modes, normal, gmm, 8gaussians, checkerboard, swissroll, moons, rings, "
           "file:PATH";
}

int dl_dist_kind_parse(const char *name, dl_dist_kind *kind)
{
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *kind = (dl_dist_kind)i;
            return DL_OK;
        }
    return dl_error(DL_EINVAL, "unknown distribution '%s' (known: %s)", name,
                    dl_dist_kind_names());
}

static int parse_double_token(const char *s, const char *end, double *out)
{
    return dl_parse_double_span(s, (size_t)(end - s), out);
}

static int parse_int_token(const char *s, const char *end, int *out)
{
    long v;
    if (dl_parse_long_span(s, (size_t)(end - s), -1000000, 1000000, &v))
        return -1;
    *out = (int)v;
    return 0;
}

int dl_dist_set_modes(dl_dist *d, int dim, const char *modes, const char *amps)
{
    d->n_modes = 0;
    const char *p = modes;
    if (!p || !*p)
        return dl_error(DL_EINVAL, "mode list is empty");
    while (*p) {
        if (d->n_modes == DL_MAX_MODES)
            return dl_error(DL_EINVAL, "more than %d modes in '%s'", DL_MAX_MODES, modes);
        const char *end = p + strcspn(p, ",");
        const char *q = p;
        int nonzero = 0;
        for (int c = 0; c < dim; c++) {
            const char *stop = q + strcspn(q, ":,");
            if (stop > end)
                stop = end;
            if (parse_int_token(q, stop, &d->mode[d->n_modes][c]))
                return dl_error(DL_EINVAL,
                                "bad mode '%.*s' in '%s': expected %d integer(s) joined by ':'",
                                (int)(end - p), p, modes, dim);
            nonzero |= d->mode[d->n_modes][c] != 0;
            q = stop;
            if (c < dim - 1) {
                if (*q != ':')
                    return dl_error(DL_EINVAL,
                                    "bad mode '%.*s' in '%s': a %d-D mode needs %d integers "
                                    "joined by ':'",
                                    (int)(end - p), p, modes, dim, dim);
                q++;
            }
        }
        if (q != end)
            return dl_error(DL_EINVAL, "bad mode '%.*s' in '%s': too many components",
                            (int)(end - p), p, modes);
        if (!nonzero)
            return dl_error(DL_EINVAL, "mode list '%s' contains the zero mode", modes);
        d->n_modes++;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return dl_error(DL_EINVAL, "mode list '%s' ends with a comma", modes);
    }
    /* amplitudes: one for all, or one per mode */
    if (!amps || !*amps)
        return dl_error(DL_EINVAL, "amplitude list is empty");
    int n_amp = 0;
    p = amps;
    double sum_abs = 0;
    while (*p) {
        const char *end = p + strcspn(p, ",");
        if (n_amp == DL_MAX_MODES || parse_double_token(p, end, &d->amp[n_amp]))
            return dl_error(DL_EINVAL, "bad amplitude '%.*s' in '%s'", (int)(end - p), p, amps);
        n_amp++;
        p = *end ? end + 1 : end;
    }
    if (n_amp == 1)
        for (int i = 1; i < d->n_modes; i++)
            d->amp[i] = d->amp[0];
    else if (n_amp != d->n_modes)
        return dl_error(DL_EINVAL, "%d amplitudes given for %d modes", n_amp, d->n_modes);
    for (int i = 0; i < d->n_modes; i++)
        sum_abs += fabs(d->amp[i]);
    if (sum_abs >= 1.0)
        return dl_error(DL_EINVAL,
                        "mode amplitudes sum to %g in absolute value; the density "
                        "1 + sum a_k cos(k.x) must stay positive (need < 1)",
                        sum_abs);
    return DL_OK;
}

int dl_dist_set_gmm(dl_dist *d, int dim, const char *spec)
{
    d->n_components = 0;
    if (!spec || !*spec)
        return dl_error(DL_EINVAL, "mixture specification is empty");
    const char *p = spec;
    double total = 0;
    while (*p) {
        if (d->n_components == DL_MAX_COMPONENTS)
            return dl_error(DL_EINVAL, "more than %d mixture components", DL_MAX_COMPONENTS);
        const char *end = p + strcspn(p, ";");
        dl_gmm_component *c = &d->component[d->n_components];
        const char *at = memchr(p, '@', (size_t)(end - p));
        const char *slash = at ? memchr(at, '/', (size_t)(end - at)) : NULL;
        if (!at || !slash || parse_double_token(p, at, &c->weight) ||
            parse_double_token(slash + 1, end, &c->std))
            return dl_error(DL_EINVAL,
                            "bad mixture component '%.*s': expected weight@m1,...,m%d/std",
                            (int)(end - p), p, dim);
        const char *q = at + 1;
        for (int k = 0; k < dim; k++) {
            const char *stop = q + strcspn(q, ",/");
            if (stop > slash || parse_double_token(q, stop, &c->mean[k]) ||
                (k < dim - 1 && *stop != ','))
                return dl_error(DL_EINVAL, "bad mean in mixture component '%.*s': need %d numbers",
                                (int)(end - p), p, dim);
            q = stop + 1;
        }
        if (q != slash + 1)
            return dl_error(DL_EINVAL, "mixture component '%.*s' has more than %d mean values",
                            (int)(end - p), p, dim);
        if (!(c->weight > 0) || !(c->std > 0))
            return dl_error(DL_EINVAL, "mixture component '%.*s': weight and std must be > 0",
                            (int)(end - p), p);
        total += c->weight;
        d->n_components++;
        p = *end ? end + 1 : end;
    }
    if (!isfinite(total))
        return dl_error(DL_EINVAL, "mixture weights in '%s' sum past the largest double", spec);
    for (int i = 0; i < d->n_components; i++)
        d->component[i].weight /= total;
    return DL_OK;
}

int dl_dist_validate(const dl_dist *d, const dl_domain *dom, size_t count)
{
    if (count == 0)
        return dl_error(DL_EINVAL, "distribution '%s': sample count must be positive",
                        dl_dist_kind_name(d->kind));
    switch (d->kind) {
    case DL_DIST_UNIFORM:
    case DL_DIST_MODES:
        if (dom->kind != DL_DOMAIN_TORUS)
            return dl_error(DL_EINVAL, "distribution '%s' needs the torus domain",
                            dl_dist_kind_name(d->kind));
        if (d->kind == DL_DIST_MODES && d->n_modes == 0)
            return dl_error(DL_EINVAL, "distribution 'modes' needs a mode list");
        if (d->quiet && dom->dim > 1) {
            double side = round(pow((double)count, 1.0 / dom->dim));
            if (pow(side, dom->dim) != (double)count)
                return dl_error(DL_EINVAL,
                                "a %d-D quiet start / lattice needs a perfect %d-th power of "
                                "points, got %zu",
                                dom->dim, dom->dim, count);
        }
        return DL_OK;
    case DL_DIST_8GAUSSIANS:
    case DL_DIST_CHECKERBOARD:
    case DL_DIST_SWISSROLL:
    case DL_DIST_MOONS:
    case DL_DIST_RINGS:
        if (dom->dim != 2)
            return dl_error(DL_EINVAL, "toy distribution '%s' is 2-D, but dim is %d",
                            dl_dist_kind_name(d->kind), dom->dim);
        return DL_OK;
    case DL_DIST_NORMAL:
        if (!(d->std > 0) || !isfinite(d->std))
            return dl_error(DL_EINVAL, "normal distribution needs std > 0, got %g", d->std);
        return DL_OK;
    case DL_DIST_GMM:
        if (d->n_components == 0)
            return dl_error(DL_EINVAL, "distribution 'gmm' needs a mixture specification");
        return DL_OK;
    case DL_DIST_FILE:
        return dl_error(DL_EINVAL, "file samples are read with dl_samples_read, not sampled");
    }
    return dl_error(DL_EINVAL, "unknown distribution kind %d", (int)d->kind);
}

/* ---------- torus: trigonometric densities ---------- */

/* Unnormalised conditional CDF of coordinate c at x, given the phases of the
 * earlier coordinates.  Only modes whose later components vanish survive the
 * marginalisation over coordinates after c. */
static double conditional_cdf(const dl_dist *d, const dl_domain *dom, int c, const double *phase,
                              double x)
{
    double kunit = 2.0 * M_PI / dom->length, F = x;
    for (int m = 0; m < d->n_modes; m++) {
        int later = 0;
        for (int j = c + 1; j < dom->dim; j++)
            later |= d->mode[m][j] != 0;
        if (later)
            continue;
        double kap = kunit * d->mode[m][c];
        if (d->mode[m][c] == 0)
            F += d->amp[m] * x * cos(phase[m]);
        else
            F += d->amp[m] * (sin(phase[m] + kap * x) - sin(phase[m])) / kap;
    }
    return F;
}

/* Solve F(x) = u F(L) on [0, L) by bisection (F is increasing because the
 * density is positive); 200 halvings reach the double-precision limit. */
static double invert_cdf(const dl_dist *d, const dl_domain *dom, int c, const double *phase,
                         double u)
{
    double lo = 0, hi = dom->length;
    double target = u * conditional_cdf(d, dom, c, phase, dom->length);
    for (int it = 0; it < 200 && hi - lo > 1e-15 * dom->length; it++) {
        double mid = 0.5 * (lo + hi);
        if (conditional_cdf(d, dom, c, phase, mid) < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* lattice points [begin, end) of count, into out[(i - begin) * dim] */
static void sample_trig_quiet(const dl_dist *d, const dl_domain *dom, size_t count, size_t begin,
                              size_t end, double *out)
{
    const int dim = dom->dim;
    size_t side = dim == 1 ? count : (size_t)llround(pow((double)count, 1.0 / dim));
    double kunit = 2.0 * M_PI / dom->length;
    out -= begin * dim;
    for (size_t i = begin; i < end; i++) {
        double phase[DL_MAX_MODES] = {0};
        size_t rest = i;
        for (int c = 0; c < dim; c++) {
            size_t idx = rest % side;
            rest /= side;
            double u = (idx + 0.5) / side;
            double x = invert_cdf(d, dom, c, phase, u);
            out[i * dim + c] = x;
            for (int m = 0; m < d->n_modes; m++)
                phase[m] += kunit * d->mode[m][c] * x;
        }
    }
}

static void sample_trig_iid(const dl_dist *d, const dl_domain *dom, size_t count, gsl_rng *rng,
                            double *out)
{
    const int dim = dom->dim;
    double bound = 1.0, kunit = 2.0 * M_PI / dom->length;
    for (int m = 0; m < d->n_modes; m++)
        bound += fabs(d->amp[m]);
    for (size_t i = 0; i < count; i++) {
        for (;;) {
            double *x = out + i * dim, dens = 1.0;
            for (int c = 0; c < dim; c++)
                x[c] = dom->length * gsl_rng_uniform(rng);
            for (int m = 0; m < d->n_modes; m++) {
                double ph = 0;
                for (int c = 0; c < dim; c++)
                    ph += kunit * d->mode[m][c] * x[c];
                dens += d->amp[m] * cos(ph);
            }
            if (gsl_rng_uniform(rng) * bound < dens)
                break;
        }
    }
}

/* ---------- R^d ---------- */

static size_t pick_component(const dl_dist *d, gsl_rng *rng)
{
    double u = gsl_rng_uniform(rng), acc = 0;
    for (int c = 0; c < d->n_components; c++) {
        acc += d->component[c].weight;
        if (u < acc)
            return (size_t)c;
    }
    return (size_t)(d->n_components - 1);
}

/* The 2-D toys.  Scales are chosen so each set fits in about [-2.5, 2.5]^2;
 * README.md documents them. */
static void sample_toy(dl_dist_kind kind, gsl_rng *rng, double *p)
{
    switch (kind) {
    case DL_DIST_8GAUSSIANS: {
        double a = 2.0 * M_PI * (double)gsl_rng_uniform_int(rng, 8) / 8.0;
        p[0] = 2.0 * cos(a) + gsl_ran_gaussian(rng, 0.1);
        p[1] = 2.0 * sin(a) + gsl_ran_gaussian(rng, 0.1);
        break;
    }
    case DL_DIST_CHECKERBOARD: {
        /* 8 of the 16 unit cells of [-2, 2]^2: those with (col + row) even */
        unsigned long cell = gsl_rng_uniform_int(rng, 8);
        int row = (int)(cell / 2), col = 2 * (int)(cell % 2) + (row % 2);
        p[0] = -2.0 + col + gsl_rng_uniform(rng);
        p[1] = -2.0 + row + gsl_rng_uniform(rng);
        break;
    }
    case DL_DIST_SWISSROLL: {
        double t = 1.5 * M_PI * (1.0 + 2.0 * gsl_rng_uniform(rng));
        p[0] = t * cos(t) / 5.0 + gsl_ran_gaussian(rng, 0.05);
        p[1] = t * sin(t) / 5.0 + gsl_ran_gaussian(rng, 0.05);
        break;
    }
    case DL_DIST_MOONS: {
        double a = M_PI * gsl_rng_uniform(rng);
        if (gsl_rng_uniform(rng) < 0.5) {
            p[0] = cos(a);
            p[1] = sin(a);
        } else {
            p[0] = 1.0 - cos(a);
            p[1] = 0.5 - sin(a);
        }
        p[0] = 1.5 * (p[0] - 0.5) + gsl_ran_gaussian(rng, 0.05);
        p[1] = 1.5 * (p[1] - 0.25) + gsl_ran_gaussian(rng, 0.05);
        break;
    }
    case DL_DIST_RINGS: {
        /* radii 0.5, 1, 1.5, 2 with mass proportional to circumference */
        double u = 10.0 * gsl_rng_uniform(rng);
        double radius = u < 1 ? 0.5 : u < 3 ? 1.0 : u < 6 ? 1.5 : 2.0;
        double a = 2.0 * M_PI * gsl_rng_uniform(rng);
        p[0] = radius * cos(a) + gsl_ran_gaussian(rng, 0.03);
        p[1] = radius * sin(a) + gsl_ran_gaussian(rng, 0.03);
        break;
    }
    default:
        break;
    }
}

int dl_dist_sample(const dl_dist *d, const dl_domain *dom, size_t count, gsl_rng *rng,
                   double *out)
{
    int st = dl_dist_validate(d, dom, count);
    if (st)
        return st;
    const int dim = dom->dim;
    switch (d->kind) {
    case DL_DIST_UNIFORM:
    case DL_DIST_MODES: {
        dl_dist plain = *d;
        if (d->kind == DL_DIST_UNIFORM)
            plain.n_modes = 0;
        if (d->quiet)
            sample_trig_quiet(&plain, dom, count, 0, count, out);
        else
            sample_trig_iid(&plain, dom, count, rng, out);
        break;
    }
    case DL_DIST_NORMAL:
        for (size_t i = 0; i < count * (size_t)dim; i++)
            out[i] = gsl_ran_gaussian(rng, d->std);
        break;
    case DL_DIST_GMM:
        for (size_t i = 0; i < count; i++) {
            const dl_gmm_component *c = &d->component[pick_component(d, rng)];
            for (int k = 0; k < dim; k++)
                out[i * dim + k] = c->mean[k] + gsl_ran_gaussian(rng, c->std);
        }
        break;
    case DL_DIST_FILE:
        return dl_dist_validate(d, dom, count);
    default:
        for (size_t i = 0; i < count; i++)
            sample_toy(d->kind, rng, out + i * dim);
        break;
    }
    for (size_t i = 0; i < count; i++)
        dl_domain_wrap(dom, out + i * dim);
    return DL_OK;
}

int dl_dist_sample_block(const dl_dist *d, const dl_domain *dom, size_t count, size_t begin,
                         size_t end, gsl_rng *rng, double *out)
{
    if (begin > end || end > count)
        return dl_error(DL_EINVAL, "sample block [%zu, %zu) of %zu points", begin, end, count);
    int st = dl_dist_validate(d, dom, count);
    if (st)
        return st;
    const int dim = dom->dim;
    if (d->quiet && (d->kind == DL_DIST_UNIFORM || d->kind == DL_DIST_MODES)) {
        dl_dist *plain = malloc(sizeof *plain); /* ~1 MB: not on the stack */
        if (!plain)
            return dl_error(DL_ENOMEM, "sample block: out of memory");
        *plain = *d;
        if (d->kind == DL_DIST_UNIFORM)
            plain->n_modes = 0;
        sample_trig_quiet(plain, dom, count, begin, end, out);
        free(plain);
        for (size_t i = 0; i < end - begin; i++)
            dl_domain_wrap(dom, out + i * dim);
        return DL_OK;
    }
    /* iid draws are one point after another: draw every point, in pieces, and
     * keep the block's; the whole stream is consumed, as dl_dist_sample does */
    enum { PIECE = 4096 };
    double *scratch = malloc((size_t)PIECE * dim * sizeof(double));
    if (!scratch)
        return dl_error(DL_ENOMEM, "sample block: out of memory");
    for (size_t at = 0; at < count && !st; at += PIECE) {
        size_t len = count - at < PIECE ? count - at : PIECE;
        if ((st = dl_dist_sample(d, dom, len, rng, scratch)))
            break;
        size_t lo = at > begin ? at : begin, hi = at + len < end ? at + len : end;
        if (lo < hi)
            memcpy(out + (lo - begin) * dim, scratch + (lo - at) * dim, (hi - lo) * dim * sizeof(double));
    }
    free(scratch);
    return st;
}

int dl_gmm_smoothed_score(const dl_dist *gmm, int dim, double sigma, const double *x, double *grad)
{
    if (gmm->kind != DL_DIST_GMM || gmm->n_components == 0)
        return dl_error(DL_EINVAL, "smoothed score: not a Gaussian mixture");
    /* p_sigma = sum_c w_c N(mu_c, (s_c^2 + sigma^2) I); weights in log space */
    double logw[DL_MAX_COMPONENTS], lmax = -INFINITY;
    for (int c = 0; c < gmm->n_components; c++) {
        const dl_gmm_component *cp = &gmm->component[c];
        double v = cp->std * cp->std + sigma * sigma, r2 = 0;
        for (int k = 0; k < dim; k++)
            r2 += (x[k] - cp->mean[k]) * (x[k] - cp->mean[k]);
        logw[c] = log(cp->weight) - 0.5 * dim * log(v) - 0.5 * r2 / v;
        lmax = fmax(lmax, logw[c]);
    }
    double total = 0;
    for (int k = 0; k < dim; k++)
        grad[k] = 0;
    for (int c = 0; c < gmm->n_components; c++) {
        const dl_gmm_component *cp = &gmm->component[c];
        double w = exp(logw[c] - lmax), v = cp->std * cp->std + sigma * sigma;
        total += w;
        for (int k = 0; k < dim; k++)
            grad[k] += w * (cp->mean[k] - x[k]) / v;
    }
    for (int k = 0; k < dim; k++)
        grad[k] /= total;
    return DL_OK;
}
