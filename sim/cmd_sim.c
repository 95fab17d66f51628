/* driftlab sim: the McKean-Vlasov particle simulator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "commands.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/engine.h"
#include "drift/integrator.h"
#include "base/io.h"
#include "drift/snapshot.h"
#include "drift/metrics.h"
#include "image_points.h"
#include "sim_config.h"
#include "sim_outputs.h"
#ifdef DRIFTLAB_HAVE_MPI
#include "sim_mpi.h"
#endif


static int load_points(const sim_config *c, const dl_dist *d, const char *file, size_t want,
                       gsl_rng *rng, const char *role, double **x, size_t *count)
{
    if (file && sim_is_image_spec(file)) {
        int st = sim_image_load(file, want, rng, x, count);
        return st ? dl_error(st, "--%s: %s", role, dl_error_message()) : DL_OK;
    }
    if (file) {
        int st = dl_samples_read(file, c->domain.dim, x, count);
        if (st)
            return dl_error(st, "--%s: %s", role, dl_error_message());
        if (want && *count != want) {
            free(*x);
            *x = NULL;
            return dl_error(DL_EINVAL, "--%s: file '%s' holds %zu samples but %zu were asked for",
                            role, file, *count, want);
        }
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




static void record_modes(const sim_config *c, FILE *fp, double t, double sigma, const double *x)
{
    double complex z[DL_MAX_MODES];
    for (int r = 0; r < c->n_record; r++)
        z[r] = dl_fourier_coefficient(&c->domain, x, c->n, c->record[r]);
    sim_outputs_modes(c, fp, t, sigma, z);
}

/* Plain-text points for gnuplot: target.dat at the start, final.dat at the end. */
static int write_points(const sim_config *c, const dl_provenance *prov, const char *name,
                        const double *x, size_t count, double t)
{
    char path[4200], line[64], cols[64] = "";
    snprintf(path, sizeof path, "%s/%s", c->out, name);
    snprintf(line, sizeof line, "t = %.10g", t);
    for (int d = 0; d < c->domain.dim; d++)
        snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%sx%d", d ? " " : "", d + 1);
    const char *extra[] = {line, NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, prov, extra, cols);
    if (st)
        return st;
    for (size_t i = 0; i < count; i++)
        for (int d = 0; d < c->domain.dim; d++)
            fprintf(f.fp, "%.17g%c", x[i * c->domain.dim + d], d + 1 < c->domain.dim ? ' ' : '\n');
    return dl_atomic_commit(&f);
}

static int write_snapshot(const sim_config *c, const dl_provenance *prov, long step, double t,
                          double sigma, const double *x)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/snapshots/snap-%08ld.dlsnap", c->out, step);
    if (c->image_rows) { /* images: also as IDX (driftlab eval reads it) and a PNG grid */
        char dir[4300];
        snprintf(dir, sizeof dir, "%s/snapshots", c->out);
        int st = sim_image_snapshot(dir, step, x, c->n, c->image_rows, c->image_cols);
        if (st)
            return st;
    }
    dl_snapshot_header h = {.dim = (uint32_t)c->domain.dim,
                            .count = c->n,
                            .seed = c->seed,
                            .step = (uint64_t)step,
                            .time = t,
                            .sigma = sigma,
                            .domain_kind = (uint32_t)c->domain.kind,
                            .length = c->domain.length};
    return dl_snapshot_write(path, &h, x, prov);
}

/* The target's exact positions, for the spectrum's delta_hat = q_hat - p_hat. */
static int write_target_snapshot(const sim_config *c, const dl_provenance *prov, const double *y,
                                 size_t m)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/target.dlsnap", c->out);
    dl_snapshot_header h = {.dim = (uint32_t)c->domain.dim,
                            .count = m,
                            .seed = c->seed,
                            .sigma = c->schedule.sigma0,
                            .domain_kind = (uint32_t)c->domain.kind,
                            .length = c->domain.length};
    return dl_snapshot_write(path, &h, y, prov);
}

#define ED_POINTS 4000

/* the engine's decisions (auto's pick, the mesh's grid, a switch to direct)
 * go into diagnostics.dat as comments and, unless --quiet, to stderr */


/* The run's engine (auto resolved and logged) and its integrator over the targets y */
static int start_flow(const sim_config *c, const dl_schedule *schedule, const double *y, size_t m,
                      sim_outputs *out, dl_engine **engine,
                      dl_integrator **it)
{
    const char *name = c->engine;
    char why[200] = "";
    if (!strcmp(name, "auto"))
        name = dl_engine_auto(&c->domain, c->kernel, c->field, c->schedule.sigma0, c->n, m,
                              &c->engine_opts.pm, why, sizeof why);
    int st = dl_engine_create_configured(name, &c->engine_opts, engine);
    if (st)
        return st;
    dl_engine_fix_targets(*engine, y, m); /* the targets never move */
    sim_outputs_engine_log(c, out, why[0] ? why : NULL);
    dl_integrator_config icfg = {.kind = c->integrator,
                                 .engine = *engine,
                                 .domain = &c->domain,
                                 .kernel = c->kernel,
                                 .schedule = schedule,
                                 .target = y,
                                 .m = m,
                                 .n = c->n,
                                 .self_mask = c->self_mask,
                                 .op = c->field,
                                 .no_stop_gradient = c->no_stop_gradient};
    if ((st = dl_integrator_create(it, &icfg))) {
        dl_engine_destroy(*engine);
        *engine = NULL;
    }
    return st;
}

static int simulate(const sim_config *c, const dl_provenance *prov, double *x, const double *y,
                    size_t m, sim_outputs *out)
{
    dl_engine *engine = NULL;
    dl_integrator *it = NULL;
    /* the run's own copy: an adaptive schedule follows the particles */
    dl_schedule schedule = c->schedule;
    int st = start_flow(c, &schedule, y, m, out, &engine, &it);
    if (st)
        return st;
    const int dim = c->domain.dim;
    /* The energy distance costs O((n + m)^2): beyond ED_POINTS a side is
     * thinned to an evenly strided subset (strided, not a prefix: a quiet
     * start orders particles along the domain), and the header says so. */
    const size_t ed_n = c->n < ED_POINTS ? c->n : ED_POINTS, ed_m = m < ED_POINTS ? m : ED_POINTS;
    double *ex = malloc(ed_n * dim * sizeof(double)), *ey = malloc(ed_m * dim * sizeof(double));
    if (!ex || !ey) {
        free(ex), free(ey);
        dl_integrator_destroy(it);
        dl_engine_destroy(engine);
        return dl_error(DL_ENOMEM, "sim: out of memory");
    }
    for (size_t k = 0; k < ed_m; k++)
        memcpy(ey + k * dim, y + (k * m / ed_m) * dim, dim * sizeof(double));
    if (ed_n < c->n || ed_m < m) {
        char line[160];
        snprintf(line, sizeof line, "energy distance on strided subsets: %zu of %zu particles, %zu of "
                 "%zu targets", ed_n, c->n, ed_m, m);
        sim_outputs_log(c, out, "diagnostics", line);
    }
    double yy = dl_mean_self_distance(&c->domain, ey, ed_m);
    cli_progress progress;
    cli_progress_start(&progress, c->quiet);
    long last_snapshot = 0;
    double stepping = 0;
    for (long step = 0;; step++) {
        const double t = step * c->dt;
        if (schedule.kind == DL_SCHEDULE_ADAPTIVE && step % schedule.adapt_every == 0 &&
            (st = dl_schedule_adapt(&schedule, &c->domain, x, c->n)))
            goto done;
        const double sigma = dl_schedule_sigma(&schedule, t);
        if (step % c->every == 0 || step == c->steps) {
            const double *v, *vp, *vm;
            if ((st = dl_integrator_field(it, x, t, &v, &vp, &vm)))
                goto done;
            for (size_t k = 0; k < ed_n; k++)
                memcpy(ex + k * dim, x + (k * c->n / ed_n) * dim, dim * sizeof(double));
            double ed = dl_energy_distance(&c->domain, ex, ed_n, ey, ed_m, yy);
            fprintf(out->diagnostics.fp, "%ld %.10g %.10g %.10g %.10g %.10g %.10g", step, t,
                    sigma, dl_rms_norm(v, c->n, dim), dl_rms_norm(vp, c->n, dim),
                    dl_rms_norm(vm, c->n, dim), ed);
            double fd;
            if (out->fd && (st = sim_image_fd_compute(out->fd, x, c->n, &fd)))
                goto done;
            if (out->fd)
                fprintf(out->diagnostics.fp, " %.6g", fd);
            fputc('\n', out->diagnostics.fp);
            if (out->have_modes)
                record_modes(c, out->modes.fp, t, sigma, x);
            char detail[128];
            snprintf(detail, sizeof detail, "t=%.3g sigma=%.3g ED=%.3g", t, sigma, ed);
            cli_progress_update(&progress, (size_t)step, (size_t)c->steps, detail);
        }
        if (step % c->snapshot_every == 0 || step == c->steps) {
            if ((st = write_snapshot(c, prov, step, t, sigma, x)))
                goto done;
            last_snapshot = step;
            char frame[64];
            snprintf(frame, sizeof frame, "frames/frame-%08ld.dat", step);
            if (c->frames && (st = write_points(c, prov, frame, x, c->n, t)))
                goto done;
        }
        if (step == c->steps)
            break;
        double mark = cli_wall_seconds();
        st = dl_integrator_step(it, x, t, c->dt);
        stepping += cli_wall_seconds() - mark;
        if (st) {
            char why[512];
            snprintf(why, sizeof why, "%s", dl_error_message());
            st = dl_error(st, "step %ld (t = %g): %s; stopped, the last good snapshot is "
                          "snapshots/snap-%08ld.dlsnap", step + 1, t + c->dt, why, last_snapshot);
            goto done;
        }
        if (engine->note_changed) {
            engine->note_changed = 0;
            sim_outputs_engine_log(c, out, engine->note);
        }
    }
    cli_progress_finish(&progress);
    if (c->steps > 0) {
        char line[160];
        snprintf(line, sizeof line, "%ld steps in %.3f s of stepping: %.4g steps/s", c->steps, stepping,
                 c->steps / stepping);
        sim_outputs_measured(c, "rate", line);
    }
    if (engine->note[0] && !engine->note_changed) { /* the engine's last word, e.g. solver iterations */
        char last[sizeof engine->note + 8];
        snprintf(last, sizeof last, "last: %s", engine->note);
        sim_outputs_engine_log(c, out, last);
    }
done:
    free(ex), free(ey);
    dl_integrator_destroy(it);
    dl_engine_destroy(engine);
    return st;
}

int cmd_sim(int argc, char **argv)
{
    sim_options opts;
    sim_config c;
    int help = 0, st;
    double *x = NULL, *y = NULL;
    gsl_rng *rng = NULL;
    sim_outputs out;
    memset(&out, 0, sizeof out);
    sim_options_init(&opts);
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), 0};

    /* Everything that can be checked is checked before anything is written. */
    if ((st = sim_options_parse_args(&opts, argc - 1, argv + 1, &help)))
        goto fail;
    if (help) {
        sim_options_print_help(stdout);
        sim_options_free(&opts);
        return 0;
    }
    if ((st = sim_config_resolve(&opts, &c)))
        goto fail;
    prov.seed = c.seed;
#ifdef DRIFTLAB_HAVE_MPI
    int refuse, quiet_rank;
    if (sim_mpi_wanted(&c, &refuse, &quiet_rank)) {
        st = sim_mpi_main(&opts, &c, &prov);
        sim_options_free(&opts);
        return st;
    }
    if (refuse && quiet_rank) {
        sim_options_free(&opts);
        return 1;
    }
    if (refuse)
        goto fail;
#endif
#ifdef _OPENMP
    if (c.threads > 0)
        omp_set_num_threads(c.threads);
#endif
    if (!(rng = dl_rng_create(c.seed))) {
        st = dl_error(DL_ENOMEM, "cannot create the RNG");
        goto fail;
    }
    size_t m, n;
    if ((st = load_points(&c, &c.target, c.target_file, c.m, rng, "target", &y, &m)) ||
        (st = load_points(&c, &c.init, c.init_file, c.n, rng, "init", &x, &n)))
        goto fail;
    c.m = m;
    c.n = n;
    if (*c.classifier && (st = sim_image_fd_create(&out.fd, c.classifier, c.data, 2000)))
        goto fail;
    double median = NAN;
    if (c.sigma_median) { /* sigma in units of the target's median pairwise distance */
        median = sim_median_distance(y, m, c.domain.dim);
        if (!(median > 0)) {
            st = dl_error(DL_EINVAL, "--sigma-units median: the target's median pairwise distance is %g", median);
            goto fail;
        }
        c.schedule.sigma0 *= median, c.schedule.sigma_min *= median;
    }

    double gmax;
    if (dl_kernel_rate_max(c.kernel, c.domain.dim, &gmax) == DL_OK && c.dt > 2.0 / gmax)
        fprintf(stderr,
                "driftlab sim: warning: dt = %g exceeds the linear Euler stability bound "
                "2 / max gamma = %.4g for the %s kernel in %d-D; expect growing modes\n",
                c.dt, 2.0 / gmax, c.kernel->name, c.domain.dim);

    char snapdir[4200];
    snprintf(snapdir, sizeof snapdir, "%s/snapshots", c.out);
    char framedir[4200];
    snprintf(framedir, sizeof framedir, "%s/frames", c.out);
    if ((st = dl_mkdir_p(c.out)) || (st = dl_mkdir_p(snapdir)) || (c.frames && (st = dl_mkdir_p(framedir))) ||
        (st = sim_write_run_ini(&opts, &c, &prov)) || (st = sim_outputs_open(&c, &prov, &out)))
        goto fail;
    if (c.sigma_median) {
        char line[160];
        snprintf(line, sizeof line, "median pairwise distance of the target %.6g; sigma %.6g, sigma-min %.6g",
                 median, c.schedule.sigma0, c.schedule.sigma_min);
        sim_outputs_log(&c, &out, "sigma", line);
    }
    if ((st = write_points(&c, &prov, "target.dat", y, m, 0.0)) ||
        (st = write_target_snapshot(&c, &prov, y, m)) ||
        (st = simulate(&c, &prov, x, y, m, &out)) ||
        (st = write_points(&c, &prov, "final.dat", x, n, c.steps * c.dt)))
        goto fail;
    if ((st = dl_atomic_commit(&out.diagnostics)) ||
        (out.have_modes && (st = dl_atomic_commit(&out.modes))))
        goto fail;
    if (!c.quiet)
        fprintf(stderr,
                "driftlab sim: wrote %s/{diagnostics.dat%s,target.dat,target.dlsnap,final.dat,run.ini,snapshots/}\n",
                c.out,
                out.have_modes ? ",modes.dat" : "");
    free(x);
    free(y);
    gsl_rng_free(rng);
    sim_image_fd_destroy(out.fd);
    sim_options_free(&opts);
    return 0;
fail:
    sim_image_fd_destroy(out.fd);
    if (out.diagnostics.fp)
        dl_atomic_abort(&out.diagnostics);
    if (out.modes.fp)
        dl_atomic_abort(&out.modes);
    free(x);
    free(y);
    if (rng)
        gsl_rng_free(rng);
    sim_options_free(&opts);
    return cli_fail("sim");
}
