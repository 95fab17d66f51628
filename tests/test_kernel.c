/* Kernel table: every closed-form Fourier transform against numerical
 * quadrature of its definition, and every closed-form rate against the
 * derivative of the transform (THEORY.md section 3). */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "dl_error.h"
#include "kernel.h"
#include "test_common.h"

typedef struct {
    const dl_kernel *k;
    double sigma, kmag;
    int dim;
} integrand_ctx;

static double radial_1d(double r, void *p)
{
    integrand_ctx *c = p;
    return 2.0 * dl_kernel_value_at(c->k, r, c->sigma, 1); /* even: 2 int_0^inf k cos */
}
static double radial_3d(double r, void *p)
{
    integrand_ctx *c = p;
    return 4.0 * M_PI * r * dl_kernel_value_at(c->k, r, c->sigma, 3) / c->kmag; /* x sin(kr) */
}
/* d = 2 in Cartesian form: khat(k) = 2 int_0^inf cos(k x) g(x) dx with
 * g(x) = 2 int_0^inf k(sqrt(x^2 + y^2)) dy, which avoids slowly decaying
 * Bessel oscillations for the algebraic Cauchy tail. */
typedef struct {
    integrand_ctx *c;
    double x;
} slice_ctx;
static double slice_integrand(double y, void *p)
{
    slice_ctx *s = p;
    return 2.0 * dl_kernel_value_at(s->c->k, hypot(s->x, y), s->c->sigma, 2);
}
static double radial_2d(double x, void *p)
{
    slice_ctx s = {p, x};
    gsl_function f = {slice_integrand, &s};
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    double result, err;
    gsl_integration_qagiu(&f, 0, 1e-14, 1e-12, 2000, w, &result, &err);
    gsl_integration_workspace_free(w);
    return 2.0 * result;
}

/* khat(|k|) by quadrature of the radial Fourier integral in d = 1, 2, 3. */
static double fourier_by_quadrature(const dl_kernel *k, double sigma, double kmag, int dim)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(4000);
    gsl_integration_workspace *cw = gsl_integration_workspace_alloc(4000);
    integrand_ctx ctx = {k, sigma, kmag, dim};
    gsl_function f = {dim == 1 ? radial_1d : dim == 3 ? radial_3d : radial_2d, &ctx};
    double result = NAN, err;
    {
        gsl_integration_qawo_table *t =
            gsl_integration_qawo_table_alloc(kmag, 1, dim == 3 ? GSL_INTEG_SINE : GSL_INTEG_COSINE, 50);
        gsl_integration_qawf(&f, 0, 1e-12, 4000, w, cw, t, &result, &err);
        gsl_integration_qawo_table_free(t);
    }
    gsl_integration_workspace_free(w);
    gsl_integration_workspace_free(cw);
    return result;
}

int main(void)
{
    gsl_set_error_handler_off();
    const double sigmas[] = {0.3, 1.0, 2.5};
    const double kmags[] = {0.4, 1.0, 2.7};
    for (size_t ki = 0; ki < dl_kernel_count(); ki++) {
        const dl_kernel *k = dl_kernel_at(ki);
        for (int dim = 1; dim <= 3; dim++)
            for (int si = 0; si < 3; si++)
                for (int qi = 0; qi < 3; qi++) {
                    double s = sigmas[si], q = kmags[qi];
                    double want = fourier_by_quadrature(k, s, q, dim);
                    double got = k->fourier(q, s, dim);
                    char what[128];
                    snprintf(what, sizeof what, "%s khat d=%d sigma=%g k=%g", k->name, dim, s, q);
                    /* Relative 1e-8, or 1e-10 of khat(0) where the transform itself is tiny
                     * (the quadrature is accurate relative to the integrand's mass). */
                    double scale = k->fourier(0, s, dim);
                    CHECK_CLOSE(got, want, 1e-8 * fabs(want) + 1e-10 * scale, what);
                }
        /* gamma(s) = -k khat'(k) / khat(0), derivative by a 4th-order central difference */
        for (int dim = 1; dim <= 3; dim++)
            for (double s = 0.25; s < 6; s += 0.5) {
                double sigma = 0.7, q = s / sigma, h = 1e-3 * q;
                double d = (-k->fourier(q + 2 * h, sigma, dim) + 8 * k->fourier(q + h, sigma, dim) -
                            8 * k->fourier(q - h, sigma, dim) + k->fourier(q - 2 * h, sigma, dim)) /
                           (12 * h);
                double want = -q * d / k->fourier(0, sigma, dim), got;
                CHECK_OK(dl_kernel_rate(k, q, sigma, dim, &got));
                char what[128];
                snprintf(what, sizeof what, "%s gamma d=%d s=%g", k->name, dim, s);
                CHECK_CLOSE(got, want, 1e-8, what);
            }
    }
    /* Closed forms quoted in THEORY.md: peak heights of gamma. */
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
    /* THEORY.md: gaussian gamma at s = 3 (sigma 0.5, k = 6) */
    CHECK_OK(dl_kernel_rate(dl_kernel_find("gaussian"), 6, 0.5, 1, &g));
    CHECK_CLOSE(g, 9 * exp(-4.5), 1e-15, "gaussian gamma(s=3)");

    CHECK(dl_kernel_find("epanechnikov") == NULL, "unknown kernel accepted");
    CHECK(dl_error_message()[0] != '\0', "unknown kernel left no message");
    return test_report("test_kernel");
}
