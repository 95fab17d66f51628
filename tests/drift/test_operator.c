/* The MMD flow (operator.h) and the Coulomb engine against their definitions.
 *
 * - Coulomb, 1-D torus: the sorted-position field against a direct O(n m) sum
 *   of G'(u) = u/L - 1/2 over u = (x - y) mod L, to 1e-10 (n = m = 1000),
 *   with coincident points, self-masking and separate q.
 * - MMD flow, direct engine: against the naive image sum of grad_x k for the
 *   Gaussian (g = k / sigma^2) and the Laplacian (g = k / (sigma r)), whose
 *   gradients are typed out here, not taken from the kernel table.
 * - MMD flow, mesh: within 1e-3 rms|V| of the direct engine.
 * - Refusals: coulomb with the mean shift, on R^d, in another engine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "base/dl_error.h"
#include "base/rng.h"
#include "drift/engine.h"
#include "test_common.h"

static double coulomb_naive(double x, const double *p, size_t count, long skip, double L)
{
    long double sum = 0;
    for (size_t j = 0; j < count; j++) {
        if ((long)j == skip)
            continue;
        double u = fmod(x - p[j], L);
        if (u < 0)
            u += L;
        sum += u == 0 ? 0.0 : u / L - 0.5;
    }
    return (double)(sum / (long double)(count - (skip >= 0 ? 1 : 0)));
}

static void test_coulomb(gsl_rng *rng)
{
    const double L = 2 * M_PI;
    const size_t n = 1000, m = 1000;
    double *x = malloc(n * sizeof *x), *y = malloc(m * sizeof *y), *q = malloc(n * sizeof *q);
    double *vp = malloc(n * sizeof *vp), *vm = malloc(n * sizeof *vm);
    for (size_t i = 0; i < n; i++)
        x[i] = L * gsl_rng_uniform(rng), q[i] = L * gsl_rng_uniform(rng);
    for (size_t j = 0; j < m; j++)
        y[j] = L * gsl_rng_uniform(rng);
    x[5] = y[7];      /* a particle on a target */
    x[9] = x[10];     /* two particles at one place */
    x[11] = 0.0;
    dl_domain dom;
    CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_TORUS, 1, L));
    const dl_kernel *k = dl_kernel_find("coulomb");
    dl_engine *e;
    CHECK_OK(dl_engine_create("coulomb", &e));
    dl_engine_fix_targets(e, y, m);
    for (int mask = 0; mask <= 1; mask++)
        for (int rep = 0; rep < 2; rep++) { /* the second call reuses the sorted targets */
            dl_drift_request req = {&dom, k, 1.0, x, n, y, m, x, n, mask, DL_OPERATOR_MMD};
            CHECK_OK(dl_engine_drift(e, &req, vp, vm));
            double worst = 0;
            for (size_t i = 0; i < n; i++) {
                worst = fmax(worst, fabs(vp[i] - coulomb_naive(x[i], y, m, -1, L)));
                worst = fmax(worst, fabs(vm[i] - coulomb_naive(x[i], x, n, mask ? (long)i : -1, L)));
            }
            CHECK(worst < 1e-10, "coulomb field vs direct sum (mask %d): max error %.3g", mask, worst);
        }
    dl_drift_request other = {&dom, k, 1.0, x, n, y, m, q, n, 0, DL_OPERATOR_MMD};
    CHECK_OK(dl_engine_drift(e, &other, NULL, vm));
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(vm[i] - coulomb_naive(x[i], q, n, -1, L)));
    CHECK(worst < 1e-10, "coulomb V- over other points: max error %.3g", worst);

    /* The mesh's Poisson solve against the exact field, on a smooth cloud:
     * targets on a lattice, particles a lattice displaced by a smooth wave.
     * The exact field of point charges is a staircase, stepping by 1/m at each
     * target (1/n at each particle), which the mesh smooths: the two may
     * differ by up to those steps, and by no more. */
    for (size_t i = 0; i < n; i++) {
        double u = (i + 0.5) / n;
        x[i] = L * (u + 0.02 * sin(2 * M_PI * u) + 0.01 * sin(6 * M_PI * u));
    }
    for (size_t j = 0; j < m; j++)
        y[j] = L * (j + 0.5) / m;
    dl_engine *pm, *exact;
    CHECK_OK(dl_engine_create("pm", &pm));
    CHECK_OK(dl_engine_create("coulomb", &exact));
    dl_drift_request smooth = {&dom, k, 0.5, x, n, y, m, x, n, 0, DL_OPERATOR_MMD};
    double *wp = malloc(n * sizeof *wp), *wm = malloc(n * sizeof *wm);
    CHECK_OK(dl_engine_drift(exact, &smooth, vp, vm));
    CHECK_OK(dl_engine_drift(pm, &smooth, wp, wm));
    double rms = 0;
    worst = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs((wp[i] - wm[i]) - (vp[i] - vm[i])));
        rms += (vp[i] - vm[i]) * (vp[i] - vm[i]) / n;
    }
    printf("coulomb pm vs exact (1-D, smooth cloud, n = m = %zu): max error %.3g = %.3g steps "
           "1/m (rms|V| %.3g)\n", n, worst, worst * m, sqrt(rms));
    CHECK(worst <= 1.0 / m, "coulomb pm vs exact: max error %.3g above the staircase step 1/m",
          worst);
    free(wp), free(wm);
    dl_engine_destroy(pm);
    dl_engine_destroy(exact);

    /* refusals, each with its own message */
    dl_drift_request ms = {&dom, k, 1.0, x, n, y, m, x, n, 0, DL_OPERATOR_MEANSHIFT};
    CHECK(dl_engine_drift(e, &ms, vp, vm) == DL_EINVAL, "coulomb mean shift accepted");
    CHECK(strstr(dl_error_message(), "--field mmd") != NULL, "message: %s", dl_error_message());
    dl_domain rd;
    CHECK_OK(dl_domain_init(&rd, DL_DOMAIN_RD, 1, 0));
    dl_drift_request onrd = {&rd, k, 1.0, x, n, y, m, x, n, 0, DL_OPERATOR_MMD};
    CHECK(dl_engine_drift(e, &onrd, vp, vm) == DL_EINVAL, "coulomb on R^d accepted");
    dl_engine_destroy(e);
    CHECK_OK(dl_engine_create("direct", &e));
    dl_drift_request direct = {&dom, k, 1.0, x, n, y, m, x, n, 0, DL_OPERATOR_MMD};
    CHECK(dl_engine_drift(e, &direct, vp, vm) == DL_EINVAL, "coulomb in the direct engine accepted");
    dl_engine_destroy(e);
    free(x), free(y), free(q), free(vp), free(vm);
}

/* (1/count) sum_j sum_|n|<=R g(|v|) v, v = y_j - x + nL, for the two kernels
 * whose gradient weight is typed out here */
static double mmd_naive(const char *kernel, double sigma, double x, const double *p, size_t count,
                        long skip, double L, int R)
{
    long double sum = 0;
    for (size_t j = 0; j < count; j++) {
        if ((long)j == skip)
            continue;
        double u = p[j] - x;
        u -= L * round(u / L);
        for (int nn = -R; nn <= R; nn++) {
            double v = u + nn * L, r = fabs(v);
            if (r == 0)
                continue;
            double g = !strcmp(kernel, "gaussian") ? exp(-r * r / (2 * sigma * sigma)) / (sigma * sigma)
                                                   : exp(-r / sigma) / (sigma * r);
            sum += g * v;
        }
    }
    return (double)(sum / (long double)(count - (skip >= 0 ? 1 : 0)));
}

static void test_mmd(gsl_rng *rng)
{
    const double L = 2 * M_PI;
    const size_t n = 400, m = 300;
    double *x = malloc(n * sizeof *x), *y = malloc(m * sizeof *y);
    double *vp = malloc(n * sizeof *vp), *vm = malloc(n * sizeof *vm);
    double *wp = malloc(n * sizeof *wp), *wm = malloc(n * sizeof *wm);
    for (size_t i = 0; i < n; i++)
        x[i] = L * gsl_rng_uniform(rng);
    for (size_t j = 0; j < m; j++)
        y[j] = L * (0.5 + 0.3 * sin(L * gsl_rng_uniform(rng)));
    dl_domain dom;
    CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_TORUS, 1, L));
    const char *kernels[] = {"gaussian", "laplacian"};
    dl_engine *direct, *pm;
    CHECK_OK(dl_engine_create("direct", &direct));
    CHECK_OK(dl_engine_create("pm", &pm));
    for (int ki = 0; ki < 2; ki++)
        for (double sigma = 0.3; sigma < 2; sigma *= 2.5) {
            const dl_kernel *k = dl_kernel_find(kernels[ki]);
            dl_drift_request req = {&dom, k, sigma, x, n, y, m, x, n, 1, DL_OPERATOR_MMD};
            CHECK_OK(dl_engine_drift(direct, &req, vp, vm));
            const int R = (int)ceil(40 * sigma / L) + 1;
            double worst = 0, rms = 0, pm_err = 0, pm_rms = 0;
            for (size_t i = 0; i < n; i++) {
                worst = fmax(worst, fabs(vp[i] - mmd_naive(kernels[ki], sigma, x[i], y, m, -1, L, R)));
                worst = fmax(worst, fabs(vm[i] - mmd_naive(kernels[ki], sigma, x[i], x, n, (long)i, L, R)));
                rms += (vp[i] - vm[i]) * (vp[i] - vm[i]) / n;
            }
            CHECK(worst < 1e-11, "mmd direct vs naive, %s sigma %g: max error %.3g", kernels[ki],
                  sigma, worst);
            CHECK_OK(dl_engine_drift(pm, &req, wp, wm));
            for (size_t i = 0; i < n; i++) {
                double d = (wp[i] - wm[i]) - (vp[i] - vm[i]);
                pm_err = fmax(pm_err, fabs(d));
                pm_rms += d * d / n;
            }
            pm_err /= sqrt(rms), pm_rms = sqrt(pm_rms / rms);
            printf("mmd pm %-9s sigma %.3g: error max %.3g, rms %.3g (units of rms|V|)\n",
                   kernels[ki], sigma, pm_err, pm_rms);
            if (ki == 0) {
                CHECK(pm_err <= 1e-3, "mmd pm vs direct, gaussian sigma %g: max %.3g", sigma, pm_err);
                continue;
            }
            /* The Laplacian's gradient jumps by 2/sigma where two points meet and
             * the mesh smooths each jump over a cell: a fraction O(h) of the points
             * sit within a cell of a jump, each with an O(1) error, so the rms
             * error falls as h^(1/2), by sqrt 2 on a grid twice as fine. */
            dl_pm_config fine = dl_pm_config_default();
            fine.cells_per_sigma = 2 * dl_pm_cells_per_sigma(k, 1);
            dl_engine *pm_fine;
            CHECK_OK(dl_engine_pm_create(&pm_fine, &fine));
            CHECK_OK(dl_engine_drift(pm_fine, &req, wp, wm));
            double fine_rms = 0;
            for (size_t i = 0; i < n; i++) {
                double d = (wp[i] - wm[i]) - (vp[i] - vm[i]);
                fine_rms += d * d / n;
            }
            fine_rms = sqrt(fine_rms / rms);
            printf("mmd pm laplacian sigma %.3g, grid twice as fine: rms %.3g (ratio %.2f)\n", sigma,
                   fine_rms, pm_rms / fine_rms);
            CHECK(pm_rms / fine_rms > 1.25 && pm_rms / fine_rms < 1.6,
                  "mmd pm laplacian sigma %g: rms error not of order h^(1/2) (%.3g -> %.3g)", sigma,
                  pm_rms, fine_rms);
            dl_engine_destroy(pm_fine);
        }
    dl_engine *simd;
    CHECK_OK(dl_engine_create("simd", &simd));
    dl_drift_request req = {&dom, dl_kernel_find("gaussian"), 0.5, x, n, y, m, x, n, 0, DL_OPERATOR_MMD};
    CHECK(dl_engine_drift(simd, &req, vp, vm) == DL_EINVAL, "mmd on the simd engine accepted");
    dl_engine_destroy(simd);
    dl_engine_destroy(direct);
    dl_engine_destroy(pm);
    free(x), free(y), free(vp), free(vm), free(wp), free(wm);
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(30);
    test_coulomb(rng);
    test_mmd(rng);
    gsl_rng_free(rng);
    return test_report("test_operator");
}
