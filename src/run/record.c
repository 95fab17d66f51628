#include "run/record.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/dl_error.h"
#include "drift/snapshot.h"
#include "images/image_points.h"
#include "run/outputs.h"
#include "run/run.h"

typedef struct {
    const dl_run_config *c; /* the run's resolved config */
    const dl_provenance *prov;
    const dl_run_hooks *hooks;
    dl_run *run;
    dl_run_outputs out;
    long last_snapshot;
} recording;

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Plain-text points for gnuplot: target.dat at the start, final.dat at the end. */
static int write_points(const recording *rec, const char *name, const double *x, size_t count,
                        double t)
{
    const dl_run_config *c = rec->c;
    char path[4200], line[64], cols[64] = "";
    snprintf(path, sizeof path, "%s/%s", c->out, name);
    snprintf(line, sizeof line, "t = %.10g", t);
    for (int d = 0; d < c->domain.dim; d++)
        snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%sx%d", d ? " " : "", d + 1);
    const char *extra[] = {line, NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, rec->prov, extra, cols);
    if (st)
        return st;
    for (size_t i = 0; i < count; i++)
        for (int d = 0; d < c->domain.dim; d++)
            fprintf(f.fp, "%.17g%c", x[i * c->domain.dim + d], d + 1 < c->domain.dim ? ' ' : '\n');
    return dl_atomic_commit(&f);
}

static int write_snapshot(const recording *rec, long step, double t, double sigma)
{
    const dl_run_config *c = rec->c;
    const double *x = dl_run_particles(rec->run);
    char path[4300];
    snprintf(path, sizeof path, "%s/snapshots/snap-%08ld.dlsnap", c->out, step);
    if (c->image_rows) { /* images: also as IDX (driftlab eval reads it) and a PNG grid */
        char dir[4300];
        snprintf(dir, sizeof dir, "%s/snapshots", c->out);
        int st = dl_image_points_snapshot(dir, step, x, c->n, c->image_rows, c->image_cols);
        if (st)
            return st;
    }
    dl_snapshot_header h = {.dim = (uint32_t)c->domain.dim, .count = c->n, .seed = c->seed,
                            .step = (uint64_t)step, .time = t, .sigma = sigma,
                            .domain_kind = (uint32_t)c->domain.kind, .length = c->domain.length};
    return dl_snapshot_write(path, &h, x, rec->prov);
}

/* The target's exact positions, for the spectrum's delta_hat = q_hat - p_hat. */
static int write_targets(const recording *rec)
{
    const dl_run_config *c = rec->c;
    size_t m;
    const double *y = dl_run_targets(rec->run, &m);
    char path[4200];
    snprintf(path, sizeof path, "%s/target.dlsnap", c->out);
    dl_snapshot_header h = {.dim = (uint32_t)c->domain.dim, .count = m, .seed = c->seed,
                            .sigma = c->schedule.sigma0, .domain_kind = (uint32_t)c->domain.kind,
                            .length = c->domain.length};
    int st = write_points(rec, "target.dat", y, m, 0.0);
    return st ? st : dl_snapshot_write(path, &h, y, rec->prov);
}

static int write_diagnostics(recording *rec)
{
    const dl_run_config *c = rec->c;
    dl_run_diagnostics d;
    int st = dl_run_diagnose(rec->run, &d);
    if (st)
        return st;
    FILE *fp = rec->out.diagnostics.fp;
    fprintf(fp, "%ld %.10g %.10g %.10g %.10g %.10g %.10g", d.step, d.t, d.sigma, d.rms_v,
            d.rms_v_plus, d.rms_v_minus, d.energy_distance);
    double fd;
    if (rec->out.fd && (st = dl_image_fd_compute(rec->out.fd, dl_run_particles(rec->run), c->n, &fd)))
        return st;
    if (rec->out.fd)
        fprintf(fp, " %.6g", fd);
    fputc('\n', fp);
    if (rec->out.have_modes) {
        double complex z[DL_MAX_MODES];
        dl_run_modes(rec->run, z);
        dl_run_outputs_modes(c, rec->out.modes.fp, d.t, d.sigma, z);
    }
    if (rec->hooks->progress) {
        char detail[128];
        snprintf(detail, sizeof detail, "t=%.3g sigma=%.3g ED=%.3g", d.t, d.sigma, d.energy_distance);
        rec->hooks->progress(rec->hooks->progress_ctx, d.step, c->steps, detail);
    }
    return DL_OK;
}

static int write_outputs_at(recording *rec, long step)
{
    const dl_run_config *c = rec->c;
    const double t = dl_run_time(rec->run), sigma = dl_run_sigma(rec->run);
    int st = DL_OK;
    if (step % c->every == 0 || step == c->steps)
        st = write_diagnostics(rec);
    if (!st && (step % c->snapshot_every == 0 || step == c->steps)) {
        if ((st = write_snapshot(rec, step, t, sigma)))
            return st;
        rec->last_snapshot = step;
        char frame[64];
        snprintf(frame, sizeof frame, "frames/frame-%08ld.dat", step);
        if (c->frames)
            st = write_points(rec, frame, dl_run_particles(rec->run), c->n, t);
    }
    return st;
}

static int simulate(recording *rec)
{
    const dl_run_config *c = rec->c;
    double stepping = 0;
    int st = DL_OK, changed;
    for (long step = 0;; step++) {
        if ((st = write_outputs_at(rec, step)) || step == c->steps)
            break;
        const double mark = wall_seconds();
        st = dl_run_step(rec->run);
        stepping += wall_seconds() - mark;
        if (st)
            return dl_error(st, "%s; stopped, the last good snapshot is snapshots/snap-%08ld.dlsnap",
                            dl_error_message(), rec->last_snapshot);
        const char *note = dl_run_engine_note(rec->run, &changed);
        if (changed)
            dl_run_outputs_engine_log(c, &rec->out, note);
    }
    if (st)
        return st;
    if (c->steps > 0) {
        char line[160];
        snprintf(line, sizeof line, "%ld steps in %.3f s of stepping: %.4g steps/s", c->steps,
                 stepping, c->steps / stepping);
        dl_run_outputs_measured(c, &rec->out, "rate", line);
    }
    const char *note = dl_run_engine_note(rec->run, &changed);
    if (note[0] && !changed) { /* the engine's last word, e.g. solver iterations */
        char last[200];
        snprintf(last, sizeof last, "last: %s", note);
        dl_run_outputs_engine_log(c, &rec->out, last);
    }
    return DL_OK;
}

static int open_outputs(recording *rec, const dl_run_options *o)
{
    const dl_run_config *c = rec->c;
    char dir[4200];
    int st = dl_mkdir_p(c->out);
    snprintf(dir, sizeof dir, "%s/snapshots", c->out);
    if (!st)
        st = dl_mkdir_p(dir);
    snprintf(dir, sizeof dir, "%s/frames", c->out);
    if (!st && c->frames)
        st = dl_mkdir_p(dir);
    if (!st)
        st = dl_run_write_ini(o, c, rec->prov);
    if (!st)
        st = dl_run_outputs_open(c, rec->prov, &rec->out);
    if (st)
        return st;
    if (c->sigma_median) {
        char line[160];
        snprintf(line, sizeof line, "median pairwise distance of the target %.6g; sigma %.6g, "
                 "sigma-min %.6g", dl_run_median(rec->run), c->schedule.sigma0, c->schedule.sigma_min);
        dl_run_outputs_log(c, &rec->out, "sigma", line);
    }
    const char *choice = dl_run_engine_choice(rec->run);
    if (choice[0])
        dl_run_outputs_engine_log(c, &rec->out, choice);
    if (c->n <= DL_RUN_ED_POINTS && c->m <= DL_RUN_ED_POINTS)
        return DL_OK;
    char line[160];
    snprintf(line, sizeof line, "energy distance on strided subsets: %zu of %zu particles, %zu of "
             "%zu targets", c->n < DL_RUN_ED_POINTS ? c->n : DL_RUN_ED_POINTS, c->n,
             c->m < DL_RUN_ED_POINTS ? c->m : DL_RUN_ED_POINTS, c->m);
    dl_run_outputs_log(c, &rec->out, "diagnostics", line);
    return DL_OK;
}

int dl_run_record(const dl_run_options *o, const dl_run_config *config, const dl_provenance *prov,
                  const dl_run_hooks *hooks)
{
    recording rec = {.prov = prov, .hooks = hooks};
    rec.out.log = hooks->log, rec.out.log_ctx = hooks->log_ctx;
    int st = dl_run_create(&rec.run, config, NULL, 0);
    if (st)
        return st;
    rec.c = dl_run_get_config(rec.run);
    if (*rec.c->classifier)
        st = dl_image_fd_create(&rec.out.fd, rec.c->classifier, rec.c->data, 2000);
    if (!st)
        st = open_outputs(&rec, o);
    if (!st)
        st = write_targets(&rec);
    if (!st)
        st = simulate(&rec);
    if (!st)
        st = write_points(&rec, "final.dat", dl_run_particles(rec.run), rec.c->n,
                          rec.c->steps * rec.c->dt);
    if (!st && !(st = dl_atomic_commit(&rec.out.diagnostics)) && rec.out.have_modes)
        st = dl_atomic_commit(&rec.out.modes);
    if (st && rec.out.diagnostics.fp)
        dl_atomic_abort(&rec.out.diagnostics);
    if (st && rec.out.modes.fp)
        dl_atomic_abort(&rec.out.modes);
    dl_image_fd_destroy(rec.out.fd);
    dl_run_destroy(rec.run);
    return st;
}
