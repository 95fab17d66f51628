/* engine: how the drift field is evaluated.
 *
 *   V_p^+(x) = sum_j k(x, y_j) (y_j - x) / sum_j k(x, y_j)   (attraction to the target)
 *   V_q^-(x) = sum_j k(x, q_j) (q_j - x) / sum_j k(x, q_j)   (repulsion from the particles)
 *   V = V^+ - V^-
 *
 * The simulator only talks to this interface, so faster engines (particle
 * mesh, SIMD, GEMM) plug in beside the direct double-precision reference
 * without touching it.  Engines follow create / execute / destroy. */
#ifndef DL_ENGINE_H
#define DL_ENGINE_H

#include <stddef.h>

#include "drift/domain.h"
#include "drift/kernel.h"
#include "drift/sinkhorn.h"
#include "drift/assignment.h"
#include "drift/operator.h"

typedef struct {
    const dl_domain *domain;
    const dl_kernel *kernel;
    double sigma;
    const double *x; /* evaluation points, n x dim (row-major) */
    size_t n;
    const double *y; /* target samples, m x dim */
    size_t m;
    const double *q; /* current particles for V^-, nq x dim (usually q == x) */
    size_t nq;
    int self_mask;   /* V^- at x_i skips q_i; requires q == x */
    dl_operator op;  /* mean shift (0, the default) or the MMD flow: operator.h */
} dl_drift_request;

typedef struct dl_engine dl_engine;

typedef struct {
    const char *name;
    int (*drift)(dl_engine *engine, const dl_drift_request *req, double *v_plus,
                 double *v_minus);
    void (*destroy)(dl_engine *engine);
    void (*fix_targets)(dl_engine *engine, const double *y, size_t m); /* optional */
} dl_engine_ops;

struct dl_engine {
    const dl_engine_ops *ops;
    void *state;
    char note[160];   /* the engine's latest decision (grid, fallback), for the run log */
    int note_changed; /* set when note changes; the reader clears it */
};

/* Known names: "direct", "simd", "pm" (default configuration), "gemm",
 * "sinkhorn", "coulomb". */
int dl_engine_create(const char *name, dl_engine **engine);
/* The known names by index, NULL past the last (the lab lists them). */
const char *dl_engine_name_at(size_t index);
/* v_plus and v_minus (n x dim) may each be NULL to skip that half. */
int dl_engine_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus,
                    double *v_minus);
void dl_engine_destroy(dl_engine *engine);
/* A promise from the caller: the targets y (m points) stay unchanged for as
 * long as the engine is used.  An engine that can (the particle meshes) then
 * keeps what it computed from this y between requests, here the targets'
 * transformed deposit on the current grid, made again only on another grid;
 * the numbers are the same, bit for bit.  A request with any other y is
 * handled as usual.  Engines that keep nothing ignore it. */
void dl_engine_fix_targets(dl_engine *engine, const double *y, size_t m);

/* The double-precision direct pairwise sum: the reference for all engines. */
int dl_engine_direct_create(dl_engine **engine);

/* One row of the reference, for engines that fall back to it where their own
 * arithmetic cannot (a float kernel sum that underflows): the mean shift
 * sum_j k u_j / sum_j k at xi over pts, skipping index skip; nonzero if the
 * sum vanished even after the log shift. */
int dl_direct_mean_shift_row(const dl_pair_kernel *pk, const double *xi, const double *pts,
                             size_t count, size_t skip, double *out);

/* Direct engine, fast path: float32, blocked, OpenMP over rows, the exp
 * vectorised through glibc's libmvec; the kernels with a float form (kernel_float.h), d <= 3,
 * R^d or the torus.  Rows whose float kernel sum underflows are redone by the
 * reference. */
int dl_engine_simd_create(dl_engine **engine);
/* The simd engine's roofline: rows x count bare expf in the same loop shape
 * and build (blocks, threads, vector exp) with the kernel math stripped out.
 * Returns a checksum, so the work cannot be optimised away. */
double dl_simd_exp_roofline(const float *col, size_t count, size_t rows);

/* GEMM engine for high dimension (R^d, every smoothing kernel in its float
 * form, kernel_float.h): distances and weighted sums as two OpenBLAS sgemm,
 * rows shifted by their largest log-kernel value. */
int dl_engine_gemm_create(dl_engine **engine);

/* Particle-mesh engine (d <= 3, torus or R^d on a zero-padded grid): V by
 * FFT convolutions in O(n + G log G).  Grid spacing sigma / cells_per_sigma
 * (0: the default that meets 1e-3 rms|V| for the kernel), or a fixed grid of
 * `grid` cells per axis; a grid beyond max_cells (annealing shrinks sigma)
 * switches to the direct engine, and the note says so. */
typedef struct {
    dl_assignment assign;
    double cells_per_sigma;
    int grid;
    size_t max_cells;
    size_t slice_from; /* deposits of at least this many points go in parallel slices (0: 65536) */
} dl_pm_config;
dl_pm_config dl_pm_config_default(void);
int dl_engine_pm_create(dl_engine **engine, const dl_pm_config *cfg);

/* The Sinkhorn-divergence drift (sinkhorn.h): V+ = T_qp - x, V- = T_qq - x
 * under entropic plans with eps = sigma^2 (cost |u|^2 / 2); the kernel must
 * be the Gaussian, its Gibbs kernel.  cfg gives the iteration cap and the
 * tolerance (its eps is ignored); NULL: defaults. */
int dl_engine_sinkhorn_create(dl_engine **engine, const dl_sinkhorn_config *cfg);

/* The options of the configurable engines, in one place for the CLI. */
typedef struct {
    dl_pm_config pm;
    dl_sinkhorn_config sinkhorn;
} dl_engine_options;
dl_engine_options dl_engine_options_default(void);

/* What `--engine auto` runs, and why (one line into why): gemm in high
 * dimension, the particle mesh when n m is large and its grid is affordable,
 * the simd fast path for the kernels it vectorises, else the reference. */
const char *dl_engine_auto(const dl_domain *dom, const dl_kernel *kernel, dl_operator op,
                           double sigma, size_t n, size_t m, const dl_pm_config *pm, char *why,
                           size_t len);
/* Makes the named engine ("auto" not included) with its options. */
int dl_engine_create_configured(const char *name, const dl_engine_options *opt, dl_engine **engine);

/* Whether the named engine handles this domain, kernel and operator ("direct"
 * and "auto" handle every smoothing kernel and both operators): the one place
 * each engine's limits are written, used by dl_engine_drift and by the CLI
 * before any output exists. */
int dl_engine_check(const char *name, const dl_domain *dom, const dl_kernel *kernel,
                    dl_operator op);

/* The MMD flow of the Coulomb kernel (Green's function of the Laplacian) on
 * the 1-D torus, exact, from sorted positions in O((n + m) log(n + m)):
 * with G'(u) = u / L - 1/2 for u = (x - y) mod L in (0, L) and 0 at u = 0,
 * V+(x) = (1/m) sum_j G'(x - y_j) and V-(x) = (1/(nq - mask)) sum_j G'(x - q_j). */
int dl_engine_coulomb_create(dl_engine **engine);

/* The smallest FFT-friendly size (2^a 3^b 5^c, at least 8) of at least need cells. */
int dl_pm_fft_size(double need);

/* A point's interaction with itself through the mesh, sum_ab W_a W_b K~(a - b),
 * which self-masking takes out: kernel holds the deconvolved grid kernel K~ at
 * node offsets -2..2 per axis, n and w the point's stencil (unused axes: n 1,
 * w 1).  Shared by the single-process and the distributed mesh. */
double dl_pm_self_interaction(double kernel[5][5][5], const int n[3], double w[3][3]);

/* The particle mesh's default grid spacing, sigma / this, for a kernel and dimension. */
double dl_pm_cells_per_sigma(const dl_kernel *kernel, int dim);

/* Checks shared by every engine (sizes, pointers, bandwidth, self-mask). */
int dl_drift_request_validate(const dl_drift_request *req);

#endif
