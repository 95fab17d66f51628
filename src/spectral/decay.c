#include "spectral/decay.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_fit.h>

#include "base/dl_error.h"

double dl_decay_noise_from_median(double median_amplitude)
{
    return median_amplitude / sqrt(2.0 * log(2.0));
}

int dl_decay_fit_window(const double *t, const double *amp, const double *noise, size_t n,
                        double t0, double t1, dl_decay_fit *fit)
{
    fit->gamma = fit->stderr_gamma = fit->log_amp0 = fit->r2 = NAN;
    fit->t0 = fit->t1 = NAN;
    fit->points = 0;
    for (size_t i = 0; i < n; i++)
        if (!(noise[i] > 0))
            return dl_error(DL_EINVAL, "decay fit: noise level %zu must be positive, got %g", i,
                            noise[i]);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    if (!x || !y || !w) {
        free(x), free(y), free(w);
        return dl_error(DL_ENOMEM, "decay fit: out of memory");
    }
    size_t m = 0;
    double level = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < t0 - 1e-12 || t[i] > t1 + 1e-12)
            continue;
        if (!(amp[i] > DL_DECAY_FLOOR_FACTOR * noise[i]))
            break;
        x[m] = t[i];
        y[m] = log(amp[i]);
        w[m] = amp[i] * amp[i];
        level = fmax(level, noise[i]);
        m++;
    }
    /* One noise level for the whole window, its largest: a floor that is tiny
     * at a quiet start would otherwise hand the first sample all the weight. */
    for (size_t i = 0; i < m; i++)
        w[i] /= level * level;
    int st = DL_OK;
    if (m < 3) {
        st = dl_error(DL_ENUMERIC, "decay fit: %zu point(s) above %g x the noise floor", m,
                      DL_DECAY_FLOOR_FACTOR);
    } else {
        double c0, c1, cov00, cov01, cov11, chisq;
        gsl_fit_wlinear(x, 1, w, 1, y, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &chisq);
        double wsum = 0, wmean = 0, tss = 0;
        for (size_t i = 0; i < m; i++)
            wsum += w[i], wmean += w[i] * y[i];
        wmean /= wsum;
        for (size_t i = 0; i < m; i++)
            tss += w[i] * (y[i] - wmean) * (y[i] - wmean);
        double scale = fmax(1.0, chisq / (double)(m - 2));
        fit->gamma = -c1;
        fit->stderr_gamma = sqrt(cov11 * scale);
        fit->log_amp0 = c0;
        fit->r2 = tss > 0 ? 1.0 - chisq / tss : 1.0;
        fit->t0 = x[0];
        fit->t1 = x[m - 1];
        fit->points = m;
    }
    free(x), free(y), free(w);
    return st;
}

double dl_decay_crossing_time(const double *t, const double *amp, size_t n, double eps)
{
    if (n == 0 || !(amp[0] > 0))
        return NAN;
    double target = log(eps), prev = 0;
    for (size_t i = 1; i < n; i++) {
        double cur = log(amp[i] / amp[0]);
        if (cur <= target)
            return t[i - 1] + (t[i] - t[i - 1]) * (target - prev) / (cur - prev);
        prev = cur;
    }
    return NAN;
}
