/* driftlab theory: the linear theory of THEORY.md sections 3-4 for any kernel
 * and schedule, by closed form and by quadrature side by side. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "base/dl_error.h"
#include "base/io.h"
#include "sim_config.h"
#include "spectral/theory.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab theory [--config RUN/run.ini] [simulator keys] [options]\n\n"
            "Linear decay of the Fourier modes k = 2 pi n / L, n = 1..kmax, for the kernel,\n"
            "bandwidth schedule, dimension and torus length given as for `driftlab sim`\n"
            "(--kernel --sigma --schedule --rate --sigma-min --anneal-time --dim --length\n"
            "--t-end, or a run's run.ini).  Prints gamma(k) by closed form and by quadrature\n"
            "(d <= 3), ln a_k(t_end)/a_k(0) along the schedule and the damping time T_eps.\n\n"
            "options:\n"
            "  --kmax N        largest mode number (default 16)\n"
            "  --eps E         damping factor for T_eps (default e^-1)\n"
            "  --t-step H      time step of theory-amplitudes.dat (default t-end / 200)\n"
            "  --write DIR     also write DIR/theory-{rates,amplitudes,tconv}.dat\n");
}

typedef struct {
    int kmax, help;
    double eps, t_step;
    const char *write_dir;
} theory_options;

/* theory's own options; everything else is a simulator key, into rest */
static int parse_own(int argc, char **argv, theory_options *o, char **rest, int *n_rest)
{
    int st = DL_OK;
    for (int i = 1; i < argc && !st; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long lv;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->help = 1;
        } else if (!strcmp(a, "--kmax")) {
            if (!v || cli_parse_long("kmax", v, &lv) || lv < 1 || lv > 100000)
                st = dl_error(DL_EINVAL, "--kmax needs an integer in [1, 100000]");
            o->kmax = (int)lv;
            i++;
        } else if (!strcmp(a, "--eps")) {
            if (!v || cli_parse_double("eps", v, &o->eps) || !(o->eps > 0 && o->eps < 1))
                st = dl_error(DL_EINVAL, "--eps needs a number in (0, 1)");
            i++;
        } else if (!strcmp(a, "--t-step")) {
            if (!v || cli_parse_double("t-step", v, &o->t_step) || !(o->t_step > 0))
                st = dl_error(DL_EINVAL, "--t-step needs a positive number");
            i++;
        } else if (!strcmp(a, "--write")) {
            if (!v)
                st = dl_error(DL_EINVAL, "--write needs a directory");
            o->write_dir = v;
            i++;
        } else {
            rest[(*n_rest)++] = argv[i];
        }
    }
    return st;
}

/* The simulator's configuration from the other options. */
static int resolve_config(int n_rest, char **rest, sim_options *opts, sim_config *c)
{
    int want_help = 0;
    /* the particles' distributions play no part in the theory: neutral defaults
     * that are valid in every dimension */
    int st = sim_options_set(opts, "target", "normal");
    if (!st)
        st = sim_options_set(opts, "init", "normal");
    if (!st)
        st = sim_options_parse_args(opts, n_rest, rest, &want_help);
    if (!st)
        st = sim_config_resolve(opts, c);
    if (!st && !c->kernel->rate)
        st = dl_error(DL_EUNSUPPORTED, "kernel '%s' has no closed-form rate", c->kernel->name);
    return st;
}

typedef struct {
    dl_atomic_file rates, amps, tconv;
} theory_files;

static int open_outputs(const char *dir, const dl_provenance *prov, const char *const *extra,
                        theory_files *f)
{
    char path[4200];
    int st = dl_mkdir_p(dir);
    if (st)
        return st;
    snprintf(path, sizeof path, "%s/theory-rates.dat", dir);
    if ((st = dl_dat_open(&f->rates, path, prov, extra,
                          "n k sigma0_k gamma_closed gamma_numeric T_eps log_ratio_t_end")))
        return st;
    snprintf(path, sizeof path, "%s/theory-amplitudes.dat", dir);
    if ((st = dl_dat_open(&f->amps, path, prov, extra, "t sigma k log_ratio")))
        return st;
    snprintf(path, sizeof path, "%s/theory-tconv.dat", dir);
    return dl_dat_open(&f->tconv, path, prov, extra, "K T_eps_K");
}

/* mode n: its rate (closed form and quadrature), damping time and amplitude
 * at t-end, on stdout and, with --write, in the files; *worst: T_eps(K) */
static int theory_mode(const theory_options *o, const sim_config *c, double L, int n, double *worst,
                       theory_files *f)
{
    const int dim = c->domain.dim;
    double k = 2 * M_PI * n / L, g, gn = NAN, T, lr;
    int st = dl_theory_rate(c->kernel, k, c->schedule.sigma0, dim, &g);
    if (!st && dim <= 3)
        st = dl_theory_rate_numeric(c->kernel, k, c->schedule.sigma0, dim, &gn);
    if (!st)
        st = dl_theory_damping_time(c->kernel, &c->schedule, k, dim, o->eps, &T);
    if (!st)
        st = dl_theory_log_amplitude(c->kernel, &c->schedule, k, dim, c->t_end, &lr);
    if (st)
        return st;
    *worst = fmax(*worst, T);
    printf("%6d %10.4g %14.8g %14.8g %12.5g %14.6g\n", n, c->schedule.sigma0 * k, g, gn, T, lr);
    if (!o->write_dir)
        return DL_OK;
    fprintf(f->rates.fp, "%d %.10g %.10g %.12g %.12g %.10g %.10g\n", n, k, c->schedule.sigma0 * k, g,
            gn, T, lr);
    fprintf(f->tconv.fp, "%d %.10g\n", n, *worst);
    for (double t = 0; t <= c->t_end + 1e-9; t += o->t_step) {
        if ((st = dl_theory_log_amplitude(c->kernel, &c->schedule, k, dim, t, &lr)))
            return st;
        fprintf(f->amps.fp, "%.8g %.8g %.8g %.10g\n", t, dl_schedule_sigma(&c->schedule, t), k, lr);
    }
    fputc('\n', f->amps.fp);
    return DL_OK;
}

static int theory_table(const theory_options *o, const sim_config *c, const dl_provenance *prov)
{
    const double L = c->domain.kind == DL_DOMAIN_TORUS ? c->domain.length : 2 * M_PI;
    theory_files f = {{0}, {0}, {0}};
    char line[200];
    snprintf(line, sizeof line, "kernel %s dim %d length %.10g schedule %s sigma0 %.10g rate %.10g "
             "sigma_min %.10g eps %.6g",
             c->kernel->name, c->domain.dim, L, dl_schedule_kind_name(c->schedule.kind),
             c->schedule.sigma0, c->schedule.rate, c->schedule.sigma_min, o->eps);
    const char *extra[] = {line, NULL};
    int st = o->write_dir ? open_outputs(o->write_dir, prov, extra, &f) : DL_OK;
    if (!st) {
        printf("# %s\n", line);
        printf("%6s %10s %14s %14s %12s %14s\n", "n", "sigma0 k", "gamma closed", "gamma quadr.",
               "T_eps", "ln a(T)/a(0)");
    }
    double worst = 0;
    for (int n = 1; !st && n <= o->kmax; n++)
        st = theory_mode(o, c, L, n, &worst, &f);
    if (!st && o->write_dir && !(st = dl_atomic_commit(&f.rates)) && !(st = dl_atomic_commit(&f.amps)))
        st = dl_atomic_commit(&f.tconv);
    if (f.rates.fp)
        dl_atomic_abort(&f.rates);
    if (f.amps.fp)
        dl_atomic_abort(&f.amps);
    if (f.tconv.fp)
        dl_atomic_abort(&f.tconv);
    return st;
}

int cmd_theory(int argc, char **argv)
{
    theory_options o = {.kmax = 16, .eps = exp(-1.0)};
    char **rest = malloc((size_t)argc * sizeof *rest);
    int n_rest = 0;
    if (!rest)
        return dl_error(DL_ENOMEM, "out of memory"), cli_fail("theory");
    int st = parse_own(argc, argv, &o, rest, &n_rest);
    if (!st && o.help) {
        usage(stdout);
        free(rest);
        return 0;
    }
    sim_options opts;
    sim_config c;
    sim_options_init(&opts);
    if (!st)
        st = resolve_config(n_rest, rest, &opts, &c);
    free(rest);
    if (!st && !(o.t_step > 0))
        o.t_step = c.t_end / 200;
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), st ? 0 : c.seed};
    if (!st)
        st = theory_table(&o, &c, &prov);
    sim_options_free(&opts);
    return st ? cli_fail("theory") : 0;
}
