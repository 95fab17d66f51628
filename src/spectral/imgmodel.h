/* imgmodel: the exact Gaussian-model prediction of an image flow's shell
 * powers (docs/THEORY.md section 7).
 *
 * The shells of a non-stationary image set are not eigen-directions, so the
 * model works in the eigenbasis of the reference set's covariance,
 *     Sigma = sum_i lambda_i u_i u_i^T     (biased: 1/m, as the shell powers are),
 * follows each direction's particle variance s_i(t), and projects onto the
 * shells:  P_k(t) = sum_i s_i(t) eps_ik / count_k,  eps_ik the energy of u_i's
 * unnormalised 2-D DFT in shell k (sum_k eps_ik = rows cols, DC and corners
 * included).  Each s_i follows the Gaussian kernel's flow with the particle's
 * own term in V_q^-:
 *     ds_i/dt = 2 s_i sigma^2 ((1 - kappa)/(s_i + sigma^2) - 1/(lambda_i + sigma^2)),
 *     kappa = (c - 1)/(N - 1 + c),  or -1/(N - 1) self-masked,
 *     c = exp( (1/2) sum_j ln(1 + s_j/sigma^2) + (1/2) sum_j s_j/(s_j + sigma^2) ),
 * in Euler's form for Euler runs, s_i <- (1 + dt a_i)^2 s_i with a_i the
 * bracket times sigma^2, by RK4 otherwise.  Create / use / destroy: the model
 * owns the eigenbasis (d x d) and the energies (d x shells).
 *
 * What the model leaves out, and its own estimate of it: the kernel weights
 * of a finite particle set are not equal at equal population geometry.  The
 * normalised weights of particle pairs spread by
 *     K = prod_j (1 + u_j)^(3/2) (1 + 3 u_j)^(-1/2) - 1,   u_j = s_j / sigma^2
 * (exact for Gaussian particles; (3/2) sum_j u_j^2 to leading order),
 * and to second order they add to every direction's variance a relative
 *     eps(t) <= (2/N) ( int_0^t sqrt(K) dtau )^2
 * (the direct and the mutual term, each bounded by Cauchy-Schwarz in time).
 * eps is small at sigma = 2 x median (1e-3 at N = 1000), not at 1 x median
 * (0.06), and past 1, where it bounds nothing, on an annealed run; docs/THEORY.md 7. */
#ifndef DL_IMGMODEL_H
#define DL_IMGMODEL_H

#include <stddef.h>

#include "drift/schedule.h"

typedef struct dl_imgmodel dl_imgmodel;

/* The flow the model follows. */
typedef struct {
    size_t n;                    /* particles N (>= 2) */
    int self_mask;               /* V^- leaves each particle out */
    int own_term;                /* 0: the per-direction model without kappa (kappa = 0) */
    int euler;                   /* 1: Euler's discrete form with step dt; 0: RK4 with step dt */
    double dt;                   /* > 0 */
    const dl_schedule *schedule; /* sigma(t) in the images' pixel units */
} dl_imgmodel_flow;

/* The model of a reference set: m >= 2 images of rows x cols floats
 * (rows, cols in 2..64, so d = rows cols <= 4096). */
int dl_imgmodel_create(dl_imgmodel **out, const float *ref, size_t m, int rows, int cols);
void dl_imgmodel_destroy(dl_imgmodel *model);

int dl_imgmodel_dim(const dl_imgmodel *model);
int dl_imgmodel_shells(const dl_imgmodel *model);      /* shells 0 .. this - 1 */
const double *dl_imgmodel_lambda(const dl_imgmodel *model); /* d eigenvalues, descending */
/* eps_ik at [i * shells + k] */
const double *dl_imgmodel_energy(const dl_imgmodel *model);

/* A particle set's variances along the eigenvectors (n >= 2 images): s_i =
 * mean over the images of (u_i . (x - mean))^2. */
int dl_imgmodel_project(const dl_imgmodel *model, const float *x, size_t n, double *s);
/* Advances the variances s (d of them) from t0 to t1 under the flow, and,
 * when spread is not NULL, adds int sqrt(K) dt over the span to *spread. */
int dl_imgmodel_advance(const dl_imgmodel *model, const dl_imgmodel_flow *flow, double t0,
                        double t1, double *s, double *spread);
/* The relative variance error the model leaves out, eps = 2 spread^2 / N,
 * from the accumulated spread of advance; inf from eps = 1 on, where the
 * second-order estimate says nothing (an annealed run reaches 52). */
double dl_imgmodel_fluctuation(double spread, size_t n);
/* The centred shell powers P_k of variances s, shells 0 .. shells - 1: the
 * population's prediction, with the cross terms of a finite sample left out. */
void dl_imgmodel_power(const dl_imgmodel *model, const double *s, double *P);
/* The particles themselves carried by the model's linear map: each direction
 * scaled by sqrt(s1_i / s0_i) about the set's mean,
 *     out = mean + U diag(sqrt(s1 / s0)) U^T (x - mean)   (n x d floats),
 * exact for a linear field, so that a sample's own cross terms move with it:
 * its shell powers at t = 0 are the measured ones. */
int dl_imgmodel_transport(const dl_imgmodel *model, const double *s0, const double *s1,
                          const float *x, size_t n, float *out);

/* The pieces, for tests: the own-term weight c of variances s (d of them) at
 * bandwidth sigma, kappa from c, and d ln s_i / dt for every direction. */
double dl_imgmodel_self_weight(const double *s, int d, double sigma);
double dl_imgmodel_kappa(double c, size_t n, int self_mask);
void dl_imgmodel_dlns(const double *s, const double *lambda, int d, double sigma, double kappa,
                      double *out);
/* K: the variance of particle pairs' normalised Gaussian-kernel weights for
 * variances s (d of them) at bandwidth sigma. */
double dl_imgmodel_pair_spread(const double *s, int d, double sigma);

#endif
