/* driftlab theory: the linear theory of docs/THEORY.md sections 3, 4 and 8 for any
 * kernel, drift operator and schedule, by closed form and by quadrature side by
 * side; the companion kernel's table; the fastest exp schedule. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "base/dl_error.h"
#include "base/parse.h"
#include "base/io.h"
#include "run/options.h"
#include "spectral/theory.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab theory [--config RUN/run.ini] [simulator keys] [options]\n\n"
            "Linear decay of the Fourier modes k = 2 pi n / L, n = 1..kmax, for the kernel,\n"
            "drift operator, bandwidth schedule, dimension and torus length given as for\n"
            "`driftlab sim` (--kernel --field --sigma --schedule --rate --sigma-min\n"
            "--anneal-time --dim --length --t-end, or a run's run.ini).  Prints gamma(k) by\n"
            "closed form and by quadrature (d <= 3), ln a_k(t_end)/a_k(0) along the schedule\n"
            "and the damping time T_eps (docs/THEORY.md).\n\n"
            "options:\n"
            "  --kmax N        largest mode number (default 16)\n"
            "  --eps E         damping factor for T_eps (default e^-1)\n"
            "  --t-step H      time step of theory-amplitudes.dat (default t-end / 200)\n"
            "  --write DIR     also write DIR/theory-{rates,amplitudes,tconv}.dat\n"
            "  --companion     print r, k(r) and the companion Phi(r) = int_r^inf t k(t) dt\n"
            "                  for r in [0, 5 sigma] instead (with --write: companion.dat)\n"
            "  --optimize-schedule\n"
            "                  the exp schedule (sigma0, rate, sigma-min) that damps modes\n"
            "                  1..kmax by eps in the least time, beside the best constant sigma\n");
}

typedef struct {
    int kmax, help, companion, optimize;
    double eps, t_step;
    const char *write_dir;
    dl_theory_model model; /* filled once the configuration is resolved */
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
        } else if (!strcmp(a, "--companion")) {
            o->companion = 1;
        } else if (!strcmp(a, "--optimize-schedule")) {
            o->optimize = 1;
        } else if (!strcmp(a, "--kmax")) {
            if (!v || cli_parse_long("kmax", v, &lv) || lv < 1 || lv > 100000)
                st = dl_error(DL_EINVAL, "--kmax needs an integer in [1, 100000] (K >= 1)");
            o->kmax = (int)lv;
            i++;
        } else if (!strcmp(a, "--eps")) {
            if (!v || dl_parse_double("eps", v, &o->eps) || !(o->eps > 0 && o->eps < 1))
                st = dl_error(DL_EINVAL, "--eps needs a number in (0, 1)");
            i++;
        } else if (!strcmp(a, "--t-step")) {
            if (!v || dl_parse_double("t-step", v, &o->t_step) || !(o->t_step > 0))
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
static int resolve_config(int n_rest, char **rest, dl_run_options *opts, dl_run_config *c)
{
    int want_help = 0;
    /* the particles' distributions play no part in the theory: neutral defaults
     * that are valid in every dimension */
    int st = dl_run_options_set(opts, "target", "normal");
    if (!st)
        st = dl_run_options_set(opts, "init", "normal");
    if (!st)
        st = dl_run_options_parse_args(opts, n_rest, rest, &want_help);
    if (!st)
        st = dl_run_config_resolve(opts, c);
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
static int theory_mode(const theory_options *o, const dl_run_config *c, double L, int n, double *worst,
                       theory_files *f)
{
    const dl_theory_model *m = &o->model;
    double k = 2 * M_PI * n / L, g, gn = NAN, T, lr;
    int st = dl_theory_model_rate(m, k, c->schedule.sigma0, &g);
    if (!st && m->dim <= 3)
        st = dl_theory_model_rate_numeric(m, k, c->schedule.sigma0, &gn);
    if (!st)
        st = dl_theory_model_damping_time(m, &c->schedule, k, o->eps, &T);
    if (!st)
        st = dl_theory_model_log_amplitude(m, &c->schedule, k, c->t_end, &lr);
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
        if ((st = dl_theory_model_log_amplitude(m, &c->schedule, k, t, &lr)))
            return st;
        fprintf(f->amps.fp, "%.8g %.8g %.8g %.10g\n", t, dl_schedule_sigma(&c->schedule, t), k, lr);
    }
    fputc('\n', f->amps.fp);
    return DL_OK;
}

static int theory_table(const theory_options *o, const dl_run_config *c, const dl_provenance *prov)
{
    const double L = c->domain.kind == DL_DOMAIN_TORUS ? c->domain.length : 2 * M_PI;
    theory_files f = {{0}, {0}, {0}};
    char line[200];
    snprintf(line, sizeof line, "kernel %s field %s dim %d length %.10g schedule %s sigma0 %.10g "
             "rate %.10g sigma_min %.10g eps %.6g",
             c->kernel->name, dl_operator_name(c->field), c->domain.dim, L,
             dl_schedule_kind_name(c->schedule.kind),
             c->schedule.sigma0, c->schedule.rate, c->schedule.sigma_min, o->eps);
    const char *extra[] = {line, NULL};
    int st = o->write_dir ? open_outputs(o->write_dir, prov, extra, &f) : DL_OK;
    if (!st) {
        printf("# %s\n", line);
        printf("%6s %10s %14s %14s %12s %14s\n", "n", "sigma0 k", "gamma closed", "gamma quadr.",
               "T_eps", "ln a(T)/a(0)");
    }
    double worst = 0;
    if (!st)
        st = dl_theory_model_check(&o->model);
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

/* r, k(r), Phi(r) and Phi(r) / sigma^2 for r in [0, 5 sigma] */
static int companion_table(const theory_options *o, const dl_run_config *c, const dl_provenance *prov)
{
    const double sigma = c->schedule.sigma0;
    const int dim = c->domain.dim;
    dl_atomic_file f = {0};
    char line[200], path[4200];
    snprintf(line, sizeof line, "kernel %s sigma %.10g dim %d: Phi(r) = int_r^inf t k(t) dt",
             c->kernel->name, sigma, dim);
    const char *extra[] = {line, NULL};
    int st = DL_OK;
    if (o->write_dir && !(st = dl_mkdir_p(o->write_dir))) {
        snprintf(path, sizeof path, "%s/companion.dat", o->write_dir);
        st = dl_dat_open(&f, path, prov, extra, "r k Phi Phi_over_sigma2");
    }
    if (!st)
        printf("# %s\n%12s %16s %16s %16s\n", line, "r", "k(r)", "Phi(r)", "Phi/sigma^2");
    for (int i = 0; !st && i <= 100; i++) {
        double r = 0.05 * sigma * i, phi, k = dl_kernel_value_at(c->kernel, r, sigma, dim);
        if ((st = dl_kernel_companion(c->kernel, r, sigma, dim, &phi)))
            break;
        printf("%12.6g %16.10g %16.10g %16.10g\n", r, k, phi, phi / (sigma * sigma));
        if (f.fp)
            fprintf(f.fp, "%.10g %.15g %.15g %.15g\n", r, k, phi, phi / (sigma * sigma));
    }
    if (!st && f.fp)
        st = dl_atomic_commit(&f);
    if (f.fp)
        dl_atomic_abort(&f);
    return st;
}

static int optimize_table(const theory_options *o, const dl_run_config *c, double L)
{
    dl_theory_optimum best;
    int st = dl_theory_optimize_schedule(&o->model, L, o->kmax, o->eps, &best);
    if (st)
        return st;
    printf("# kernel %s field %s dim %d length %.10g: damp modes 1..%d by eps = %.6g\n",
           c->kernel->name, dl_operator_name(c->field), c->domain.dim, L, o->kmax, o->eps);
    printf("exp schedule:   --schedule exp --sigma %.6g --rate %.6g --sigma-min %.6g   T = %.6g\n",
           best.schedule.sigma0, best.schedule.rate, best.schedule.sigma_min, best.time);
    printf("constant sigma: --schedule constant --sigma %.6g                          T = %.6g\n",
           best.const_sigma, best.const_time);
    printf("speed-up: %.4gx\n", best.const_time / best.time);
    return DL_OK;
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
    dl_run_options opts;
    dl_run_config c;
    dl_run_options_init(&opts);
    if (!st)
        st = resolve_config(n_rest, rest, &opts, &c);
    free(rest);
    if (!st && c.schedule.kind == DL_SCHEDULE_ADAPTIVE)
        st = dl_error(DL_EINVAL, "--schedule adaptive: sigma(t) follows the particles, so the "
                      "theory needs a run's record (driftlab spectrum RUN)");
    if (!st && !(o.t_step > 0))
        o.t_step = c.t_end / 200;
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), st ? 0 : c.seed};
    if (!st) {
        const double L = c.domain.kind == DL_DOMAIN_TORUS ? c.domain.length : 2 * M_PI;
        o.model = (dl_theory_model){c.kernel, c.field, c.domain.dim, pow(L, -c.domain.dim)};
        st = o.companion ? companion_table(&o, &c, &prov)
             : o.optimize ? optimize_table(&o, &c, L)
                          : theory_table(&o, &c, &prov);
    }
    dl_run_options_free(&opts);
    return st ? cli_fail("theory") : 0;
}
