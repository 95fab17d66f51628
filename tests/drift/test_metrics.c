/* Metrics against independent forms: in 1-D the V-statistic energy distance of
 * two empirical measures equals 2 * integral (F_n - G_m)^2 dx (Szekely), which
 * is computed here from the sorted samples. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/metrics.h"
#include "test_common.h"

static double cdf_form(const double *x, size_t n, const double *y, size_t m)
{
    double *xs = malloc(n * sizeof *xs), *ys = malloc(m * sizeof *ys);
    for (size_t i = 0; i < n; i++)
        xs[i] = x[i];
    for (size_t j = 0; j < m; j++)
        ys[j] = y[j];
    gsl_sort(xs, 1, n);
    gsl_sort(ys, 1, m);
    /* walk the merged breakpoints; F - G is constant between them */
    size_t i = 0, j = 0;
    double total = 0, prev = fmin(xs[0], ys[0]);
    while (i < n || j < m) {
        double next = (j >= m || (i < n && xs[i] <= ys[j])) ? xs[i] : ys[j];
        double diff = (double)i / n - (double)j / m;
        total += diff * diff * (next - prev);
        prev = next;
        if (j >= m || (i < n && xs[i] <= ys[j]))
            i++;
        else
            j++;
    }
    free(xs);
    free(ys);
    return 2 * total;
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(11);
    dl_domain line;
    CHECK_OK(dl_domain_init(&line, DL_DOMAIN_RD, 1, 0));
    for (int trial = 0; trial < 5; trial++) {
        size_t n = 300 + 100 * trial, m = 500;
        double *x = malloc(n * sizeof *x), *y = malloc(m * sizeof *y);
        for (size_t i = 0; i < n; i++)
            x[i] = gsl_ran_gaussian(rng, 1.0) + 0.2 * trial;
        for (size_t j = 0; j < m; j++)
            y[j] = gsl_ran_exponential(rng, 1.0);
        double yy = dl_mean_self_distance(&line, y, m);
        double ed = dl_energy_distance(&line, x, n, y, m, yy);
        CHECK_CLOSE(ed, cdf_form(x, n, y, m), 1e-12, "energy distance vs CDF form");
        CHECK_CLOSE(dl_energy_distance(&line, y, m, y, m, yy), 0.0, 1e-14, "ED of a set to itself");
        free(x);
        free(y);
    }
    dl_domain torus;
    CHECK_OK(dl_domain_init(&torus, DL_DOMAIN_TORUS, 2, 4.0));
    double p[2] = {0.3, 1.1};
    int mode[2] = {2, -1};
    double complex c = dl_fourier_coefficient(&torus, p, 1, mode);
    double ph = 2 * M_PI / 4.0 * (2 * 0.3 - 1.1);
    CHECK_CLOSE(creal(c), cos(ph), 1e-15, "single-point coefficient, real part");
    CHECK_CLOSE(cimag(c), -sin(ph), 1e-15, "single-point coefficient, imaginary part");
    double a[2] = {0.1, 3.9}, b[2] = {3.9, 0.1};
    CHECK_CLOSE(dl_domain_distance(&torus, a, b), sqrt(0.08), 1e-15, "minimum-image distance");
    double v[4] = {3, 4, 0, 0};
    CHECK_CLOSE(dl_rms_norm(v, 2, 2), sqrt(12.5), 1e-15, "rms norm");
    gsl_rng_free(rng);
    return test_report("test_metrics");
}
