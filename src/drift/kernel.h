/* kernel: radial kernels k(x - y) with bandwidth sigma.
 *
 * Each kernel family is one table entry in kernel.c: its log-value, its
 * Fourier transform, its closed-form rates (docs/THEORY.md sections 3 and 8) and
 * the parameter it takes, if any.  A family with a parameter is named with it,
 * in one canonical spelling: "matern:1.5", "student:2".  dl_kernel_find hands
 * out one instance per distinct name, kept for the life of the process, so a
 * kernel is passed around as a plain const pointer. */
#ifndef DL_KERNEL_H
#define DL_KERNEL_H

#include <stddef.h>

typedef struct dl_kernel dl_kernel;

struct dl_kernel {
    const char *name;    /* canonical name, parameter included: "matern:2.5" */
    const char *formula; /* human-readable definition, for --help */
    double param;        /* the family's parameter (Matern nu, Student-t beta); 0 if none */
    /* log k as a function of the squared distance r2 (exp of it is k). */
    double (*log_value)(const dl_kernel *k, double r2, double sigma, int dim);
    /* khat(|k|) = integral over R^dim of k(x) exp(-i k.x) dx (closed form);
     * NAN where the dimension has none (see dl_kernel_check_dim). */
    double (*fourier)(const dl_kernel *k, double kmag, double sigma, int dim);
    /* gamma_ms(s) = -k.grad khat(k) / khat(0) at s = sigma |k|; NULL if no closed form. */
    double (*rate)(const dl_kernel *k, double s, int dim);
    /* Radius beyond which k(r)/k(0) < rel_tol. */
    double (*cutoff_radius)(const dl_kernel *k, double sigma, int dim, double rel_tol);
    /* Optional 1-D periodisation for |r| <= L/2: K = sum_n k(r + nL) and
     * M = sum_n k(r + nL) (r + nL) (symmetric partial sums), both times
     * exp(-shift); a closed form where one exists, or an accelerated image
     * sum (the only way for algebraic tails).  NULL if absent. */
    void (*periodic_1d)(const dl_kernel *k, double r, double sigma, double length, double shift,
                        double *K, double *M);
    /* d log k / d r2: the kernel's score is grad_u log k(u) = 2 u log_slope(|u|^2)
     * (the MMD flow and the no-stop-gradient ablation differentiate k with it). */
    double (*log_slope)(const dl_kernel *k, double r2, double sigma, int dim);
    unsigned flags; /* DL_KERNEL_* below */
};

/* The Green's function of the Laplacian: no log-value, no mean shift; the MMD
 * flow on the torus only, through its own field (coulomb.h). */
#define DL_KERNEL_COULOMB 1u

/* A kernel family, as the table lists it (for --help, version and the lab). */
typedef struct {
    const char *name;      /* "matern" */
    const char *parameter; /* "nu", or NULL for a family without one */
    const char *range;     /* the parameter's domain in words, or NULL */
    const char *formula;
    const char *example;   /* a canonical name: "matern:1.5" */
} dl_kernel_family;

size_t dl_kernel_family_count(void);
const dl_kernel_family *dl_kernel_family_at(size_t index);

/* The parameter-free kernels and one example of each family, by index:
 * 0 .. dl_kernel_count() - 1 (the tests loop over these). */
size_t dl_kernel_count(void);
const dl_kernel *dl_kernel_at(size_t index);
/* Parses "family" or "family:param" strictly (the parameter in its shortest
 * round-trip spelling); NULL with a recorded error for an unknown family, a
 * missing, malformed or out-of-range parameter, or a non-canonical spelling. */
const dl_kernel *dl_kernel_find(const char *name);
/* Comma-separated list of names, for messages and help ("matern:NU" style). */
const char *dl_kernel_names(void);
/* Whether the kernel is defined in this dimension (Student-t needs beta > d/2,
 * sech and Coulomb have closed forms in the dimensions they list). */
int dl_kernel_check_dim(const dl_kernel *k, int dim);

static inline double dl_kernel_value(const dl_kernel *k, double r2, double sigma, int dim);
double dl_kernel_value_at(const dl_kernel *k, double r, double sigma, int dim);

/* gamma(|k|) for bandwidth sigma; returns DL_EUNSUPPORTED if no closed form. */
int dl_kernel_rate(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma);
/* max over s of gamma(s): the linear Euler stability bound is dt < 2 / max. */
int dl_kernel_rate_max(const dl_kernel *k, int dim, double *gamma_max);
/* The companion Phi(r) = integral from r to infinity of t k(t) dt (docs/THEORY.md
 * section 8): k(r)(y - x) = grad_x Phi(|x - y|).  By quadrature (GSL QAGIU);
 * a divergent integral (a tail as slow as r^-2) is an error. */
int dl_kernel_companion(const dl_kernel *k, double r, double sigma, int dim, double *phi);

#include <math.h>
static inline double dl_kernel_value(const dl_kernel *k, double r2, double sigma, int dim)
{
    return exp(k->log_value(k, r2, sigma, dim));
}

#endif
