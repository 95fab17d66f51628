/* kernel: radial kernels k(x - y) with bandwidth sigma.
 *
 * Each kernel is one table entry.  Adding a kernel means adding one entry to
 * the table in kernel.c: its log-value, its Fourier transform, and (where it
 * exists) the closed-form linear decay rate of THEORY.md section 3. */
#ifndef DL_KERNEL_H
#define DL_KERNEL_H

#include <stddef.h>

typedef struct dl_kernel {
    const char *name;    /* CLI name */
    const char *formula; /* human-readable definition, for --help */
    /* log k as a function of the squared distance r2 (exp of it is k). */
    double (*log_value)(double r2, double sigma, int dim);
    /* khat(|k|) = integral over R^dim of k(x) exp(-i k.x) dx (closed form). */
    double (*fourier)(double kmag, double sigma, int dim);
    /* gamma(s) = -k.grad khat(k) / khat(0) at s = sigma |k|; NULL if no closed form. */
    double (*rate)(double s, int dim);
    /* Radius beyond which k(r)/k(0) < rel_tol. */
    double (*cutoff_radius)(double sigma, int dim, double rel_tol);
    /* Optional 1-D periodisation for |r| <= L/2: K = sum_n k(r + nL) and
     * M = sum_n k(r + nL) (r + nL) (symmetric partial sums), both times
     * exp(-shift); a closed form where one exists (the only way for algebraic
     * tails), else a specialised image sum.  NULL if absent. */
    void (*periodic_1d)(double r, double sigma, double length, double shift, double *K, double *M);
    /* d log k / d r2: the kernel's score is grad_u log k(u) = 2 u log_slope(|u|^2)
     * (the no-stop-gradient ablation differentiates through V with it). */
    double (*log_slope)(double r2, double sigma, int dim);
} dl_kernel;

/* The table, by index: 0 .. dl_kernel_count() - 1. */
size_t dl_kernel_count(void);
const dl_kernel *dl_kernel_at(size_t index);
/* NULL (with a recorded error) if the name is unknown. */
const dl_kernel *dl_kernel_find(const char *name);
/* Comma-separated list of names, for messages and help. */
const char *dl_kernel_names(void);

static inline double dl_kernel_value(const dl_kernel *k, double r2, double sigma, int dim);
double dl_kernel_value_at(const dl_kernel *k, double r, double sigma, int dim);

/* gamma(|k|) for bandwidth sigma; returns DL_EUNSUPPORTED if no closed form. */
int dl_kernel_rate(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma);
/* max over s of gamma(s): the linear Euler stability bound is dt < 2 / max. */
int dl_kernel_rate_max(const dl_kernel *k, int dim, double *gamma_max);

#include <math.h>
static inline double dl_kernel_value(const dl_kernel *k, double r2, double sigma, int dim)
{
    return exp(k->log_value(r2, sigma, dim));
}

#endif
