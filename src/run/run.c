#include "run/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "base/rng.h"
#include "drift/dist.h"
#include "drift/integrator.h"
#include "drift/metrics.h"
#include "drift/snapshot.h"
#include "images/image_points.h"

struct dl_run {
    dl_run_config c;          /* owned copy; c.schedule is the run's own */
    double *x, *y;            /* n x dim particles, m x dim targets */
    double *x0;               /* the particles at t = 0, for dl_run_rewind */
    dl_schedule schedule0;    /* the schedule at t = 0 (an adaptive one moves) */
    double *ex, *ey, yy;      /* the energy distance's strided subsets (made at first use) */
    size_t ed_n, ed_m, ed_points;
    gsl_rng *rng;
    dl_engine *engine;
    dl_integrator *it;
    char choice[200];         /* the engine picked and why */
    long step;
    int adapted;              /* an adaptive sigma is current for this step */
    double median;
};

static int load_points(const dl_run_config *c, const dl_dist *d, const char *file, size_t want,
                       gsl_rng *rng, const char *role, double **x, size_t *count)
{
    if (file && dl_image_points_is_spec(file)) {
        int st = dl_image_points_load(file, want, rng, x, count);
        return st ? dl_error(st, "--%s: %s", role, dl_error_message()) : DL_OK;
    }
    if (file) {
        int st = dl_samples_read(file, c->domain.dim, x, count);
        if (st)
            return dl_error(st, "--%s: %s", role, dl_error_message());
        if (want && *count != want)
            return dl_error(DL_EINVAL, "--%s: file '%s' holds %zu samples but %zu were asked for",
                            role, file, *count, want);
        for (size_t i = 0; i < *count; i++)
            dl_domain_wrap(&c->domain, *x + i * c->domain.dim);
        return DL_OK;
    }
    *count = want;
    *x = malloc(want * c->domain.dim * sizeof(double));
    if (!*x)
        return dl_error(DL_ENOMEM, "out of memory for %zu %s points", want, role);
    return dl_dist_sample(d, &c->domain, want, rng, *x);
}

static int copy_target(dl_run *r, const double *target, size_t m)
{
    const int dim = r->c.domain.dim;
    if (!(r->y = malloc(m * dim * sizeof(double))))
        return dl_error(DL_ENOMEM, "out of memory for %zu target points", m);
    memcpy(r->y, target, m * dim * sizeof(double));
    for (size_t i = 0; i < m; i++)
        dl_domain_wrap(&r->c.domain, r->y + i * dim);
    r->c.m = m;
    return DL_OK;
}

static int load_run_points(dl_run *r, const double *target, size_t m)
{
    dl_run_config *c = &r->c;
    size_t count;
    int st = target ? copy_target(r, target, m)
                    : load_points(c, &c->target, c->target_file, c->m, r->rng, "target", &r->y, &count);
    if (st)
        return st;
    if (!target)
        c->m = count;
    if ((st = load_points(c, &c->init, c->init_file, c->n, r->rng, "init", &r->x, &count)))
        return st;
    c->n = count;
    if (c->sigma_median) { /* sigma in units of the target's median pairwise distance */
        r->median = dl_median_distance(r->y, c->m, c->domain.dim);
        if (!(r->median > 0))
            return dl_error(DL_EINVAL, "--sigma-units median: the target's median pairwise "
                            "distance is %g", r->median);
        c->schedule.sigma0 *= r->median, c->schedule.sigma_min *= r->median;
    }
    return DL_OK;
}

static int start_engine(dl_run *r)
{
    const dl_run_config *c = &r->c;
    dl_integrator_destroy(r->it);
    dl_engine_destroy(r->engine);
    r->it = NULL, r->engine = NULL;
    const char *name = c->engine;
    char why[160] = "";
    if (!strcmp(name, "auto"))
        name = dl_engine_auto(&c->domain, c->kernel, c->field, c->schedule.sigma0, c->n, c->m,
                              &c->engine_opts.pm, why, sizeof why);
    snprintf(r->choice, sizeof r->choice, "%s", why);
    int st = dl_engine_create_configured(name, &c->engine_opts, &r->engine);
    if (st)
        return st;
    dl_engine_fix_targets(r->engine, r->y, c->m); /* the targets never move */
    dl_integrator_config icfg = {.kind = c->integrator,
                                 .engine = r->engine,
                                 .domain = &c->domain,
                                 .kernel = c->kernel,
                                 .schedule = &r->c.schedule,
                                 .target = r->y,
                                 .m = c->m,
                                 .n = c->n,
                                 .self_mask = c->self_mask,
                                 .op = c->field,
                                 .no_stop_gradient = c->no_stop_gradient};
    return dl_integrator_create(&r->it, &icfg);
}

static int prepare_energy_distance(dl_run *r, size_t points)
{
    const int dim = r->c.domain.dim;
    const size_t n = r->c.n, m = r->c.m;
    r->ed_n = n < points ? n : points;
    r->ed_m = m < points ? m : points;
    free(r->ex), free(r->ey);
    r->ex = malloc(r->ed_n * dim * sizeof(double));
    r->ey = malloc(r->ed_m * dim * sizeof(double));
    if (!r->ex || !r->ey)
        return dl_error(DL_ENOMEM, "out of memory for the energy distance's subsets");
    for (size_t k = 0; k < r->ed_m; k++)
        memcpy(r->ey + k * dim, r->y + (k * m / r->ed_m) * dim, dim * sizeof(double));
    r->yy = dl_mean_self_distance(&r->c.domain, r->ey, r->ed_m);
    return DL_OK;
}

/* A file: schedule points into the config's table; the run keeps its own copy. */
static void copy_schedule_table(dl_run *r, const dl_run_config *c)
{
    if (c->schedule.table)
        r->c.schedule.table = &r->c.schedule_table;
}

int dl_run_create(dl_run **out, const dl_run_config *c, const double *target, size_t m)
{
    *out = NULL;
    dl_run *r = calloc(1, sizeof *r);
    if (!r)
        return dl_error(DL_ENOMEM, "out of memory for a run");
    r->c = *c;
    r->median = NAN;
    copy_schedule_table(r, c);
    int st = DL_OK;
    if (!(r->rng = dl_rng_create(c->seed)))
        st = dl_error(DL_ENOMEM, "cannot create the RNG");
    if (!st)
        st = load_run_points(r, target, m);
    if (!st && !(r->x0 = malloc(r->c.n * r->c.domain.dim * sizeof(double))))
        st = dl_error(DL_ENOMEM, "out of memory for a run's first particles");
    if (!st) {
        memcpy(r->x0, r->x, r->c.n * r->c.domain.dim * sizeof(double));
        r->schedule0 = r->c.schedule;
        st = start_engine(r);
    }
    r->ed_points = DL_RUN_ED_POINTS;
    if (st) {
        dl_run_destroy(r);
        return st;
    }
    *out = r;
    return DL_OK;
}

int dl_run_rewind(dl_run *r)
{
    memcpy(r->x, r->x0, r->c.n * r->c.domain.dim * sizeof(double));
    r->c.schedule = r->schedule0;
    r->step = 0;
    r->adapted = 0;
    return start_engine(r); /* a fresh engine: nothing warm-started carries over */
}

int dl_run_set_energy_points(dl_run *r, size_t points)
{
    if (points < 2)
        return dl_error(DL_EINVAL, "the energy distance needs at least 2 points a side, got %zu", points);
    free(r->ex), free(r->ey);
    r->ex = r->ey = NULL;
    r->ed_points = points;
    return DL_OK;
}

int dl_run_reconfigure(dl_run *r, const dl_run_config *c)
{
    const size_t n = r->c.n, m = r->c.m;
    r->c = *c;
    r->c.n = n, r->c.m = m;
    copy_schedule_table(r, c);
    if (c->sigma_median)
        r->c.schedule.sigma0 *= r->median, r->c.schedule.sigma_min *= r->median;
    r->schedule0 = r->c.schedule;
    return dl_run_rewind(r);
}

void dl_run_destroy(dl_run *r)
{
    if (!r)
        return;
    dl_integrator_destroy(r->it);
    dl_engine_destroy(r->engine);
    if (r->rng)
        gsl_rng_free(r->rng);
    free(r->x), free(r->x0), free(r->y), free(r->ex), free(r->ey);
    free(r);
}

/* An adaptive sigma is re-read once per step, before anything uses it. */
static int adapt(dl_run *r)
{
    dl_schedule *s = &r->c.schedule;
    if (r->adapted || s->kind != DL_SCHEDULE_ADAPTIVE)
        return DL_OK;
    r->adapted = 1;
    if (r->step % s->adapt_every)
        return DL_OK;
    return dl_schedule_adapt(s, &r->c.domain, r->x, r->c.n);
}

int dl_run_step(dl_run *r)
{
    int st = adapt(r);
    const double t = dl_run_time(r);
    if (!st)
        st = dl_integrator_step(r->it, r->x, t, r->c.dt);
    if (st)
        return dl_error(st, "step %ld (t = %g): %s", r->step + 1, t + r->c.dt, dl_error_message());
    r->step++;
    r->adapted = 0;
    return DL_OK;
}

int dl_run_diagnose(dl_run *r, dl_run_diagnostics *d)
{
    const dl_run_config *c = &r->c;
    const int dim = c->domain.dim;
    const double *v, *vp, *vm;
    int st = adapt(r);
    if (!st && !r->ex)
        st = prepare_energy_distance(r, r->ed_points);
    if (st || (st = dl_integrator_field(r->it, r->x, dl_run_time(r), &v, &vp, &vm)))
        return st;
    for (size_t k = 0; k < r->ed_n; k++)
        memcpy(r->ex + k * dim, r->x + (k * c->n / r->ed_n) * dim, dim * sizeof(double));
    d->step = r->step;
    d->t = dl_run_time(r);
    d->sigma = dl_schedule_sigma(&r->c.schedule, d->t);
    d->rms_v = dl_rms_norm(v, c->n, dim);
    d->rms_v_plus = dl_rms_norm(vp, c->n, dim);
    d->rms_v_minus = dl_rms_norm(vm, c->n, dim);
    d->energy_distance = dl_energy_distance(&c->domain, r->ex, r->ed_n, r->ey, r->ed_m, r->yy);
    return DL_OK;
}

void dl_run_modes(const dl_run *r, double complex *z)
{
    for (int k = 0; k < r->c.n_record; k++)
        z[k] = dl_fourier_coefficient(&r->c.domain, r->x, r->c.n, r->c.record[k]);
}

int dl_run_field_at(dl_run *r, const double *pts, size_t count, double *v, double *v_plus,
                    double *v_minus)
{
    const dl_run_config *c = &r->c;
    const size_t len = count * c->domain.dim;
    double *vp = v_plus, *vm = v_minus, *scratch = NULL;
    if (v && (!vp || !vm)) {
        if (!(scratch = malloc(2 * len * sizeof(double))))
            return dl_error(DL_ENOMEM, "out of memory for the field at %zu points", count);
        vp = vp ? vp : scratch;
        vm = vm ? vm : scratch + len;
    }
    int st = adapt(r);
    dl_drift_request req = {.domain = &c->domain, .kernel = c->kernel,
                            .sigma = dl_schedule_sigma(&r->c.schedule, dl_run_time(r)),
                            .x = pts, .n = count, .y = r->y, .m = c->m, .q = r->x, .nq = c->n,
                            .op = c->field};
    if (!st)
        st = dl_engine_drift(r->engine, &req, vp, vm);
    for (size_t i = 0; !st && v && i < len; i++)
        v[i] = vp[i] - vm[i];
    free(scratch);
    return st;
}

const dl_run_config *dl_run_get_config(const dl_run *r) { return &r->c; }
const double *dl_run_particles(const dl_run *r) { return r->x; }
long dl_run_step_index(const dl_run *r) { return r->step; }
double dl_run_time(const dl_run *r) { return r->step * r->c.dt; }
double dl_run_median(const dl_run *r) { return r->median; }
const char *dl_run_engine_choice(const dl_run *r) { return r->choice; }

const double *dl_run_targets(const dl_run *r, size_t *m)
{
    *m = r->c.m;
    return r->y;
}

double dl_run_sigma(dl_run *r)
{
    (void)adapt(r); /* a failure here shows again, with its message, at the next step */
    return dl_schedule_sigma(&r->c.schedule, dl_run_time(r));
}

const char *dl_run_engine_note(dl_run *r, int *changed)
{
    *changed = r->engine->note_changed;
    r->engine->note_changed = 0;
    return r->engine->note;
}
