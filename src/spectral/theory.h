/* theory: the linear theory of docs/THEORY.md sections 3 and 4 for any kernel.
 *
 * Around a uniform target on the torus each Fourier mode decays on its own,
 *     d/dt delta_hat(k) = -gamma(k) delta_hat(k),   gamma(k) = -k . grad khat(k) / khat(0).
 * With kappa(s) = khat(s / sigma) / khat(0) the normalised transform, gamma(s) =
 * -s kappa'(s), and under sigma(t) = sigma0 exp(-r t) the log-amplitude integrates
 * in closed form for every kernel whose transform is closed form:
 *     ln a_k(t) / a_k(0) = -(1/r) [kappa(sigma(t) k) - kappa(sigma0 k)]
 * (Gaussian: kappa = exp(-s^2/2); Laplacian in d = 1: 1/(1 + s^2), as in docs/THEORY.md).
 * After a floor sigma_min is reached the mode decays at the constant rate
 * gamma(sigma_min k).  Other schedules are integrated numerically. */
#ifndef DL_THEORY_H
#define DL_THEORY_H

#include "drift/kernel.h"
#include "drift/operator.h"
#include "drift/schedule.h"

/* A kernel driving an operator in dimension dim, around the uniform density
 * rho0 = 1 / L^d (docs/THEORY.md section 8):
 *   mean shift  gamma_ms(k)  = -|k| khat'(|k|) / khat(0)     (a function of sigma |k|)
 *   MMD flow    gamma_mmd(k) = rho0 |k|^2 khat(|k|)          (Coulomb: rho0 for every k) */
typedef struct {
    const dl_kernel *kernel;
    dl_operator op;
    int dim;
    double rho0;
} dl_theory_model;

/* Whether the model has a closed form: one line saying why not otherwise
 * (a transform that is not closed-form in this dimension, a Student-t whose
 * integral diverges, the Coulomb kernel's mean shift). */
int dl_theory_model_check(const dl_theory_model *m);
int dl_theory_model_rate(const dl_theory_model *m, double kmag, double sigma, double *gamma);
/* The same from the quadrature of khat (d <= 3; Coulomb: its transform itself). */
int dl_theory_model_rate_numeric(const dl_theory_model *m, double kmag, double sigma,
                                 double *gamma);
/* ln(a_k(t)/a_k(0)): the closed forms where they exist (constant; exp for the
 * mean shift), else quadrature along the schedule; and the damping time. */
int dl_theory_model_log_amplitude(const dl_theory_model *m, const dl_schedule *s, double kmag,
                                  double t, double *log_ratio);
int dl_theory_model_damping_time(const dl_theory_model *m, const dl_schedule *s, double kmag,
                                 double eps, double *t);

/* The exp schedule sigma0 exp(-r t) floored at sigma_min that damps every
 * mode k_n = 2 pi n / L, n = 1..kmax, by eps in the least time (GSL's
 * Nelder-Mead simplex over ln sigma0, ln r and ln sigma_min, from a grid of
 * starts), and the best constant sigma's time beside it (golden section). */
typedef struct {
    dl_schedule schedule;  /* the optimum */
    double time;           /* its T_eps(kmax modes) */
    double const_sigma;    /* the best constant bandwidth */
    double const_time;     /* and its time */
} dl_theory_optimum;
int dl_theory_optimize_schedule(const dl_theory_model *m, double length, int kmax, double eps,
                                dl_theory_optimum *out);

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
 * it never does (a rate of zero). */
int dl_theory_damping_time(const dl_kernel *k, const dl_schedule *s, double kmag, int dim,
                           double eps, double *t);

#endif
