#include "drift/metrics.h"

#include "base/dl_error.h"

#include <math.h>
#include <stdlib.h>

/* Per-row sums are stored and added in index order afterwards, so the result
 * is the same for any thread count. */
static double mean_distance(const dl_domain *dom, const double *x, size_t n, const double *y,
                            size_t m)
{
    const int dim = dom->dim;
    double *row = malloc(n * sizeof(double));
    if (!row)
        return NAN;
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < (long)n; i++) {
        double s = 0;
        for (size_t j = 0; j < m; j++)
            s += dl_domain_distance(dom, x + i * dim, y + j * dim);
        row[i] = s;
    }
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += row[i];
    free(row);
    return total / ((double)n * (double)m);
}

double dl_mean_self_distance(const dl_domain *dom, const double *x, size_t n)
{
    return mean_distance(dom, x, n, x, n);
}

double dl_mean_cross_distance(const dl_domain *dom, const double *x, size_t n, const double *y,
                              size_t m)
{
    return mean_distance(dom, x, n, y, m);
}

double dl_energy_distance(const dl_domain *dom, const double *x, size_t n, const double *y,
                          size_t m, double yy)
{
    return 2.0 * dl_mean_cross_distance(dom, x, n, y, m) - dl_mean_self_distance(dom, x, n) - yy;
}

double dl_rms_norm(const double *v, size_t n, int dim)
{
    double s = 0;
    for (size_t i = 0; i < n * (size_t)dim; i++)
        s += v[i] * v[i];
    return n ? sqrt(s / n) : 0.0;
}

double complex dl_fourier_coefficient(const dl_domain *dom, const double *x, size_t n,
                                      const int *mode)
{
    const int dim = dom->dim;
    const double kunit = 2.0 * M_PI / dom->length;
    double re = 0, im = 0;
    for (size_t i = 0; i < n; i++) {
        double ph = 0;
        for (int c = 0; c < dim; c++)
            ph += kunit * mode[c] * x[i * dim + c];
        re += cos(ph);
        im -= sin(ph);
    }
    return (re + I * im) / (double)n;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double dl_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int dl_median_pairwise_distance(const dl_domain *dom, const double *x, size_t n, double *median)
{
    if (n < 2)
        return dl_error(DL_EINVAL, "median distance: need at least 2 points, got %zu", n);
    const size_t pairs = n * (n - 1) / 2, d = (size_t)dom->dim;
    double *dist = malloc(pairs * sizeof *dist);
    if (!dist)
        return dl_error(DL_ENOMEM, "median distance: out of memory for %zu pairs", pairs);
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            dist[at++] = dl_domain_distance(dom, x + i * d, x + j * d);
    *median = dl_median(dist, pairs);
    free(dist);
    return isfinite(*median) ? DL_OK
                             : dl_error(DL_ENUMERIC, "median distance: not finite (a point is NaN)");
}
