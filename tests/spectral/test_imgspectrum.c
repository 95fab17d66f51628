/* The image-spectrum analyzer against closed forms:
 *  - a set of cosine images puts all of its centred power in its own shell,
 *    at (A rows cols / 2)^2 per frequency pair;
 *  - Parseval: sum_k count(k) P(k) = rows cols sum_x |d(x)|^2, centred and mean;
 *  - a point image has a flat spectrum: power 1 in every shell;
 *  - a set and the same set repeated give the same spectra (sets of
 *    different sizes are normalised per image);
 *  - docs/THEORY.md 7's rate peaks at 1/2 where lambda = sigma^2, and the
 *    annealed closed form agrees with a quadrature of the rate;
 *  - bad sizes, an empty set and a NaN pixel are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "base/dl_error.h"
#include "base/rng.h"
#include "spectral/imgspectrum.h"
#include "test_common.h"

#define R 28
#define C 28
#define NPIX (R * C)

static void cosine_images(float *img, int n, int kx, int ky)
{
    for (int i = 0; i < n; i++)
        for (int y = 0; y < R; y++)
            for (int x = 0; x < C; x++) /* amplitudes 0.5, -0.3, 0.1, ...: a centred part remains */
                img[i * NPIX + y * C + x] =
                    (float)((0.5 - 0.4 * i) * cos(2 * M_PI * ((double)kx * x / C + (double)ky * y / R)));
}

static void test_cosine_shell(dl_imgspectrum *s)
{
    float img[3 * NPIX];
    cosine_images(img, 3, 3, 4); /* |k| = 5 */
    dl_imgspectrum_result r;
    CHECK_OK(dl_imgspectrum_execute(s, img, 3, &r));
    double total = 0, amp2 = 0, mean_amp = 0;
    for (int k = 0; k < r.n_shells; k++)
        total += r.centred[k] * r.count[k];
    for (int i = 0; i < 3; i++)
        mean_amp += (0.5 - 0.4 * i) / 3;
    for (int i = 0; i < 3; i++)
        amp2 += pow(0.5 - 0.4 * i - mean_amp, 2) / 3;
    /* two frequencies (+k and -k), each |F| = A rows cols / 2 */
    const double want = 2 * amp2 * pow(NPIX / 2.0, 2);
    /* float images: the cosine's values are rounded to 6e-8 of its amplitude */
    const double want_mean = 2 * mean_amp * mean_amp * pow(NPIX / 2.0, 2);
    CHECK_CLOSE(r.centred[5] * r.count[5], want, 1e-6 * want, "cosine: shell 5's centred power");
    CHECK_CLOSE(total, r.centred[5] * r.count[5], 1e-12 * want, "cosine: all centred power in shell 5");
    CHECK_CLOSE(r.mean[5] * r.count[5], want_mean, 1e-6 * want_mean, "cosine: the mean image's power");
    CHECK(r.kmax == 14 && r.n_shells > 15, "kmax %d, %d shells", r.kmax, r.n_shells);
}

static void test_parseval(dl_imgspectrum *s, gsl_rng *rng)
{
    enum { N = 7 };
    static float img[N * NPIX];
    for (int i = 0; i < N * NPIX; i++)
        img[i] = (float)gsl_ran_gaussian(rng, 0.4) + 0.1f * (i % NPIX) / NPIX;
    dl_imgspectrum_result r;
    CHECK_OK(dl_imgspectrum_execute(s, img, N, &r));
    double mean[NPIX] = {0}, var = 0, msq = 0, pc = 0, pm = 0;
    int count = 0;
    for (int i = 0; i < N; i++)
        for (int p = 0; p < NPIX; p++)
            mean[p] += (double)img[i * NPIX + p] / N;
    for (int i = 0; i < N; i++)
        for (int p = 0; p < NPIX; p++)
            var += pow(img[i * NPIX + p] - mean[p], 2) / N;
    for (int p = 0; p < NPIX; p++)
        msq += mean[p] * mean[p];
    for (int k = 0; k < r.n_shells; k++)
        pc += r.centred[k] * r.count[k], pm += r.mean[k] * r.count[k], count += r.count[k];
    CHECK(count == NPIX, "the shells hold %d frequencies, not %d", count, NPIX);
    CHECK_CLOSE(pc, NPIX * var, 1e-9 * NPIX * var, "Parseval, centred");
    CHECK_CLOSE(pm, NPIX * msq, 1e-9 * NPIX * msq, "Parseval, mean image");
}

static void test_point_and_sizes(dl_imgspectrum *s, gsl_rng *rng)
{
    static float img[2 * NPIX], set[30 * NPIX];
    memset(img, 0, sizeof img);
    img[0] = 1, img[NPIX] = -1; /* a point and its negative: mean 0, centred flat */
    dl_imgspectrum_result r, a, b;
    CHECK_OK(dl_imgspectrum_execute(s, img, 2, &r));
    double worst = 0;
    for (int k = 0; k < r.n_shells; k++)
        worst = fmax(worst, fabs(r.centred[k] - 1) + fabs(r.mean[k]));
    CHECK(worst < 1e-12, "point image: shells off a flat spectrum of 1 by %.3g", worst);
    for (int i = 0; i < 10 * NPIX; i++)
        set[i] = (float)gsl_ran_gaussian(rng, 0.5);
    for (int rep = 1; rep < 3; rep++)
        memcpy(set + rep * 10 * NPIX, set, 10 * NPIX * sizeof(float));
    CHECK_OK(dl_imgspectrum_execute(s, set, 10, &a));
    CHECK_OK(dl_imgspectrum_execute(s, set, 30, &b));
    worst = 0;
    for (int k = 0; k < a.n_shells; k++)
        worst = fmax(worst, fabs(a.centred[k] / b.centred[k] - 1) + fabs(a.mean[k] - b.mean[k]) / (a.mean[k] + 1e-30));
    CHECK(worst < 1e-9, "10 images against the same 10 three times: relative difference %.3g", worst);
}

static void test_theory(void)
{
    CHECK_CLOSE(dl_imgspectrum_gaussian_rate(2.0, sqrt(2.0)), 0.5, 1e-15, "rate at lambda = sigma^2");
    CHECK_CLOSE(dl_imgspectrum_gaussian_rate(0.04, 1.0), 2 * 0.04 / (1.04 * 1.04), 1e-15, "rate below");
    dl_schedule exp_s, cos_s;
    CHECK_OK(dl_schedule_init(&exp_s, DL_SCHEDULE_EXP, 2.0, 0.3, 1e-3, 0));
    CHECK_OK(dl_schedule_init(&cos_s, DL_SCHEDULE_COSINE, 2.0, 0, 0.1, 10));
    for (double lambda = 1e-3; lambda < 10; lambda *= 7) {
        /* the rate integrated by the trapezoid rule on a fine grid */
        double q_exp = 0, q_cos = 0;
        const int n = 200000;
        const double t = 8, h = t / n;
        for (int i = 0; i < n; i++) {
            const double a = i * h, b = a + h;
            q_exp -= h / 2 * (dl_imgspectrum_gaussian_rate(lambda, dl_schedule_sigma(&exp_s, a)) +
                              dl_imgspectrum_gaussian_rate(lambda, dl_schedule_sigma(&exp_s, b)));
            q_cos -= h / 2 * (dl_imgspectrum_gaussian_rate(lambda, dl_schedule_sigma(&cos_s, a)) +
                              dl_imgspectrum_gaussian_rate(lambda, dl_schedule_sigma(&cos_s, b)));
        }
        CHECK_CLOSE(dl_imgspectrum_log_gap(lambda, &exp_s, t), q_exp, 1e-7, "annealed closed form");
        CHECK_CLOSE(dl_imgspectrum_log_gap(lambda, &cos_s, t), q_cos, 1e-7, "cosine quadrature");
    }
}

static void test_bad_input(dl_imgspectrum *s)
{
    dl_imgspectrum *bad = NULL;
    dl_imgspectrum_result r;
    float img[NPIX] = {0};
    CHECK(dl_imgspectrum_create(&bad, 1, 28) == DL_EINVAL && !bad, "1-row images accepted");
    CHECK(dl_imgspectrum_create(&bad, 28, 1000) == DL_EINVAL && !bad, "1000-column images accepted");
    CHECK(dl_imgspectrum_execute(s, img, 0, &r) == DL_EINVAL, "an empty set accepted");
    img[17] = NAN;
    CHECK(dl_imgspectrum_execute(s, img, 1, &r) == DL_EINVAL, "a NaN pixel accepted");
    CHECK(strstr(dl_error_message(), "pixel 17") != NULL, "message: %s", dl_error_message());
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(4);
    dl_imgspectrum *s = NULL;
    CHECK_OK(dl_imgspectrum_create(&s, R, C));
    if (s) {
        test_cosine_shell(s);
        test_parseval(s, rng);
        test_point_and_sizes(s, rng);
        test_bad_input(s);
    }
    test_theory();
    dl_imgspectrum_destroy(s);
    gsl_rng_free(rng);
    return test_report("test_imgspectrum");
}
