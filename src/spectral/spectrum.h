/* spectrum: Fourier coefficients of a particle density by mesh deposit + FFT.
 *
 * Particles are assigned to a periodic grid with CIC or TSC weights, the grid
 * goes through an FFTW r2c transform, and the assignment window
 * W(n) = prod_c sinc(pi n_c / G)^p (p = 2 CIC, 3 TSC) is divided out, giving
 *     q_hat(n) ~ (1/N) sum_i exp(-i k(n) . x_i),   k(n) = 2 pi n / L,
 * the same convention as the simulator's direct sums (modes.dat).  What
 * remains is aliasing, of relative size ~ (|n| / G)^p.
 * Plan / execute / destroy: the plan owns the FFTW plan and buffers. */
#ifndef DL_SPECTRUM_H
#define DL_SPECTRUM_H

#include <complex.h>
#include <math.h>
#include <stddef.h>

#include "drift/assignment.h"
#include "drift/domain.h"

typedef struct dl_spectrum dl_spectrum;

/* Torus domains of dimension 1..3; grid points per axis, even, >= 8. */
int dl_spectrum_create(dl_spectrum **out, const dl_domain *dom, int grid, dl_assignment a);
/* Deposit n particles (n x dim) and transform. */
int dl_spectrum_execute(dl_spectrum *s, const double *x, size_t n);
/* q_hat at integer mode n (|n_c| < grid/2), window deconvolved. */
int dl_spectrum_coefficient(const dl_spectrum *s, const int *mode, double complex *c);
/* The deposited grid of the last execute: cell masses summing to 1,
 * row-major with the last axis fastest. */
const double *dl_spectrum_density(const dl_spectrum *s);
int dl_spectrum_grid(const dl_spectrum *s);
void dl_spectrum_destroy(dl_spectrum *s);

#endif
