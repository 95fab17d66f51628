/* Kernel table: every closed-form rate against the derivative of the
 * closed-form transform (docs/THEORY.md section 3), the quoted peak rates, and
 * name lookup.  The transforms themselves are checked against quadrature of
 * the kernels in test_theory. */
#include <math.h>
#include <stdio.h>

#include "base/dl_error.h"
#include "drift/kernel.h"
#include "test_common.h"

int main(void)
{
    for (size_t ki = 0; ki < dl_kernel_count(); ki++) {
        const dl_kernel *k = dl_kernel_at(ki);
        /* gamma(s) = -k khat'(k) / khat(0), derivative by a 4th-order central difference */
        for (int dim = 1; dim <= 3; dim++)
            for (double s = 0.25; !dl_kernel_check_dim(k, dim) && s < 6; s += 0.5) {
                double sigma = 0.7, q = s / sigma, h = 1e-3 * q;
                double d = (-k->fourier(k, q + 2 * h, sigma, dim) + 8 * k->fourier(k, q + h, sigma, dim) -
                            8 * k->fourier(k, q - h, sigma, dim) + k->fourier(k, q - 2 * h, sigma, dim)) /
                           (12 * h);
                double want = -q * d / k->fourier(k, 0, sigma, dim), got;
                CHECK_OK(dl_kernel_rate(k, q, sigma, dim, &got));
                char what[128];
                snprintf(what, sizeof what, "%s gamma d=%d s=%g", k->name, dim, s);
                CHECK_CLOSE(got, want, 1e-8, what);
            }
    }
    /* Closed forms quoted in docs/THEORY.md: peak heights of gamma. */
    double g;
    CHECK_OK(dl_kernel_rate_max(dl_kernel_find("gaussian"), 1, &g));
    CHECK_CLOSE(g, 2.0 / M_E, 1e-12, "gaussian max gamma = 2/e");
    CHECK_OK(dl_kernel_rate_max(dl_kernel_find("laplacian"), 1, &g));
    CHECK_CLOSE(g, 0.5, 1e-12, "laplacian d=1 max gamma = 1/2 at s = 1");
    CHECK_OK(dl_kernel_rate_max(dl_kernel_find("laplacian"), 3, &g));
    /* d = 3: s^2 = 2/(d+1) = 1/2, gamma = 4 (1/2) / (3/2)^3 */
    CHECK_CLOSE(g, 2.0 / 3.375, 1e-12, "laplacian d=3 max gamma");
    CHECK_OK(dl_kernel_rate_max(dl_kernel_find("cauchy"), 2, &g));
    CHECK_CLOSE(g, 1.0 / M_E, 1e-12, "cauchy max gamma = 1/e at s = 1");
    /* docs/THEORY.md: gaussian gamma at s = 3 (sigma 0.5, k = 6) */
    CHECK_OK(dl_kernel_rate(dl_kernel_find("gaussian"), 6, 0.5, 1, &g));
    CHECK_CLOSE(g, 9 * exp(-4.5), 1e-15, "gaussian gamma(s=3)");

    CHECK(dl_kernel_find("epanechnikov") == NULL, "unknown kernel accepted");
    CHECK(dl_error_message()[0] != '\0', "unknown kernel left no message");
    return test_report("test_kernel");
}
