/* The no-stop-gradient objective E(X) = (1/2) sum |V(x_i)|^2: its analytic
 * gradient against central finite differences (h = 1e-5 in double: truncation
 * ~1e-10, round-off ~1e-11 relative), for every kernel on R^2 and the Gaussian
 * on the torus, and its V against the direct engine's. */
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/engine.h"
#include "drift/field_energy.h"
#include "test_common.h"

static void check_case(const char *kname, dl_domain_kind kind, int d, double sigma, gsl_rng *rng)
{
    dl_domain dom;
    dl_domain_init(&dom, kind, d, 6.283185307179586);
    const dl_kernel *k = dl_kernel_find(kname);
    enum { N = 9, M = 11 };
    double x[N * 3], y[M * 3], g[N * 3], V[N * 3], vp[N * 3], vm[N * 3];
    for (int i = 0; i < N * d; i++)
        x[i] = kind == DL_DOMAIN_TORUS ? 3.0 + gsl_ran_gaussian(rng, 1.0) : gsl_ran_gaussian(rng, 1.0);
    for (int i = 0; i < M * d; i++)
        y[i] = kind == DL_DOMAIN_TORUS ? 3.5 + gsl_ran_gaussian(rng, 0.8) : gsl_ran_gaussian(rng, 1.0) + 0.6;
    double E;
    CHECK_OK(dl_field_energy(&dom, k, sigma, x, N, y, M, V, g, &E));
    double num = 0, den = 0;
    const double h = 1e-5;
    for (int i = 0; i < N * d; i++) {
        double keep = x[i], Ep, Em;
        x[i] = keep + h;
        dl_field_energy(&dom, k, sigma, x, N, y, M, NULL, NULL, &Ep);
        x[i] = keep - h;
        dl_field_energy(&dom, k, sigma, x, N, y, M, NULL, NULL, &Em);
        x[i] = keep;
        double fd = (Ep - Em) / (2 * h);
        num += (fd - g[i]) * (fd - g[i]);
        den += fd * fd;
    }
    double rel = sqrt(num / den);
    printf("%-9s %s d=%d: E = %.6g, relative gradient error %.2e\n", kname,
           kind == DL_DOMAIN_TORUS ? "torus" : "R^d  ", d, E, rel);
    CHECK(rel < 1e-6, "%s d=%d: gradient off by %.3g relative", kname, d, rel);
    /* V is the engine's V (self-masked V^-) */
    dl_engine *e;
    CHECK_OK(dl_engine_create("direct", &e));
    dl_drift_request req = {&dom, k, sigma, x, N, y, M, x, N, 1, DL_OPERATOR_MEANSHIFT};
    CHECK_OK(dl_engine_drift(e, &req, vp, vm));
    dl_engine_destroy(e);
    double worst = 0;
    for (int i = 0; i < N * d; i++)
        worst = fmax(worst, fabs(V[i] - (vp[i] - vm[i])));
    /* R^d: the same sums; torus: nearest image against periodised, k(L/2) <= 1e-8 */
    CHECK(worst < (kind == DL_DOMAIN_TORUS ? 1e-7 : 1e-12), "%s: V differs from the direct engine by %.3g",
          kname, worst);
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(6);
    check_case("gaussian", DL_DOMAIN_RD, 2, 0.8, rng);
    check_case("laplacian", DL_DOMAIN_RD, 2, 0.8, rng);
    check_case("cauchy", DL_DOMAIN_RD, 2, 0.8, rng);
    check_case("gaussian", DL_DOMAIN_RD, 3, 1.1, rng);
    check_case("gaussian", DL_DOMAIN_TORUS, 1, 0.5, rng);
    /* a too-wide kernel on the torus is refused rather than summed wrongly */
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_TORUS, 1, 6.283185307179586);
    double x[4] = {0, 1, 2, 3}, y[2] = {1, 2};
    CHECK(dl_field_energy(&dom, dl_kernel_find("laplacian"), 0.5, x, 4, y, 2, NULL, NULL, NULL) == DL_EINVAL,
          "a Laplacian of sigma 0.5 on a 2 pi torus (k(L/2) = 2e-3) was accepted");
    gsl_rng_free(rng);
    return test_report("test_field_energy");
}
