/* metrics: distances between particle clouds and the diagnostics the
 * simulator records at every output step. */
#ifndef DL_METRICS_H
#define DL_METRICS_H

#include <complex.h>
#include <stddef.h>

#include "drift/domain.h"

/* Mean distance over all ordered pairs of one cloud, the diagonal included
 * (V-statistic); the constant E|Y - Y'| term of the energy distance. */
double dl_mean_self_distance(const dl_domain *dom, const double *x, size_t n);
/* Mean distance between the points of two clouds. */
double dl_mean_cross_distance(const dl_domain *dom, const double *x, size_t n, const double *y,
                              size_t m);

/* Energy distance 2 E|X-Y| - E|X-X'| - E|Y-Y'| as a V-statistic: never
 * negative in R^d (the distance is of negative type), biased upward by
 * O(E|X-X'| / n), so a converged run levels off near that floor instead of
 * crossing zero.  On the torus distances are minimum-image.  yy is
 * dl_mean_self_distance of y, passed in because the target does not move. */
double dl_energy_distance(const dl_domain *dom, const double *x, size_t n, const double *y,
                          size_t m, double yy);

/* The median of v (n >= 1), sorting v in place. */
double dl_median(double *v, size_t n);

/* The median of the n (n - 1) / 2 pairwise distances of x (n >= 2 points),
 * minimum-image on the torus. */
int dl_median_pairwise_distance(const dl_domain *dom, const double *x, size_t n, double *median);

/* sqrt(mean_i |v_i|^2) */
double dl_rms_norm(const double *v, size_t n, int dim);

/* (1/N) sum_i exp(-i k . x_i), k = 2 pi mode / L (torus only). */
double complex dl_fourier_coefficient(const dl_domain *dom, const double *x, size_t n,
                                      const int *mode);

#endif
