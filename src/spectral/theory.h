/* theory: the linear theory of THEORY.md sections 3 and 4 for any kernel.
 *
 * Around a uniform target on the torus each Fourier mode decays on its own,
 *     d/dt delta_hat(k) = -gamma(k) delta_hat(k),   gamma(k) = -k . grad khat(k) / khat(0).
 * With kappa(s) = khat(s / sigma) / khat(0) the normalised transform, gamma(s) =
 * -s kappa'(s), and under sigma(t) = sigma0 exp(-r t) the log-amplitude integrates
 * in closed form for every kernel whose transform is closed form:
 *     ln a_k(t) / a_k(0) = -(1/r) [kappa(sigma(t) k) - kappa(sigma0 k)]
 * (Gaussian: kappa = exp(-s^2/2); Laplacian in d = 1: 1/(1 + s^2), as in THEORY.md).
 * After a floor sigma_min is reached the mode decays at the constant rate
 * gamma(sigma_min k).  Other schedules are integrated numerically. */
#ifndef DL_THEORY_H
#define DL_THEORY_H

#include "drift/kernel.h"
#include "drift/schedule.h"

/* gamma(|k|) from the kernel's closed form. */
int dl_theory_rate(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma);

/* The same by GSL quadrature of the Fourier integral and of its k-derivative
 * (d = 1, 2, 3), independent of the closed forms. */
int dl_theory_fourier_numeric(const dl_kernel *k, double kmag, double sigma, int dim,
                              double *khat);
int dl_theory_rate_numeric(const dl_kernel *k, double kmag, double sigma, int dim, double *gamma);

/* ln(a_k(t)/a_k(0)) = -int_0^t gamma(k, sigma(s)) ds: closed form for constant
 * and exp schedules, quadrature for the rest. */
int dl_theory_log_amplitude(const dl_kernel *k, const dl_schedule *s, double kmag, int dim,
                            double t, double *log_ratio);
/* Always by quadrature along the schedule (the check on the closed forms). */
int dl_theory_log_amplitude_numeric(const dl_kernel *k, const dl_schedule *s, double kmag,
                                    int dim, double t, double *log_ratio);

/* First time mode k has shrunk by the factor eps (0 < eps < 1); INFINITY if
 * it never does (a constant rate of zero). */
int dl_theory_damping_time(const dl_kernel *k, const dl_schedule *s, double kmag, int dim,
                           double eps, double *t);

#endif
