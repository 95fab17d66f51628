/* The periodised kernel on the torus: its Fourier coefficients must be
 * exactly khat(2 pi n / L) / L^d (docs/THEORY.md section 3), checked by quadrature
 * in 1-D for every kernel and by FFTW in 2-D for the Gaussian. */
#include <complex.h>
#include <math.h>
#include <stdio.h>

#include <fftw3.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "drift/domain.h"
#include "base/dl_error.h"
#include "drift/kernel.h"
#include "test_common.h"

typedef struct {
    dl_pair_kernel pk;
    double kwave;
} coef_ctx;

static double periodic_value(const dl_pair_kernel *pk, double u)
{
    double K = 0, M[DL_MAX_DIM] = {0};
    dl_pair_kernel_accumulate(pk, &u, 0.0, &K, M);
    return K;
}

static double coef_integrand(double x, void *p)
{
    coef_ctx *c = p;
    return periodic_value(&c->pk, x) * cos(c->kwave * x);
}

/* 2-D Gaussian on a 5 x 5 torus: sample K_L on a 64^2 grid, FFT, compare.
 * Aliasing adds khat at |k| >= 2 pi 32 / 5, i.e. exp(-sigma^2 k^2 / 2) ~ 1e-70. */
static void test_gaussian_2d_fft(void)
{
    const int G = 64;
    const double L = 5.0, sigma = 0.6;
    dl_domain dom;
    dl_pair_kernel pk;
    CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_TORUS, 2, L));
    CHECK_OK(dl_pair_kernel_init(&pk, dl_kernel_find("gaussian"), sigma, &dom));
    double *grid = fftw_malloc(sizeof(double) * G * G);
    fftw_complex *spec = fftw_malloc(sizeof(fftw_complex) * G * (G / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_2d(G, G, grid, spec, FFTW_ESTIMATE);
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++) {
            double u[2] = {i * L / G, j * L / G}, K = 0, M[2] = {0, 0};
            u[0] -= L * nearbyint(u[0] / L);
            u[1] -= L * nearbyint(u[1] / L);
            dl_pair_kernel_accumulate(&pk, u, 0.0, &K, M);
            grid[i * G + j] = K;
        }
    fftw_execute(plan);
    const dl_kernel *g = dl_kernel_find("gaussian");
    double scale = g->fourier(g, 0, sigma, 2) / (L * L);
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++) {
            double kk = 2 * M_PI / L * hypot(a, b);
            double got = creal(spec[a * (G / 2 + 1) + b]) /
                         (double)(G * G);
            double want = g->fourier(g, kk, sigma, 2) / (L * L);
            char what[96];
            snprintf(what, sizeof what, "2-D gaussian periodised coefficient (%d,%d)", a, b);
            CHECK_CLOSE(got, want, 1e-12 * scale, what);
        }
    fftw_destroy_plan(plan);
    fftw_free(grid);
    fftw_free(spec);
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    const double lengths[] = {2 * M_PI, 5.0};
    const double sigmas[] = {0.3, 0.5, 2.0};
    for (size_t ki = 0; ki < dl_kernel_count(); ki++) {
        const dl_kernel *k = dl_kernel_at(ki);
        for (int li = 0; li < 2; li++)
            for (int si = 0; si < 3; si++) {
                dl_domain dom;
                coef_ctx ctx;
                CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_TORUS, 1, lengths[li]));
                CHECK_OK(dl_pair_kernel_init(&ctx.pk, k, sigmas[si], &dom));
                double L = lengths[li], scale = k->fourier(k, 0, sigmas[si], 1) / L;
                for (int n = 0; n <= 8; n++) {
                    ctx.kwave = 2 * M_PI * n / L;
                    gsl_function f = {coef_integrand, &ctx};
                    double half, err;
                    /* K_L is even and smooth on (0, L/2); the Laplacian's kink sits at 0 */
                    gsl_integration_qag(&f, 0, L / 2, 1e-15, 1e-13, 2000, GSL_INTEG_GAUSS61, w,
                                        &half, &err);
                    double got = 2 * half / L;
                    double want = k->fourier(k, ctx.kwave, sigmas[si], 1) / L;
                    char what[160];
                    snprintf(what, sizeof what, "%s periodised L=%g sigma=%g: coefficient n=%d",
                             k->name, L, sigmas[si], n);
                    /* the image sum drops terms below 1e-12 k(0) */
                    CHECK_CLOSE(got, want, 1e-11 * scale, what);
                }
            }
    }

    /* Cauchy's closed form against brute symmetric image sums (which converge
     * like 1/N: the difference at N images is ~ sigma^2 / (L^2 N)). */
    {
        dl_domain dom;
        dl_pair_kernel pk;
        double sigma = 0.5, L = 2 * M_PI;
        CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_TORUS, 1, L));
        CHECK_OK(dl_pair_kernel_init(&pk, dl_kernel_find("cauchy"), sigma, &dom));
        CHECK(pk.closed_form, "cauchy on the 1-D torus should use its closed form");
        for (double u = -3.0; u <= 3.0; u += 0.75) {
            double K = 0, M = 0, Kb = 0, Mb = 0;
            dl_pair_kernel_accumulate(&pk, &u, 0.0, &K, &M);
            const long N = 200000;
            for (long n = -N; n <= N; n++) {
                double v = u + n * L, kv = 1.0 / (1.0 + v * v / (sigma * sigma));
                Kb += kv;
                Mb += kv * v;
            }
            CHECK_CLOSE(K, Kb, 1e-6, "cauchy closed-form K_L vs image sum");
            CHECK_CLOSE(M, Mb, 1e-6, "cauchy closed-form M_L vs image sum");
        }
    }

    /* Laplacian's geometric-series closed form against converged image sums,
     * plain and log-shifted (the path for rows far from every point). */
    {
        dl_domain dom;
        dl_pair_kernel pk;
        double L = 2 * M_PI;
        CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_TORUS, 1, L));
        for (double sigma = 0.05; sigma < 5; sigma *= 4) {
            CHECK_OK(dl_pair_kernel_init(&pk, dl_kernel_find("laplacian"), sigma, &dom));
            CHECK(pk.closed_form, "laplacian on the 1-D torus should use its closed form");
            for (double u = -3.1; u <= 3.1; u += 0.31) {
                double shift = dl_pair_kernel_log_peak(&pk, &u);
                long double Kb = 0, Mb = 0;
                int R = (int)(40 * sigma / L) + 2;
                for (int n = -R; n <= R; n++) {
                    long double v = u + n * L, w = expl(-fabsl(v) / sigma - shift);
                    Kb += w;
                    Mb += w * v;
                }
                double K = 0, M = 0;
                dl_pair_kernel_accumulate(&pk, &u, shift, &K, &M);
                CHECK_CLOSE(K, (double)Kb, 1e-13 * (double)Kb, "laplacian closed-form K_L");
                CHECK_CLOSE(M, (double)Mb, 1e-13 * (double)Kb * L, "laplacian closed-form M_L");
            }
        }
    }

    test_gaussian_2d_fft();

    /* Algebraic tails have no convergent image sum in 2-D: refused, not faked. */
    {
        dl_domain dom;
        dl_pair_kernel pk;
        CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_TORUS, 2, 2 * M_PI));
        CHECK(dl_pair_kernel_init(&pk, dl_kernel_find("cauchy"), 0.5, &dom) == DL_EUNSUPPORTED,
              "2-D cauchy torus should be refused");
        CHECK(dl_pair_kernel_init(&pk, dl_kernel_find("gaussian"), -1.0, &dom) == DL_EINVAL,
              "negative sigma should be refused");
    }
    gsl_integration_workspace_free(w);
    fftw_cleanup();
    return test_report("test_periodic");
}
