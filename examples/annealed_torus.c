/* annealed_torus: a 1-D torus run with an annealed Gaussian bandwidth, the
 * amplitude of each seeded Fourier mode printed beside its linear theory.
 *
 *     cc annealed_torus.c $(pkg-config --cflags --libs driftlab) -o annealed_torus
 *     ./annealed_torus
 *
 * 1000 particles start as the uniform density perturbed by modes 1..4
 * (amplitude 0.005, quiet start) against a uniform lattice target;
 * sigma(t) = 2 e^{-t/4}, floor 0.005; Euler steps of 0.05 up to t = 12. */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <driftlab.h>

#define N 1000
#define MODES 4

/* |q_hat(n)| = |(1/N) sum_i exp(-i k x_i)|, k = 2 pi n / L */
static double amplitude(const double *x, int n, double L)
{
    double complex s = 0;
    for (int i = 0; i < N; i++)
        s += cexp(-I * 2 * M_PI * n * x[i] / L);
    return cabs(s) / N;
}

static int run(void)
{
    const double L = 2 * M_PI, dt = 0.05, t_end = 12;
    dl_domain dom;
    dl_dist init = {.kind = DL_DIST_MODES, .quiet = 1}, target = {.kind = DL_DIST_UNIFORM, .quiet = 1};
    dl_schedule sched;
    const dl_kernel *k = dl_kernel_find("gaussian");
    double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double)), a0[MODES + 1];
    gsl_rng *rng = dl_rng_create(1);
    dl_engine *engine = NULL;
    dl_integrator *it = NULL;
    int st = !x || !y || !rng ? DL_ENOMEM : dl_domain_init(&dom, DL_DOMAIN_TORUS, 1, L);
    if (!st)
        st = dl_dist_set_modes(&init, 1, "1,2,3,4", "0.005");
    if (!st)
        st = dl_schedule_init(&sched, DL_SCHEDULE_EXP, 2.0, 0.25, 0.005, t_end);
    if (!st && !(st = dl_dist_sample(&init, &dom, N, rng, x)))
        st = dl_dist_sample(&target, &dom, N, rng, y);
    if (!st)
        st = dl_engine_create("direct", &engine);
    dl_integrator_config cfg = {.kind = DL_INTEGRATOR_EULER, .engine = engine, .domain = &dom,
                                .kernel = k, .schedule = &sched, .target = y, .m = N, .n = N,
                                .self_mask = 1};
    if (!st)
        st = dl_integrator_create(&it, &cfg);
    printf("%6s %8s", "t", "sigma");
    for (int n = 1; n <= MODES; n++)
        printf("   |q(%d)| theory ", n);
    printf("\n");
    for (int n = 1; !st && n <= MODES; n++)
        a0[n] = amplitude(x, n, L);
    const long steps = lround(t_end / dt);
    for (long s = 0; !st && s <= steps; s++) {
        const double t = s * dt;
        if (s % 40 == 0) {
            printf("%6.2f %8.4f", t, dl_schedule_sigma(&sched, t));
            for (int n = 1; n <= MODES && !st; n++) {
                double lr;
                st = dl_theory_log_amplitude(k, &sched, 2 * M_PI * n / L, 1, t, &lr);
                printf("  %8.2e %8.2e", amplitude(x, n, L), a0[n] * exp(lr));
            }
            printf("\n");
        }
        if (!st && s < steps)
            st = dl_integrator_step(it, x, t, dt);
    }
    dl_integrator_destroy(it);
    dl_engine_destroy(engine);
    if (rng)
        gsl_rng_free(rng);
    free(x), free(y);
    return st;
}

int main(void)
{
    if (run()) {
        fprintf(stderr, "annealed_torus: %s\n", dl_error_message());
        return 1;
    }
    return 0;
}
