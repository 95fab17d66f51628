#include "drift/kernel.h"

#include <complex.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "base/dl_error.h"

/* ---- Gaussian: k(r) = exp(-r^2 / (2 sigma^2)) ---- */
static double gaussian_log(double r2, double sigma, int dim)
{
    (void)dim;
    return -0.5 * r2 / (sigma * sigma);
}
static double gaussian_fourier(double kmag, double sigma, int dim)
{
    return pow(2.0 * M_PI * sigma * sigma, 0.5 * dim) * exp(-0.5 * sigma * sigma * kmag * kmag);
}
static double gaussian_rate(double s, int dim)
{
    (void)dim;
    return s * s * exp(-0.5 * s * s);
}
static double gaussian_cutoff(double sigma, int dim, double tol)
{
    (void)dim;
    return sigma * sqrt(-2.0 * log(tol));
}

/* 1-D periodisation as a direct image sum (a Jacobi theta function has no
 * cheaper closed form): images beyond the point where a term drops below
 * DL_KERNEL_IMAGE_TOL of the nearest image's are left out. */
#define DL_KERNEL_IMAGE_TOL 1e-12
static void gaussian_periodic_1d(double r, double sigma, double length, double shift, double *K,
                                 double *M)
{
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
static double laplacian_log(double r2, double sigma, int dim)
{
    (void)dim;
    return -sqrt(r2) / sigma;
}
static double laplacian_fourier(double kmag, double sigma, int dim)
{
    double cd = pow(2.0, dim) * pow(M_PI, 0.5 * (dim - 1)) * gsl_sf_gamma(0.5 * (dim + 1));
    double s = sigma * kmag;
    return cd * pow(sigma, dim) * pow(1.0 + s * s, -0.5 * (dim + 1));
}
static double laplacian_rate(double s, int dim)
{
    return (dim + 1) * s * s * pow(1.0 + s * s, -0.5 * (dim + 3));
}
static double laplacian_cutoff(double sigma, int dim, double tol)
{
    (void)dim;
    return -sigma * log(tol);
}
/* Geometric series over images, with a = exp(-|r|/sigma), b = exp(-(L-|r|)/sigma),
 * q = exp(-L/sigma):  K = (a + b)/(1 - q),
 *                     M = sign(r) [ |r| (a + b)/(1 - q) + L (q a - b)/(1 - q)^2 ]. */
static void laplacian_periodic_1d(double r, double sigma, double length, double shift, double *K,
                                  double *M)
{
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
 * In d = 1 it is the classic 1 / (1 + r^2/sigma^2). */
static double cauchy_log(double r2, double sigma, int dim)
{
    return -0.5 * (dim + 1) * log1p(r2 / (sigma * sigma));
}
static double cauchy_fourier(double kmag, double sigma, int dim)
{
    return pow(M_PI, 0.5 * (dim + 1)) / gsl_sf_gamma(0.5 * (dim + 1)) * pow(sigma, dim) *
           exp(-sigma * kmag);
}
static double cauchy_rate(double s, int dim)
{
    (void)dim;
    return s * exp(-s);
}
static double cauchy_cutoff(double sigma, int dim, double tol)
{
    return sigma * sqrt(pow(tol, -2.0 / (dim + 1)) - 1.0);
}
/* sum_n 1/(z + nL) = (pi/L) cot(pi z / L) with z = r + i sigma; its imaginary
 * part gives the periodised kernel and its real part the first moment. */
static void cauchy_periodic_1d(double r, double sigma, double length, double shift, double *K,
                               double *M)
{
    double complex z = (r + I * sigma) * (M_PI / length);
    double complex c = (M_PI / length) * ccos(z) / csin(z);
    double scale = exp(-shift);
    *K = -sigma * cimag(c) * scale;
    *M = sigma * sigma * creal(c) * scale;
}

static double gaussian_slope(double r2, double sigma, int dim)
{
    (void)r2, (void)dim;
    return -0.5 / (sigma * sigma);
}
/* |u| has no derivative at 0: the one-sided limits cancel, so 0 there */
static double laplacian_slope(double r2, double sigma, int dim)
{
    (void)dim;
    return r2 > 0 ? -0.5 / (sigma * sqrt(r2)) : 0.0;
}
static double cauchy_slope(double r2, double sigma, int dim)
{
    return -0.5 * (dim + 1) / (sigma * sigma + r2);
}

static const dl_kernel kernel_table[] = {
    {"gaussian", "exp(-|r|^2 / (2 sigma^2))", gaussian_log, gaussian_fourier, gaussian_rate,
     gaussian_cutoff, gaussian_periodic_1d, gaussian_slope},
    {"laplacian", "exp(-|r| / sigma)", laplacian_log, laplacian_fourier, laplacian_rate,
     laplacian_cutoff, laplacian_periodic_1d, laplacian_slope},
    {"cauchy", "(1 + |r|^2 / sigma^2)^(-(d+1)/2)", cauchy_log, cauchy_fourier, cauchy_rate,
     cauchy_cutoff, cauchy_periodic_1d, cauchy_slope},
};

size_t dl_kernel_count(void) { return sizeof kernel_table / sizeof kernel_table[0]; }

const dl_kernel *dl_kernel_at(size_t index)
{
    return index < dl_kernel_count() ? &kernel_table[index] : NULL;
}

const char *dl_kernel_names(void)
{
    static char names[256];
    if (!names[0]) {
        for (size_t i = 0; i < dl_kernel_count(); i++) {
            if (i)
                strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, kernel_table[i].name, sizeof names - strlen(names) - 1);
        }
    }
    return names;
}

const dl_kernel *dl_kernel_find(const char *name)
{
    for (size_t i = 0; i < dl_kernel_count(); i++)
        if (name && strcmp(name, kernel_table[i].name) == 0)
            return &kernel_table[i];
    dl_error(DL_EINVAL, "unknown kernel '%s' (known: %s)", name ? name : "(null)",
             dl_kernel_names());
    return NULL;
}

double dl_kernel_value_at(const dl_kernel *k, double r, double sigma, int dim)
{
    return exp(k->log_value(r * r, sigma, dim));
}

int dl_kernel_rate(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma)
{
    if (!k->rate)
        return dl_error(DL_EUNSUPPORTED, "kernel '%s' has no closed-form decay rate", k->name);
    *gamma = k->rate(sigma * fabs(kmag), dim);
    return DL_OK;
}

int dl_kernel_rate_max(const dl_kernel *k, int dim, double *gamma_max)
{
    if (!k->rate)
        return dl_error(DL_EUNSUPPORTED, "kernel '%s' has no closed-form decay rate", k->name);
    /* gamma(s) is unimodal for every kernel in the table: scan, then refine by
     * golden section around the best grid point. */
    double best_s = 0, best = -1;
    for (double s = 0.01; s < 50; s *= 1.02) {
        double g = k->rate(s, dim);
        if (g > best) {
            best = g;
            best_s = s;
        }
    }
    double a = best_s / 1.02, b = best_s * 1.02;
    const double phi = 0.5 * (sqrt(5.0) - 1.0);
    for (int it = 0; it < 100; it++) {
        double c = b - phi * (b - a), d = a + phi * (b - a);
        if (k->rate(c, dim) > k->rate(d, dim))
            b = d;
        else
            a = c;
    }
    *gamma_max = k->rate(0.5 * (a + b), dim);
    return DL_OK;
}
