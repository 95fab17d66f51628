/* decay: fitting exponential decay rates to mode amplitudes.
 *
 * A mode's amplitude is |A exp(-gamma t) + noise|.  While it stands well above
 * the noise, ln|delta_hat| has variance ~ (noise / |delta_hat|)^2, so the fit
 * is a weighted least-squares line through ln amp with weights (amp/noise)^2
 * (GSL's gsl_fit_wlinear), noise being the largest level inside the window.  The standard error is scaled up by the reduced
 * chi^2 when the scatter exceeds what the noise explains (model error). */
#ifndef DL_DECAY_H
#define DL_DECAY_H

#include <stddef.h>

typedef struct {
    double gamma, stderr_gamma; /* decay rate and its standard error */
    double log_amp0;            /* intercept: ln amp at t = 0 */
    double r2;                  /* weighted coefficient of determination */
    double t0, t1;              /* the window actually used */
    size_t points;
} dl_decay_fit;

/* Multiple of the noise level below which an amplitude is not fitted. */
#define DL_DECAY_FLOOR_FACTOR 4.0

/* Fit over samples with t0 <= t <= t1, stopping at the first amplitude below
 * DL_DECAY_FLOOR_FACTOR * noise[i] (noise[i]: the per-component standard
 * deviation of the complex coefficient at sample i, which may grow as other
 * modes feed a background).  Needs 3 points; DL_ENUMERIC otherwise. */
int dl_decay_fit_window(const double *t, const double *amp, const double *noise, size_t n,
                        double t0, double t1, dl_decay_fit *fit);

/* Per-component noise level from amplitudes that carry only noise: the
 * median of a Rayleigh variable is sqrt(2 ln 2) times its scale. */
double dl_decay_noise_from_median(double median_amplitude);

/* First time ln(amp/amp[0]) <= ln(eps), interpolated linearly in ln amp
 * between samples; NaN if never reached. */
double dl_decay_crossing_time(const double *t, const double *amp, size_t n, double eps);

#endif
