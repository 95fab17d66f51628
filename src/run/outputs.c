#include "run/outputs.h"

#include <math.h>
#include <string.h>

#include "base/dl_error.h"
#include "drift/integrator.h"
#include "drift/schedule.h"

int dl_run_write_ini(const dl_run_options *o, const dl_run_config *c, const dl_provenance *prov)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/run.ini", c->out);
    dl_atomic_file f;
    int st = dl_atomic_open(&f, path, "w");
    if (st)
        return st;
    dl_provenance_write(f.fp, prov, "#");
    dl_run_options_write_ini(o, f.fp);
    return dl_atomic_commit(&f);
}

/* The two lines that say what ran, in both files' headers. */
static void describe_run(const dl_run_config *c, char *kernel_line, char *sched_line, size_t len)
{
    snprintf(kernel_line, len, "domain %s dim %d length %.17g kernel %s",
             dl_domain_kind_name(c->domain.kind), c->domain.dim, c->domain.length, c->kernel->name);
    snprintf(sched_line, len, "schedule %s sigma0 %.17g rate %.17g sigma_min %.17g; integrator %s dt %.17g",
             dl_schedule_kind_name(c->schedule.kind), c->schedule.sigma0, c->schedule.rate,
             c->schedule.sigma_min, dl_integrator_kind_name(c->integrator), c->dt);
}

static void modes_columns(const dl_run_config *c, char *cols, size_t len)
{
    snprintf(cols, len, "t sigma k re im amp");
    if (c->domain.dim > 1)
        for (int d = 0; d < c->domain.dim; d++)
            snprintf(cols + strlen(cols), len - strlen(cols), " n%d", d + 1);
}

void dl_run_outputs_modes_header(const dl_run_config *c, const dl_provenance *prov, FILE *fp)
{
    char kernel_line[256], sched_line[256], cols[256];
    describe_run(c, kernel_line, sched_line, sizeof kernel_line);
    modes_columns(c, cols, sizeof cols);
    const char *extra[] = {kernel_line, sched_line, NULL};
    dl_dat_write_header(fp, prov, extra, cols);
}

int dl_run_outputs_open(const dl_run_config *c, const dl_provenance *prov, dl_run_outputs *out)
{
    char path[4200], kernel_line[256], sched_line[256];
    describe_run(c, kernel_line, sched_line, sizeof kernel_line);
    const char *extra[] = {kernel_line, sched_line, NULL};
    snprintf(path, sizeof path, "%s/diagnostics.dat", c->out);
    int st = dl_dat_open(&out->diagnostics, path, prov, extra,
                         out->fd ? "step t sigma rms_v rms_v_plus rms_v_minus energy_distance fd_fmnist"
                                 : "step t sigma rms_v rms_v_plus rms_v_minus energy_distance");
    if (st)
        return st;
    if (c->domain.kind == DL_DOMAIN_TORUS) {
        char cols[256];
        modes_columns(c, cols, sizeof cols);
        snprintf(path, sizeof path, "%s/modes.dat", c->out);
        st = dl_dat_open(&out->modes, path, prov, extra, cols);
        if (st) {
            dl_atomic_abort(&out->diagnostics);
            return st;
        }
        out->have_modes = 1;
    }
    return DL_OK;
}

void dl_run_outputs_modes(const dl_run_config *c, FILE *fp, double t, double sigma, const double complex *z)
{
    const double kunit = 2.0 * M_PI / c->domain.length;
    for (int r = 0; r < c->n_record; r++) {
        double k2 = 0;
        for (int d = 0; d < c->domain.dim; d++)
            k2 += (kunit * c->record[r][d]) * (kunit * c->record[r][d]);
        fprintf(fp, "%.10g %.10g %.10g %.17g %.17g %.17g", t, sigma, sqrt(k2), creal(z[r]), cimag(z[r]),
                cabs(z[r]));
        if (c->domain.dim > 1)
            for (int d = 0; d < c->domain.dim; d++)
                fprintf(fp, " %d", c->record[r][d]);
        fputc('\n', fp);
    }
}

void dl_run_outputs_log(const dl_run_config *c, dl_run_outputs *out, const char *topic, const char *line)
{
    if (!line)
        return;
    fprintf(out->diagnostics.fp, "# %s: %s\n", topic, line);
    dl_run_outputs_measured(c, out, topic, line);
}

void dl_run_outputs_engine_log(const dl_run_config *c, dl_run_outputs *out, const char *line)
{
    dl_run_outputs_log(c, out, "engine", line);
}

void dl_run_outputs_measured(const dl_run_config *c, dl_run_outputs *out, const char *topic,
                             const char *line)
{
    if (!c->quiet && out->log)
        out->log(out->log_ctx, topic, line);
}
