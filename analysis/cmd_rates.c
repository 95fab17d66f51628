/* driftlab rates RUN_DIR: least-squares decay rate of every recorded mode of a
 * constant-bandwidth torus run, beside the linear theory of THEORY.md 3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fit.h>

#include "cli.h"
#include "commands.h"
#include "dl_error.h"
#include "io.h"
#include "sim_config.h"

typedef struct {
    double t, amp;
} sample;

typedef struct {
    double k;
    int index; /* position of the mode within one output time */
    sample *s;
    size_t count, cap;
} mode_series;

static void usage(FILE *fp)
{
    fprintf(fp, "usage: driftlab rates RUN_DIR [--fit-window T0:T1] [--floor F] [--quiet]\n\n"
                "Fits log|a_k(t)| = c - gamma t for every mode in RUN_DIR/modes.dat and writes\n"
                "RUN_DIR/rates.dat with the closed-form gamma(k) beside each fit.  The run must\n"
                "be on the torus with a constant bandwidth.  By default each fit runs from t = 0\n"
                "until the amplitude first drops below F times its initial value (F = 1e-3).\n");
}

static int read_modes(const char *path, int n_record, mode_series *series, size_t *rows_out)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return dl_error(DL_EIO, "cannot open '%s'", path);
    char line[1024];
    size_t row = 0;
    int st = DL_OK;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        double t, sigma, k, re, im, amp;
        if (sscanf(line, "%lf %lf %lf %lf %lf %lf", &t, &sigma, &k, &re, &im, &amp) != 6 ||
            !isfinite(t) || !isfinite(amp)) {
            st = dl_error(DL_EFORMAT, "'%s': malformed row %zu", path, row + 1);
            break;
        }
        mode_series *m = &series[row % n_record];
        m->k = k;
        if (m->count == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 64;
            sample *ns = realloc(m->s, m->cap * sizeof *ns);
            if (!ns) {
                st = dl_error(DL_ENOMEM, "out of memory");
                break;
            }
            m->s = ns;
        }
        m->s[m->count++] = (sample){t, amp};
        row++;
    }
    fclose(fp);
    if (!st && (row == 0 || row % n_record))
        st = dl_error(DL_EFORMAT, "'%s': %zu rows is not a whole number of outputs of %d modes",
                      path, row, n_record);
    *rows_out = row;
    return st;
}

int cmd_rates(int argc, char **argv)
{
    const char *run = NULL, *window = NULL;
    double floor_rel = 1e-3, t0 = 0, t1 = INFINITY;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--fit-window") && i + 1 < argc) {
            window = argv[++i];
        } else if (!strcmp(argv[i], "--floor") && i + 1 < argc) {
            if (cli_parse_double("floor", argv[++i], &floor_rel) || !(floor_rel > 0 && floor_rel < 1)) {
                dl_error(DL_EINVAL, "--floor must be a number in (0, 1), got '%s'", argv[i]);
                return cli_fail("rates");
            }
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (argv[i][0] == '-' || run) {
            dl_error(DL_EINVAL, "unexpected argument '%s' (see driftlab rates --help)", argv[i]);
            return cli_fail("rates");
        } else {
            run = argv[i];
        }
    }
    if (!run) {
        dl_error(DL_EINVAL, "no run directory given (see driftlab rates --help)");
        return cli_fail("rates");
    }
    if (window) {
        char *colon = strchr(window, ':');
        char a[64] = "", b[64] = "";
        if (colon && (size_t)(colon - window) < sizeof a && strlen(colon + 1) < sizeof b) {
            memcpy(a, window, (size_t)(colon - window));
            strcpy(b, colon + 1);
        }
        if (!colon || cli_parse_double("fit-window", a, &t0) ||
            cli_parse_double("fit-window", b, &t1) || !(t1 > t0)) {
            dl_error(DL_EINVAL, "--fit-window: '%s' is not T0:T1 with T0 < T1", window);
            return cli_fail("rates");
        }
    }

    /* The run's own run.ini says what was simulated: one mechanism for both. */
    char path[4200];
    sim_options opts;
    sim_config cfg;
    sim_options_init(&opts);
    snprintf(path, sizeof path, "%s/run.ini", run);
    int st = sim_options_load_ini(&opts, path);
    if (!st)
        st = sim_config_resolve(&opts, &cfg);
    if (!st && cfg.domain.kind != DL_DOMAIN_TORUS)
        st = dl_error(DL_EINVAL, "run '%s' is not on the torus: no modes to fit", run);
    if (!st && cfg.schedule.kind != DL_SCHEDULE_CONSTANT)
        st = dl_error(DL_EINVAL,
                      "run '%s' anneals its bandwidth: a constant rate does not describe it", run);
    if (st) {
        sim_options_free(&opts);
        return cli_fail("rates");
    }
    mode_series *series = calloc((size_t)cfg.n_record, sizeof *series);
    size_t rows = 0;
    snprintf(path, sizeof path, "%s/modes.dat", run);
    st = series ? read_modes(path, cfg.n_record, series, &rows) : dl_error(DL_ENOMEM, "oom");

    dl_atomic_file out;
    memset(&out, 0, sizeof out);
    char window_line[128];
    snprintf(window_line, sizeof window_line,
             "fit window [%g, %g], cut where amp < %g amp(0); sigma %.17g, kernel %s, dim %d", t0,
             t1, floor_rel, cfg.schedule.sigma0, cfg.kernel->name, cfg.domain.dim);
    const char *extra[] = {window_line, NULL};
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), cfg.seed};
    snprintf(path, sizeof path, "%s/rates.dat", run);
    if (!st)
        st = dl_dat_open(&out, path, &prov, extra,
                         "k gamma_measured stderr gamma_theory rel_error t0 t1 points r2 "
                         "gamma_theory_euler");
    if (!quiet && !st)
        printf("%8s %12s %10s %12s %9s %12s %9s %6s\n", "k", "gamma_fit", "stderr",
               "gamma_theory", "rel_err", "gamma_euler", "rel_err", "points");
    for (int r = 0; !st && r < cfg.n_record; r++) {
        mode_series *m = &series[r];
        double tt[4096], la[4096];
        size_t n = 0;
        double a0 = m->s[0].amp;
        for (size_t i = 0; i < m->count && n < 4096; i++) {
            if (m->s[i].t < t0 - 1e-12 || m->s[i].t > t1 + 1e-12)
                continue;
            if (!(m->s[i].amp > floor_rel * a0))
                break;
            tt[n] = m->s[i].t;
            la[n] = log(m->s[i].amp);
            n++;
        }
        double gamma_theory = NAN;
        dl_kernel_rate(cfg.kernel, m->k, cfg.schedule.sigma0, cfg.domain.dim, &gamma_theory);
        /* Explicit Euler multiplies a mode by (1 - gamma dt) per step, so a fit
         * over steps sees -ln(1 - gamma dt) / dt = gamma (1 + gamma dt / 2 + ...). */
        double gamma_euler = cfg.integrator == DL_INTEGRATOR_EULER && gamma_theory * cfg.dt < 1
                                 ? -log1p(-gamma_theory * cfg.dt) / cfg.dt
                                 : gamma_theory;
        if (n < 3) {
            fprintf(out.fp, "%.10g nan nan %.10g nan %g %g %zu nan %.10g\n", m->k, gamma_theory,
                    t0, t1, n, gamma_euler);
            if (!quiet)
                printf("%8.4g %12s %10s %12.6g %9s %12.6g %9s %6zu\n", m->k, "-", "-", gamma_theory,
                       "-", gamma_euler, "-", n);
            continue;
        }
        double c0, c1, cov00, cov01, cov11, sumsq;
        gsl_fit_linear(tt, 1, la, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
        double mean = 0, tss = 0;
        for (size_t i = 0; i < n; i++)
            mean += la[i] / n;
        for (size_t i = 0; i < n; i++)
            tss += (la[i] - mean) * (la[i] - mean);
        double gamma = -c1, err = sqrt(cov11), r2 = tss > 0 ? 1 - sumsq / tss : 1;
        double rel = (gamma - gamma_theory) / gamma_theory;
        fprintf(out.fp, "%.10g %.10g %.4g %.10g %.6g %g %g %zu %.8f %.10g\n", m->k, gamma, err,
                gamma_theory, rel, tt[0], tt[n - 1], n, r2, gamma_euler);
        if (!quiet)
            printf("%8.4g %12.6g %10.2g %12.6g %+8.2f%% %12.6g %+8.2f%% %6zu\n", m->k, gamma, err,
                   gamma_theory, 100 * rel, gamma_euler, 100 * (gamma - gamma_euler) / gamma_euler,
                   n);
    }
    if (!st)
        st = dl_atomic_commit(&out);
    else if (out.fp)
        dl_atomic_abort(&out);
    for (int r = 0; series && r < cfg.n_record; r++)
        free(series[r].s);
    free(series);
    sim_options_free(&opts);
    if (st)
        return cli_fail("rates");
    (void)rows;
    return 0;
}
