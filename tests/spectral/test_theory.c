/* Linear theory: the quadrature path against the closed forms (transforms and
 * rates, every kernel, d = 1..3, to 1e-8), the annealed log-amplitude closed
 * form against integration along the schedule, and damping times against
 * their defining equation and the asymptotics of docs/THEORY.md sections 3-4. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_fit.h>

#include "base/dl_error.h"
#include "drift/kernel.h"
#include "drift/schedule.h"
#include "test_common.h"
#include "spectral/theory.h"

/* Phi(r) = int_r^inf t k(t) dt by quadrature against docs/THEORY.md section 8's
 * closed forms: Gaussian -> sigma^2 k; Laplacian -> sigma^2 (1 + z) e^-z;
 * Matern 3/2 -> sigma^2 (3 + 3z + z^2) e^-z; Student-t beta ->
 * sigma^2 / (2 (beta - 1)) (1 + z^2)^-(beta - 1). */
static void test_companions(void)
{
    const double sigma = 0.7;
    for (double r = 0; r < 4; r += 0.37) {
        double z = r / sigma, phi;
        struct {
            const char *name;
            double want;
        } cases[] = {{"gaussian", sigma * sigma * exp(-z * z / 2)},
                     {"laplacian", sigma * sigma * (1 + z) * exp(-z)},
                     {"matern:1.5", sigma * sigma * (3 + 3 * z + z * z) * exp(-z)},
                     {"student:2", sigma * sigma / 2 / (1 + z * z)},
                     {"student:3.5", sigma * sigma / 5 * pow(1 + z * z, -2.5)}};
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            char what[96];
            snprintf(what, sizeof what, "companion of %s at r = %g", cases[i].name, r);
            CHECK_OK(dl_kernel_companion(dl_kernel_find(cases[i].name), r, sigma, 1, &phi));
            CHECK_CLOSE(phi, cases[i].want, 1e-9 * sigma * sigma, what);
        }
    }
    double phi;
    CHECK(dl_kernel_companion(dl_kernel_find("student:1"), 0, 1, 1, &phi) == DL_EUNSUPPORTED,
          "a divergent companion accepted");
}

/* The optimum is a real schedule whose slowest mode takes the time reported,
 * and it beats (or ties) the best constant bandwidth. */
static void test_optimum(void)
{
    const double L = 2 * M_PI;
    const char *kernels[] = {"gaussian", "matern:1.5"};
    for (int i = 0; i < 2; i++) {
        dl_theory_model m = {dl_kernel_find(kernels[i]), DL_OPERATOR_MEANSHIFT, 1, 1 / L};
        dl_theory_optimum o;
        CHECK_OK(dl_theory_optimize_schedule(&m, L, 8, 0.01, &o));
        double worst = 0, t;
        for (int n = 1; n <= 8; n++) {
            CHECK_OK(dl_theory_model_damping_time(&m, &o.schedule, n, 0.01, &t));
            worst = fmax(worst, t);
        }
        CHECK_CLOSE(worst, o.time, 1e-8 * o.time, "optimum's time recomputed");
        CHECK(o.time <= o.const_time * (1 + 1e-9), "%s: exp schedule %g slower than constant %g",
              kernels[i], o.time, o.const_time);
    }
    dl_theory_model g = {dl_kernel_find("gaussian"), DL_OPERATOR_MEANSHIFT, 1, 1 / L};
    dl_theory_optimum o;
    CHECK(dl_theory_optimize_schedule(&g, L, 0, 0.01, &o) == DL_EINVAL, "kmax 0 accepted");
}

int main(void)
{
    const double sigmas[] = {0.3, 1.0, 2.5};
    const double kmags[] = {0.4, 1.0, 2.7};
    for (size_t ki = 0; ki < dl_kernel_count(); ki++) {
        const dl_kernel *k = dl_kernel_at(ki);
        for (int dim = 1; dim <= 3; dim++)
            for (int si = 0; si < 3 && !dl_kernel_check_dim(k, dim); si++)
                for (int qi = 0; qi < 3; qi++) {
                    double s = sigmas[si], q = kmags[qi], khat, g, gc;
                    char what[128];
                    CHECK_OK(dl_theory_fourier_numeric(k, q, s, dim, &khat));
                    snprintf(what, sizeof what, "%s khat d=%d sigma=%g k=%g", k->name, dim, s, q);
                    /* relative 1e-9, or 1e-10 of khat(0) where the transform is itself tiny */
                    CHECK_CLOSE(khat, k->fourier(k, q, s, dim),
                                1e-9 * k->fourier(k, q, s, dim) + 1e-10 * k->fourier(k, 0, s, dim), what);
                    /* the MMD flow's rate, rho0 k^2 khat, both ways */
                    dl_theory_model mmd = {k, DL_OPERATOR_MMD, dim, 0.1};
                    double gm, gmn;
                    CHECK_OK(dl_theory_model_rate(&mmd, q, s, &gm));
                    CHECK_OK(dl_theory_model_rate_numeric(&mmd, q, s, &gmn));
                    snprintf(what, sizeof what, "%s gamma_mmd d=%d sigma=%g k=%g", k->name, dim, s, q);
                    CHECK_CLOSE(gm, gmn, 1e-9 * gm + 1e-10 * 0.1 * q * q * k->fourier(k, 0, s, dim), what);
                    CHECK_OK(dl_theory_rate_numeric(k, q, s, dim, &g));
                    CHECK_OK(dl_theory_rate(k, q, s, dim, &gc));
                    snprintf(what, sizeof what, "%s gamma numeric d=%d sigma=%g k=%g", k->name, dim,
                             s, q);
                    CHECK_CLOSE(g, gc, 1e-8 * fmax(gc, 1e-2), what);
                }
    }

    test_companions();
    test_optimum();

    /* annealed log-amplitude: closed form vs quadrature, with and past the floor */
    dl_schedule ex, cst, cosine;
    CHECK_OK(dl_schedule_init(&ex, DL_SCHEDULE_EXP, 2.0, 0.25, 0.005, 0));
    CHECK_OK(dl_schedule_init(&cst, DL_SCHEDULE_CONSTANT, 0.5, 0, 0, 0));
    CHECK_OK(dl_schedule_init(&cosine, DL_SCHEDULE_COSINE, 2.0, 0, 0.05, 20));
    for (size_t ki = 0; ki < dl_kernel_count(); ki++) {
        const dl_kernel *k = dl_kernel_at(ki);
        for (int dim = 1; dim <= 3; dim += 2)
            for (int kk = 1; kk <= 16 && !dl_kernel_check_dim(k, dim); kk *= 2)
                for (double t = 0; t <= 40; t += 4.5) {
                    double a, b;
                    CHECK_OK(dl_theory_log_amplitude(k, &ex, kk, dim, t, &a));
                    CHECK_OK(dl_theory_log_amplitude_numeric(k, &ex, kk, dim, t, &b));
                    char what[128];
                    snprintf(what, sizeof what, "%s annealed ln a/a0 d=%d k=%d t=%g", k->name, dim,
                             kk, t);
                    CHECK_CLOSE(a, b, 1e-10, what);
                }
    }
    /* docs/THEORY.md's Gaussian closed form typed out independently */
    for (int kk = 1; kk <= 6; kk++) {
        double t = 10, st = 2 * exp(-0.25 * t), v;
        CHECK_OK(dl_theory_log_amplitude(dl_kernel_find("gaussian"), &ex, kk, 1, t, &v));
        CHECK_CLOSE(v, -(1 / 0.25) * (exp(-st * st * kk * kk / 2) - exp(-4.0 * kk * kk / 2)), 1e-13,
                    "docs/THEORY.md annealed Gaussian closed form");
        CHECK_OK(dl_theory_log_amplitude(dl_kernel_find("laplacian"), &ex, kk, 1, t, &v));
        CHECK_CLOSE(v, -(1 / 0.25) * (1 / (1 + st * st * kk * kk) - 1 / (1 + 4.0 * kk * kk)), 1e-13,
                    "docs/THEORY.md annealed Laplacian closed form");
    }
    /* cosine: only the numerical path exists; it must agree with a midpoint sum */
    {
        const dl_kernel *g = dl_kernel_find("gaussian");
        double v, sum = 0, h = 1e-4;
        for (double t = h / 2; t < 25; t += h)
            sum += g->rate(g, 3 * dl_schedule_sigma(&cosine, t), 1) * h;
        CHECK_OK(dl_theory_log_amplitude(g, &cosine, 3, 1, 25, &v));
        CHECK_CLOSE(v, -sum, 1e-7, "cosine schedule: quadrature vs midpoint sum");
    }

    /* damping times */
    const double eps = exp(-1.0);
    const dl_kernel *gauss = dl_kernel_find("gaussian"), *lap = dl_kernel_find("laplacian");
    for (int kk = 1; kk <= 12; kk++) {
        double T, g;
        CHECK_OK(dl_theory_damping_time(gauss, &cst, kk, 1, eps, &T));
        g = gauss->rate(gauss, 0.5 * kk, 1);
        CHECK_CLOSE(T, 1 / g, 1e-9 / g, "constant sigma: T = ln(1/eps) / gamma");
        CHECK_OK(dl_theory_damping_time(gauss, &ex, kk, 1, eps, &T));
        double v;
        CHECK_OK(dl_theory_log_amplitude(gauss, &ex, kk, 1, T, &v));
        CHECK_CLOSE(v, -1.0, 1e-9, "annealed T solves ln a/a0 = ln eps");
    }
    /* Gaussian at constant sigma: T = exp(s^2/2) / s^2 with s = sigma K, so
     * ln T + 2 ln(sigma K) is linear in K^2 with slope sigma^2 / 2 (exp(O(K^2))) */
    {
        double x[5], y[5], c0, c1, c00, c01, c11, ss;
        for (int i = 0; i < 5; i++) {
            int K = 20 + 5 * i;
            x[i] = (double)K * K;
            CHECK_OK(dl_theory_damping_time(gauss, &cst, K, 1, eps, &y[i]));
            y[i] = log(y[i]) + 2 * log(0.5 * K);
        }
        gsl_fit_linear(x, 1, y, 1, 5, &c0, &c1, &c00, &c01, &c11, &ss);
        CHECK_CLOSE(c1, 0.125, 1e-9, "constant Gaussian: d ln T / d K^2 = sigma^2 / 2");
    }
    /* Laplacian at constant sigma: T ~ K^(d+1) = K^2 in 1-D */
    {
        double T1, T2;
        CHECK_OK(dl_theory_damping_time(lap, &cst, 200, 1, eps, &T1));
        CHECK_OK(dl_theory_damping_time(lap, &cst, 400, 1, eps, &T2));
        CHECK_CLOSE(log(T2 / T1) / log(2.0), 2.0, 0.01, "constant Laplacian: T ~ K^2");
    }
    /* annealed Gaussian: T(K) ~ ln(K) / r, i.e. dT / d ln K -> 1/r = 4 */
    {
        double T1, T2;
        dl_schedule ex_nofloor;
        CHECK_OK(dl_schedule_init(&ex_nofloor, DL_SCHEDULE_EXP, 2.0, 0.25, 1e-9, 0));
        CHECK_OK(dl_theory_damping_time(gauss, &ex_nofloor, 100, 1, eps, &T1));
        CHECK_OK(dl_theory_damping_time(gauss, &ex_nofloor, 1000, 1, eps, &T2));
        CHECK_CLOSE((T2 - T1) / log(10.0), 4.0, 0.01, "annealed Gaussian: T ~ ln(K) / r");
    }
    double T;
    CHECK(dl_theory_damping_time(gauss, &cst, 1, 1, 1.5, &T) == DL_EINVAL, "eps > 1 accepted");
    CHECK(dl_theory_fourier_numeric(gauss, 1, 1, 4, &T) == DL_EUNSUPPORTED, "d = 4 quadrature");
    return test_report("test_theory");
}
