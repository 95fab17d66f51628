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

int cmd_theory(int argc, char **argv)
{
    sim_options opts;
    sim_config c;
    sim_options_init(&opts);
    int kmax = 16, help = 0, st = DL_OK;
    double eps = exp(-1.0), t_step = 0;
    const char *write_dir = NULL;
    /* theory's own options first; everything else is a simulator key */
    char **rest = malloc((size_t)argc * sizeof *rest);
    int n_rest = 0;
    if (!rest)
        return dl_error(DL_ENOMEM, "out of memory"), cli_fail("theory");
    for (int i = 1; i < argc && !st; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long lv;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help = 1;
        } else if (!strcmp(a, "--kmax")) {
            if (!v || cli_parse_long("kmax", v, &lv) || lv < 1 || lv > 100000)
                st = dl_error(DL_EINVAL, "--kmax needs an integer in [1, 100000]");
            kmax = (int)lv;
            i++;
        } else if (!strcmp(a, "--eps")) {
            if (!v || cli_parse_double("eps", v, &eps) || !(eps > 0 && eps < 1))
                st = dl_error(DL_EINVAL, "--eps needs a number in (0, 1)");
            i++;
        } else if (!strcmp(a, "--t-step")) {
            if (!v || cli_parse_double("t-step", v, &t_step) || !(t_step > 0))
                st = dl_error(DL_EINVAL, "--t-step needs a positive number");
            i++;
        } else if (!strcmp(a, "--write")) {
            if (!v)
                st = dl_error(DL_EINVAL, "--write needs a directory");
            write_dir = v;
            i++;
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    if (!st && help) {
        usage(stdout);
        free(rest);
        return 0;
    }
    int want_help = 0;
    /* the particles' distributions play no part in the theory: neutral defaults
     * that are valid in every dimension */
    if (!st)
        st = sim_options_set(&opts, "target", "normal");
    if (!st)
        st = sim_options_set(&opts, "init", "normal");
    if (!st)
        st = sim_options_parse_args(&opts, n_rest, rest, &want_help);
    free(rest);
    if (!st)
        st = sim_config_resolve(&opts, &c);
    if (!st && !c.kernel->rate)
        st = dl_error(DL_EUNSUPPORTED, "kernel '%s' has no closed-form rate", c.kernel->name);
    if (st) {
        sim_options_free(&opts);
        return cli_fail("theory");
    }
    const int dim = c.domain.dim;
    const double L = c.domain.kind == DL_DOMAIN_TORUS ? c.domain.length : 2 * M_PI;
    if (!(t_step > 0))
        t_step = c.t_end / 200;

    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), c.seed};
    dl_atomic_file rates = {0}, amps = {0}, tconv = {0};
    char path[4200], line[200];
    snprintf(line, sizeof line, "kernel %s dim %d length %.10g schedule %s sigma0 %.10g rate %.10g "
             "sigma_min %.10g eps %.6g",
             c.kernel->name, dim, L, dl_schedule_kind_name(c.schedule.kind), c.schedule.sigma0,
             c.schedule.rate, c.schedule.sigma_min, eps);
    const char *extra[] = {line, NULL};
    if (write_dir) {
        if ((st = dl_mkdir_p(write_dir)))
            goto fail;
        snprintf(path, sizeof path, "%s/theory-rates.dat", write_dir);
        if ((st = dl_dat_open(&rates, path, &prov, extra,
                              "n k sigma0_k gamma_closed gamma_numeric T_eps log_ratio_t_end")))
            goto fail;
        snprintf(path, sizeof path, "%s/theory-amplitudes.dat", write_dir);
        if ((st = dl_dat_open(&amps, path, &prov, extra, "t sigma k log_ratio")))
            goto fail;
        snprintf(path, sizeof path, "%s/theory-tconv.dat", write_dir);
        if ((st = dl_dat_open(&tconv, path, &prov, extra, "K T_eps_K")))
            goto fail;
    }
    printf("# %s\n", line);
    printf("%6s %10s %14s %14s %12s %14s\n", "n", "sigma0 k", "gamma closed", "gamma quadr.",
           "T_eps", "ln a(T)/a(0)");
    double worst = 0;
    for (int n = 1; n <= kmax; n++) {
        double k = 2 * M_PI * n / L, g, gn = NAN, T, lr;
        if ((st = dl_theory_rate(c.kernel, k, c.schedule.sigma0, dim, &g)))
            goto fail;
        if (dim <= 3 && (st = dl_theory_rate_numeric(c.kernel, k, c.schedule.sigma0, dim, &gn)))
            goto fail;
        if ((st = dl_theory_damping_time(c.kernel, &c.schedule, k, dim, eps, &T)) ||
            (st = dl_theory_log_amplitude(c.kernel, &c.schedule, k, dim, c.t_end, &lr)))
            goto fail;
        worst = fmax(worst, T);
        printf("%6d %10.4g %14.8g %14.8g %12.5g %14.6g\n", n, c.schedule.sigma0 * k, g, gn, T, lr);
        if (write_dir) {
            fprintf(rates.fp, "%d %.10g %.10g %.12g %.12g %.10g %.10g\n", n, k,
                    c.schedule.sigma0 * k, g, gn, T, lr);
            fprintf(tconv.fp, "%d %.10g\n", n, worst);
            for (double t = 0; t <= c.t_end + 1e-9; t += t_step) {
                if ((st = dl_theory_log_amplitude(c.kernel, &c.schedule, k, dim, t, &lr)))
                    goto fail;
                fprintf(amps.fp, "%.8g %.8g %.8g %.10g\n", t, dl_schedule_sigma(&c.schedule, t), k,
                        lr);
            }
            fputc('\n', amps.fp);
        }
    }
    if (write_dir && ((st = dl_atomic_commit(&rates)) || (st = dl_atomic_commit(&amps)) ||
                      (st = dl_atomic_commit(&tconv))))
        goto fail;
    sim_options_free(&opts);
    return 0;
fail:
    if (rates.fp)
        dl_atomic_abort(&rates);
    if (amps.fp)
        dl_atomic_abort(&amps);
    if (tconv.fp)
        dl_atomic_abort(&tconv);
    sim_options_free(&opts);
    return cli_fail("theory");
}
