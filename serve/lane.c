#define _POSIX_C_SOURCE 200809L
#include "lane.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "cli.h"
#include "lab.h"
#include "run/outputs.h"

/* The only file a lane may name: the target the page drew or uploaded. */
#define DRAWN_TARGET "file:target.dat"

static int starts_with(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

/* modes 1..16 on axis 1, unless the page chose its own */
static int resolve_with_modes(dl_run_options *o, dl_run_config *c)
{
    int st = dl_run_config_resolve(o, c);
    if (st || c->domain.kind != DL_DOMAIN_TORUS)
        return st;
    for (int i = 0; dl_run_options_key(i); i++)
        if (!strcmp(dl_run_options_key(i), "record-modes") && o->values[i])
            return DL_OK;
    char list[160] = "";
    for (int k = 1; k <= LAB_MODES; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d%s", k > 1 ? "," : "", k,
                 c->domain.dim == 2 ? ":0" : "");
    if ((st = dl_run_options_set(o, "record-modes", list)))
        return st;
    return dl_run_config_resolve(o, c);
}

static int check_caps(const dl_run_config *c, size_t drawn_m, int drawn)
{
    if (c->domain.dim > 2)
        return dl_error(DL_EINVAL, "--dim %d: the lab shows 1-D and 2-D runs", c->domain.dim);
    if (drawn && drawn_m == 0)
        return dl_error(DL_EINVAL, "--target %s: draw or upload a target first", DRAWN_TARGET);
    const size_t m = drawn ? drawn_m : c->m;
    if (c->n > LAB_MAX_POINTS || m > LAB_MAX_POINTS)
        return dl_error(DL_EINVAL, "the lab runs at most %d particles and %d targets (n = %zu, "
                        "m = %zu)", LAB_MAX_POINTS, LAB_MAX_POINTS, c->n, m);
    const int mesh = !strcmp(c->engine, "pm") || !strcmp(c->engine, "coulomb") ||
                     (!strcmp(c->engine, "auto") && c->domain.kind == DL_DOMAIN_TORUS);
    if (!mesh && (double)c->n * (double)m > LAB_MAX_DIRECT_PAIRS)
        return dl_error(DL_EINVAL, "n x m = %.3g pairs a step is over the lab's %.3g for the %s "
                        "engine; use --engine pm on the torus, or fewer points",
                        (double)c->n * (double)m, LAB_MAX_DIRECT_PAIRS, c->engine);
    return DL_OK;
}

int lab_lane_uses_drawn_target(const lab_lane *lane)
{
    return lane->configured && starts_with(dl_run_options_get(&lane->opts, "target"), "file:");
}

int lab_lane_configure(lab_lane *lane, dl_run_options *opts, size_t drawn_m)
{
    dl_run_config c;
    int st = dl_run_options_refuse_files(opts, DRAWN_TARGET);
    if (!st)
        st = resolve_with_modes(opts, &c);
    if (!st)
        st = check_caps(&c, drawn_m, starts_with(dl_run_options_get(opts, "target"), "file:"));
    if (st) {
        dl_run_options_free(opts);
        return st;
    }
    /* new dynamics on the same points: keep them (drawing is the slow part) */
    dl_run *keep = NULL;
    if (lane->run && !lab_lane_uses_drawn_target(lane) && dl_run_options_same_points(&lane->opts, opts))
        keep = lane->run, lane->run = NULL;
    lab_lane_free(lane);
    lane->opts = *opts;
    lane->config = c;
    lane->configured = 1;
    lane->run = keep;
    lane->reconfigure = keep != NULL;
    dl_run_options_init(opts);
    return DL_OK;
}

void lab_lane_free(lab_lane *lane)
{
    dl_run_destroy(lane->run);
    if (lane->modes)
        fclose(lane->modes);
    free(lane->modes_buf);
    if (lane->configured)
        dl_run_options_free(&lane->opts);
    memset(lane, 0, sizeof *lane);
}

void lab_lane_log_modes(const lab_lane *lane, double *out)
{
    const dl_run_config *c = dl_run_get_config(lane->run);
    const double *x = dl_run_particles(lane->run), w = 2.0 * M_PI / c->domain.length;
    double complex sum[LAB_MODES] = {0};
    for (size_t i = 0; i < c->n; i++) {
        const double complex e = cexp(-I * w * x[i * c->domain.dim]);
        double complex p = e;
        for (int k = 0; k < LAB_MODES; k++, p *= e)
            sum[k] += p;
    }
    for (int k = 0; k < LAB_MODES; k++)
        out[k] = log(cabs(sum[k]) / (double)c->n);
}

static void record_modes_row(lab_lane *lane)
{
    if (!lane->modes || lane->modes_full)
        return;
    const dl_run_config *c = dl_run_get_config(lane->run);
    double complex z[DL_MAX_MODES];
    dl_run_modes(lane->run, z);
    dl_run_outputs_modes(c, lane->modes, dl_run_time(lane->run), dl_run_sigma(lane->run), z);
    fflush(lane->modes);
    lane->modes_full = lane->modes_size > LAB_MAX_MODES_BYTES;
}

static void update_rates(lab_lane *lane)
{
    const double sigma = dl_run_sigma(lane->run);
    for (int k = 0; k < LAB_MODES && lane->has_theory; k++)
        if (dl_theory_model_rate(&lane->model, lane->kmag[k], sigma, &lane->gamma[k]))
            lane->has_theory = 0;
}

static void start_theory(lab_lane *lane)
{
    const dl_run_config *c = dl_run_get_config(lane->run);
    lane->has_theory = 0;
    if (c->domain.kind != DL_DOMAIN_TORUS)
        return;
    lane->model = (dl_theory_model){c->kernel, c->field, c->domain.dim,
                                    pow(c->domain.length, -c->domain.dim)};
    lane->has_theory = dl_theory_model_check(&lane->model) == DL_OK;
    for (int k = 0; k < LAB_MODES; k++)
        lane->kmag[k] = 2.0 * M_PI * (k + 1) / c->domain.length;
    lab_lane_log_modes(lane, lane->theory_log);
    memcpy(lane->start_log, lane->theory_log, sizeof lane->start_log);
    update_rates(lane);
    if (!(lane->modes = open_memstream(&lane->modes_buf, &lane->modes_size)))
        lane->modes_full = 1;
    record_modes_row(lane);
}

static void extend_box(double *b, const double *p, size_t count, int dim)
{
    for (size_t i = 0; i < count; i++)
        for (int d = 0; d < dim; d++)
            b[2 * d] = fmin(b[2 * d], p[dim * i + d]), b[2 * d + 1] = fmax(b[2 * d + 1], p[dim * i + d]);
}

/* The plane's view: a square around the targets and the first particles. */
static void plane_box(lab_lane *lane)
{
    const dl_run_config *c = dl_run_get_config(lane->run);
    size_t m;
    const double *y = dl_run_targets(lane->run, &m);
    double *b = lane->box;
    b[0] = b[2] = INFINITY, b[1] = b[3] = -INFINITY;
    extend_box(b, y, m, c->domain.dim);
    extend_box(b, dl_run_particles(lane->run), c->n, c->domain.dim);
    if (c->domain.dim == 1)
        b[2] = b[0], b[3] = b[1];
    const double half = 0.55 * fmax(fmax(b[1] - b[0], b[3] - b[2]), 1e-9);
    const double cx = 0.5 * (b[0] + b[1]), cy = 0.5 * (b[2] + b[3]);
    b[0] = cx - half, b[1] = cx + half, b[2] = cy - half, b[3] = cy + half;
}

int lab_lane_start(lab_lane *lane, const double *target, size_t m, int fresh)
{
    if (fresh && !lane->reconfigure) {
        dl_run_destroy(lane->run);
        lane->run = NULL;
    }
    if (lane->modes)
        fclose(lane->modes);
    free(lane->modes_buf);
    lane->modes = NULL, lane->modes_buf = NULL, lane->modes_size = 0, lane->modes_full = 0;
    lane->error[0] = '\0';
    lane->have_diag = 0;
    const int drawn = starts_with(dl_run_options_get(&lane->opts, "target"), "file:");
    int st = !lane->run        ? dl_run_create(&lane->run, &lane->config, drawn ? target : NULL, drawn ? m : 0)
             : lane->reconfigure ? dl_run_reconfigure(lane->run, &lane->config)
                                 : dl_run_rewind(lane->run);
    lane->reconfigure = 0;
    if (st) {
        snprintf(lane->error, sizeof lane->error, "%s", dl_error_message());
        return st;
    }
    if (fresh && (st = dl_run_set_energy_points(lane->run, LAB_ED_POINTS))) {
        snprintf(lane->error, sizeof lane->error, "%s", dl_error_message());
        return st;
    }
    start_theory(lane);
    plane_box(lane);
    return DL_OK;
}

/* The Euler bound 2 / max gamma of the mean shift, or 0 when there is none to state. */
static double euler_bound(const dl_run_config *c)
{
    double gmax;
    if (c->field != DL_OPERATOR_MEANSHIFT || dl_kernel_rate_max(c->kernel, c->domain.dim, &gmax) != DL_OK)
        return 0;
    return 2.0 / gmax;
}

static void explain_failure(lab_lane *lane)
{
    const dl_run_config *c = dl_run_get_config(lane->run);
    const double bound = euler_bound(c), gmax = 2.0 / bound;
    if (bound > 0 && c->dt > bound)
        snprintf(lane->error, sizeof lane->error, "Stopped at t = %g: dt = %g is above the Euler bound "
                 "2/max γ = %.4g of the %s kernel, so the fastest modes grow each step; set dt below %.4g.",
                 dl_run_time(lane->run) + c->dt, c->dt, 2.0 / gmax, c->kernel->name, 2.0 / gmax);
    else
        snprintf(lane->error, sizeof lane->error, "Stopped: %s.", dl_error_message());
}

/* On the torus positions wrap and never turn non-finite: a run past the
 * Euler bound shows as a mode grown tenfold from its start. */
static int grew_unstably(lab_lane *lane)
{
    const dl_run_config *c = dl_run_get_config(lane->run);
    if (c->domain.kind != DL_DOMAIN_TORUS || !(euler_bound(c) > 0 && c->dt > euler_bound(c)))
        return 0;
    double now[LAB_MODES];
    lab_lane_log_modes(lane, now);
    for (int k = 0; k < LAB_MODES; k++)
        if (isfinite(lane->start_log[k]) && now[k] > lane->start_log[k] + log(10.0))
            return 1;
    return 0;
}

int lab_lane_step(lab_lane *lane)
{
    if (!lane->run || lane->error[0])
        return DL_EINVAL;
    const dl_run_config *c = dl_run_get_config(lane->run);
    const double h = c->dt;
    for (int k = 0; k < LAB_MODES && lane->has_theory; k++) {
        const double z = h * lane->gamma[k];
        const double factor = c->integrator == DL_INTEGRATOR_HEUN ? 1 - z + 0.5 * z * z : 1 - z;
        lane->theory_log[k] += log(fabs(factor));
    }
    int st = dl_run_step(lane->run);
    if (!st && grew_unstably(lane))
        st = dl_error(DL_ENUMERIC, "a mode grew tenfold");
    if (st) {
        explain_failure(lane);
        return st;
    }
    update_rates(lane);
    if (dl_run_step_index(lane->run) % c->every == 0)
        record_modes_row(lane);
    return DL_OK;
}

/* The t-end that gives exactly `steps` steps of dt, in as few digits as do. */
static void t_end_text(double dt, long steps, char *out, size_t len)
{
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(out, len, "%.*g", digits, steps * dt);
        if ((long)ceil(strtod(out, NULL) / dt - 1e-9) == steps)
            return;
    }
}

int lab_lane_export_command(const lab_lane *lane, lab_text *out)
{
    if (!lane->run)
        return dl_error(DL_EINVAL, "the lane has no run");
    char *argv[2 * 64 + 8], t_end[40], line[8192], dashed[64][72];
    int argc = 0;
    argv[argc++] = "driftlab", argv[argc++] = "sim";
    for (int i = 0; dl_run_options_key(i); i++) {
        const char *key = dl_run_options_key(i), *value = lane->opts.values[i];
        int on;
        if (!value || !strcmp(key, "t-end") || !strcmp(key, "out"))
            continue;
        if (dl_run_options_is_flag(key) && (dl_parse_bool(key, value, &on) || !on))
            continue;
        snprintf(dashed[i], sizeof dashed[i], "--%s", key);
        argv[argc++] = dashed[i];
        if (!dl_run_options_is_flag(key))
            argv[argc++] = (char *)value;
    }
    t_end_text(lane->config.dt, dl_run_step_index(lane->run), t_end, sizeof t_end);
    argv[argc++] = "--t-end", argv[argc++] = t_end;
    argv[argc++] = "--out", argv[argc++] = "runs/lab";
    cli_command_line_into(argc, argv, line, sizeof line);
    lab_text_printf(out, "%s", line);
    return DL_OK;
}

int lab_lane_export_modes(lab_lane *lane, lab_text *out)
{
    const dl_run_config *c = lane->run ? dl_run_get_config(lane->run) : NULL;
    if (!c || c->domain.kind != DL_DOMAIN_TORUS)
        return dl_error(DL_EINVAL, "modes.dat is written for runs on the torus");
    if (lane->modes_full || !lane->modes)
        return dl_error(DL_EINVAL, "the run is longer than the %d MiB of modes the lab keeps; reset, "
                        "or run driftlab sim", LAB_MAX_MODES_BYTES >> 20);
    lab_text command;
    lab_text_init(&command, 8192);
    lab_lane_export_command(lane, &command);
    char *head = NULL;
    size_t head_len = 0;
    FILE *fp = open_memstream(&head, &head_len);
    if (!fp) {
        lab_text_free(&command);
        return dl_error(DL_ENOMEM, "out of memory for modes.dat");
    }
    dl_provenance prov = {command.data, c->seed};
    dl_run_outputs_modes_header(c, &prov, fp);
    fflush(lane->modes);
    fwrite(lane->modes_buf, 1, lane->modes_size, fp);
    if (dl_run_step_index(lane->run) % c->every) { /* sim's last row, at t-end */
        double complex z[DL_MAX_MODES];
        dl_run_modes(lane->run, z);
        dl_run_outputs_modes(c, fp, dl_run_time(lane->run), dl_run_sigma(lane->run), z);
    }
    fclose(fp);
    lab_text_append(out, head, head_len);
    free(head);
    lab_text_free(&command);
    return out->overflow ? dl_error(DL_ENOMEM, "modes.dat is over the export's cap") : DL_OK;
}
