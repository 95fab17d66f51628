/* Samplers: quiet starts reproduce the density's Fourier coefficients
 * (a_k / 2 for 1 + sum a_k cos(k.x)) to quadrature accuracy, iid samples to
 * within their standard error; toys and mixtures have their analytic moments;
 * malformed specifications are refused. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/metrics.h"
#include "test_common.h"

static double complex coef(const dl_domain *dom, const double *x, size_t n, int a, int b)
{
    int mode[2] = {a, b};
    return dl_fourier_coefficient(dom, x, n, mode);
}

static void test_mixture_mean(const dl_domain *dom, gsl_rng *rng, double *x)
{
    dl_dist g = {0};
    g.kind = DL_DIST_GMM;
    CHECK_OK(dl_dist_set_gmm(&g, 2, "1@2,-1/0.5;3@0,1/0.2"));
    CHECK_CLOSE(g.component[0].weight, 0.25, 1e-15, "mixture weights normalised");
    CHECK_OK(dl_dist_sample(&g, dom, 40000, rng, x));
    double mx = 0;
    for (int i = 0; i < 40000; i++)
        mx += x[2 * i] / 40000;
    /* var(x) = 0.25*0.25 + 0.75*0.04 + 0.25*0.75*4 = 0.8425 */
    CHECK_CLOSE(mx, 0.5, 5 * sqrt(0.8425 / 40000), "mixture mean");
}

static void test_checkerboard_cells(const dl_domain *dom, gsl_rng *rng, double *x)
{
    dl_dist cb = {0};
    cb.kind = DL_DIST_CHECKERBOARD;
    CHECK_OK(dl_dist_sample(&cb, dom, 40000, rng, x));
    int bad = 0;
    for (int i = 0; i < 40000; i++) {
        int col = (int)floor(x[2 * i] + 2), row = (int)floor(x[2 * i + 1] + 2);
        bad += (col + row) % 2 != 0 || col < 0 || col > 3 || row < 0 || row > 3;
    }
    CHECK(bad == 0, "%d checkerboard points in white cells", bad);
}

/* A rank's block is the same points as the whole draw's slice, and leaves the
 * rng where the whole draw does. */
static void test_blocks(const dl_dist *d, const dl_domain *dom, size_t count, const char *what)
{
    double *whole = malloc(count * dom->dim * sizeof(double)), *part = malloc(count * dom->dim * sizeof(double));
    gsl_rng *a = dl_rng_create(11), *b = dl_rng_create(11);
    CHECK_OK(dl_dist_sample(d, dom, count, a, whole));
    const size_t edges[] = {0, 1, count / 3, count / 3, count - 1, count};
    for (int k = 0; k + 1 < 6; k++) {
        gsl_rng *r = dl_rng_create(11);
        CHECK_OK(dl_dist_sample_block(d, dom, count, edges[k], edges[k + 1], r, part));
        CHECK(!memcmp(part, whole + edges[k] * dom->dim, (edges[k + 1] - edges[k]) * dom->dim * sizeof(double)),
              "%s: block [%zu, %zu) differs from the whole draw", what, edges[k], edges[k + 1]);
        CHECK(gsl_rng_get(r) == gsl_rng_get(a) || d->quiet, "%s: the block left the rng elsewhere", what);
        gsl_rng_free(r);
        gsl_rng_free(a);
        a = dl_rng_create(11);
        CHECK_OK(dl_dist_sample(d, dom, count, a, whole));
    }
    CHECK(dl_dist_sample_block(d, dom, count, 2, 1, b, part) == DL_EINVAL, "%s: reversed block", what);
    CHECK(dl_dist_sample_block(d, dom, count, 0, count + 1, b, part) == DL_EINVAL, "%s: block past the end", what);
    gsl_rng_free(a), gsl_rng_free(b);
    free(whole), free(part);
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(3);
    dl_domain d1, d2;
    CHECK_OK(dl_domain_init(&d1, DL_DOMAIN_TORUS, 1, 2 * M_PI));
    CHECK_OK(dl_domain_init(&d2, DL_DOMAIN_TORUS, 2, 3.0));
    double *x = malloc(40000 * 2 * sizeof(double));

    /* 1-D quiet start, the canonical perturbation. The midpoint rule on the
     * inverse CDF errs by O(k^2 / N^2): ~1e-6 at k = 6, N = 2000. */
    dl_dist d = {0};
    d.kind = DL_DIST_MODES;
    d.quiet = 1;
    CHECK_OK(dl_dist_set_modes(&d, 1, "1,2,3,4,5,6", "0.005"));
    CHECK_OK(dl_dist_sample(&d, &d1, 2000, rng, x));
    for (int k = 1; k <= 9; k++) {
        double complex c = coef(&d1, x, 2000, k, 0);
        char what[64];
        snprintf(what, sizeof what, "quiet 1-D coefficient k=%d", k);
        CHECK_CLOSE(creal(c), k <= 6 ? 0.0025 : 0.0, 1e-6, what);
        CHECK_CLOSE(cimag(c), 0.0, 1e-6, what);
    }
    for (size_t i = 0; i < 2000; i++)
        CHECK(x[i] >= 0 && x[i] < 2 * M_PI, "point %zu outside the torus: %g", i, x[i]);

    /* uniform lattice = the target of docs/THEORY.md: (j + 1/2) L / M */
    dl_dist u = {0};
    u.kind = DL_DIST_UNIFORM;
    u.quiet = 1;
    CHECK_OK(dl_dist_sample(&u, &d1, 100, rng, x));
    for (int j = 0; j < 100; j++)
        CHECK_CLOSE(x[j], (j + 0.5) * 2 * M_PI / 100, 1e-12, "uniform lattice point");

    /* 2-D quiet start with an axis mode and a mixed mode (Rosenblatt map) */
    dl_dist d2m = {0};
    d2m.kind = DL_DIST_MODES;
    d2m.quiet = 1;
    CHECK_OK(dl_dist_set_modes(&d2m, 2, "2:0,1:1,0:3", "0.1,0.06,-0.04"));
    CHECK_OK(dl_dist_sample(&d2m, &d2, 200 * 200, rng, x));
    CHECK_CLOSE(creal(coef(&d2, x, 40000, 2, 0)), 0.05, 1e-4, "2-D quiet (2,0)");
    CHECK_CLOSE(creal(coef(&d2, x, 40000, 1, 1)), 0.03, 1e-4, "2-D quiet (1,1)");
    CHECK_CLOSE(creal(coef(&d2, x, 40000, 0, 3)), -0.02, 1e-4, "2-D quiet (0,3)");
    CHECK_CLOSE(cabs(coef(&d2, x, 40000, 1, -1)), 0.0, 1e-4, "2-D quiet (1,-1) absent");
    CHECK_CLOSE(cabs(coef(&d2, x, 40000, 1, 0)), 0.0, 1e-4, "2-D quiet (1,0) absent");
    CHECK(dl_dist_validate(&d2m, &d2, 1000) == DL_EINVAL, "2-D lattice of 1000 points accepted");

    /* iid: coefficient error has standard deviation sqrt(1/(2N)) per part; 5 sigma */
    d.quiet = 0;
    CHECK_OK(dl_dist_sample(&d, &d1, 40000, rng, x));
    double se = sqrt(0.5 / 40000);
    for (int k = 1; k <= 8; k++)
        CHECK_CLOSE(creal(coef(&d1, x, 40000, k, 0)), k <= 6 ? 0.0025 : 0.0, 5 * se,
                    "iid 1-D coefficient");

    /* toys: moments against their definitions (5 standard errors, N = 40000) */
    dl_domain r2;
    CHECK_OK(dl_domain_init(&r2, DL_DOMAIN_RD, 2, 0));
    struct {
        dl_dist_kind kind;
        double mean_r2, var_r2;
    } toys[] = {
        {DL_DIST_8GAUSSIANS, 4.0 + 2 * 0.01, 0.2},
        {DL_DIST_RINGS, 0.1 * 0.25 + 0.2 * 1 + 0.3 * 2.25 + 0.4 * 4 + 2 * 0.0009, 2.0},
    };
    for (int t = 0; t < 2; t++) {
        dl_dist toy = {0};
        toy.kind = toys[t].kind;
        CHECK_OK(dl_dist_sample(&toy, &r2, 40000, rng, x));
        double mx = 0, my = 0, mr2 = 0;
        for (int i = 0; i < 40000; i++) {
            mx += x[2 * i] / 40000;
            my += x[2 * i + 1] / 40000;
            mr2 += (x[2 * i] * x[2 * i] + x[2 * i + 1] * x[2 * i + 1]) / 40000;
        }
        CHECK_CLOSE(mx, 0.0, 5 * 2.0 / 200, dl_dist_kind_name(toy.kind));
        CHECK_CLOSE(my, 0.0, 5 * 2.0 / 200, dl_dist_kind_name(toy.kind));
        CHECK_CLOSE(mr2, toys[t].mean_r2, 5 * sqrt(toys[t].var_r2 / 40000) + 1e-3,
                    dl_dist_kind_name(toy.kind));
    }
    test_checkerboard_cells(&r2, rng, x);
    test_mixture_mean(&r2, rng, x);
    {
        static dl_dist iid, quiet2, normal; /* static: a dl_dist is about 1 MB */
        iid.kind = quiet2.kind = DL_DIST_MODES;
        quiet2.quiet = 1;
        CHECK_OK(dl_dist_set_modes(&iid, 1, "1,2", "0.3"));
        CHECK_OK(dl_dist_set_modes(&quiet2, 2, "1:0,1:1", "0.2"));
        normal.kind = DL_DIST_NORMAL, normal.std = 1.5;
        test_blocks(&iid, &d1, 10007, "iid modes");
        test_blocks(&quiet2, &d2, 4900, "quiet 2-D modes");
        test_blocks(&normal, &r2, 9000, "normal");
    }

    /* junk is refused */
    const char *bad_modes[] = {"", "1,,2", "1,a", "1.5", "0", "1,2,", "1:2", "x"};
    for (size_t i = 0; i < sizeof bad_modes / sizeof *bad_modes; i++) {
        dl_dist b = {0};
        CHECK(dl_dist_set_modes(&b, 1, bad_modes[i], "0.01") == DL_EINVAL, "mode list '%s' accepted",
              bad_modes[i]);
    }
    dl_dist b = {0};
    CHECK(dl_dist_set_modes(&b, 2, "1", "0.01") == DL_EINVAL, "1-D mode in 2-D accepted");
    CHECK(dl_dist_set_modes(&b, 1, "1,2", "0.6") == DL_EINVAL, "negative density accepted");
    CHECK(dl_dist_set_modes(&b, 1, "1,2", "0.1,0.2,0.3") == DL_EINVAL, "amp count mismatch");
    CHECK(dl_dist_set_modes(&b, 1, "1", "nan") == DL_EINVAL, "NaN amplitude accepted");
    CHECK(dl_dist_set_gmm(&b, 2, "1@0/1") == DL_EINVAL, "short mean accepted");
    CHECK(dl_dist_set_gmm(&b, 2, "1@0,0,0/1") == DL_EINVAL, "long mean accepted");
    CHECK(dl_dist_set_gmm(&b, 2, "1@0,0/-1") == DL_EINVAL, "negative std accepted");
    dl_dist_kind k;
    CHECK(dl_dist_kind_parse("spiral", &k) == DL_EINVAL, "unknown distribution accepted");
    dl_dist toy = {0};
    toy.kind = DL_DIST_MOONS;
    dl_domain r3;
    CHECK_OK(dl_domain_init(&r3, DL_DOMAIN_RD, 3, 0));
    CHECK(dl_dist_validate(&toy, &r3, 10) == DL_EINVAL, "3-D moons accepted");
    CHECK(dl_dist_validate(&toy, &r2, 0) == DL_EINVAL, "zero samples accepted");
    free(x);
    gsl_rng_free(rng);
    return test_report("test_sampler");
}
