/* The log-domain Sinkhorn solver against POT (tests/data/sinkhorn_reference.txt,
 * written by tests/data/make_sinkhorn_reference.py; POT's plans have marginals
 * within 1e-9): plans and barycentric projections within 1e-6, absolute.
 * Then the limits of docs/THEORY.md section 6:
 *   rows only, eps = sigma^2: T_qp(x) - x is the Gaussian V_p^+ of the direct
 *   engine (1e-12 relative: the same sums in another order);
 *   S_eps(q, q) = 0 and S_eps(q, p) > 0 for q != p;
 * the warm start (a second solve from the kept potentials converges in fewer
 * iterations to the same plan), and bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/engine.h"
#include "drift/sinkhorn.h"
#include "test_common.h"

static int read_doubles(FILE *fp, double *v, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (fscanf(fp, "%lf", &v[i]) != 1)
            return 0;
    return 1;
}

static void check_reference(const char *path)
{
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL, "cannot open %s", path);
    if (!fp)
        return;
    char line[512];
    int cases = 0;
    while (fgets(line, sizeof line, fp)) {
        int dim, n, m;
        double eps;
        if (sscanf(line, "case %d %d %d %lf", &dim, &n, &m, &eps) != 4)
            continue;
        double *x = malloc(n * dim * sizeof(double)), *y = malloc(m * dim * sizeof(double));
        double *plan = malloc(n * m * sizeof(double)), *proj = malloc(n * dim * sizeof(double));
        double *mine = malloc(n * m * sizeof(double)), *disp = malloc(n * dim * sizeof(double));
        int ok = read_doubles(fp, x, n * dim) && read_doubles(fp, y, m * dim) &&
                 read_doubles(fp, plan, n * m) && read_doubles(fp, proj, n * dim);
        CHECK(ok, "case %d of %s is truncated", cases + 1, path);
        dl_domain dom;
        dl_domain_init(&dom, DL_DOMAIN_RD, dim, 0);
        dl_sinkhorn_config cfg = dl_sinkhorn_config_default(eps);
        cfg.max_iter = 200000, cfg.tol = 1e-13;
        dl_sinkhorn *s;
        CHECK_OK(dl_sinkhorn_create(&s, &cfg));
        CHECK_OK(dl_sinkhorn_solve(s, &dom, x, n, y, m));
        dl_sinkhorn_plan(s, mine);
        dl_sinkhorn_displacement(s, &dom, x, y, disp);
        double ep = 0, ed = 0;
        for (int k = 0; k < n * m; k++)
            ep = fmax(ep, fabs(mine[k] - plan[k]));
        for (int k = 0; k < n * dim; k++)
            ed = fmax(ed, fabs(disp[k] - proj[k]));
        printf("POT case d=%d %dx%d eps=%g: %d iterations, plan %.2e, projection %.2e\n", dim, n, m,
               eps, s->iterations, ep, ed);
        CHECK(ep <= 1e-6 && ed <= 1e-6, "case d=%d eps=%g: plan off by %.3g, projection by %.3g",
              dim, eps, ep, ed);
        dl_sinkhorn_destroy(s);
        free(x), free(y), free(plan), free(proj), free(mine), free(disp);
        cases++;
    }
    fclose(fp);
    CHECK(cases == 5, "read %d reference cases, expected 5", cases);
}

int main(int argc, char **argv)
{
    check_reference(argc > 1 ? argv[1] : "sinkhorn_reference.txt");
    gsl_rng *rng = dl_rng_create(4);
    const int n = 40, m = 50;
    double x[40 * 2], y[50 * 2], a[40 * 2], b[40 * 2];
    for (int i = 0; i < n * 2; i++)
        x[i] = gsl_ran_gaussian(rng, 1.0);
    for (int i = 0; i < m * 2; i++)
        y[i] = gsl_ran_gaussian(rng, 1.0) + 0.8;
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_RD, 2, 0);
    /* rows only with eps = sigma^2 is the Gaussian mean shift */
    const double sigma = 0.7;
    dl_sinkhorn_config cfg = dl_sinkhorn_config_default(sigma * sigma);
    cfg.rows_only = 1;
    dl_sinkhorn *s;
    CHECK_OK(dl_sinkhorn_create(&s, &cfg));
    CHECK_OK(dl_sinkhorn_solve(s, &dom, x, n, y, m));
    dl_sinkhorn_displacement(s, &dom, x, y, a);
    dl_sinkhorn_destroy(s);
    dl_engine *direct;
    CHECK_OK(dl_engine_create("direct", &direct));
    dl_drift_request req = {&dom, dl_kernel_find("gaussian"), sigma, x, n, y, m, x, n, 0, DL_OPERATOR_MEANSHIFT};
    CHECK_OK(dl_engine_drift(direct, &req, b, NULL));
    dl_engine_destroy(direct);
    double worst = 0;
    for (int i = 0; i < n * 2; i++)
        worst = fmax(worst, fabs(a[i] - b[i]) / (fabs(b[i]) + 1e-300));
    CHECK(worst < 1e-12, "rows-only Sinkhorn vs Gaussian V+: relative %.3g", worst);
    /* the debiased divergence */
    dl_sinkhorn_config full = dl_sinkhorn_config_default(0.5);
    double same, differ;
    CHECK_OK(dl_sinkhorn_divergence(&full, &dom, x, n, x, n, &same));
    CHECK_OK(dl_sinkhorn_divergence(&full, &dom, x, n, y, m, &differ));
    printf("S_eps(q,q) = %.3g, S_eps(q,p) = %.6g\n", same, differ);
    CHECK(fabs(same) < 1e-10, "S_eps(q, q) = %.3g, not 0", same);
    CHECK(differ > 0.05, "S_eps(q, p) = %.3g for clouds 0.8 apart per axis", differ);
    /* warm start: the kept potentials make the second solve short, same plan */
    full.tol = 1e-10;
    CHECK_OK(dl_sinkhorn_create(&s, &full));
    CHECK_OK(dl_sinkhorn_solve(s, &dom, x, n, y, m));
    int cold = s->iterations;
    dl_sinkhorn_displacement(s, &dom, x, y, a);
    CHECK_OK(dl_sinkhorn_solve(s, &dom, x, n, y, m));
    dl_sinkhorn_displacement(s, &dom, x, y, b);
    printf("cold solve %d iterations, warm %d\n", cold, s->iterations);
    CHECK(s->iterations < cold, "warm start took %d iterations, cold %d", s->iterations, cold);
    worst = 0;
    for (int i = 0; i < n * 2; i++)
        worst = fmax(worst, fabs(a[i] - b[i]));
    CHECK(worst < 1e-8, "warm and cold projections differ by %.3g", worst);
    /* bad input */
    x[3] = NAN;
    CHECK(dl_sinkhorn_solve(s, &dom, x, n, y, m) == DL_EINVAL, "NaN point accepted");
    dl_sinkhorn_destroy(s);
    dl_sinkhorn_config bad = dl_sinkhorn_config_default(-1.0);
    CHECK(dl_sinkhorn_create(&s, &bad) == DL_EINVAL, "negative epsilon accepted");
    bad = dl_sinkhorn_config_default(0.1);
    bad.max_iter = 0;
    CHECK(dl_sinkhorn_create(&s, &bad) == DL_EINVAL, "zero iteration cap accepted");
    gsl_rng_free(rng);
    return test_report("test_sinkhorn");
}
