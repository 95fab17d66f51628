/* sinkhorn: entropic optimal transport between two point clouds with uniform
 * weights, in the log domain, and the Sinkhorn-divergence drift of
 * docs/THEORY.md section 6:
 *
 *   cost C_ij = |u_ij|^2 / 2 (u the displacement, minimum image on the torus)
 *   f_i = -eps LSE_j (log b_j + (g_j - C_ij) / eps),  g_j likewise over i
 *   pi_ij = a_i b_j exp((f_i + g_j - C_ij) / eps)
 *   T(x_i) - x_i = sum_j pi_ij u_ij / sum_j pi_ij  (barycentric projection)
 *
 * Iterations stop when the row marginals are within tol (L1) of a (the
 * columns are exact after each g update) or at max_iter.  A solver keeps its
 * potentials: the next solve of the same sizes starts from them (warm start),
 * which is what a time-stepping simulation wants.  Plan / execute / destroy. */
#ifndef DL_SINKHORN_H
#define DL_SINKHORN_H

#include <stddef.h>

#include "drift/domain.h"

typedef struct {
    double eps;   /* entropic regularisation (eps = sigma^2 matches the Gaussian drift) */
    int max_iter; /* cap on f/g update pairs */
    double tol;   /* stop when sum_i |sum_j pi_ij - a_i| <= tol */
    int rows_only; /* 1: one f update from g = 0 (the one-sided limit), no balancing */
} dl_sinkhorn_config;

dl_sinkhorn_config dl_sinkhorn_config_default(double eps);

typedef struct {
    dl_sinkhorn_config cfg;
    size_t n, m, cap;
    double *f, *g;   /* dual potentials, kept for warm starts */
    double *C, *CT;  /* n x m costs of the last solve, and transposed (column updates) */
    int iterations;  /* of the last solve */
    double marginal_error;
} dl_sinkhorn;

int dl_sinkhorn_create(dl_sinkhorn **out, const dl_sinkhorn_config *cfg);
void dl_sinkhorn_destroy(dl_sinkhorn *s);
/* Solve between x (n points) and y (m points); warm-started when n, m match
 * the previous solve.  A solve that hits max_iter above tol still returns its
 * plan (marginal_error says how far), as POT does; NaN input is an error. */
int dl_sinkhorn_solve(dl_sinkhorn *s, const dl_domain *dom, const double *x, size_t n,
                      const double *y, size_t m);
/* After a solve: pi (n x m) */
void dl_sinkhorn_plan(const dl_sinkhorn *s, double *pi);
/* After a solve: T(x_i) - x_i (n x dim) */
void dl_sinkhorn_displacement(const dl_sinkhorn *s, const dl_domain *dom, const double *x,
                              const double *y, double *out);
/* After a solve: OT_eps = <a, f> + <b, g> (the dual value, = the primal at convergence) */
double dl_sinkhorn_value(const dl_sinkhorn *s);
/* S_eps(q, p) = OT(q,p) - OT(q,q)/2 - OT(p,p)/2, three solves */
int dl_sinkhorn_divergence(const dl_sinkhorn_config *cfg, const dl_domain *dom, const double *x,
                           size_t n, const double *y, size_t m, double *value);

#endif
