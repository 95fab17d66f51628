/* imgspectrum: the power of an image set per radial spatial-frequency shell.
 *
 * Each image (pixels in [-1, 1]) goes through a 2-D FFTW r2c transform,
 * unnormalised, F(k) = sum_x img(x) exp(-2 pi i k.x / size).  Two spectra per
 * shell, because they converge at different rates (docs/THEORY.md section 7):
 *   centred:  P_c(k) = mean over images and over the frequencies of shell k of
 *             |F(img - mean image)|^2;
 *   mean:     P_m(k) = mean over the shell of |F(mean image)|^2.
 * Shell k holds the frequencies with round(|k|) = k, |k| measured with the
 * signed frequencies (-size/2 .. size/2 - 1); shell 0 is DC, and shells above
 * min(rows, cols) / 2 (the corners) are kept so that Parseval holds:
 *   sum_k count(k) P_c(k) = rows cols sum_x var(x) (summed over the images' mean).
 * lambda_k = P_c(k) / (rows cols) is the per-coefficient variance that the
 * Gaussian model of docs/THEORY.md 7 calls lambda.
 * Plan / execute / destroy: the plan owns the FFTW plan and buffers. */
#ifndef DL_IMGSPECTRUM_H
#define DL_IMGSPECTRUM_H

#include <stddef.h>
#include <stdio.h>

#include "drift/schedule.h"

#define DL_IMGSPECTRUM_MAX_SHELLS 64

typedef struct {
    int n_shells;    /* 0 .. n_shells - 1, corners included */
    int kmax;        /* min(rows, cols) / 2: the last full shell */
    size_t n_images;
    int count[DL_IMGSPECTRUM_MAX_SHELLS];       /* frequencies per shell (full plane) */
    double centred[DL_IMGSPECTRUM_MAX_SHELLS];  /* P_c */
    double mean[DL_IMGSPECTRUM_MAX_SHELLS];     /* P_m */
} dl_imgspectrum_result;

typedef struct dl_imgspectrum dl_imgspectrum;

/* rows, cols: 2 .. 256 each. */
int dl_imgspectrum_create(dl_imgspectrum **out, int rows, int cols);
/* n images of rows x cols floats (row-major), n >= 1. */
int dl_imgspectrum_execute(dl_imgspectrum *s, const float *images, size_t n,
                           dl_imgspectrum_result *r);
/* The same for bytes mapped to [-1, 1] (b / 127.5 - 1), as IDX files hold them. */
int dl_imgspectrum_execute_bytes(dl_imgspectrum *s, const unsigned char *pixels, size_t n,
                                 dl_imgspectrum_result *r);
void dl_imgspectrum_destroy(dl_imgspectrum *s);

/* imgspectrum.dat: one row per shell 1..kmax of p against ref (DC is shell 0,
 * reported apart by the callers' headers):
 *   step shell class count P P_ref ln_ratio P_mean P_mean_ref ln_ratio_mean lambda_ref gamma_gaussian P_model
 * P the centred power, lambda_ref = P_ref / (rows cols), gamma_gaussian docs/THEORY.md
 * 7's per-shell rate at bandwidth sigma (NaN when sigma <= 0), P_model the exact
 * model's prediction of P (imgmodel.h; NaN where model is NULL); class -1: every image. */
#define DL_IMGSPECTRUM_COLUMNS                                                                     \
    "step shell class count P P_ref ln_ratio P_mean P_mean_ref ln_ratio_mean lambda_ref "          \
    "gamma_gaussian P_model"
void dl_imgspectrum_write_rows(FILE *fp, double step, int cls, const dl_imgspectrum_result *p,
                               const dl_imgspectrum_result *ref, int pixels, double sigma,
                               const double *model);

/* docs/THEORY.md 7 for the Gaussian kernel of bandwidth sigma (in pixel units of
 * the [-1, 1] images): the rate at which ln(s / lambda) closes along a
 * direction of target variance lambda, gamma = 2u / (1 + u)^2, u = lambda / sigma^2. */
double dl_imgspectrum_gaussian_rate(double lambda, double sigma);
/* ln(gap(t) / gap(0)) along a schedule: closed form for exp (section 7),
 * quadrature of -gamma(lambda, sigma(s)) over [0, t] otherwise. */
double dl_imgspectrum_log_gap(double lambda, const dl_schedule *sched, double t);
/* The full (not linearised) Gaussian-model variance along a direction of
 * target variance lambda, from s0 at time 0 (docs/THEORY.md 7):
 *     ds/dt = 2 s sigma(t)^2 (1 / (s + sigma(t)^2) - 1 / (lambda + sigma(t)^2)),
 * integrated by RK4 in ln s with steps of at most h; returns ln(s(t) / lambda). */
double dl_imgspectrum_gap_ode(double lambda, double s0, const dl_schedule *sched, double t, double h);

#endif
