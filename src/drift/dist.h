/* dist: the distributions particles and targets are drawn from.
 *
 * On the torus: the uniform density and trigonometric perturbations
 *   p(x) = L^-d (1 + sum_k a_k cos(k . x)),  k = 2 pi n / L,
 * sampled either iid (rejection) or by a quiet start: the inverse-CDF
 * (Rosenblatt) map applied to a centred lattice, which makes empirical Fourier
 * coefficients exact up to quadrature error instead of ~1/sqrt(N) noise.
 * On R^d: standard normal, isotropic Gaussian mixtures, and the 2-D toys.
 * Samples from files are read by snapshot.h (dl_samples_read). */
#ifndef DL_DIST_H
#define DL_DIST_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "base/rng.h"
#include "drift/domain.h"

#define DL_MAX_MODES 64
#define DL_MAX_COMPONENTS 64

typedef enum {
    DL_DIST_UNIFORM,
    DL_DIST_MODES,
    DL_DIST_NORMAL,
    DL_DIST_GMM,
    DL_DIST_8GAUSSIANS,
    DL_DIST_CHECKERBOARD,
    DL_DIST_SWISSROLL,
    DL_DIST_MOONS,
    DL_DIST_RINGS,
    DL_DIST_FILE
} dl_dist_kind;

typedef struct {
    double weight;
    double mean[DL_MAX_DIM];
    double std; /* isotropic standard deviation */
} dl_gmm_component;

typedef struct {
    dl_dist_kind kind;
    int quiet; /* lattice / inverse-CDF sampling (uniform, modes) */
    int n_modes;
    int mode[DL_MAX_MODES][DL_MAX_DIM]; /* integer wave numbers n, k = 2 pi n / L */
    double amp[DL_MAX_MODES];
    double std; /* normal */
    int n_components;
    dl_gmm_component component[DL_MAX_COMPONENTS];
} dl_dist;

/* "uniform", "modes", "normal", "gmm", "8gaussians", "checkerboard",
 * "swissroll", "moons", "rings", "file". */
int dl_dist_kind_parse(const char *name, dl_dist_kind *kind);
const char *dl_dist_kind_name(dl_dist_kind kind);
const char *dl_dist_kind_names(void);

/* "1,2,3" in 1-D; "1:0,0:1,2:1" in d-D (components joined by ':').  amps is
 * one value for all modes or one per mode ("0.005" or "0.01,0.02"). */
int dl_dist_set_modes(dl_dist *d, int dim, const char *modes, const char *amps);
/* "w@m1,..,md/s;w@..." (weights are normalised). */
int dl_dist_set_gmm(dl_dist *d, int dim, const char *spec);

/* Check that the distribution makes sense on this domain. */
int dl_dist_validate(const dl_dist *d, const dl_domain *dom, size_t count);

/* Draw count points (count x dim, row-major) into out; wraps onto the torus. */
int dl_dist_sample(const dl_dist *d, const dl_domain *dom, size_t count, gsl_rng *rng,
                   double *out);

/* Points [begin, end) of the count that dl_dist_sample would draw from the
 * same rng, into out ((end - begin) x dim): a rank's block of a distributed
 * run.  The rng ends where dl_dist_sample's would. */
int dl_dist_sample_block(const dl_dist *d, const dl_domain *dom, size_t count, size_t begin,
                         size_t end, gsl_rng *rng, double *out);

/* grad log (p * N(0, sigma^2 I))(x) for a Gaussian mixture p, in closed form. */
int dl_gmm_smoothed_score(const dl_dist *gmm, int dim, double sigma, const double *x,
                          double *grad);

#endif
