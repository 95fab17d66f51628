/* frame: what one lane looks like now, as the JSON object a frame carries.
 * The page draws it; nothing here steps the run. */
#include "frame.h"

#include <math.h>
#include <stdlib.h>

#include "run/run.h"

#define DENSITY_BINS 128
#define HEAT_MAX_BINS 48
#define SHOWN_POINTS 1500
#define ARROW_GRID 16

static void json_key(lab_text *t, const char *key)
{
    lab_text_printf(t, ",\"%s\":", key);
}

/* Density relative to uniform over [lo, hi) of axis 0, in bins. */
static void density(lab_text *t, const double *x, size_t n, int dim, double lo, double hi, int torus)
{
    double h[DENSITY_BINS] = {0};
    const double w = (hi - lo) / DENSITY_BINS;
    for (size_t i = 0; i < n; i++) {
        double u = (x[i * dim] - lo) / w;
        if (torus)
            u -= DENSITY_BINS * floor(u / DENSITY_BINS);
        if (u >= 0 && u < DENSITY_BINS)
            h[(int)u] += 1.0;
    }
    for (int b = 0; b < DENSITY_BINS; b++)
        h[b] *= DENSITY_BINS / (double)(n ? n : 1);
    lab_text_json_numbers(t, h, DENSITY_BINS, 4);
}

/* Cells a third of the mean particle spacing wide at most: a quiet start is
 * a lattice, and finer cells would show the lattice, not the density. */
static void heat(lab_text *t, const double *x, size_t n, double length)
{
    const int bins = (int)fmax(8, fmin(HEAT_MAX_BINS, sqrt((double)n) / 3));
    const int cells = bins * bins;
    double *h = calloc(cells, sizeof(double));
    if (!h)
        return lab_text_printf(t, "null");
    for (size_t i = 0; i < n; i++) {
        int a = (int)(x[2 * i] / length * bins), b = (int)(x[2 * i + 1] / length * bins);
        a = a < 0 ? 0 : a >= bins ? bins - 1 : a;
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        h[b * bins + a] += 1.0;
    }
    for (int k = 0; k < cells; k++)
        h[k] *= cells / (double)(n ? n : 1);
    lab_text_json_numbers(t, h, (size_t)cells, 3);
    free(h);
}

static void points(lab_text *t, const double *x, size_t n)
{
    const size_t shown = n < SHOWN_POINTS ? n : SHOWN_POINTS;
    lab_text_printf(t, "[");
    for (size_t k = 0; k < shown; k++) {
        const size_t i = k * n / shown;
        lab_text_printf(t, "%s%.4g,%.4g", k ? "," : "", x[2 * i], x[2 * i + 1]);
    }
    lab_text_printf(t, "]");
}

static void arrows(lab_text *t, lab_lane *lane)
{
    const int g = ARROW_GRID;
    double pts[2 * ARROW_GRID * ARROW_GRID], v[3][2 * ARROW_GRID * ARROW_GRID];
    const double *b = lane->box;
    for (int j = 0; j < g; j++)
        for (int i = 0; i < g; i++) {
            pts[2 * (j * g + i)] = b[0] + (i + 0.5) * (b[1] - b[0]) / g;
            pts[2 * (j * g + i) + 1] = b[2] + (j + 0.5) * (b[3] - b[2]) / g;
        }
    if (dl_run_field_at(lane->run, pts, (size_t)(g * g), v[0], v[1], v[2]))
        return lab_text_printf(t, "null");
    lab_text_printf(t, "{\"grid\":%d,\"v\":", g);
    lab_text_json_numbers(t, v[0], 2 * (size_t)(g * g), 3);
    lab_text_printf(t, ",\"vp\":");
    lab_text_json_numbers(t, v[1], 2 * (size_t)(g * g), 3);
    lab_text_printf(t, ",\"vm\":");
    lab_text_json_numbers(t, v[2], 2 * (size_t)(g * g), 3);
    lab_text_printf(t, "}");
}

static void torus_view(lab_text *t, const lab_lane *lane, const dl_run_config *c)
{
    double logs[LAB_MODES];
    lab_lane_log_modes(lane, logs);
    json_key(t, "modes");
    lab_text_json_numbers(t, logs, LAB_MODES, 6);
    json_key(t, "theory");
    if (lane->has_theory)
        lab_text_json_numbers(t, lane->theory_log, LAB_MODES, 6);
    else
        lab_text_printf(t, "null");
    json_key(t, "gamma");
    if (lane->has_theory)
        lab_text_json_numbers(t, lane->gamma, LAB_MODES, 6);
    else
        lab_text_printf(t, "null");
    size_t m;
    const double *y = dl_run_targets(lane->run, &m), *x = dl_run_particles(lane->run);
    if (c->domain.dim == 2) {
        json_key(t, "heat");
        return heat(t, x, c->n, c->domain.length);
    }
    json_key(t, "density");
    density(t, x, c->n, 1, 0, c->domain.length, 1);
    json_key(t, "target_density");
    density(t, y, m, 1, 0, c->domain.length, 1);
}

static void plane_view(lab_text *t, lab_lane *lane, const dl_run_config *c, int want_arrows)
{
    size_t m;
    const double *y = dl_run_targets(lane->run, &m), *x = dl_run_particles(lane->run);
    json_key(t, "box");
    lab_text_json_numbers(t, lane->box, 4, 6);
    if (c->domain.dim == 1) {
        json_key(t, "density");
        density(t, x, c->n, 1, lane->box[0], lane->box[1], 0);
        json_key(t, "target_density");
        return density(t, y, m, 1, lane->box[0], lane->box[1], 0);
    }
    json_key(t, "points");
    points(t, x, c->n);
    json_key(t, "targets");
    points(t, y, m);
    if (want_arrows) {
        json_key(t, "arrows");
        arrows(t, lane);
    }
}

/* sigma(t) over [0, t-end] from the library's schedule (not for adaptive:
 * its future depends on the particles). */
static void schedule_ahead(lab_text *t, const dl_run_config *c)
{
    enum { SAMPLES = 64 };
    double sigma[SAMPLES];
    json_key(t, "schedule");
    if (c->schedule.kind == DL_SCHEDULE_ADAPTIVE)
        return lab_text_printf(t, "null");
    for (int i = 0; i < SAMPLES; i++)
        sigma[i] = dl_schedule_sigma(&c->schedule, i * c->t_end / (SAMPLES - 1));
    lab_text_json_numbers(t, sigma, SAMPLES, 5);
    lab_text_printf(t, ",\"schedule_t_end\":%.6g", c->t_end);
}

static void diagnostics(lab_text *t, const lab_lane *lane)
{
    const dl_run_diagnostics *d = &lane->diag;
    json_key(t, "diag");
    lab_text_printf(t, "{\"step\":%ld,\"energy_distance\":%.6g,\"rms_v\":%.6g,\"rms_v_plus\":%.6g,"
                    "\"rms_v_minus\":%.6g}", d->step, d->energy_distance, d->rms_v, d->rms_v_plus,
                    d->rms_v_minus);
}

void lab_frame_lane(lab_text *t, lab_lane *lane, int want_arrows)
{
    lab_text_printf(t, "{\"error\":");
    if (lane->error[0])
        lab_text_json_string(t, lane->error);
    else
        lab_text_printf(t, "null");
    if (!lane->run)
        return lab_text_printf(t, "}");
    const dl_run_config *c = dl_run_get_config(lane->run);
    lab_text_printf(t, ",\"step\":%ld,\"t\":%.10g,\"sigma\":%.6g,\"domain\":\"%s\",\"dim\":%d,"
                    "\"length\":%.10g,\"n\":%zu,\"dt\":%.6g", dl_run_step_index(lane->run),
                    dl_run_time(lane->run), dl_run_sigma(lane->run),
                    dl_domain_kind_name(c->domain.kind), c->domain.dim, c->domain.length, c->n, c->dt);
    json_key(t, "kernel");
    lab_text_json_string(t, c->kernel->name);
    json_key(t, "field");
    lab_text_json_string(t, dl_operator_name(c->field));
    schedule_ahead(t, c);
    if (c->domain.kind == DL_DOMAIN_TORUS)
        torus_view(t, lane, c);
    else
        plane_view(t, lane, c, want_arrows);
    if (lane->have_diag)
        diagnostics(t, lane);
    lab_text_printf(t, "}");
}
