#include "spectral/theory.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_multimin.h>

#include "base/dl_error.h"

int dl_theory_rate(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma)
{
    return dl_kernel_rate(k, kmag, sigma, dim, gamma);
}

/* ---------------- quadrature of the Fourier integral ---------------- */

typedef struct {
    const dl_kernel *k;
    double sigma;
    int dim;
    int power;  /* integrand carries x^power */
    double x;   /* d = 2: the slice */
} radial_ctx;

static double kernel_at(const radial_ctx *c, double r)
{
    return exp(c->k->log_value(c->k, r * r, c->sigma, c->dim));
}

static double radial_integrand(double r, void *p)
{
    const radial_ctx *c = p;
    return pow(r, c->power) * kernel_at(c, r);
}

/* d = 2, Cartesian: g(x) = 2 int_0^inf k(sqrt(x^2 + y^2)) dy */
static double slice_integrand(double y, void *p)
{
    const radial_ctx *c = p;
    return 2.0 * kernel_at(c, hypot(c->x, y));
}

static double slice(double x, void *p)
{
    radial_ctx c = *(const radial_ctx *)p;
    c.x = x;
    gsl_function f = {slice_integrand, &c};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    double result = NAN, err;
    if (w)
        gsl_integration_qagiu(&f, 0, 1e-14, 1e-12, 2000, w, &result, &err);
    gsl_integration_workspace_free(w);
    return pow(x, ((const radial_ctx *)p)->power) * result;
}

/* int_0^inf f(x) {cos, sin}(k x) dx, or int_0^inf f when k = 0 */
static int oscillatory(gsl_function *f, double kmag, int use_sine, double *out)
{
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(4000);
    gsl_integration_workspace *cw = gsl_integration_workspace_alloc(4000);
    gsl_integration_qawo_table *t =
        kmag > 0 ? gsl_integration_qawo_table_alloc(kmag, 1,
                                                   use_sine ? GSL_INTEG_SINE : GSL_INTEG_COSINE, 50)
                 : NULL;
    int st = GSL_ENOMEM;
    double err;
    if (w && cw && (t || kmag == 0))
        st = kmag > 0 ? gsl_integration_qawf(f, 0, 1e-13, 4000, w, cw, t, out, &err)
                      : gsl_integration_qagiu(f, 0, 1e-14, 1e-12, 4000, w, out, &err);
    if (t)
        gsl_integration_qawo_table_free(t);
    gsl_integration_workspace_free(w);
    gsl_integration_workspace_free(cw);
    gsl_set_error_handler(old);
    /* GSL_EROUND means the requested tolerance was beyond double precision,
     * with the estimate already at that limit. */
    if (st && st != GSL_EROUND)
        return dl_error(DL_ENUMERIC, "theory: Fourier quadrature failed (%s) at k = %g",
                        gsl_strerror(st), kmag);
    return DL_OK;
}

/* khat(k) (which = 0) or its derivative d khat / dk (which = 1) */
static int fourier_quadrature(const dl_kernel *k, double kmag, double sigma, int dim, int which,
                              double *out)
{
    if (dim < 1 || dim > 3)
        return dl_error(DL_EUNSUPPORTED, "theory: numerical transforms cover d = 1, 2, 3, not %d",
                        dim);
    if (!(sigma > 0) || !(kmag >= 0))
        return dl_error(DL_EINVAL, "theory: need sigma > 0 and |k| >= 0");
    radial_ctx c = {k, sigma, dim, 0, 0};
    gsl_function f = {radial_integrand, &c};
    double v;
    int st;
    if (dim == 1) {
        /* khat = 2 int k cos;  khat' = -2 int x k sin */
        c.power = which;
        if ((st = oscillatory(&f, kmag, which, &v)))
            return st;
        *out = which ? -2.0 * v : 2.0 * v;
    } else if (dim == 2) {
        f.function = slice;
        c.power = which;
        if ((st = oscillatory(&f, kmag, which, &v)))
            return st;
        *out = which ? -2.0 * v : 2.0 * v;
    } else {
        if (kmag == 0) {
            c.power = 2;
            if ((st = oscillatory(&f, 0, 0, &v)))
                return st;
            *out = which ? 0.0 : 4.0 * M_PI * v;
            return DL_OK;
        }
        /* khat = (4 pi / k) int r k sin;  khat' = -khat / k + (4 pi / k) int r^2 k cos */
        double s1, c2;
        c.power = 1;
        if ((st = oscillatory(&f, kmag, 1, &s1)))
            return st;
        double khat = 4.0 * M_PI * s1 / kmag;
        if (!which) {
            *out = khat;
            return DL_OK;
        }
        c.power = 2;
        if ((st = oscillatory(&f, kmag, 0, &c2)))
            return st;
        *out = -khat / kmag + 4.0 * M_PI * c2 / kmag;
    }
    return DL_OK;
}

int dl_theory_fourier_numeric(const dl_kernel *k, double kmag, double sigma, int dim, double *khat)
{
    return fourier_quadrature(k, fabs(kmag), sigma, dim, 0, khat);
}

int dl_theory_rate_numeric(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma)
{
    double k0 = NAN, dk = NAN;
    int st = fourier_quadrature(k, 0, sigma, dim, 0, &k0);
    if (!st)
        st = fourier_quadrature(k, fabs(kmag), sigma, dim, 1, &dk);
    if (st)
        return st;
    *gamma = -fabs(kmag) * dk / k0;
    return DL_OK;
}

/* ---------------- along a schedule ---------------- */

static double kappa(const dl_kernel *k, double s, int dim)
{
    /* khat(s / sigma) / khat(0) with sigma = 1 */
    return k->fourier(k, s, 1.0, dim) / k->fourier(k, 0.0, 1.0, dim);
}

typedef struct {
    const dl_kernel *k;
    const dl_schedule *s;
    double kmag;
    int dim;
} path_ctx;

static double rate_along(double t, void *p)
{
    const path_ctx *c = p;
    return c->k->rate(c->k, c->kmag * dl_schedule_sigma(c->s, t), c->dim);
}

int dl_theory_log_amplitude_numeric(const dl_kernel *k, const dl_schedule *s, double kmag,
                                    int dim, double t, double *log_ratio)
{
    if (!k->rate)
        return dl_error(DL_EUNSUPPORTED, "theory: kernel '%s' has no rate", k->name);
    if (!(t >= 0))
        return dl_error(DL_EINVAL, "theory: time must be >= 0, got %g", t);
    path_ctx c = {k, s, fabs(kmag), dim};
    gsl_function f = {rate_along, &c};
    /* split where the schedule has kinks: the exp floor and the cosine end */
    double breaks[3] = {0, t, t};
    int nb = 2;
    double kink = s->kind == DL_SCHEDULE_EXP ? log(s->sigma0 / s->sigma_min) / s->rate
                  : s->kind == DL_SCHEDULE_COSINE ? s->duration
                                                 : -1;
    if (kink > 0 && kink < t) {
        breaks[1] = kink;
        nb = 3;
    }
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    double total = 0;
    int st = w ? GSL_SUCCESS : GSL_ENOMEM;
    for (int i = 0; i + 1 < nb && !st; i++) {
        double v, err;
        st = gsl_integration_qag(&f, breaks[i], breaks[i + 1], 1e-14, 1e-12, 2000,
                                 GSL_INTEG_GAUSS61, w, &v, &err);
        if (st == GSL_EROUND)
            st = GSL_SUCCESS;
        total += v;
    }
    gsl_integration_workspace_free(w);
    gsl_set_error_handler(old);
    if (st)
        return dl_error(DL_ENUMERIC, "theory: rate integral failed (%s)", gsl_strerror(st));
    *log_ratio = -total;
    return DL_OK;
}

int dl_theory_log_amplitude(const dl_kernel *k, const dl_schedule *s, double kmag, int dim,
                            double t, double *log_ratio)
{
    if (!k->rate)
        return dl_error(DL_EUNSUPPORTED, "theory: kernel '%s' has no rate", k->name);
    if (!(t >= 0))
        return dl_error(DL_EINVAL, "theory: time must be >= 0, got %g", t);
    kmag = fabs(kmag);
    if (s->kind == DL_SCHEDULE_CONSTANT) {
        *log_ratio = -k->rate(k, kmag * s->sigma0, dim) * t;
        return DL_OK;
    }
    if (s->kind != DL_SCHEDULE_EXP)
        return dl_theory_log_amplitude_numeric(k, s, kmag, dim, t, log_ratio);
    double t_floor = log(s->sigma0 / s->sigma_min) / s->rate, te = fmin(t, t_floor);
    double s0 = kmag * s->sigma0, st = kmag * s->sigma0 * exp(-s->rate * te);
    double v = -(kappa(k, st, dim) - kappa(k, s0, dim)) / s->rate;
    if (t > t_floor)
        v -= k->rate(k, kmag * s->sigma_min, dim) * (t - t_floor);
    *log_ratio = v;
    return DL_OK;
}

int dl_theory_damping_time(const dl_kernel *k, const dl_schedule *s, double kmag, int dim,
                           double eps, double *t)
{
    const dl_theory_model m = {k, DL_OPERATOR_MEANSHIFT, dim, 1.0};
    return dl_theory_model_damping_time(&m, s, kmag, eps, t);
}

/* ---------------- every kernel and operator ---------------- */

int dl_theory_model_check(const dl_theory_model *m)
{
    int st = dl_kernel_check_dim(m->kernel, m->dim);
    if (!st)
        st = dl_operator_check(m->op, m->kernel, 1);
    if (st)
        return st;
    if (m->op == DL_OPERATOR_MMD && !(m->rho0 > 0 && isfinite(m->rho0)))
        return dl_error(DL_EINVAL, "theory: the MMD flow needs the density rho0 = 1/L^d > 0, got %g",
                        m->rho0);
    if (isnan(m->kernel->fourier(m->kernel, 1.0, 1.0, m->dim)))
        return dl_error(DL_EUNSUPPORTED, "theory: kernel '%s' has no closed-form transform in %d-D",
                        m->kernel->name, m->dim);
    return DL_OK;
}

int dl_theory_model_rate(const dl_theory_model *m, double kmag, double sigma, double *gamma)
{
    int st = dl_theory_model_check(m);
    if (st)
        return st;
    if (m->op == DL_OPERATOR_MEANSHIFT)
        return dl_kernel_rate(m->kernel, kmag, sigma, m->dim, gamma);
    *gamma = m->rho0 * kmag * kmag * m->kernel->fourier(m->kernel, fabs(kmag), sigma, m->dim);
    return DL_OK;
}

int dl_theory_model_rate_numeric(const dl_theory_model *m, double kmag, double sigma,
                                 double *gamma)
{
    int st = dl_theory_model_check(m);
    if (st)
        return st;
    if (m->op == DL_OPERATOR_MEANSHIFT)
        return dl_theory_rate_numeric(m->kernel, kmag, sigma, m->dim, gamma);
    double khat = NAN;
    if (m->kernel->flags & DL_KERNEL_COULOMB)
        khat = 1.0 / (kmag * kmag); /* a distribution: no integral to take */
    else if ((st = dl_theory_fourier_numeric(m->kernel, kmag, sigma, m->dim, &khat)))
        return st;
    *gamma = m->rho0 * kmag * kmag * khat;
    return DL_OK;
}

typedef struct {
    const dl_theory_model *m;
    const dl_schedule *s;
    double kmag;
} model_path;

static double model_rate_along(double t, void *p)
{
    const model_path *c = p;
    double g = NAN;
    dl_theory_model_rate(c->m, c->kmag, dl_schedule_sigma(c->s, t), &g);
    return g;
}

static int integrate_rate(const model_path *c, double t, double *log_ratio)
{
    gsl_function f = {model_rate_along, (void *)c};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    double v = NAN, err;
    int st = w ? gsl_integration_qag(&f, 0, t, 1e-14, 1e-10, 2000, GSL_INTEG_GAUSS61, w, &v, &err)
               : GSL_ENOMEM;
    gsl_integration_workspace_free(w);
    gsl_set_error_handler(old);
    if (st && st != GSL_EROUND)
        return dl_error(DL_ENUMERIC, "theory: rate integral failed (%s)", gsl_strerror(st));
    *log_ratio = -v;
    return DL_OK;
}

int dl_theory_model_log_amplitude(const dl_theory_model *m, const dl_schedule *s, double kmag,
                                  double t, double *log_ratio)
{
    int st = dl_theory_model_check(m);
    if (st)
        return st;
    if (!(t >= 0))
        return dl_error(DL_EINVAL, "theory: time must be >= 0, got %g", t);
    if (m->op == DL_OPERATOR_MEANSHIFT && s->kind != DL_SCHEDULE_TABLE)
        return dl_theory_log_amplitude(m->kernel, s, kmag, m->dim, t, log_ratio);
    if (s->kind == DL_SCHEDULE_CONSTANT || (m->kernel->flags & DL_KERNEL_COULOMB)) {
        double g;
        if ((st = dl_theory_model_rate(m, kmag, s->sigma0, &g)))
            return st;
        *log_ratio = -g * t;
        return DL_OK;
    }
    model_path c = {m, s, fabs(kmag)};
    return integrate_rate(&c, t, log_ratio);
}

int dl_theory_model_damping_time(const dl_theory_model *m, const dl_schedule *s, double kmag,
                                 double eps, double *t)
{
    if (!(eps > 0 && eps < 1))
        return dl_error(DL_EINVAL, "theory: eps must be in (0, 1), got %g", eps);
    double target = log(eps), lo = 0, hi = 1, v;
    int st;
    for (;;) { /* the log-amplitude only decreases: bracket, then bisect */
        if ((st = dl_theory_model_log_amplitude(m, s, kmag, hi, &v)))
            return st;
        if (v <= target)
            break;
        lo = hi;
        hi *= 2;
        if (hi > 1e300) {
            *t = INFINITY;
            return DL_OK;
        }
    }
    for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if ((st = dl_theory_model_log_amplitude(m, s, kmag, mid, &v)))
            return st;
        if (v <= target)
            hi = mid;
        else
            lo = mid;
    }
    *t = 0.5 * (lo + hi);
    return DL_OK;
}

/* ---------------- the fastest schedule ---------------- */

typedef struct {
    const dl_theory_model *m;
    double length, eps;
    int kmax, failed;
} optimum_ctx;

/* T_eps over modes 1..kmax under schedule s: the slowest mode's time */
static double slowest_time(const optimum_ctx *c, const dl_schedule *s)
{
    double worst = 0;
    for (int n = 1; n <= c->kmax; n++) {
        double t;
        if (dl_theory_model_damping_time(c->m, s, 2 * M_PI * n / c->length, c->eps, &t))
            return INFINITY;
        worst = fmax(worst, t);
    }
    return worst;
}

/* x = (ln sigma0, ln r, ln ln(sigma0 / sigma_min)): every x is a valid schedule */
static double exp_schedule_time(const gsl_vector *x, void *p)
{
    const optimum_ctx *c = p;
    double s0 = exp(gsl_vector_get(x, 0)), r = exp(gsl_vector_get(x, 1));
    double smin = s0 * exp(-exp(gsl_vector_get(x, 2)));
    dl_schedule s;
    if (!(s0 < 1e3 * c->length) || !(r < 1e3) || !(smin > 1e-6 * c->length) ||
        dl_schedule_init(&s, DL_SCHEDULE_EXP, s0, r, smin, 0))
        return INFINITY;
    return slowest_time(c, &s);
}

static double constant_time(const optimum_ctx *c, double sigma)
{
    dl_schedule s;
    if (dl_schedule_init(&s, DL_SCHEDULE_CONSTANT, sigma, 0, 0, 0))
        return INFINITY;
    return slowest_time(c, &s);
}

/* ln sigma on a grid over [1e-3 L, L], then golden section around the best */
static void best_constant(const optimum_ctx *c, dl_theory_optimum *out)
{
    double best_l = 0, best = INFINITY, lo = log(1e-3 * c->length), hi = log(c->length);
    for (int i = 0; i <= 60; i++) {
        double l = lo + (hi - lo) * i / 60.0, t = constant_time(c, exp(l));
        if (t < best)
            best = t, best_l = l;
    }
    double a = best_l - (hi - lo) / 60.0, b = best_l + (hi - lo) / 60.0;
    const double phi = 0.5 * (sqrt(5.0) - 1.0);
    for (int it = 0; it < 60; it++) {
        double u = b - phi * (b - a), v = a + phi * (b - a);
        if (constant_time(c, exp(u)) < constant_time(c, exp(v)))
            b = v;
        else
            a = u;
    }
    out->const_sigma = exp(0.5 * (a + b));
    out->const_time = constant_time(c, out->const_sigma);
}

static double simplex_from(const optimum_ctx *c, const double start[3], gsl_vector *best)
{
    gsl_multimin_function f = {exp_schedule_time, 3, (void *)c};
    gsl_vector *x = gsl_vector_alloc(3), *step = gsl_vector_alloc(3);
    gsl_multimin_fminimizer *mm = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, 3);
    double value = INFINITY;
    if (x && step && mm) {
        for (int i = 0; i < 3; i++)
            gsl_vector_set(x, i, start[i]), gsl_vector_set(step, i, 0.5);
        gsl_multimin_fminimizer_set(mm, &f, x, step);
        for (int it = 0; it < 400; it++) {
            if (gsl_multimin_fminimizer_iterate(mm))
                break;
            if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(mm), 1e-6) == GSL_SUCCESS)
                break;
        }
        value = mm->fval;
        gsl_vector_memcpy(best, mm->x);
    }
    gsl_multimin_fminimizer_free(mm);
    gsl_vector_free(x), gsl_vector_free(step);
    return value;
}

int dl_theory_optimize_schedule(const dl_theory_model *m, double length, int kmax, double eps,
                                dl_theory_optimum *out)
{
    int st = dl_theory_model_check(m);
    if (st)
        return st;
    if (kmax < 1)
        return dl_error(DL_EINVAL, "--optimize-schedule needs kmax >= 1, got %d", kmax);
    if (!(eps > 0 && eps < 1))
        return dl_error(DL_EINVAL, "--optimize-schedule needs eps in (0, 1), got %g", eps);
    if (!(length > 0 && isfinite(length)))
        return dl_error(DL_EINVAL, "--optimize-schedule needs a torus length > 0, got %g", length);
    optimum_ctx c = {m, length, eps, kmax, 0};
    gsl_vector *x = gsl_vector_alloc(3), *best_x = gsl_vector_alloc(3);
    if (!x || !best_x) {
        gsl_vector_free(x), gsl_vector_free(best_x);
        return dl_error(DL_ENOMEM, "theory: out of memory");
    }
    /* starts: sigma0 covering the lowest mode, a floor near the highest, a few depths */
    double best = INFINITY;
    const double k1 = 2 * M_PI / length, kK = k1 * kmax;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double start[3] = {log((1.0 + a) / k1), log(0.05 * (b * 3 + 1)),
                               log(log(fmax(1.5, (1.0 + a) * kK / k1)))};
            double v = simplex_from(&c, start, x);
            if (v < best) {
                best = v;
                gsl_vector_memcpy(best_x, x);
            }
        }
    if (!isfinite(best)) {
        gsl_vector_free(x), gsl_vector_free(best_x);
        return dl_error(DL_ENUMERIC, "theory: no exp schedule damps modes 1..%d by %g", kmax, eps);
    }
    double s0 = exp(gsl_vector_get(best_x, 0)), r = exp(gsl_vector_get(best_x, 1));
    st = dl_schedule_init(&out->schedule, DL_SCHEDULE_EXP, s0, r,
                          s0 * exp(-exp(gsl_vector_get(best_x, 2))), 0);
    out->time = best;
    gsl_vector_free(x), gsl_vector_free(best_x);
    if (!st)
        best_constant(&c, out);
    return st;
}
