#include "sim_outputs.h"

#include <math.h>
#include <string.h>

#include "base/dl_error.h"
#include "drift/integrator.h"
#include "drift/schedule.h"

int sim_write_run_ini(const sim_options *o, const sim_config *c, const dl_provenance *prov)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/run.ini", c->out);
    dl_atomic_file f;
    int st = dl_atomic_open(&f, path, "w");
    if (st)
        return st;
    dl_provenance_write(f.fp, prov, "#");
    sim_options_write_ini(o, f.fp);
    return dl_atomic_commit(&f);
}

int sim_outputs_open(const sim_config *c, const dl_provenance *prov, sim_outputs *out)
{
    char path[4200], kernel_line[256], sched_line[256];
    snprintf(kernel_line, sizeof kernel_line, "domain %s dim %d length %.17g kernel %s",
             dl_domain_kind_name(c->domain.kind), c->domain.dim, c->domain.length,
             c->kernel->name);
    snprintf(sched_line, sizeof sched_line,
             "schedule %s sigma0 %.17g rate %.17g sigma_min %.17g; integrator %s dt %.17g",
             dl_schedule_kind_name(c->schedule.kind), c->schedule.sigma0, c->schedule.rate,
             c->schedule.sigma_min, dl_integrator_kind_name(c->integrator), c->dt);
    const char *extra[] = {kernel_line, sched_line, NULL};
    snprintf(path, sizeof path, "%s/diagnostics.dat", c->out);
    int st = dl_dat_open(&out->diagnostics, path, prov, extra,
                         out->fd ? "step t sigma rms_v rms_v_plus rms_v_minus energy_distance fd_fmnist"
                                 : "step t sigma rms_v rms_v_plus rms_v_minus energy_distance");
    if (st)
        return st;
    if (c->domain.kind == DL_DOMAIN_TORUS) {
        char cols[256] = "t sigma k re im amp";
        if (c->domain.dim > 1)
            for (int d = 0; d < c->domain.dim; d++)
                snprintf(cols + strlen(cols), sizeof cols - strlen(cols), " n%d", d + 1);
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

void sim_outputs_modes(const sim_config *c, FILE *fp, double t, double sigma, const double complex *z)
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

void sim_outputs_log(const sim_config *c, sim_outputs *out, const char *topic, const char *line)
{
    if (!line)
        return;
    fprintf(out->diagnostics.fp, "# %s: %s\n", topic, line);
    if (!c->quiet)
        fprintf(stderr, "sim: %s: %s\n", topic, line);
}

void sim_outputs_engine_log(const sim_config *c, sim_outputs *out, const char *line)
{
    sim_outputs_log(c, out, "engine", line);
}

void sim_outputs_measured(const sim_config *c, const char *topic, const char *line)
{
    if (!c->quiet)
        fprintf(stderr, "sim: %s: %s\n", topic, line);
}
