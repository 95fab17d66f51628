/* The decay fit on synthetic modes |A exp(-gamma t) + noise|: the rate is
 * recovered within its own stated standard error as often as a standard
 * error promises (coverage), and the window stops at the noise floor. */
#include <complex.h>
#include <math.h>

#include <gsl/gsl_randist.h>

#include "spectral/decay.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "test_common.h"

int main(void)
{
    gsl_rng *rng = dl_rng_create(21);
    const double gamma = 0.35, A = 1e-2, noise = 2e-5;
    double t[121], amp[121], level[121], tiny[121], unit[121];
    for (int i = 0; i < 121; i++)
        level[i] = noise, tiny[i] = 1e-30, unit[i] = 1.0;
    int within1 = 0, within3 = 0, trials = 400;
    double mean_points = 0;
    for (int trial = 0; trial < trials; trial++) {
        for (int i = 0; i < 121; i++) {
            t[i] = 0.25 * i;
            double complex z = A * exp(-gamma * t[i]) +
                               gsl_ran_gaussian(rng, noise) + I * gsl_ran_gaussian(rng, noise);
            amp[i] = cabs(z);
        }
        dl_decay_fit fit;
        CHECK_OK(dl_decay_fit_window(t, amp, level, 121, 0, INFINITY, &fit));
        double z = fabs(fit.gamma - gamma) / fit.stderr_gamma;
        within1 += z <= 1;
        within3 += z <= 3;
        mean_points += (double)fit.points / trials;
        /* the window ends before A exp(-gamma t) reaches 4 x noise: t = ln(A/(4 noise))/gamma */
        CHECK(fit.t1 <= log(A / (DL_DECAY_FLOOR_FACTOR * noise)) / gamma + 2.0,
              "window ran to t = %g, into the noise", fit.t1);
    }
    /* A standard error covers the truth 68% of the time; 400 trials give a
     * binomial spread of 2.3%, so [0.60, 0.76] is about 3.5 spreads wide. */
    double f1 = (double)within1 / trials, f3 = (double)within3 / trials;
    printf("coverage: %.3f within 1 stderr, %.3f within 3; %.1f points per fit\n", f1, f3,
           mean_points);
    CHECK(f1 >= 0.60 && f1 <= 0.76, "1-stderr coverage %.3f not near 0.68", f1);
    CHECK(f3 >= 0.98, "3-stderr coverage %.3f below 0.98", f3);

    /* noiseless: exact rate; crossing time exact for e^-1 */
    for (int i = 0; i < 121; i++)
        amp[i] = A * exp(-gamma * t[i]);
    dl_decay_fit fit;
    CHECK_OK(dl_decay_fit_window(t, amp, tiny, 121, 0, 10, &fit));
    CHECK_CLOSE(fit.gamma, gamma, 1e-12, "noiseless rate");
    CHECK_CLOSE(fit.t1, 10, 1e-12, "window end follows t1");
    CHECK_CLOSE(dl_decay_crossing_time(t, amp, 121, exp(-1)), 1 / gamma, 1e-9, "crossing time");
    CHECK(isnan(dl_decay_crossing_time(t, amp, 121, 1e-300)), "unreached crossing not NaN");
    CHECK(dl_decay_fit_window(t, amp, unit, 121, 0, 10, &fit) == DL_ENUMERIC,
          "fit below the noise accepted");
    CHECK_CLOSE(dl_decay_noise_from_median(sqrt(2 * log(2.0))), 1.0, 1e-15, "Rayleigh median");
    /* a floor that rises with time (a background fed by other modes) ends the window earlier */
    for (int i = 0; i < 121; i++)
        level[i] = 1e-9 * exp(0.5 * t[i]);
    CHECK_OK(dl_decay_fit_window(t, amp, level, 121, 0, INFINITY, &fit));
    double t_cross = log(A / (DL_DECAY_FLOOR_FACTOR * 1e-9)) / (gamma + 0.5);
    CHECK(fit.t1 <= t_cross && fit.t1 > t_cross - 0.3, "rising floor: window ends at %g, want %g",
          fit.t1, t_cross);
    gsl_rng_free(rng);
    return test_report("test_decay");
}
