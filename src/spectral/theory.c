#include "spectral/theory.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

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
    if (!(eps > 0 && eps < 1))
        return dl_error(DL_EINVAL, "theory: eps must be in (0, 1), got %g", eps);
    double target = log(eps), lo = 0, hi = 1, v;
    int st;
    /* the log-amplitude only decreases: bracket, then bisect */
    for (;;) {
        if ((st = dl_theory_log_amplitude(k, s, kmag, dim, hi, &v)))
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
        if ((st = dl_theory_log_amplitude(k, s, kmag, dim, mid, &v)))
            return st;
        if (v <= target)
            hi = mid;
        else
            lo = mid;
    }
    *t = 0.5 * (lo + hi);
    return DL_OK;
}
