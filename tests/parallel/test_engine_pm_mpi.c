/* The distributed particle mesh against the serial one (engine_pm.c), run
 * under mpirun at several rank counts: every rank draws the same points,
 * keeps its block, and the blocks' V+ and V- must match the serial engine's
 * on all points to 1e-12 of rms |V| (the two differ only in the order of
 * floating-point sums: the deposit's, the guard planes', and FFTW-MPI's
 * transform against the serial one).  Cases: 1-D, 2-D, 3-D; CIC and TSC;
 * self-masking; points crowded into one slab (one rank gets every point);
 * a fixed 9-cell grid, where at 4 ranks one rank owns no plane.  Fixed
 * targets give the same numbers bit for bit.  Failures are agreed: a bad request fails on every rank with the same status. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "base/dl_error.h"
#include "base/rng.h"
#include "drift/engine.h"
#include "parallel/collective.h"
#include "parallel/engine_pm_mpi.h"
#include "test_common.h"

typedef struct {
    const char *what, *kernel;
    int dim, grid, self_mask, crowd;
    dl_assignment assign;
    double sigma;
    size_t n, m;
} pm_case;

static int rank, size;

static void draw(gsl_rng *rng, double *p, size_t count, int dim, double L, double crowd)
{
    for (size_t i = 0; i < count * (size_t)dim; i++)
        p[i] = (crowd && i % dim == 0 ? 0.1 : 1.0) * L * gsl_rng_uniform(rng);
}

static double rms(const double *v, size_t len)
{
    double s = 0;
    for (size_t i = 0; i < len; i++)
        s += v[i] * v[i];
    return sqrt(s / (double)len);
}

static void run_case(const pm_case *c)
{
    const double L = 2 * M_PI;
    const int dim = c->dim;
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_TORUS, dim, L);
    const dl_kernel *k = dl_kernel_find(c->kernel);
    gsl_rng *rng = dl_rng_create(17);
    double *x = malloc(c->n * dim * sizeof(double)), *y = malloc(c->m * dim * sizeof(double));
    draw(rng, x, c->n, dim, L, c->crowd);
    draw(rng, y, c->m, dim, L, c->crowd);
    gsl_rng_free(rng);
    dl_pm_config cfg = dl_pm_config_default();
    cfg.assign = c->assign, cfg.grid = c->grid;
    double *sp = malloc(c->n * dim * sizeof(double)), *sm = malloc(c->n * dim * sizeof(double));
    dl_engine *serial, *dist;
    CHECK_OK(dl_engine_pm_create(&serial, &cfg));
    dl_drift_request all = {&dom, k, c->sigma, x, c->n, y, c->m, x, c->n, c->self_mask, DL_OPERATOR_MEANSHIFT};
    CHECK_OK(dl_engine_drift(serial, &all, sp, sm));

    size_t xb, xe, yb, ye;
    dl_mpi_block(c->n, rank, size, &xb, &xe);
    dl_mpi_block(c->m, rank, size, &yb, &ye);
    double *dp = malloc((xe - xb) * dim * sizeof(double) + 1), *dm = malloc((xe - xb) * dim * sizeof(double) + 1);
    CHECK_OK(dl_engine_pm_mpi_create(&dist, &cfg, MPI_COMM_WORLD));
    dl_drift_request mine = {&dom, k, c->sigma, x + xb * dim, xe - xb, y + yb * dim, ye - yb,
                             x + xb * dim, xe - xb, c->self_mask, DL_OPERATOR_MEANSHIFT};
    for (int rep = 0; rep < 2; rep++) /* the second call reuses grids, kernels and routes */
        CHECK_OK(dl_engine_drift(dist, &mine, dp, dm));
    double worst = 0, scale = fmax(rms(sp, c->n * dim), rms(sm, c->n * dim));
    for (size_t i = 0; i < (xe - xb) * dim; i++)
        worst = fmax(worst, fmax(fabs(dp[i] - sp[xb * dim + i]), fabs(dm[i] - sm[xb * dim + i])));
    double all_worst;
    MPI_Allreduce(&worst, &all_worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%-28s %d ranks: max |V - V_serial| = %.3g rms|V| (%s)\n", c->what, size,
               all_worst / scale, dist->note);
    CHECK(all_worst <= 1e-12 * scale, "%s: %d ranks differ from the serial mesh by %.3g rms|V|", c->what,
          size, all_worst / scale);
    dl_engine_destroy(serial), dl_engine_destroy(dist);
    free(x), free(y), free(sp), free(sm), free(dp), free(dm);
}

/* Fixed targets (dl_engine_fix_targets) give the same V, bit for bit,
 * as an engine that deposits them at every call: across moved particles, a
 * new grid (another sigma) and back, and a request with other targets,
 * which must not take the cache. */
static void test_fixed_targets(int dim)
{
    const double L = 2 * M_PI;
    const size_t n = 1200, m = 900;
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_TORUS, dim, L);
    gsl_rng *rng = dl_rng_create(23);
    double *x = malloc(2 * n * dim * sizeof(double)), *y = malloc(2 * m * dim * sizeof(double));
    draw(rng, x, 2 * n, dim, L, 0);
    draw(rng, y, 2 * m, dim, L, 0);
    gsl_rng_free(rng);
    size_t xb, xe, yb, ye;
    dl_mpi_block(n, rank, size, &xb, &xe);
    dl_mpi_block(m, rank, size, &yb, &ye);
    const size_t len = (xe - xb) * dim;
    double *v[4];
    for (int k = 0; k < 4; k++)
        v[k] = malloc(len * sizeof(double) + 1);
    dl_engine *plain, *fixed;
    CHECK_OK(dl_engine_pm_mpi_create(&plain, NULL, MPI_COMM_WORLD));
    CHECK_OK(dl_engine_pm_mpi_create(&fixed, NULL, MPI_COMM_WORLD));
    double *mine_y = y + yb * dim, *other_y = y + (m + yb) * dim;
    dl_engine_fix_targets(fixed, mine_y, ye - yb);
    const struct { size_t x_at; double sigma; const double *y; } calls[] = {
        {0, 0.5, mine_y}, {n, 0.5, mine_y}, {n, 0.3, mine_y}, {0, 0.5, mine_y}, {0, 0.5, other_y}, {n, 0.5, mine_y},
    };
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        const double *xi = x + (calls[i].x_at + xb) * dim;
        dl_drift_request req = {&dom, dl_kernel_find("gaussian"), calls[i].sigma, xi, xe - xb, calls[i].y,
                                ye - yb, xi, xe - xb, 1, DL_OPERATOR_MEANSHIFT};
        CHECK_OK(dl_engine_drift(plain, &req, v[0], v[1]));
        CHECK_OK(dl_engine_drift(fixed, &req, v[2], v[3]));
        int same = !memcmp(v[0], v[2], len * sizeof(double)) && !memcmp(v[1], v[3], len * sizeof(double)), all;
        MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        CHECK(all, "%d-D fixed targets, call %zu (sigma %g): V differs from the plain engine's", dim, i,
              calls[i].sigma);
    }
    dl_engine_destroy(plain), dl_engine_destroy(fixed);
    for (int k = 0; k < 4; k++)
        free(v[k]);
    free(x), free(y);
}

/* A request only the last rank gets wrong fails everywhere, with its message. */
static void test_agreed_failure(void)
{
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_RD, 1, 0);
    dl_engine *dist;
    CHECK_OK(dl_engine_pm_mpi_create(&dist, NULL, MPI_COMM_WORLD));
    double x[4] = {0.1, 0.2, 0.3, 0.4}, v[4];
    dl_drift_request req = {&dom, dl_kernel_find("gaussian"), 0.5, x, 4, x, 4, x, 4, 0, DL_OPERATOR_MEANSHIFT};
    int st = dl_engine_drift(dist, &req, v, v);
    CHECK(st == DL_EUNSUPPORTED && strstr(dl_error_message(), "torus only"),
          "R^1 accepted by the distributed mesh: %d %s", st, dl_error_message());
    st = dl_mpi_agree(MPI_COMM_WORLD, rank == size - 1 ? dl_error(DL_EIO, "disk full on the last rank") : 0);
    CHECK(st == DL_EIO && strstr(dl_error_message(), "disk full on the last rank"),
          "a failure on the last rank was not agreed: %d %s", st, dl_error_message());
    char once[1024];
    snprintf(once, sizeof once, "%s", dl_error_message());
    st = dl_mpi_agree(MPI_COMM_WORLD, st); /* agreed again, as layered calls do */
    CHECK(st == DL_EIO && !strcmp(once, dl_error_message()),
          "agreeing twice changed the message: '%s' became '%s'", once, dl_error_message());
    dl_engine_destroy(dist);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const pm_case cases[] = {
        {"1-D gaussian tsc", "gaussian", 1, 0, 0, 0, DL_ASSIGN_TSC, 0.3, 3000, 2000},
        {"1-D laplacian cic self-mask", "laplacian", 1, 0, 1, 0, DL_ASSIGN_CIC, 0.5, 2000, 2500},
        {"1-D crowded into one slab", "gaussian", 1, 0, 0, 1, DL_ASSIGN_TSC, 0.4, 2000, 2000},
        {"1-D 9 cells", "gaussian", 1, 9, 1, 0, DL_ASSIGN_TSC, 1.5, 500, 700},
        {"2-D gaussian tsc self-mask", "gaussian", 2, 0, 1, 0, DL_ASSIGN_TSC, 0.6, 2000, 1500},
        {"2-D laplacian cic", "laplacian", 2, 0, 0, 0, DL_ASSIGN_CIC, 0.8, 1500, 1500},
        {"3-D gaussian tsc", "gaussian", 3, 0, 1, 0, DL_ASSIGN_TSC, 1.2, 1500, 1000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_case(&cases[i]);
    test_fixed_targets(1);
    test_fixed_targets(2);
    test_agreed_failure();
    int failed = 0;
    MPI_Allreduce(&tests_failed, &failed, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        test_report("test_engine_pm_mpi");
    MPI_Finalize();
    return failed ? 1 : 0;
}
