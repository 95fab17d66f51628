/* domain: where particles live, R^d or the torus [0, L)^d, and the kernel as
 * seen from that domain (periodised on the torus, docs/THEORY.md section 3). */
#ifndef DL_DOMAIN_H
#define DL_DOMAIN_H

#include <math.h>

#include "drift/kernel.h"

/* R^d up to image-feature dimensions (the GEMM engine); the torus's image
 * sums grow as 3^d, so it stops at 8. */
#define DL_MAX_DIM 1024
#define DL_MAX_TORUS_DIM 8

typedef enum { DL_DOMAIN_RD = 0, DL_DOMAIN_TORUS = 1 } dl_domain_kind;

typedef struct {
    dl_domain_kind kind;
    int dim;       /* 1 .. DL_MAX_DIM */
    double length; /* torus period L (unused on R^d) */
} dl_domain;

int dl_domain_init(dl_domain *dom, dl_domain_kind kind, int dim, double length);
const char *dl_domain_kind_name(dl_domain_kind kind);
int dl_domain_kind_parse(const char *name, dl_domain_kind *kind);

/* Map a point into the fundamental cell [0, L)^d (no-op on R^d). */
void dl_domain_wrap(const dl_domain *dom, double *x);

/* u = b - a, by the minimum-image convention on the torus: |u_i| <= L/2. */
static inline void dl_domain_displacement(const dl_domain *dom, const double *a, const double *b,
                                          double *u)
{
    for (int c = 0; c < dom->dim; c++) {
        double d = b[c] - a[c];
        if (dom->kind == DL_DOMAIN_TORUS) {
            /* round half away from zero by truncation: no libm call in the pair loop */
            double q = d / dom->length;
            d -= dom->length * (double)(long)(q + (q >= 0 ? 0.5 : -0.5));
        }
        u[c] = d;
    }
}

double dl_domain_distance(const dl_domain *dom, const double *a, const double *b);

/* The kernel as the drift sees it on a domain: the plain kernel on R^d, the
 * periodised kernel k_L(u) = sum_n k(u + nL) on the torus.  In 1-D a kernel's
 * own periodisation (closed form or specialised sum) is used; otherwise images
 * are summed while k(|u + nL|) >= 1e-12 k(0) (DL_PERIODIC_REL_TOL). */
#define DL_PERIODIC_REL_TOL 1e-12
#define DL_PERIODIC_MAX_TERMS 20000

typedef struct {
    const dl_kernel *kernel;
    dl_domain domain;
    double sigma;
    int images;       /* images per axis each side: n in [-images, images]^d */
    double cutoff2;   /* k(r) < DL_PERIODIC_REL_TOL k(0) beyond r^2 = cutoff2 */
    int closed_form;  /* use kernel->periodic_1d */
    int grad_images;  /* images per axis each side for the MMD flow's gradient sums */
} dl_pair_kernel;

int dl_pair_kernel_init(dl_pair_kernel *pk, const dl_kernel *kernel, double sigma,
                        const dl_domain *domain);

/* Accumulate, for a minimum-image displacement u = y - x:
 *   *K += sum_n k(u + nL) exp(-shift),  M[c] += sum_n k(u + nL) (u + nL)_c exp(-shift).
 * The shift (a log-kernel value) keeps far-apart points from underflowing. */
static inline void dl_pair_kernel_accumulate(const dl_pair_kernel *pk, const double *u,
                                             double shift, double *K, double *M);

/* The MMD flow's sum for displacement u = y - x:
 *   M[c] += sum_n g(|u + nL|) (u + nL)_c,   g(r) = -k'(r) / r = -2 k(r) d log k / d r^2,
 * so that M = grad_x sum_n k(|x - y - nL|), over every image within the cutoff. */
static inline void dl_pair_kernel_accumulate_gradient(const dl_pair_kernel *pk, const double *u,
                                                      double *M);
/* log k at the nearest image: the largest log-kernel term for displacement u. */
double dl_pair_kernel_log_peak(const dl_pair_kernel *pk, const double *u);

/* Inline: it is the innermost loop of the direct engine. */
static inline void dl_pair_kernel_accumulate(const dl_pair_kernel *pk, const double *u,
                                             double shift, double *K, double *M)
{
    const int dim = pk->domain.dim;
    const double sigma = pk->sigma;
    if (pk->closed_form) {
        double k, m;
        pk->kernel->periodic_1d(pk->kernel, u[0], sigma, pk->domain.length, shift, &k, &m);
        *K += k;
        M[0] += m;
        return;
    }
    if (pk->domain.kind != DL_DOMAIN_TORUS || pk->images == 0) {
        double r2 = 0;
        for (int c = 0; c < dim; c++)
            r2 += u[c] * u[c];
        double w = exp(pk->kernel->log_value(pk->kernel, r2, sigma, dim) - shift);
        *K += w;
        for (int c = 0; c < dim; c++)
            M[c] += w * u[c];
        return;
    }
    const double L = pk->domain.length;
    /* Terms below DL_PERIODIC_REL_TOL of the largest possible term (k(0), or
     * the nearest image once shifted) are dropped. */
    const double log_floor = log(DL_PERIODIC_REL_TOL) + fmin(0.0, shift);
    int n[DL_MAX_DIM];
    for (int c = 0; c < dim; c++)
        n[c] = -pk->images;
    for (;;) {
        double v[DL_MAX_DIM], r2 = 0;
        for (int c = 0; c < dim; c++) {
            v[c] = u[c] + n[c] * L;
            r2 += v[c] * v[c];
        }
        /* unshifted, the cutoff radius decides without evaluating the kernel */
        double lk = shift == 0.0 && r2 > pk->cutoff2 ? -INFINITY
                                                     : pk->kernel->log_value(pk->kernel, r2, sigma, dim);
        if (lk >= log_floor) {
            double w = exp(lk - shift);
            *K += w;
            for (int c = 0; c < dim; c++)
                M[c] += w * v[c];
        }
        int c = 0;
        while (c < dim && ++n[c] > pk->images) {
            n[c] = -pk->images;
            c++;
        }
        if (c == dim)
            break;
    }
}

static inline void dl_pair_kernel_accumulate_gradient(const dl_pair_kernel *pk, const double *u,
                                                      double *M)
{
    const int dim = pk->domain.dim, R = pk->domain.kind == DL_DOMAIN_TORUS ? pk->grad_images : 0;
    const double L = pk->domain.length, sigma = pk->sigma;
    const dl_kernel *k = pk->kernel;
    int n[DL_MAX_DIM];
    for (int c = 0; c < dim; c++)
        n[c] = -R;
    for (;;) {
        double v[DL_MAX_DIM], r2 = 0;
        for (int c = 0; c < dim; c++) {
            v[c] = u[c] + n[c] * L;
            r2 += v[c] * v[c];
        }
        if (r2 <= pk->cutoff2 && r2 > 0) {
            double g = -2.0 * k->log_slope(k, r2, sigma, dim) * exp(k->log_value(k, r2, sigma, dim));
            for (int c = 0; c < dim; c++)
                M[c] += g * v[c];
        }
        int c = 0;
        while (c < dim && ++n[c] > R) {
            n[c] = -R;
            c++;
        }
        if (c == dim)
            break;
    }
}

#endif
