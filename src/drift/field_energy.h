/* field_energy: the objective that training WITHOUT stop-gradient descends,
 * and its exact gradient with respect to every particle (docs/THEORY.md section 5).
 *
 *   E(X) = (1/2) sum_i |V(x_i)|^2,   V(x_i) = V_p^+(x_i) - V_q^-(x_i),  q = X
 *
 * V^- at x_i depends on every particle (self-masked: x_i is not its own
 * sample), so the gradient has a diagonal part and a coupling part.  With
 * weights w_ij = k(u_ij) / sum_j k(u_ij), u_ij = y_j - x_i, and the kernel
 * score g(u) = grad_u log k(u) = 2 u (d log k / d r2):
 *
 *   dV_i/dx_i = Cov_w+(u, -g) - Cov_w-(u, -g)               (the -I terms cancel)
 *   dV_i/dx_l = -w_il [I + (u_il - V^-_i) g(u_il)^T]        (l != i)
 *   dE/dx_l   = sum_i (dV_i/dx_l)^T V_i
 *
 * Direct double sums, O(n (n + m) d); R^d, or a torus by the nearest image
 * only, refused where the kernel at L/2 exceeds 1e-8 of k(0) (V then agrees
 * with the periodised engines to that; the canonical Gaussian, sigma 0.5 on
 * a 2 pi torus, has k(L/2) = 2.7e-9). */
#ifndef DL_FIELD_ENERGY_H
#define DL_FIELD_ENERGY_H

#include <stddef.h>

#include "drift/domain.h"
#include "drift/kernel.h"

/* V (n x dim) and dE/dX (n x dim) at x; energy receives E.  Any output may be NULL. */
int dl_field_energy(const dl_domain *dom, const dl_kernel *kernel, double sigma, const double *x,
                    size_t n, const double *y, size_t m, double *V, double *grad, double *energy);

#endif
