/* drift_field: V = V+ - V- for two point clouds with a chosen engine, beside
 * the direct double-precision reference.
 *
 *     cc drift_field.c $(pkg-config --cflags --libs driftlab) -o drift_field
 *     ./drift_field [engine] [n]      engine: direct | simd | gemm (default simd)
 *
 * Particles x ~ N(0, I) and targets y ~ N(2, I) in 2-D, Gaussian kernel,
 * sigma 1: the field pulls x toward y, so its mean points along (1, 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include <driftlab.h>

static int field(const char *engine_name, const dl_drift_request *req, double *v)
{
    dl_engine *engine = NULL;
    const size_t n = req->n * (size_t)req->domain->dim;
    double *vm = malloc(n * sizeof(double));
    int st = vm ? dl_engine_create(engine_name, &engine) : DL_ENOMEM;
    if (!st)
        st = dl_engine_drift(engine, req, v, vm);
    for (size_t i = 0; !st && i < n; i++)
        v[i] -= vm[i]; /* V = V+ - V- */
    dl_engine_destroy(engine);
    free(vm);
    return st;
}

int main(int argc, char **argv)
{
    const char *engine = argc > 1 ? argv[1] : "simd";
    const size_t n = argc > 2 ? (size_t)atol(argv[2]) : 1000, d = 2;
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_RD, (int)d, 0);
    gsl_rng *rng = dl_rng_create(1);
    double *x = malloc(n * d * sizeof(double)), *y = malloc(n * d * sizeof(double));
    double *v = malloc(n * d * sizeof(double)), *ref = malloc(n * d * sizeof(double));
    if (!rng || !x || !y || !v || !ref || n < 2)
        return fprintf(stderr, "drift_field: bad size or out of memory\n"), 1;
    for (size_t i = 0; i < n * d; i++)
        x[i] = gsl_ran_gaussian(rng, 1.0), y[i] = 2.0 + gsl_ran_gaussian(rng, 1.0);
    dl_drift_request req = {&dom, dl_kernel_find("gaussian"), 1.0, x, n, y, n, x, n, 1, DL_OPERATOR_MEANSHIFT};
    if (field(engine, &req, v) || field("direct", &req, ref)) {
        fprintf(stderr, "drift_field: %s\n", dl_error_message());
        return 1;
    }
    double mean[2] = {0, 0}, rms = 0, diff = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < d; c++) {
            mean[c] += v[i * d + c] / n;
            rms += ref[i * d + c] * ref[i * d + c] / n;
            diff = fmax(diff, fabs(v[i * d + c] - ref[i * d + c]));
        }
    printf("engine %s, n = m = %zu, d = %zu, gaussian sigma 1\n", engine, n, d);
    printf("mean V = (%.4f, %.4f)\n", mean[0], mean[1]);
    printf("max |V - V_direct| = %.3g (rms |V_direct| = %.4f)\n", diff, sqrt(rms));
    free(x), free(y), free(v), free(ref);
    gsl_rng_free(rng);
    return !(mean[0] > 0 && mean[1] > 0 && diff <= 1e-3 * sqrt(rms));
}
