/* The exact image-shell model (imgmodel.h) against closed forms:
 *  - each eigenvector's shell energies sum to the pixel count (Parseval);
 *  - a reference set varying along one cosine has that cosine as its top
 *    eigenvector, with all of its energy in the cosine's shell;
 *  - the ODE rests at s* = lambda - kappa (lambda + sigma^2) (self-masked:
 *    kappa = -1/(N - 1), independent of s);
 *  - for sigma^2 >> s and large N, d ln s/dt = 2 (lambda - s)/sigma^2 - 2 (c - 1)/N;
 *  - an Euler step multiplies s by (1 + dt a)^2, a half of d ln s/dt;
 *  - the pair spread K against a Monte Carlo estimate over Gaussian particles,
 *    the spread accumulated at a resting point, t sqrt(K), and eps = 2 spread^2 / N,
 *    infinite from 1 on;
 *  - the map of the particles at s1 = s0 is the identity, and their
 *    variances after the map are s1 where the set is white in the eigenbasis;
 *  - bad input: fewer than 2 images, a size out of range, a NaN pixel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "base/dl_error.h"
#include "base/rng.h"
#include "spectral/imgmodel.h"
#include "test_common.h"

enum { R = 8, C = 8, D = R * C };

static void test_energies(gsl_rng *rng)
{
    const size_t m = 300;
    float *ref = malloc(m * D * sizeof *ref);
    for (size_t j = 0; j < m * D; j++)
        ref[j] = (float)gsl_ran_gaussian(rng, 1.0 + (j % D) / 16.0);
    dl_imgmodel *model;
    CHECK_OK(dl_imgmodel_create(&model, ref, m, R, C));
    const int shells = dl_imgmodel_shells(model);
    const double *eps = dl_imgmodel_energy(model), *lambda = dl_imgmodel_lambda(model);
    double worst = 0;
    for (int i = 0; i < D; i++) {
        double sum = 0;
        for (int k = 0; k < shells; k++)
            sum += eps[i * shells + k];
        worst = fmax(worst, fabs(sum - D));
    }
    CHECK(worst < 1e-4, "shell energies sum to %d pixels: worst |sum - %d| = %.3g", D, D, worst);
    for (int i = 1; i < D; i++)
        CHECK(lambda[i] <= lambda[i - 1], "eigenvalues not descending at %d", i);
    /* the map at s1 = s0 leaves the particles where they are */
    double s0[D], s1[D];
    CHECK_OK(dl_imgmodel_project(model, ref, m, s0));
    float *moved = malloc(m * D * sizeof *moved);
    CHECK_OK(dl_imgmodel_transport(model, s0, s0, ref, m, moved));
    double diff = 0;
    for (size_t j = 0; j < m * D; j++)
        diff = fmax(diff, fabs(moved[j] - ref[j]));
    CHECK(diff < 1e-4, "identity map moved a pixel by %.3g", diff);
    /* the reference is white in its own eigenbasis: scaled by sqrt(s1/s0), its variances are s1 */
    for (int i = 0; i < D; i++)
        s1[i] = s0[i] * (0.5 + (double)i / D);
    CHECK_OK(dl_imgmodel_transport(model, s0, s1, ref, m, moved));
    double got[D], rel = 0;
    CHECK_OK(dl_imgmodel_project(model, moved, m, got));
    for (int i = 0; i < D; i++)
        rel = fmax(rel, fabs(got[i] / s1[i] - 1));
    CHECK(rel < 1e-4, "variances after the map: worst relative error %.3g", rel);
    free(moved), free(ref);
    dl_imgmodel_destroy(model);
}

static void test_cosine(gsl_rng *rng)
{
    const size_t m = 200;
    const int kx = 2, ky = 1; /* shell round(sqrt(5)) = 2 */
    float *ref = malloc(m * D * sizeof *ref);
    for (size_t j = 0; j < m; j++) {
        const double a = gsl_ran_gaussian(rng, 3.0);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                ref[j * D + r * C + c] = (float)(a * cos(2 * M_PI * (ky * r / (double)R + kx * c / (double)C)) +
                                                 gsl_ran_gaussian(rng, 1e-3));
    }
    dl_imgmodel *model;
    CHECK_OK(dl_imgmodel_create(&model, ref, m, R, C));
    const int shells = dl_imgmodel_shells(model);
    const double *eps = dl_imgmodel_energy(model);
    const int want = (int)lround(sqrt(kx * kx + ky * ky));
    CHECK(eps[want] > (1 - 1e-5) * D, "the cosine eigenvector's energy in shell %d: %.8g of %d",
          want, eps[want], D);
    for (int k = 0; k < shells; k++)
        if (k != want)
            CHECK(eps[k] < 1e-5 * D, "the cosine eigenvector leaks %.3g into shell %d", eps[k], k);
    free(ref);
    dl_imgmodel_destroy(model);
}

/* a model whose eigenvalues are known: the identity-free test of the ODE uses
 * its own lambda array, so any reference set will do */
static void test_ode(gsl_rng *rng)
{
    const size_t m = 100;
    float *ref = malloc(m * D * sizeof *ref);
    for (size_t j = 0; j < m * D; j++)
        ref[j] = (float)gsl_ran_gaussian(rng, 1.0);
    dl_imgmodel *model;
    CHECK_OK(dl_imgmodel_create(&model, ref, m, R, C));
    const double *lambda = dl_imgmodel_lambda(model);
    const double sigma = 1.5;
    dl_schedule sched;
    CHECK_OK(dl_schedule_init(&sched, DL_SCHEDULE_CONSTANT, sigma, 0, 0, 0));
    /* resting point, self-masked */
    const size_t N = 50;
    double s[D];
    for (int i = 0; i < D; i++)
        s[i] = 1.0;
    dl_imgmodel_flow f = {N, 1, 1, 0, 0.05, &sched};
    CHECK_OK(dl_imgmodel_advance(model, &f, 0, 400, s, NULL));
    const double kappa = -1.0 / (N - 1.0);
    double worst = 0;
    for (int i = 0; i < D; i++) {
        const double rest = lambda[i] - kappa * (lambda[i] + sigma * sigma);
        worst = fmax(worst, fabs(s[i] / rest - 1));
    }
    CHECK(worst < 1e-6, "self-masked resting point: worst relative error %.3g", worst);
    /* at rest, the spread accumulates at a constant rate */
    double spread = 0;
    CHECK_OK(dl_imgmodel_advance(model, &f, 400, 410, s, &spread));
    const double per_time = sqrt(dl_imgmodel_pair_spread(s, D, sigma));
    CHECK_CLOSE(spread, 10 * per_time, 1e-9 * per_time, "spread at rest");
    CHECK_CLOSE(dl_imgmodel_fluctuation(0.1, 100), 2e-4, 1e-18, "eps = 2 spread^2 / N");
    CHECK(isinf(dl_imgmodel_fluctuation(10, 100)), "eps = 2 claims a bound");

    /* small-s limit at sigma^2 >> s, N large */
    const double big = 1e3;
    const size_t n_big = 1000000;
    double v[D], rate[D], lam[D];
    for (int i = 0; i < D; i++)
        v[i] = 0.5 + 0.01 * i, lam[i] = 2.0 - 0.02 * i;
    const double c = dl_imgmodel_self_weight(v, D, big);
    dl_imgmodel_dlns(v, lam, D, big, dl_imgmodel_kappa(c, n_big, 0), rate);
    double lim_err = 0, scale = 0;
    for (int i = 0; i < D; i++) {
        const double limit = 2 * (lam[i] - v[i]) / (big * big) - 2 * (c - 1) / n_big;
        lim_err = fmax(lim_err, fabs(rate[i] - limit));
        scale = fmax(scale, fabs(limit));
    }
    /* the neglected terms are O(s / sigma^2) and O(c / N) relative */
    CHECK(lim_err < 1e-5 * scale, "small-s limit: %.3g off, against %.3g", lim_err, scale);

    /* one Euler step: s (1 + dt a)^2 */
    double e[D], want[D];
    for (int i = 0; i < D; i++)
        e[i] = want[i] = 1.0 + 0.1 * i;
    dl_imgmodel_flow fe = {200, 0, 1, 1, 0.5, &sched};
    const double ce = dl_imgmodel_self_weight(want, D, sigma);
    dl_imgmodel_dlns(want, lambda, D, sigma, dl_imgmodel_kappa(ce, 200, 0), rate);
    for (int i = 0; i < D; i++)
        want[i] *= (1 + 0.5 * 0.5 * rate[i]) * (1 + 0.5 * 0.5 * rate[i]);
    CHECK_OK(dl_imgmodel_advance(model, &fe, 0, 0.5, e, NULL));
    double step_err = 0;
    for (int i = 0; i < D; i++)
        step_err = fmax(step_err, fabs(e[i] / want[i] - 1));
    CHECK(step_err < 1e-14, "Euler step: relative error %.3g", step_err);
    free(ref);
    dl_imgmodel_destroy(model);
}

/* K = E_i[Var_j(w_ij / E_j w_ij)] over Gaussian particles, measured on 300
 * rows of N = 4000 at three bandwidths, against the closed form.  The
 * tolerance is 4 standard errors of the row mean; the leading order
 * (3/2) sum u^2 would be 4-10% off here. */
static void test_pair_spread(gsl_rng *rng)
{
    enum { N = 4000, ROWS = 300 };
    double s[D], *x = malloc((size_t)N * D * sizeof *x), *w = malloc(N * sizeof *w);
    double sum2 = 0;
    for (int j = 0; j < D; j++)
        s[j] = 1 + 0.5 * sin(j), sum2 += s[j] * s[j];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            x[i * D + j] = gsl_ran_gaussian(rng, sqrt(s[j]));
    for (double lead = 0.01; lead < 0.2; lead *= 3.3) {
        const double sigma = pow(1.5 * sum2 / lead, 0.25);
        double mean = 0, sq = 0;
        for (int i = 0; i < ROWS; i++) {
            double m1 = 0, m2 = 0;
            for (int k = 0; k < N; k++) {
                double d2 = 0;
                for (int j = 0; j < D; j++)
                    d2 += (x[i * D + j] - x[k * D + j]) * (x[i * D + j] - x[k * D + j]);
                w[k] = k == i ? 0 : exp(-d2 / (2 * sigma * sigma));
                m1 += w[k];
            }
            m1 /= N - 1;
            for (int k = 0; k < N; k++)
                m2 += k == i ? 0 : (w[k] / m1 - 1) * (w[k] / m1 - 1);
            const double var = m2 / (N - 1);
            mean += var, sq += var * var;
        }
        mean /= ROWS;
        const double se = sqrt((sq / ROWS - mean * mean) / (ROWS - 1));
        CHECK_CLOSE(mean, dl_imgmodel_pair_spread(s, D, sigma), 4 * se, "pair spread");
    }
    free(x), free(w);
}

static void test_bad_input(void)
{
    float one[D] = {0}, *two = calloc(2 * D, sizeof *two);
    dl_imgmodel *model;
    CHECK(dl_imgmodel_create(&model, one, 1, R, C) == DL_EINVAL, "one reference image accepted");
    CHECK(strstr(dl_error_message(), "at least 2 images") != NULL, "message: %s", dl_error_message());
    CHECK(dl_imgmodel_create(&model, two, 2, 64, 64) == DL_EINVAL, "64 x 64 images accepted");
    CHECK(dl_imgmodel_create(&model, two, 2, 1, 8) == DL_EINVAL, "1-pixel rows accepted");
    two[5] = NAN;
    CHECK(dl_imgmodel_create(&model, two, 2, R, C) == DL_EINVAL, "a NaN pixel accepted");
    free(two);
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(32);
    test_energies(rng);
    test_cosine(rng);
    test_ode(rng);
    test_pair_spread(rng);
    test_bad_input();
    gsl_rng_free(rng);
    return test_report("test_imgmodel");
}
