/* image_points: Fashion-MNIST (or any IDX) images as particles of `driftlab
 * sim` in R^(rows x cols), pixels mapped to [-1, 1] as the trainer maps them.
 *
 *   --target idx:PATH[:CLASS]   --init idx:PATH[:CLASS]
 * PATH is an IDX image file; CLASS (0..9) keeps the images of that class,
 * whose labels come from the matching labels file (PATH with "images-idx3"
 * replaced by "labels-idx1", as the data set names them).  --m / --n draw a
 * seeded random subset without replacement (0: every image). */
#ifndef DL_IMAGE_POINTS_H
#define DL_IMAGE_POINTS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

/* 1 if spec names an image file (idx:... or idxgauss:...).  idxgauss:PATH[:CLASS]
 * is docs/THEORY.md 7's Gaussian model of those images: samples of N(mu, Sigma)
 * with the images' own mean and covariance, drawn through a Cholesky factor
 * (GSL) of Sigma + 1e-6 tr(Sigma)/d I (pixels that never change make Sigma
 * singular). */
int dl_image_points_is_spec(const char *spec);
/* The image size of spec, from its file's header. */
int dl_image_points_size(const char *spec, int *rows, int *cols);
/* count images of spec (all when want is 0) as rows x cols doubles in [-1, 1]. */
int dl_image_points_load(const char *spec, size_t want, gsl_rng *rng, double **x, size_t *count);
/* Snapshot STEP of an image run: DIR/snap-STEP-images.idx.gz (every
 * particle, clamped to [-1, 1] and rounded to bytes) and DIR/snap-STEP.png
 * (the first 100 in a 10-wide grid). */
int dl_image_points_snapshot(const char *dir, long step, const double *x, size_t n, int rows, int cols);
/* The median pairwise distance of the first min(m, 1000) points (m x d). */
double dl_median_distance(const double *y, size_t m, int d);



/* FD-FMNIST of image particles against the test split (--classifier): the
 * classifier's features of the first n test images are computed once. */
typedef struct dl_image_fd dl_image_fd;
int dl_image_fd_create(dl_image_fd **out, const char *classifier, const char *data_dir, size_t n);
/* FD of the first min(n, count) particles (count x 784 doubles in [-1, 1]). */
int dl_image_fd_compute(dl_image_fd *f, const double *x, size_t count, double *fd);
void dl_image_fd_destroy(dl_image_fd *f);
#endif
