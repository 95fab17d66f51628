/* driftlab bench: how fast each drift engine is, against its roofline.
 *
 * For each engine and dimension it times one evaluation of V = V+ - V- (both
 * halves, V- self-masked) at a range of N = M, takes the median of --reps
 * runs, and prints pairs per second, the share of the roofline and the slope
 * of log time against log N.  Rooflines: bare vector expf in the simd
 * engine's own loop shape, and OpenBLAS sgemm at the GEMM engine's shape.
 * The particle mesh's accuracy is checked against the reference on a sample
 * of points.  Peers (NumPy, PyTorch) are run beside it by bench/engines_bench.sh. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>

#include "cli.h"
#include "commands.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/engine.h"
#include "base/io.h"
#include "drift/metrics.h"

#define MAX_SIZES 12
#define TWO_PI 6.283185307179586

typedef struct {
    const char *engine;
    int dim;
    dl_domain_kind domain;
    double sigma;
    size_t sizes[MAX_SIZES];
} bench_series;

typedef struct {
    int reps, quick, quiet;
    const char *out;
} bench_options;

/* points of a series: standard normal on R^d (y shifted by 1/2), uniform on the torus */
static void make_points(const bench_series *s, size_t n, gsl_rng *rng, double *x, double *y)
{
    for (size_t i = 0; i < n * s->dim; i++) {
        if (s->domain == DL_DOMAIN_TORUS) {
            x[i] = gsl_rng_uniform(rng) * TWO_PI;
            y[i] = fmod(TWO_PI * gsl_rng_uniform(rng) + 0.3 * sin(x[i]) + TWO_PI, TWO_PI);
        } else {
            x[i] = gsl_ran_gaussian(rng, 1.0);
            y[i] = gsl_ran_gaussian(rng, 1.0) + 0.5;
        }
    }
}

/* median seconds of one V+ and V- evaluation */
static int time_engine(const char *name, const dl_drift_request *req, int reps, double *v_plus,
                       double *v_minus, double *seconds)
{
    dl_engine *e;
    int st = dl_engine_create(name, &e);
    if (st)
        return st;
    double t[64];
    for (int r = 0; r <= reps && !st; r++) { /* run 0 warms up (plans, buffers) */
        double t0 = cli_wall_seconds();
        st = dl_engine_drift(e, req, v_plus, v_minus);
        if (r)
            t[r - 1] = cli_wall_seconds() - t0;
    }
    dl_engine_destroy(e);
    if (!st)
        *seconds = dl_median(t, (size_t)reps);
    return st;
}

/* max |V_pm - V_ref| / rms|V_ref| over a sample of the points, both halves unmasked */
static int pm_error(const dl_drift_request *full, size_t sample, double *err)
{
    const int d = full->domain->dim;
    dl_drift_request req = *full;
    req.n = sample, req.self_mask = 0;
    double *ref = malloc(2 * sample * d * sizeof(double)), *pm = malloc(2 * sample * d * sizeof(double));
    dl_engine *a = NULL, *b = NULL;
    int st = !ref || !pm ? dl_error(DL_ENOMEM, "bench: out of memory") : DL_OK;
    if (!st)
        st = dl_engine_create("direct", &a);
    if (!st)
        st = dl_engine_create("pm", &b);
    if (!st)
        st = dl_engine_drift(a, &req, ref, ref + sample * d);
    if (!st)
        st = dl_engine_drift(b, &req, pm, pm + sample * d);
    if (!st) {
        double rms = 0, e = 0;
        for (size_t i = 0; i < 2 * sample * d; i++)
            rms += ref[i] * ref[i], e = fmax(e, fabs(pm[i] - ref[i]));
        *err = e / sqrt(rms / (2.0 * sample * d));
    }
    dl_engine_destroy(a), dl_engine_destroy(b);
    free(ref), free(pm);
    return st;
}

static int parse(int argc, char **argv, bench_options *o, int *help)
{
    o->reps = 3, o->quick = 0, o->quiet = 0, o->out = "runs/bench";
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            *help = 1;
        else if (!strcmp(a, "--quick"))
            o->quick = 1;
        else if (!strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (!strcmp(a, "--out") && i + 1 < argc)
            o->out = argv[++i];
        else if (!strcmp(a, "--reps") && i + 1 < argc) {
            int st = cli_parse_long_in("reps", argv[++i], 1, 64, &v);
            if (st)
                return st;
            o->reps = (int)v;
        } else
            return dl_error(DL_EINVAL, "unknown or incomplete option '%s' (see driftlab bench --help)", a);
    }
    return DL_OK;
}

/* The rooflines the engines are judged against: bare vector expf and
 * OpenBLAS sgemm, each the median of --reps runs. */
typedef struct {
    double exp_rate, sgemm_gflops;
    char line1[200], line2[200];
} bench_rooflines;

static void measure_rooflines(const bench_options *o, gsl_rng *rng, bench_rooflines *rf)
{
    const size_t R = o->quick ? 4000 : 20000;
    float *col = malloc(R * sizeof(float));
    for (size_t j = 0; col && j < R; j++)
        col[j] = (float)gsl_ran_gaussian(rng, 3.0);
    double t[64], sink = 0;
    for (int r = 0; col && r <= o->reps; r++) {
        double t0 = cli_wall_seconds();
        sink += dl_simd_exp_roofline(col, R, R);
        if (r)
            t[r - 1] = cli_wall_seconds() - t0;
    }
    rf->exp_rate = col ? (double)R * R / dl_median(t, (size_t)o->reps) : NAN;
    free(col);
    const int gm = o->quick ? 1024 : 4096, gd = 784;
    float *A = malloc((size_t)gm * gd * sizeof(float)), *C = malloc((size_t)gm * gm * sizeof(float));
    for (size_t i = 0; A && i < (size_t)gm * gd; i++)
        A[i] = (float)gsl_rng_uniform(rng);
    for (int r = 0; A && C && r <= o->reps; r++) {
        double t0 = cli_wall_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, gm, gm, gd, 1.0f, A, gd, A, gd, 0.0f, C, gm);
        if (r)
            t[r - 1] = cli_wall_seconds() - t0;
    }
    rf->sgemm_gflops = A && C ? 2.0 * gm * gm * gd / dl_median(t, (size_t)o->reps) / 1e9 : NAN;
    free(A), free(C);
    snprintf(rf->line1, sizeof rf->line1,
             "threads %d; exp roofline %.4g exp/s (%zu x %zu bare expf, checksum %.6g)",
             omp_get_max_threads(), rf->exp_rate, R, R, sink);
    snprintf(rf->line2, sizeof rf->line2, "sgemm roofline %.4g GFLOP/s (%d x %d x %d)",
             rf->sgemm_gflops, gm, gm, gd);
}

/* One engine at one size: a table row; *log_t the log of its seconds. */
static int bench_size(const bench_options *o, const bench_series *s, const dl_domain *dom, size_t n,
                      gsl_rng *rng, const bench_rooflines *rf, FILE *dat, double *log_t)
{
    double *x = malloc(n * s->dim * sizeof(double)), *y = malloc(n * s->dim * sizeof(double));
    double *vp = malloc(n * s->dim * sizeof(double)), *vm = malloc(n * s->dim * sizeof(double));
    int st = DL_OK;
    if (!x || !y || !vp || !vm)
        st = dl_error(DL_ENOMEM, "bench: out of memory at N = %zu, d = %d", n, s->dim);
    double sec = 0, err = NAN;
    if (!st) {
        make_points(s, n, rng, x, y);
        dl_drift_request req = {dom, dl_kernel_find("gaussian"), s->sigma, x, n, y, n, x, n, 1, DL_OPERATOR_MEANSHIFT};
        st = time_engine(s->engine, &req, o->reps, vp, vm, &sec);
        if (!st && !strcmp(s->engine, "pm"))
            st = pm_error(&req, n < 1000 ? n : 1000, &err);
    }
    if (!st) {
        const double pairs = 2.0 * n * n / sec;
        double roof = NAN;
        if (!strcmp(s->engine, "simd") || !strcmp(s->engine, "direct"))
            roof = 100.0 * pairs / rf->exp_rate;
        else if (!strcmp(s->engine, "gemm"))
            roof = 100.0 * (8.0 * n * n * s->dim / sec / 1e9) / rf->sgemm_gflops;
        printf("%-7s %4d %8zu %12.4g %12.4g %9.1f%% %10.2g\n", s->engine, s->dim, n, sec, pairs, roof, err);
        fprintf(dat, "%s %d %zu %.6g %.6g %.4g %.3g\n", s->engine, s->dim, n, sec, pairs, roof, err);
        fflush(stdout);
        *log_t = log(sec);
    }
    free(x), free(y), free(vp), free(vm);
    return st;
}

/* One series over its sizes, and the least-squares slope of log t on log N. */
static int bench_one_series(const bench_options *o, const bench_series *s, gsl_rng *rng,
                            const bench_rooflines *rf, FILE *dat)
{
    dl_domain dom;
    dl_domain_init(&dom, s->domain, s->dim, TWO_PI);
    double lx[MAX_SIZES], ly[MAX_SIZES];
    int npts = 0, st = DL_OK;
    for (int zi = 0; zi < MAX_SIZES && s->sizes[zi] && !st; zi++)
        if (!(st = bench_size(o, s, &dom, s->sizes[zi], rng, rf, dat, &ly[npts])))
            lx[npts++] = log((double)s->sizes[zi]);
    if (!st && npts >= 2) {
        double mx = 0, my = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < npts; i++)
            mx += lx[i] / npts, my += ly[i] / npts;
        for (int i = 0; i < npts; i++)
            sxx += (lx[i] - mx) * (lx[i] - mx), sxy += (lx[i] - mx) * (ly[i] - my);
        printf("        slope of log time vs log N, %s d=%d: %.2f\n", s->engine, s->dim, sxy / sxx);
        fprintf(dat, "# slope %s %d %.3f\n", s->engine, s->dim, sxy / sxx);
    }
    fprintf(dat, "\n\n"); /* one gnuplot index per series */
    return st;
}

static const bench_series full_series[] = {
    {"direct", 1, DL_DOMAIN_RD, 0.5, {1000, 2000, 5000}},
    {"simd", 1, DL_DOMAIN_RD, 0.5, {1000, 2000, 5000, 10000, 20000}},
    {"pm", 1, DL_DOMAIN_TORUS, 0.5, {1000, 10000, 100000, 1000000}},
    {"direct", 2, DL_DOMAIN_RD, 0.5, {1000, 2000, 5000}},
    {"simd", 2, DL_DOMAIN_RD, 0.5, {1000, 2000, 5000, 10000, 20000}},
    {"pm", 2, DL_DOMAIN_TORUS, 0.5, {1000, 10000, 100000}},
    {"direct", 784, DL_DOMAIN_RD, 20.0, {256, 512}},
    {"gemm", 784, DL_DOMAIN_RD, 20.0, {512, 1024, 2048, 4096, 5000}}, /* 5000: one Euler step of an image flow */
};
static const bench_series quick_series[] = {
    {"direct", 1, DL_DOMAIN_RD, 0.5, {500, 1000}},
    {"simd", 1, DL_DOMAIN_RD, 0.5, {500, 1000, 2000}},
    {"pm", 1, DL_DOMAIN_TORUS, 0.5, {1000, 10000, 100000}},
    {"direct", 2, DL_DOMAIN_RD, 0.5, {500, 1000}},
    {"simd", 2, DL_DOMAIN_RD, 0.5, {500, 1000, 2000}},
    {"pm", 2, DL_DOMAIN_TORUS, 0.5, {1000, 10000}},
    {"direct", 784, DL_DOMAIN_RD, 20.0, {128, 256}},
    {"gemm", 784, DL_DOMAIN_RD, 20.0, {256, 512}},
};

/* The kernel atlas's rows: every listed kernel in each engine at one size,
 * beside the Gaussian in the same engine (the ratio), and the Coulomb field. */
typedef struct {
    const char *engine;
    int dim;
    dl_domain_kind domain;
    double sigma;
    size_t n, n_quick;
} kernel_row;

static const kernel_row kernel_rows[] = {
    {"direct", 1, DL_DOMAIN_TORUS, 0.5, 2000, 500},
    {"simd", 2, DL_DOMAIN_RD, 0.5, 10000, 2000},
    {"pm", 1, DL_DOMAIN_TORUS, 0.5, 100000, 10000},
    {"gemm", 16, DL_DOMAIN_RD, 2.0, 4000, 1000},
};

static int time_kernel(const bench_options *o, const kernel_row *r, const dl_kernel *k, size_t n,
                       gsl_rng *rng, double *sec)
{
    dl_domain dom;
    dl_domain_init(&dom, r->domain, r->dim, TWO_PI);
    bench_series s = {r->engine, r->dim, r->domain, r->sigma, {0}};
    double *x = malloc(n * r->dim * sizeof(double)), *y = malloc(n * r->dim * sizeof(double));
    double *vp = malloc(n * r->dim * sizeof(double)), *vm = malloc(n * r->dim * sizeof(double));
    int st = x && y && vp && vm ? DL_OK : dl_error(DL_ENOMEM, "bench: out of memory");
    if (!st) {
        make_points(&s, n, rng, x, y);
        dl_operator op = k->flags & DL_KERNEL_COULOMB ? DL_OPERATOR_MMD : DL_OPERATOR_MEANSHIFT;
        dl_drift_request req = {&dom, k, r->sigma, x, n, y, n, x, n, 1, op};
        st = time_engine(r->engine, &req, o->reps, vp, vm, sec);
    }
    free(x), free(y), free(vp), free(vm);
    return st;
}

static int bench_kernels(const bench_options *o, gsl_rng *rng, FILE *dat)
{
    printf("\nkernels (each against the gaussian in the same engine; V+ and self-masked V-)\n");
    printf("%-7s %4s %8s %-12s %12s %10s\n", "engine", "d", "N=M", "kernel", "s/eval", "vs gauss");
    fprintf(dat, "# kernels: engine dim n kernel seconds ratio_to_gaussian\n");
    for (size_t ri = 0; ri < sizeof kernel_rows / sizeof kernel_rows[0]; ri++) {
        const kernel_row *r = &kernel_rows[ri];
        const size_t n = o->quick ? r->n_quick : r->n;
        double gauss = NAN;
        for (size_t ki = 0; ki < dl_kernel_count(); ki++) {
            const dl_kernel *k = dl_kernel_at(ki);
            dl_domain dom;
            dl_domain_init(&dom, r->domain, r->dim, TWO_PI);
            if (dl_engine_check(r->engine, &dom, k, DL_OPERATOR_MEANSHIFT)) {
                printf("%-7s %4d %8zu %-12s %12s %10s\n", r->engine, r->dim, n, k->name, "n/a", "");
                continue; /* not defined here (sech beyond 1-D, Student-t beta <= d/2) */
            }
            double sec;
            int st = time_kernel(o, r, k, n, rng, &sec);
            if (st)
                return st;
            if (ki == 0)
                gauss = sec;
            printf("%-7s %4d %8zu %-12s %12.4g %9.2fx\n", r->engine, r->dim, n, k->name, sec, sec / gauss);
            fprintf(dat, "# kernel %s %d %zu %s %.6g %.4g\n", r->engine, r->dim, n, k->name, sec,
                    sec / gauss);
        }
    }
    /* the Coulomb field in 1-D: exact from sorted positions, and the mesh */
    const size_t nc = o->quick ? 100000 : 1000000;
    const kernel_row exact = {"coulomb", 1, DL_DOMAIN_TORUS, 0.5, nc, nc};
    const kernel_row mesh = {"pm", 1, DL_DOMAIN_TORUS, 0.5, nc, nc};
    const kernel_row *rows[2] = {&exact, &mesh};
    for (int i = 0; i < 2; i++) {
        double sec;
        int st = time_kernel(o, rows[i], dl_kernel_find("coulomb"), nc, rng, &sec);
        if (st)
            return st;
        printf("%-7s %4d %8zu %-12s %12.4g\n", rows[i]->engine, 1, nc, "coulomb", sec);
        fprintf(dat, "# kernel %s 1 %zu coulomb %.6g nan\n", rows[i]->engine, nc, sec);
    }
    return DL_OK;
}

int cmd_bench(int argc, char **argv)
{
    bench_options o;
    int help, st = parse(argc, argv, &o, &help);
    if (st)
        return cli_fail("bench");
    if (help) {
        printf("usage: driftlab bench [--quick] [--reps N] [--out DIR] [--quiet]\n\n"
               "Times one drift evaluation (V+ and self-masked V-) per engine, dimension and\n"
               "N = M; prints pairs/s, the share of the roofline (bare vector exp for the\n"
               "direct engines, OpenBLAS sgemm GFLOP/s for gemm), log-log slopes, and the\n"
               "particle mesh's error against the reference.  Writes DIR/bench.dat.\n"
               "--quick: small sizes (seconds).  bench/engines_bench.sh adds the NumPy and\n"
               "PyTorch peers side by side.\n");
        return 0;
    }
    const bench_series *series = o.quick ? quick_series : full_series;
    const int n_series = (int)(sizeof full_series / sizeof full_series[0]);
    if ((st = dl_mkdir_p(o.out)))
        return cli_fail("bench");
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), 1};
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.dat", o.out);
    gsl_rng *rng = dl_rng_create(1);
    bench_rooflines rf;
    measure_rooflines(&o, rng, &rf);
    const char *extra[] = {rf.line1, rf.line2, NULL};
    dl_atomic_file dat = {0};
    if ((st = dl_dat_open(&dat, path, &prov, extra,
                          "engine dim n seconds pairs_per_s roofline_percent pm_error"))) {
        gsl_rng_free(rng);
        return cli_fail("bench");
    }
    printf("%s\n%s\n\n", rf.line1, rf.line2);
    printf("%-7s %4s %8s %12s %12s %10s %10s\n", "engine", "d", "N=M", "s/eval", "pairs/s", "roofline", "pm error");
    for (int si = 0; si < n_series && !st; si++)
        st = bench_one_series(&o, &series[si], rng, &rf, dat.fp);
    if (!st)
        st = bench_kernels(&o, rng, dat.fp);
    gsl_rng_free(rng);
    if (!st)
        st = dl_atomic_commit(&dat);
    else
        dl_atomic_abort(&dat);
    if (st)
        return cli_fail("bench");
    printf("\nwrote %s\n", path);
    return 0;
}
