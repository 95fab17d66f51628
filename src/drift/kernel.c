#include "drift/kernel.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_bessel.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_zeta.h>

#include "base/dl_error.h"
#include "base/parse.h"

/* ln K_nu(x) for nu of either sign (K_-nu = K_nu), x > 0 */
static double ln_bessel_k(double nu, double x)
{
    gsl_sf_result r;
    return gsl_sf_bessel_lnKnu_e(fabs(nu), x, &r) == GSL_SUCCESS ? r.val : NAN;
}

/* the radius where log k falls to log(tol), by bisection: log k decreases in r
 * for every kernel of the table */
static double cutoff_by_bisection(const dl_kernel *k, double sigma, int dim, double tol)
{
    double lo = 0, hi = sigma, want = log(tol);
    while (k->log_value(k, hi * hi, sigma, dim) > want && hi < 1e300)
        hi *= 2;
    for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if (k->log_value(k, mid * mid, sigma, dim) > want)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* ---- Gaussian: k(r) = exp(-r^2 / (2 sigma^2)) ---- */
static double gaussian_log(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)dim;
    return -0.5 * r2 / (sigma * sigma);
}
static double gaussian_fourier(const dl_kernel *k, double kmag, double sigma, int dim)
{
    (void)k;
    return pow(2.0 * M_PI * sigma * sigma, 0.5 * dim) * exp(-0.5 * sigma * sigma * kmag * kmag);
}
static double gaussian_rate(const dl_kernel *k, double s, int dim)
{
    (void)k, (void)dim;
    return s * s * exp(-0.5 * s * s);
}
static double gaussian_cutoff(const dl_kernel *k, double sigma, int dim, double tol)
{
    (void)k, (void)dim;
    return sigma * sqrt(-2.0 * log(tol));
}
static double gaussian_slope(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)r2, (void)dim;
    return -0.5 / (sigma * sigma);
}

/* 1-D periodisation as a direct image sum (a Jacobi theta function has no
 * cheaper closed form): images beyond the point where a term drops below
 * DL_KERNEL_IMAGE_TOL of the nearest image's are left out. */
#define DL_KERNEL_IMAGE_TOL 1e-12
static void gaussian_periodic_1d(const dl_kernel *kern, double r, double sigma, double length,
                                 double shift, double *K, double *M)
{
    (void)kern;
    const double inv = 0.5 / (sigma * sigma);
    const double bound = r * r + (-log(DL_KERNEL_IMAGE_TOL)) / inv;
    double k = 0, m = 0;
    for (int dir = 1; dir >= -1; dir -= 2) /* n = 0, 1, 2, ... then n = -1, -2, ... */
        for (int n = dir > 0 ? 0 : -1;; n += dir) {
            double v = r + n * length;
            if (v * v > bound)
                break;
            double w = exp(-v * v * inv - shift);
            k += w;
            m += w * v;
        }
    *K = k;
    *M = m;
}

/* ---- Laplacian: k(r) = exp(-|r| / sigma), L2 norm not squared ----
 * khat = c_d sigma^d / (1 + sigma^2 k^2)^((d+1)/2), c_d = 2^d pi^((d-1)/2) Gamma((d+1)/2)
 * (the Fourier transform of the Poisson-type kernel; d=1 gives 2 sigma/(1+s^2)). */
static double laplacian_log(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)dim;
    return -sqrt(r2) / sigma;
}
static double laplacian_fourier(const dl_kernel *k, double kmag, double sigma, int dim)
{
    (void)k;
    double cd = pow(2.0, dim) * pow(M_PI, 0.5 * (dim - 1)) * gsl_sf_gamma(0.5 * (dim + 1));
    double s = sigma * kmag;
    return cd * pow(sigma, dim) * pow(1.0 + s * s, -0.5 * (dim + 1));
}
static double laplacian_rate(const dl_kernel *k, double s, int dim)
{
    (void)k;
    return (dim + 1) * s * s * pow(1.0 + s * s, -0.5 * (dim + 3));
}
static double laplacian_cutoff(const dl_kernel *k, double sigma, int dim, double tol)
{
    (void)k, (void)dim;
    return -sigma * log(tol);
}
/* |u| has no derivative at 0: the one-sided limits cancel, so 0 there */
static double laplacian_slope(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)dim;
    return r2 > 0 ? -0.5 / (sigma * sqrt(r2)) : 0.0;
}
/* Geometric series over images, with a = exp(-|r|/sigma), b = exp(-(L-|r|)/sigma),
 * q = exp(-L/sigma):  K = (a + b)/(1 - q),
 *                     M = sign(r) [ |r| (a + b)/(1 - q) + L (q a - b)/(1 - q)^2 ]. */
static void laplacian_periodic_1d(const dl_kernel *kern, double r, double sigma, double length,
                                  double shift, double *K, double *M)
{
    (void)kern;
    /* q depends only on (sigma, L): remembered per thread so the pair loop pays
     * one exp, not two transcendental calls */
    static _Thread_local double last_sigma = -1, last_length = -1, one_minus_q, q;
    if (sigma != last_sigma || length != last_length) {
        one_minus_q = -expm1(-length / sigma);
        q = 1.0 - one_minus_q;
        last_sigma = sigma;
        last_length = length;
    }
    double u = fabs(r);
    double a = exp(-u / sigma - shift);
    /* b = q / a saves an exp on the common unshifted path */
    double b = shift == 0.0 && a > 1e-150 ? q / a : exp(-(length - u) / sigma - shift);
    *K = (a + b) / one_minus_q;
    double m = u * (a + b) / one_minus_q + length * (q * a - b) / (one_minus_q * one_minus_q);
    *M = r < 0 ? -m : m;
}

/* ---- Cauchy: k(r) = (1 + r^2/sigma^2)^(-(d+1)/2) ----
 * The exponent (d+1)/2 makes it the Poisson kernel, integrable in every
 * dimension, with khat = pi^((d+1)/2) / Gamma((d+1)/2) sigma^d exp(-sigma |k|).
 * In d = 1 it is the classic 1 / (1 + r^2/sigma^2), Student-t with beta = 1. */
static double cauchy_log(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k;
    return -0.5 * (dim + 1) * log1p(r2 / (sigma * sigma));
}
static double cauchy_fourier(const dl_kernel *k, double kmag, double sigma, int dim)
{
    (void)k;
    return pow(M_PI, 0.5 * (dim + 1)) / gsl_sf_gamma(0.5 * (dim + 1)) * pow(sigma, dim) *
           exp(-sigma * kmag);
}
static double cauchy_rate(const dl_kernel *k, double s, int dim)
{
    (void)k, (void)dim;
    return s * exp(-s);
}
static double cauchy_cutoff(const dl_kernel *k, double sigma, int dim, double tol)
{
    (void)k;
    return sigma * sqrt(pow(tol, -2.0 / (dim + 1)) - 1.0);
}
static double cauchy_slope(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k;
    return -0.5 * (dim + 1) / (sigma * sigma + r2);
}
/* sum_n 1/(z + nL) = (pi/L) cot(pi z / L) with z = r + i sigma; its imaginary
 * part gives the periodised kernel and its real part the first moment. */
static void cauchy_periodic_1d(const dl_kernel *k, double r, double sigma, double length,
                               double shift, double *K, double *M)
{
    (void)k;
    double complex z = (r + I * sigma) * (M_PI / length);
    double complex c = (M_PI / length) * ccos(z) / csin(z);
    double scale = exp(-shift);
    *K = -sigma * cimag(c) * scale;
    *M = sigma * sigma * creal(c) * scale;
}

/* ---- Matern nu: k(r) = 2^(1-nu)/Gamma(nu) z^nu K_nu(z), z = r / sigma ----
 * nu = 1/2, 3/2, 5/2 in elementary form; other nu through GSL's ln K_nu.
 * khat = (2 sqrt(pi) sigma)^d Gamma(nu + d/2)/Gamma(nu) (1 + S^2)^-(nu + d/2). */
static double matern_log(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)dim;
    const double nu = k->param, z = sqrt(r2) / sigma;
    if (nu == 0.5)
        return -z;
    if (nu == 1.5)
        return log1p(z) - z;
    if (nu == 2.5)
        return log1p(z + z * z / 3.0) - z;
    if (z == 0)
        return 0.0;
    return (1.0 - nu) * M_LN2 - gsl_sf_lngamma(nu) + nu * log(z) + ln_bessel_k(nu, z);
}
static double matern_fourier(const dl_kernel *k, double kmag, double sigma, int dim)
{
    const double nu = k->param, a = nu + 0.5 * dim, s = sigma * kmag;
    return pow(2.0 * sqrt(M_PI) * sigma, dim) * exp(gsl_sf_lngamma(a) - gsl_sf_lngamma(nu)) *
           pow(1.0 + s * s, -a);
}
static double matern_rate(const dl_kernel *k, double s, int dim)
{
    const double nu = k->param;
    return (2.0 * nu + dim) * s * s * pow(1.0 + s * s, -(nu + 0.5 * dim + 1.0));
}
static double matern_slope(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)dim;
    const double nu = k->param, r = sqrt(r2), z = r / sigma;
    if (nu == 0.5)
        return r > 0 ? -0.5 / (sigma * r) : 0.0;
    if (nu == 1.5)
        return -0.5 / (sigma * sigma * (1.0 + z));
    if (nu == 2.5)
        return -(1.0 + z) / (6.0 * sigma * sigma * (1.0 + z + z * z / 3.0));
    /* d log k / dz = -K_(nu-1)(z) / K_nu(z); at z = 0 its limit over 2 r */
    if (z == 0)
        return nu > 1 ? -0.25 / (sigma * sigma * (nu - 1.0)) : 0.0;
    double ratio = exp(ln_bessel_k(nu - 1.0, z) - ln_bessel_k(nu, z));
    return -ratio / (2.0 * sigma * r);
}
static double matern_cutoff(const dl_kernel *k, double sigma, int dim, double tol)
{
    return cutoff_by_bisection(k, sigma, dim, tol);
}

/* ---- Student-t beta: k(r) = (1 + z^2)^-beta, beta > d/2 ----
 * khat = (2 pi)^(d/2) sigma^d 2^(1-beta)/Gamma(beta) S^(beta-d/2) K_(d/2-beta)(S). */
static double student_log(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)dim;
    return -k->param * log1p(r2 / (sigma * sigma));
}
static double student_fourier(const dl_kernel *k, double kmag, double sigma, int dim)
{
    const double beta = k->param, mu = beta - 0.5 * dim, s = sigma * kmag;
    if (!(mu > 0))
        return NAN;
    const double pre = pow(M_PI, 0.5 * dim) * pow(sigma, dim);
    if (s == 0)
        return pre * exp(gsl_sf_lngamma(mu) - gsl_sf_lngamma(beta));
    /* (2 pi)^(d/2) 2^(1-beta) / Gamma(beta) = pi^(d/2) 2^(1-mu) / Gamma(beta) */
    return pre * exp((1.0 - mu) * M_LN2 - gsl_sf_lngamma(beta) + mu * log(s) + ln_bessel_k(mu, s));
}
static double student_rate(const dl_kernel *k, double s, int dim)
{
    const double mu = k->param - 0.5 * dim;
    if (!(mu > 0))
        return NAN;
    if (s == 0)
        return 0.0;
    return exp((1.0 + mu) * log(s) + ln_bessel_k(1.0 - mu, s) - (mu - 1.0) * M_LN2 -
               gsl_sf_lngamma(mu));
}
static double student_cutoff(const dl_kernel *k, double sigma, int dim, double tol)
{
    (void)dim;
    return sigma * sqrt(expm1(-log(tol) / k->param));
}
static double student_slope(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)dim;
    return -k->param / (sigma * sigma + r2);
}

/* The 1-D periodisation of an algebraic tail: images |n| <= N summed directly,
 * the rest in closed form.  For v > sigma,
 *   (1 + v^2/sigma^2)^-beta = sum_j c_j sigma^(p_j) v^-(p_j),  p_j = 2 beta + 2 j,
 * c_j = binom(-beta, j), and both tails together, expanded in a = r / L < 1/2
 * around the Hurwitz zeta function zeta(s, N + 1), are polynomials in a:
 *   K_tail(a) = sum_{m even} A_m a^m,   M_tail(a) = sum_{m odd} B_m a^m.
 * The coefficients depend on (beta, sigma, L) alone and are kept per thread,
 * so a pair costs 2N + 1 images and two polynomials. */
#define STUDENT_TERMS 48
typedef struct {
    double beta, sigma, length;
    int images;
    double A[STUDENT_TERMS], B[STUDENT_TERMS];
} student_tail;

static void student_tail_make(student_tail *t, double beta, double sigma, double length)
{
    t->beta = beta, t->sigma = sigma, t->length = length;
    /* (N + 1/2) L >= 4 sigma keeps the v-series ratio below 1/16; N >= 2 keeps
     * a / (N + 1) below 1/6 for the a-series */
    int N = (int)ceil(4.0 * sigma / length - 0.5);
    t->images = N < 2 ? 2 : N;
    const double b = t->images + 1.0;
    memset(t->A, 0, sizeof t->A);
    memset(t->B, 0, sizeof t->B);
    double cj = 1.0;
    for (int j = 0; j < 40; j++) {
        const double p = 2.0 * beta + 2.0 * j;
        const double scale = cj * pow(sigma / length, p);
        /* sum over n >= N+1 of k(nL + r) + k(nL - r) and of the moments */
        double pm = 1.0, qm = 1.0; /* (p)_m / m! and (p - 1)_m / m! */
        double largest = 0;
        for (int m = 0; m < STUDENT_TERMS; m++) {
            if (m % 2 == 0) {
                double v = 2.0 * scale * pm * gsl_sf_hzeta(p + m, b);
                t->A[m] += v;
                largest = fmax(largest, fabs(v));
            } else {
                double v = -2.0 * scale * length * qm * gsl_sf_hzeta(p - 1.0 + m, b);
                t->B[m] += v;
                largest = fmax(largest, fabs(v));
            }
            pm *= (p + m) / (m + 1.0);
            qm *= (p - 1.0 + m) / (m + 1.0);
        }
        if (largest < 1e-18 * fabs(t->A[0]) && j > 0)
            break;
        cj *= -(beta + j) / (j + 1.0);
    }
}

static void student_periodic_1d(const dl_kernel *k, double r, double sigma, double length,
                                double shift, double *K, double *M)
{
    static _Thread_local student_tail cache = {.beta = -1};
    if (cache.beta != k->param || cache.sigma != sigma || cache.length != length)
        student_tail_make(&cache, k->param, sigma, length);
    double kk = 0, mm = 0;
    for (int n = -cache.images; n <= cache.images; n++) {
        double v = r + n * length, w = pow(1.0 + v * v / (sigma * sigma), -k->param);
        kk += w;
        mm += w * v;
    }
    const double a = r / length;
    double tk = 0, tm = 0;
    for (int m = STUDENT_TERMS - 1; m >= 0; m--) {
        tk = tk * a + cache.A[m];
        tm = tm * a + cache.B[m];
    }
    double scale = exp(-shift);
    *K = (kk + tk) * scale;
    *M = (mm + tm) * scale;
}

/* ---- sech: k(r) = sech(r / sigma); khat = pi sigma sech(pi S / 2) in d = 1 ---- */
static double sech_log(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)dim;
    double z = sqrt(r2) / sigma;
    return M_LN2 - z - log1p(exp(-2.0 * z));
}
static double sech_fourier(const dl_kernel *k, double kmag, double sigma, int dim)
{
    (void)k;
    return dim == 1 ? M_PI * sigma / cosh(0.5 * M_PI * sigma * kmag) : NAN;
}
static double sech_rate(const dl_kernel *k, double s, int dim)
{
    (void)k;
    double h = 0.5 * M_PI * s;
    return dim == 1 ? h * tanh(h) / cosh(h) : NAN;
}
static double sech_cutoff(const dl_kernel *k, double sigma, int dim, double tol)
{
    (void)k, (void)dim;
    return sigma * log(2.0 / tol);
}
static double sech_slope(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)dim;
    double r = sqrt(r2);
    return r > 0 ? -tanh(r / sigma) / (2.0 * sigma * r) : -0.5 / (sigma * sigma);
}

/* ---- Coulomb: the Laplacian's Green's function, Ghat(k) = 1/|k|^2 ----
 * Not a smoothing kernel: no log-value, no bandwidth; its field is coulomb.h's. */
static double coulomb_log(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)r2, (void)sigma, (void)dim;
    return NAN;
}
static double coulomb_fourier(const dl_kernel *k, double kmag, double sigma, int dim)
{
    (void)k, (void)sigma, (void)dim;
    return 1.0 / (kmag * kmag);
}
static double coulomb_cutoff(const dl_kernel *k, double sigma, int dim, double tol)
{
    (void)k, (void)sigma, (void)dim, (void)tol;
    return INFINITY;
}
static double coulomb_slope(const dl_kernel *k, double r2, double sigma, int dim)
{
    (void)k, (void)r2, (void)sigma, (void)dim;
    return NAN;
}

/* ---------------- the table ---------------- */

typedef struct {
    dl_kernel_family info;
    dl_kernel proto;                 /* the functions; name and param filled per instance */
    int (*param_ok)(double param);   /* NULL: the family takes no parameter */
} family_entry;

static int matern_param_ok(double nu) { return nu >= 0.5 && nu <= 100; }
static int student_param_ok(double beta) { return beta > 0 && beta <= 100; }

#define FNS(p) p##_log, p##_fourier
static const family_entry families[] = {
    {{"gaussian", NULL, NULL, "exp(-|r|^2 / (2 sigma^2))", "gaussian"},
     {NULL, NULL, 0, FNS(gaussian), gaussian_rate, gaussian_cutoff, gaussian_periodic_1d,
      gaussian_slope, 0}, NULL},
    {{"laplacian", NULL, NULL, "exp(-|r| / sigma)", "laplacian"},
     {NULL, NULL, 0, FNS(laplacian), laplacian_rate, laplacian_cutoff, laplacian_periodic_1d,
      laplacian_slope, 0}, NULL},
    {{"cauchy", NULL, NULL, "(1 + |r|^2 / sigma^2)^(-(d+1)/2)", "cauchy"},
     {NULL, NULL, 0, FNS(cauchy), cauchy_rate, cauchy_cutoff, cauchy_periodic_1d, cauchy_slope, 0},
     NULL},
    {{"matern", "nu", "nu >= 0.5 (0.5 is the Laplacian)",
      "2^(1-nu)/Gamma(nu) z^nu K_nu(z), z = |r| / sigma", "matern:1.5"},
     {NULL, NULL, 0, FNS(matern), matern_rate, matern_cutoff, NULL, matern_slope, 0},
     matern_param_ok},
    {{"student", "beta", "beta > d/2 (beta = 1 in d = 1 is the Cauchy kernel)",
      "(1 + |r|^2 / sigma^2)^(-beta)", "student:2"},
     {NULL, NULL, 0, FNS(student), student_rate, student_cutoff, student_periodic_1d,
      student_slope, 0}, student_param_ok},
    {{"sech", NULL, NULL, "sech(|r| / sigma)", "sech"},
     {NULL, NULL, 0, FNS(sech), sech_rate, sech_cutoff, NULL, sech_slope, 0}, NULL},
    {{"coulomb", NULL, NULL, "Green's function of the Laplacian on the torus, Ghat = 1/|k|^2 "
      "(--field mmd only)", "coulomb"},
     {NULL, NULL, 0, FNS(coulomb), NULL, coulomb_cutoff, NULL, coulomb_slope, DL_KERNEL_COULOMB},
     NULL},
};
#undef FNS
#define FAMILY_COUNT (sizeof families / sizeof families[0])

size_t dl_kernel_family_count(void) { return FAMILY_COUNT; }

const dl_kernel_family *dl_kernel_family_at(size_t index)
{
    return index < FAMILY_COUNT ? &families[index].info : NULL;
}

/* Every distinct kernel the process has named, kept for its life so that
 * const pointers stay valid; a bounded pool, as a server must not grow
 * without limit on the names it is sent. */
#define KERNEL_POOL 512
typedef struct {
    dl_kernel kernel;
    char name[40];
} pooled_kernel;
static pooled_kernel pool[KERNEL_POOL];
static size_t pool_used;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static const dl_kernel *pool_get(const family_entry *f, const char *name, double param)
{
    const dl_kernel *found = NULL;
    pthread_mutex_lock(&pool_lock);
    for (size_t i = 0; i < pool_used && !found; i++)
        if (!strcmp(pool[i].name, name))
            found = &pool[i].kernel;
    if (!found && pool_used < KERNEL_POOL) {
        pooled_kernel *p = &pool[pool_used];
        snprintf(p->name, sizeof p->name, "%s", name);
        p->kernel = f->proto;
        p->kernel.name = p->name;
        p->kernel.formula = f->info.formula;
        p->kernel.param = param;
        found = &p->kernel;
        pool_used++;
    }
    pthread_mutex_unlock(&pool_lock);
    if (!found)
        dl_error(DL_EUNSUPPORTED, "kernel '%s': more than %d distinct kernels named in one process",
                 name, KERNEL_POOL);
    return found;
}

/* The shortest %g spelling that reads back as the same double. */
static void canonical_number(double v, char *out, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, len, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static const family_entry *family_named(const char *name, size_t len)
{
    for (size_t i = 0; i < FAMILY_COUNT; i++)
        if (strlen(families[i].info.name) == len && !strncmp(families[i].info.name, name, len))
            return &families[i];
    return NULL;
}

const dl_kernel *dl_kernel_find(const char *name)
{
    if (!name) {
        dl_error(DL_EINVAL, "no kernel named (known: %s)", dl_kernel_names());
        return NULL;
    }
    const char *colon = strchr(name, ':');
    size_t flen = colon ? (size_t)(colon - name) : strlen(name);
    const family_entry *f = family_named(name, flen);
    if (!f) {
        dl_error(DL_EINVAL, "unknown kernel '%s' (known: %s)", name, dl_kernel_names());
        return NULL;
    }
    if (!f->param_ok) {
        if (colon) {
            dl_error(DL_EINVAL, "kernel '%s': %s takes no parameter", name, f->info.name);
            return NULL;
        }
        return pool_get(f, name, 0.0);
    }
    if (!colon) {
        dl_error(DL_EINVAL, "kernel '%s' needs its parameter %s, as in %s", name, f->info.parameter,
                 f->info.example);
        return NULL;
    }
    double param;
    if (dl_parse_double(f->info.parameter, colon + 1, &param) || !isfinite(param)) {
        dl_error(DL_EINVAL, "kernel '%s': %s must be a finite number, as in %s", name,
                 f->info.parameter, f->info.example);
        return NULL;
    }
    if (!f->param_ok(param)) {
        dl_error(DL_EINVAL, "kernel '%s': %s out of range (%s, at most 100)", name,
                 f->info.parameter, f->info.range);
        return NULL;
    }
    char canon[24], spelled[40];
    canonical_number(param, canon, sizeof canon);
    snprintf(spelled, sizeof spelled, "%s:%s", f->info.name, canon);
    if (strcmp(spelled, name)) {
        dl_error(DL_EINVAL, "kernel '%s': write it as '%s' (one spelling per kernel)", name, spelled);
        return NULL;
    }
    return pool_get(f, spelled, param);
}

/* The kernels the tests and the atlas loop over: every parameter-free family
 * and examples of the others (a non-half-integer Matern among them). */
static const char *const listed[] = {"gaussian",   "laplacian",  "cauchy",    "matern:1.5",
                                     "matern:2.5", "matern:1.2", "student:2", "sech"};
#define LISTED_COUNT (sizeof listed / sizeof listed[0])

size_t dl_kernel_count(void) { return LISTED_COUNT; }

const dl_kernel *dl_kernel_at(size_t index)
{
    return index < LISTED_COUNT ? dl_kernel_find(listed[index]) : NULL;
}

static char kernel_names[256];

static void make_kernel_names(void)
{
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        const dl_kernel_family *f = &families[i].info;
        size_t used = strlen(kernel_names);
        snprintf(kernel_names + used, sizeof kernel_names - used, "%s%s%s%s", i ? ", " : "",
                 f->name, f->parameter ? ":" : "", f->parameter ? f->parameter : "");
    }
}

const char *dl_kernel_names(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_kernel_names);
    return kernel_names;
}

int dl_kernel_check_dim(const dl_kernel *k, int dim)
{
    if (!strncmp(k->name, "student:", 8) && !(k->param > 0.5 * dim))
        return dl_error(DL_EINVAL, "kernel '%s': Student-t needs beta > d/2 = %g in %d-D (its "
                        "integral diverges)", k->name, 0.5 * dim, dim);
    if (!strcmp(k->name, "sech") && dim != 1)
        return dl_error(DL_EINVAL, "kernel 'sech': its transform is closed-form in 1-D only "
                        "(got d = %d)", dim);
    if ((k->flags & DL_KERNEL_COULOMB) && dim > 3)
        return dl_error(DL_EINVAL, "kernel 'coulomb': d <= 3 (the particle mesh solves Poisson's "
                        "equation), got d = %d", dim);
    return DL_OK;
}

double dl_kernel_value_at(const dl_kernel *k, double r, double sigma, int dim)
{
    return exp(k->log_value(k, r * r, sigma, dim));
}

int dl_kernel_rate(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma)
{
    if (!k->rate)
        return dl_error(DL_EUNSUPPORTED, "kernel '%s' has no closed-form decay rate", k->name);
    double g = k->rate(k, sigma * fabs(kmag), dim);
    if (isnan(g))
        return dl_error(DL_EUNSUPPORTED, "kernel '%s' has no closed-form rate in %d-D", k->name, dim);
    *gamma = g;
    return DL_OK;
}

int dl_kernel_rate_max(const dl_kernel *k, int dim, double *gamma_max)
{
    if (!k->rate || isnan(k->rate(k, 1.0, dim)))
        return dl_error(DL_EUNSUPPORTED, "kernel '%s' has no closed-form decay rate in %d-D",
                        k->name, dim);
    /* gamma(s) is unimodal for every kernel in the table: scan, then refine by
     * golden section around the best grid point. */
    double best_s = 0, best = -1;
    for (double s = 0.01; s < 200; s *= 1.02) {
        double g = k->rate(k, s, dim);
        if (g > best) {
            best = g;
            best_s = s;
        }
    }
    double a = best_s / 1.02, b = best_s * 1.02;
    const double phi = 0.5 * (sqrt(5.0) - 1.0);
    for (int it = 0; it < 100; it++) {
        double c = b - phi * (b - a), d = a + phi * (b - a);
        if (k->rate(k, c, dim) > k->rate(k, d, dim))
            b = d;
        else
            a = c;
    }
    *gamma_max = k->rate(k, 0.5 * (a + b), dim);
    return DL_OK;
}

typedef struct {
    const dl_kernel *k;
    double sigma;
    int dim;
} companion_ctx;

static double companion_integrand(double t, void *p)
{
    const companion_ctx *c = p;
    return t * exp(c->k->log_value(c->k, t * t, c->sigma, c->dim));
}

int dl_kernel_companion(const dl_kernel *k, double r, double sigma, int dim, double *phi)
{
    if (k->flags & DL_KERNEL_COULOMB)
        return dl_error(DL_EUNSUPPORTED, "kernel 'coulomb' has no companion (it is not a smoothing "
                        "kernel)");
    if (!(r >= 0 && isfinite(r)) || !(sigma > 0 && isfinite(sigma)))
        return dl_error(DL_EINVAL, "companion: need r >= 0 and sigma > 0, got r = %g, sigma = %g",
                        r, sigma);
    /* t k(t) must fall faster than 1/t: Student-t needs beta > 1 */
    if (!strncmp(k->name, "student:", 8) && !(k->param > 1))
        return dl_error(DL_EUNSUPPORTED, "companion of '%s': the integral of t k(t) diverges for "
                        "beta <= 1", k->name);
    companion_ctx c = {k, sigma, dim};
    gsl_function f = {companion_integrand, &c};
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    double v = NAN, err;
    int st = w ? gsl_integration_qagiu(&f, r, 1e-13 * sigma * sigma, 1e-11, 1000, w, &v, &err)
               : GSL_ENOMEM;
    gsl_integration_workspace_free(w);
    gsl_set_error_handler(old);
    if (st && st != GSL_EROUND)
        return dl_error(DL_ENUMERIC, "companion of '%s' at r = %g: quadrature failed (%s)",
                        k->name, r, gsl_strerror(st));
    *phi = v;
    return DL_OK;
}
