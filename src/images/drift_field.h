/* drift_field: the practical drift of Deng et al. (2026) for training a
 * generator, on one feature map of one class.
 *
 * Generated features X (N x D) are pulled toward positives Y (M x D) and
 * pushed from each other:
 *   1. L2 distances (not squared) from every x_i to every y_j and x_k, the
 *      x_i-x_i pair masked; scale = their mean; distances and coordinates are
 *      divided by it.
 *   2. For each temperature tau: logits -d/tau (Laplacian, the default) or
 *      -d^2/tau (Gaussian) over the columns [Y | X]; the affinity is
 *      sqrt(row softmax * column softmax) (two-sided, default), the row
 *      softmax alone (rows) or exp(logits) (none), floored at 1e-6.
 *   3. W_pos = A_pos sum(A_neg), W_neg = A_neg sum(A_pos), row by row;
 *      F_i = sum_j W_pos,ij (y_j - x_i) - sum_k W_neg,ik (x_k - x_i).
 *   4. F is divided by its RMS over the batch; the temperatures' forces add up.
 * V is in the normalised coordinates; the training loss ||x - sg(x + V)||^2
 * then has the gradient -2 V / numel there, i.e. -2 V / (numel scale) in x. */
#ifndef DL_DRIFT_FIELD_H
#define DL_DRIFT_FIELD_H

#include <stddef.h>

#include "drift/operator.h"

typedef enum { DL_FIELD_LAPLACIAN, DL_FIELD_GAUSSIAN } dl_field_kernel;
typedef enum { DL_FIELD_TWO_SIDED, DL_FIELD_ROWS, DL_FIELD_NONE } dl_field_norm;

typedef struct {
    dl_field_kernel kernel;
    dl_field_norm norm;
    int n_tau;
    double tau[8];
    int self_mask; /* 1 in training; 0 only for tests of anti-symmetry */
    /* the mean shift (default: steps 2-3 above), or the MMD flow: weights
     * g(d) = -k'(d)/d of the same kernel, unnormalised, over 1/M on the
     * positives and 1/(N - 1) on the generated (1/N unmasked), then step 4;
     * the double-precision path only (toytrain), without guidance */
    dl_operator op;
} dl_field_config;

/* The paper's defaults: Laplacian, two-sided, tau in {0.02, 0.05, 0.2}, masked. */
dl_field_config dl_field_default(void);
int dl_field_kernel_parse(const char *name, dl_field_kernel *k);
int dl_field_norm_parse(const char *name, dl_field_norm *n);

/* V (N x D) for X (N x D) against Y (M x D); *scale receives the distance
 * scale (so dL/dx = -2 V / (numel scale)).  Double precision inside. */
int dl_field_compute(const dl_field_config *cfg, const float *X, size_t N, const float *Y, size_t M,
                     int D, float *V, double *scale);

/* The same field with classifier-free guidance (Deng et al. 2026, A.7): Mu
 * extra negatives U (real images of random classes), each counted with
 * weight w in the kernel (log w added to its logits), so that the negatives
 * are the mixture of the generated set and (alpha - 1) times the
 * unconditional data, w = (alpha - 1)(N - 1) / Mu.  The scale is the mean
 * distance over the positive and generated columns only, so that w = 0 (or
 * Mu = 0) gives dl_field_compute exactly, up to float rounding. */
int dl_field_compute_guided(const dl_field_config *cfg, const float *X, size_t N, const float *Y,
                            size_t M, const float *U, size_t Mu, double weight, int D, float *V,
                            double *scale);

/* The same field as dl_field_compute_guided in float, the training's path:
 * vectorised exp, log-space softmaxes (so any spread of the logits is safe),
 * loops for short rows and OpenBLAS for long ones (drift_field_float.c). */
int dl_field_compute_float(const dl_field_config *cfg, const float *X, size_t N, const float *Y,
                           size_t M, const float *U, size_t Mu, double weight, int D, float *V,
                           double *scale);

/* The argument checks of both paths above, so that they refuse the same input
 * with the same message: DL_OK, or DL_EINVAL naming what is wrong. */
int dl_field_check_guided(const dl_field_config *cfg, size_t N, size_t M, const float *U,
                          size_t Mu, double weight, int D);

/* Rows that are maps of nch = D / block channels over block locations,
 * channel-major (value (ch, k) at ch * block + k, as the encoder lays them
 * out): one field per location k over the nch channels (Deng et al.'s
 * per-location features), each with dl_field_compute_float and its own
 * distance scale scales[k].  V has X's layout. */
int dl_field_compute_per_location(const dl_field_config *cfg, const float *X, size_t N,
                                  const float *Y, size_t M, const float *U, size_t Mu,
                                  double weight, int D, int block, float *V, double *scales);

/* The simplified field of the stop-gradient ablation, which can be
 * differentiated exactly: V = V^+ - V^- (the mean shift: row-normalised
 * weights, one temperature tau, self-masked, no two-sided normalisation, no
 * RMS normalisation) in the same normalised coordinates (the scale is held
 * fixed, as under stop-gradient).  With grad != NULL it also returns
 * d/dX of (1/2) sum |V|^2 through V itself (field_energy.h), in those
 * coordinates.  Double precision inside. */
int dl_field_meanshift(const dl_field_config *cfg, double tau, const float *X, size_t N,
                       const float *Y, size_t M, int D, float *V, float *grad, double *scale);

/* The Sinkhorn-divergence field (docs/THEORY.md section 6) in the same normalised
 * coordinates: V = T_qp - T_qq, entropic plans with cost |u|^2 / 2 at
 * cfg->eps (in units of the mean distance).  A field option of training, used
 * under stop-gradient like the practical field. */
#include "drift/sinkhorn.h"
int dl_field_sinkhorn(const dl_sinkhorn_config *cfg, const float *X, size_t N, const float *Y,
                      size_t M, int D, float *V, double *scale);

#endif
