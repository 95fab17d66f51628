/* The mesh spectrum against the exact direct sums (1/N) sum exp(-i k.x):
 * 1-D TSC on 2^16 cells must agree to 1e-6 relative on every mode of a
 * 2000-particle cloud (aliasing ~ (n/G)^3 ~ 1e-12); 2-D and CIC to their own
 * stated aliasing levels. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/metrics.h"
#include "spectral/spectrum.h"
#include "test_common.h"

static void compare(const dl_domain *dom, dl_spectrum *sp, const double *x, size_t n, int kmax,
                    double rel_tol, const char *what)
{
    CHECK_OK(dl_spectrum_execute(sp, x, n));
    double worst = 0;
    int lo = dom->dim > 1 ? -kmax : 0;
    for (int a = 1; a <= kmax; a++)
        for (int b = lo; b <= (dom->dim > 1 ? kmax : 0); b++) {
            int mode[2] = {a, b};
            double complex fft, direct = dl_fourier_coefficient(dom, x, n, mode);
            CHECK_OK(dl_spectrum_coefficient(sp, mode, &fft));
            worst = fmax(worst, cabs(fft - direct) / cabs(direct));
        }
    CHECK(worst <= rel_tol, "%s: worst relative difference %.3g > %.3g", what, worst, rel_tol);
    printf("%s: worst relative difference %.3g (tolerance %.3g)\n", what, worst, rel_tol);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    dl_domain d1, d2;
    CHECK_OK(dl_domain_init(&d1, DL_DOMAIN_TORUS, 1, 2 * M_PI));
    CHECK_OK(dl_domain_init(&d2, DL_DOMAIN_TORUS, 2, 5.0));
    const size_t n = 2000;
    double *x = malloc(n * 2 * sizeof(double));

    /* iid: |q_hat| ~ 1/sqrt(N) ~ 0.02 on every mode */
    for (size_t i = 0; i < n; i++)
        x[i] = 2 * M_PI * gsl_rng_uniform(rng);
    dl_spectrum *sp;
    CHECK_OK(dl_spectrum_create(&sp, &d1, 1 << 16, DL_ASSIGN_TSC));
    compare(&d1, sp, x, n, 64, 1e-6, "1-D TSC G=65536, iid, k <= 64");
    dl_spectrum_destroy(sp);
    CHECK_OK(dl_spectrum_create(&sp, &d1, 1 << 16, DL_ASSIGN_CIC));
    /* CIC aliasing ~ (64 / 65536)^2 / 0.02 ~ 5e-5 */
    compare(&d1, sp, x, n, 64, 1e-4, "1-D CIC G=65536, iid, k <= 64");
    dl_spectrum_destroy(sp);

    /* the canonical quiet start: small seeded modes on a near-lattice */
    dl_dist d = {0};
    d.kind = DL_DIST_MODES;
    d.quiet = 1;
    CHECK_OK(dl_dist_set_modes(&d, 1, "1,2,3,4,5,6", "0.005"));
    CHECK_OK(dl_dist_sample(&d, &d1, n, rng, x));
    CHECK_OK(dl_spectrum_create(&sp, &d1, 1 << 16, DL_ASSIGN_TSC));
    compare(&d1, sp, x, n, 6, 1e-6, "1-D TSC, quiet start, seeded modes");
    /* a single particle: q_hat = exp(-i k x) */
    double one = 1.2345;
    CHECK_OK(dl_spectrum_execute(sp, &one, 1));
    for (int k = 1; k < 50; k += 7) {
        double complex c;
        CHECK_OK(dl_spectrum_coefficient(sp, &k, &c));
        CHECK_CLOSE(cabs(c - cexp(-I * k * one)), 0.0, 1e-9, "single particle coefficient");
    }
    int too_high = 1 << 15;
    double complex c;
    CHECK(dl_spectrum_coefficient(sp, &too_high, &c) == DL_EINVAL, "Nyquist mode accepted");
    dl_spectrum_destroy(sp);

    /* 2-D, TSC on 512^2, modes |n_c| <= 8: aliasing ~ (8/512)^3 / 0.02 ~ 2e-4 */
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = 5.0 * gsl_rng_uniform(rng);
    CHECK_OK(dl_spectrum_create(&sp, &d2, 512, DL_ASSIGN_TSC));
    compare(&d2, sp, x, n, 8, 5e-4, "2-D TSC G=512, iid, |n| <= 8");
    double total = 0;
    for (int i = 0; i < 512 * 512; i++)
        total += dl_spectrum_density(sp)[i];
    CHECK_CLOSE(total, 1.0, 1e-12, "deposited mass");
    dl_spectrum_destroy(sp);

    CHECK(dl_spectrum_create(&sp, &d1, 7, DL_ASSIGN_TSC) == DL_EINVAL, "odd grid accepted");
    dl_domain rd;
    CHECK_OK(dl_domain_init(&rd, DL_DOMAIN_RD, 1, 0));
    CHECK(dl_spectrum_create(&sp, &rd, 64, DL_ASSIGN_TSC) == DL_EINVAL, "R^d accepted");
    free(x);
    gsl_rng_free(rng);
    return test_report("test_spectrum");
}
