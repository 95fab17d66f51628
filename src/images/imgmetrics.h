/* imgmetrics: distances between sets of feature vectors (rows of n x d float
 * matrices): Frechet distance, kernel inception-style distance, improved
 * precision/recall, nearest-neighbour distances.  Pairwise distances go
 * through blocked sgemm: |x|^2 + |y|^2 - 2 x.y. */
#ifndef DL_IMGMETRICS_H
#define DL_IMGMETRICS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

/* |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), d x d row-major
 * covariances; the matrix square roots by GSL symmetric eigendecomposition. */
int dl_frechet_gaussians(const double *mu1, const double *S1, const double *mu2, const double *S2,
                         int d, double *fd);
/* Mean and (n-1)-normalised covariance of the rows, then the formula above. */
int dl_frechet_distance(const float *a, size_t na, const float *b, size_t nb, int d, double *fd);

/* Unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3, averaged over up to
 * `subsets` disjoint random subsets of `size` rows from each side (as many as
 * fit); stderr = std / sqrt(count), honest because the subsets are disjoint. */
int dl_kid(const float *a, size_t na, const float *b, size_t nb, int d, int subsets, size_t size,
           gsl_rng *rng, double *mean, double *stderr);

/* Improved precision/recall (Kynkaanniemi et al. 2019) with k-NN balls:
 * precision = share of fake rows inside some real row's ball (radius = its
 * distance to its k-th nearest real neighbour); recall the other way round. */
int dl_precision_recall(const float *real, size_t nr, const float *fake, size_t nf, int d, int k,
                        double *precision, double *recall);

/* Distance from every query row to its nearest reference row. */
int dl_nearest_distances(const float *query, size_t nq, const float *ref, size_t nr, int d,
                         double *out);

/* Mean Euclidean distance between distinct rows (within-set diversity). */
double dl_mean_pairwise_distance(const float *x, size_t n, int d);

#endif
