/* driftlab spectrum RUN_DIR: the Fourier spectrum of a torus run's density at
 * every snapshot, delta_hat(k, t) = q_hat - p_hat against the target, a decay
 * rate per mode, damping times, and the linear theory beside every number. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "spectral/decay.h"
#include "base/dl_error.h"
#include "base/io.h"
#include "drift/snapshot.h"
#include "drift/metrics.h"
#include "sim_config.h"
#include "spectral/spectrum.h"
#include "spectral/theory.h"

typedef struct {
    const char *run;
    int grid, density_grid, kmax;
    dl_assignment assign;
    double t0, t1, eps;
    int quiet;
} spectrum_options;

/* One analysed wave number: a 1-D mode, or a 2-D |k| shell. */
typedef struct {
    int n;               /* mode number, or shell index round(|n|) */
    int seeded;          /* the initial condition perturbed it */
    double *amp;         /* |delta_hat| per snapshot */
    double *dre, *dim_;  /* delta_hat parts (1-D only) */
    double *qre, *qim;   /* q_hat parts (1-D only) */
    double *theory;      /* linear-theory amplitude per snapshot */
} wave;

typedef struct {
    char **paths;
    size_t count;
    double *t, *sigma;
    long *step;
} snapshot_list;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab spectrum RUN_DIR [options]\n\n"
            "Reads RUN_DIR/run.ini, RUN_DIR/target.dlsnap and RUN_DIR/snapshots/ of a 1-D or 2-D\n"
            "torus run; deposits every snapshot on a grid (CIC/TSC), FFTs it, divides out the\n"
            "assignment window and writes into RUN_DIR:\n"
            "  spectrum.dat  t sigma k amp amp_theory [delta_re delta_im q_re q_im] (1-D: modes;\n"
            "                2-D: |k| shells, amp = RMS |delta_hat| over the shell)\n"
            "  rates.dat     per-mode weighted least-squares decay rate beside gamma(k) (constant\n"
            "                bandwidth runs only)\n"
            "  tconv.dat     damping times T_eps(K), measured and theory (1-D, seeded modes)\n"
            "  heatmap.mat   |delta_hat(k, t)| as a gnuplot nonuniform matrix (x = k, y = t)\n"
            "  density-<step>.mat  (2-D) the density at the first, middle and last snapshot,\n"
            "                rebuilt from the modes |n| <= kmax\n\n"
            "options:\n"
            "  --grid G           cells per axis (default 65536 in 1-D, 512 in 2-D)\n"
            "  --assign tsc|cic   assignment window (default tsc)\n"
            "  --kmax K           largest mode / shell (default max(32, 2 x largest seeded) in 1-D,\n"
            "                     max(16, 2 x largest seeded) in 2-D)\n"
            "  --fit-window T0:T1 fit only these times (default: from the start until the\n"
            "                     amplitude falls to %g x the noise floor)\n"
            "  --eps E            damping factor for T_eps (default e^-1 = 0.3679)\n"
            "  --density-grid G   cells per axis of the 2-D density pictures (default 64)\n"
            "  --quiet            no table on stdout\n",
            DL_DECAY_FLOOR_FACTOR);
}

static int parse_int_option(const char *name, const char *text, int lo, int hi, int *out)
{
    long v;
    if (cli_parse_long(name, text, &v) || v < lo || v > hi)
        return dl_error(DL_EINVAL, "--%s must be an integer in [%d, %d], got '%s'", name, lo, hi,
                        text);
    *out = (int)v;
    return DL_OK;
}

static int parse_args(int argc, char **argv, spectrum_options *o, int *help)
{
    memset(o, 0, sizeof *o);
    o->assign = DL_ASSIGN_TSC;
    o->t0 = 0;
    o->t1 = INFINITY;
    o->eps = exp(-1.0);
    o->density_grid = 64;
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int st = DL_OK;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = 1;
            return DL_OK;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        } else if (a[0] == '-' && a[1] == '-') {
            static const char *const with_value[] = {"grid", "density-grid", "kmax", "assign",
                                                     "eps", "fit-window", NULL};
            if ((st = cli_option_value("spectrum", a, v, with_value)))
                return st;
            i++;
            if (!strcmp(a, "--grid"))
                st = parse_int_option("grid", v, 8, 1 << 24, &o->grid);
            else if (!strcmp(a, "--density-grid"))
                st = parse_int_option("density-grid", v, 8, 1024, &o->density_grid);
            else if (!strcmp(a, "--kmax"))
                st = parse_int_option("kmax", v, 1, 1 << 20, &o->kmax);
            else if (!strcmp(a, "--assign"))
                st = dl_assignment_parse(v, &o->assign);
            else if (!strcmp(a, "--eps")) {
                st = cli_parse_double("eps", v, &o->eps);
                if (!st && !(o->eps > 0 && o->eps < 1))
                    st = dl_error(DL_EINVAL, "--eps must be in (0, 1), got %g", o->eps);
            } else if (!strcmp(a, "--fit-window")) {
                char buf[128];
                snprintf(buf, sizeof buf, "%s", v);
                char *colon = strchr(buf, ':');
                if (colon)
                    *colon = '\0';
                if (!colon || cli_parse_double("fit-window", buf, &o->t0) ||
                    cli_parse_double("fit-window", colon + 1, &o->t1) || !(o->t1 > o->t0))
                    st = dl_error(DL_EINVAL, "--fit-window: '%s' is not T0:T1 with T0 < T1", v);
            } else
                st = dl_error(DL_EINVAL, "unknown option '%s' (see driftlab spectrum --help)", a);
        } else if (!o->run) {
            o->run = a;
        } else {
            st = dl_error(DL_EINVAL, "unexpected argument '%s'", a);
        }
        if (st)
            return st;
    }
    if (!o->run)
        return dl_error(DL_EINVAL, "no run directory given (see driftlab spectrum --help)");
    return DL_OK;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void snapshot_list_free(snapshot_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
    free(l->t);
    free(l->sigma);
    free(l->step);
    memset(l, 0, sizeof *l);
}

static int list_snapshots(const char *run, snapshot_list *l)
{
    memset(l, 0, sizeof *l);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/snapshots", run);
    DIR *d = opendir(dir);
    if (!d)
        return dl_error(DL_EIO, "run '%s' has no snapshots/ directory", run);
    size_t cap = 0;
    struct dirent *e;
    int st = DL_OK;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "snap-", 5) || len < 12 || strcmp(e->d_name + len - 7, ".dlsnap"))
            continue;
        if (l->count == cap) {
            cap = cap ? 2 * cap : 64;
            char **np = realloc(l->paths, cap * sizeof *np);
            if (!np) {
                st = dl_error(DL_ENOMEM, "out of memory listing snapshots");
                break;
            }
            l->paths = np;
        }
        size_t need = strlen(dir) + len + 2;
        if (!(l->paths[l->count] = malloc(need))) {
            st = dl_error(DL_ENOMEM, "out of memory listing snapshots");
            break;
        }
        snprintf(l->paths[l->count++], need, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (st)
        return st;
    if (l->count < 2)
        return dl_error(DL_EINVAL,
                        "run '%s' has %zu snapshot(s); a spectrum over time needs at least two "
                        "output times",
                        run, l->count);
    /* zero-padded step numbers: name order is time order */
    qsort(l->paths, l->count, sizeof *l->paths, compare_strings);
    l->t = calloc(l->count, sizeof *l->t);
    l->sigma = calloc(l->count, sizeof *l->sigma);
    l->step = calloc(l->count, sizeof *l->step);
    if (!l->t || !l->sigma || !l->step)
        return dl_error(DL_ENOMEM, "out of memory");
    return DL_OK;
}

static int is_seeded(const sim_config *c, const int *mode, int dim)
{
    if (c->init.kind != DL_DIST_MODES)
        return 0;
    for (int m = 0; m < c->init.n_modes; m++) {
        int same = 1, opposite = 1;
        for (int d = 0; d < dim; d++) {
            same &= c->init.mode[m][d] == mode[d];
            opposite &= c->init.mode[m][d] == -mode[d];
        }
        if (same || opposite)
            return 1;
    }
    return 0;
}

/* Mode vectors of a 2-D half plane, each (a, b) once with its -(a, b) left out. */
static int half_plane_modes(int kmax, int (**modes)[2], size_t *count)
{
    size_t cap = (size_t)(2 * kmax + 1) * (kmax + 1), n = 0;
    int(*m)[2] = malloc(cap * sizeof *m);
    if (!m)
        return dl_error(DL_ENOMEM, "out of memory");
    for (int a = -kmax; a <= kmax; a++)
        for (int b = 0; b <= kmax; b++) {
            if ((b == 0 && a <= 0) || a * a + b * b > (kmax + 0.5) * (kmax + 0.5))
                continue;
            m[n][0] = a;
            m[n][1] = b;
            n++;
        }
    *modes = m;
    *count = n;
    return DL_OK;
}

/* The density over its mean, rebuilt from the analysed modes:
 *     rho(x) = 1 + 2 Re sum_{half plane, |n| <= kmax} q_hat(n) exp(i k(n).x).
 * A few thousand particles deposited straight on a picture grid would show
 * mostly discreteness noise and lattice moire; the band-limited sum shows the
 * modes the dynamics acts on. */
static int write_density(const sim_config *c, const dl_provenance *prov, const char *run,
                         long step, double t, int grid, int kmax, const int (*modes)[2],
                         size_t n_modes, const double complex *qhat)
{
    char path[4300], line[160];
    snprintf(path, sizeof path, "%s/density-%08ld.mat", run, step);
    snprintf(line, sizeof line,
             "t = %.10g; density / mean from the modes |n| <= %d, on a %dx%d grid over "
             "[0, %.10g)^2",
             t, kmax, grid, grid, c->domain.length);
    const char *extra[] = {line, NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, prov, extra, "matrix: row = x2 cell, column = x1 cell");
    if (st)
        return st;
    const double kunit = 2 * M_PI / c->domain.length, h = c->domain.length / grid;
    for (int j = 0; j < grid; j++)
        for (int i = 0; i < grid; i++) {
            double x1 = (i + 0.5) * h, x2 = (j + 0.5) * h, rho = 1.0;
            for (size_t m = 0; m < n_modes; m++)
                rho += 2.0 * creal(qhat[m] * cexp(I * kunit * (modes[m][0] * x1 + modes[m][1] * x2)));
            fprintf(f.fp, "%.6g%c", rho, i + 1 < grid ? ' ' : '\n');
        }
    return dl_atomic_commit(&f);
}

int cmd_spectrum(int argc, char **argv)
{
    spectrum_options o;
    sim_options opts;
    sim_config c;
    snapshot_list snaps;
    dl_spectrum *sp = NULL;
    wave *waves = NULL;
    int(*modes)[2] = NULL;
    size_t n_modes = 0, n_waves = 0;
    double complex *ptarget = NULL;
    double *x = NULL;
    int help, st;
    sim_options_init(&opts);
    memset(&snaps, 0, sizeof snaps);

    if ((st = parse_args(argc, argv, &o, &help)))
        goto done;
    if (help) {
        usage(stdout);
        sim_options_free(&opts);
        return 0;
    }
    struct stat sb;
    if (stat(o.run, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        st = dl_error(DL_EIO, "run directory '%s' does not exist", o.run);
        goto done;
    }
    char path[4300];
    snprintf(path, sizeof path, "%s/run.ini", o.run);
    if ((st = sim_options_load_ini(&opts, path)) || (st = sim_config_resolve(&opts, &c)))
        goto done;
    const int dim = c.domain.dim;
    if (c.domain.kind != DL_DOMAIN_TORUS || dim > 2) {
        st = dl_error(DL_EINVAL, "run '%s' is not on a 1-D or 2-D torus (domain %s, dim %d)",
                      o.run, dl_domain_kind_name(c.domain.kind), dim);
        goto done;
    }
    if ((st = list_snapshots(o.run, &snaps)))
        goto done;
    if (!o.grid)
        o.grid = dim == 1 ? 1 << 16 : 512;
    int seeded_max = 0;
    if (c.init.kind == DL_DIST_MODES)
        for (int m = 0; m < c.init.n_modes; m++)
            for (int d = 0; d < dim; d++)
                seeded_max = abs(c.init.mode[m][d]) > seeded_max ? abs(c.init.mode[m][d]) : seeded_max;
    if (!o.kmax)
        o.kmax = dim == 1 ? (seeded_max * 2 > 32 ? seeded_max * 2 : 32)
                          : (seeded_max * 2 > 16 ? seeded_max * 2 : 16);
    if (o.kmax >= o.grid / 2) {
        st = dl_error(DL_EINVAL, "--kmax %d needs a grid above %d cells", o.kmax, 2 * o.kmax);
        goto done;
    }
    if ((st = dl_spectrum_create(&sp, &c.domain, o.grid, o.assign)))
        goto done;

    /* the target's spectrum, once */
    if (dim == 1) {
        n_modes = (size_t)o.kmax;
        modes = malloc(n_modes * sizeof *modes);
        if (!modes) {
            st = dl_error(DL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n_modes; i++)
            modes[i][0] = (int)i + 1, modes[i][1] = 0;
    } else if ((st = half_plane_modes(o.kmax, &modes, &n_modes))) {
        goto done;
    }
    {
        dl_snapshot_header h;
        snprintf(path, sizeof path, "%s/target.dlsnap", o.run);
        if ((st = dl_snapshot_read(path, &h, &x)))
            goto done;
        if ((int)h.dim != dim) {
            st = dl_error(DL_EFORMAT, "'%s' is %u-D, the run is %d-D", path, h.dim, dim);
            goto done;
        }
        if ((st = dl_spectrum_execute(sp, x, (size_t)h.count)))
            goto done;
        ptarget = malloc(n_modes * sizeof *ptarget);
        if (!ptarget) {
            st = dl_error(DL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n_modes; i++)
            dl_spectrum_coefficient(sp, modes[i], &ptarget[i]);
        free(x);
        x = NULL;
    }

    n_waves = (size_t)o.kmax;
    waves = calloc(n_waves, sizeof *waves);
    if (!waves) {
        st = dl_error(DL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t w = 0; w < n_waves; w++) {
        waves[w].n = (int)w + 1;
        waves[w].amp = calloc(snaps.count, sizeof(double));
        waves[w].theory = calloc(snaps.count, sizeof(double));
        waves[w].dre = calloc(snaps.count, sizeof(double));
        waves[w].dim_ = calloc(snaps.count, sizeof(double));
        waves[w].qre = calloc(snaps.count, sizeof(double));
        waves[w].qim = calloc(snaps.count, sizeof(double));
        if (!waves[w].amp || !waves[w].theory || !waves[w].dre || !waves[w].dim_ ||
            !waves[w].qre || !waves[w].qim) {
            st = dl_error(DL_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < n_modes; i++) {
        int shell = (int)lround(hypot(modes[i][0], modes[i][1]));
        if (shell >= 1 && shell <= o.kmax && is_seeded(&c, modes[i], dim))
            waves[shell - 1].seeded = 1;
    }

    /* noise floor at every snapshot: |delta_hat| of the modes the initial
     * condition left alone (discreteness noise, and whatever other modes feed) */
    double *unseeded = malloc(n_modes * sizeof(double));
    double *noise = calloc(snaps.count, sizeof(double));
    size_t n_unseeded = 0;
    double *shell_sum = calloc(n_waves, sizeof(double));
    int *shell_count = calloc(n_waves, sizeof(int));
    if (!unseeded || !noise || !shell_sum || !shell_count) {
        free(unseeded), free(noise), free(shell_sum), free(shell_count);
        st = dl_error(DL_ENOMEM, "out of memory");
        goto done;
    }
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), c.seed};
    double complex *qhat = malloc(n_modes * sizeof *qhat);
    if (!qhat) {
        st = dl_error(DL_ENOMEM, "out of memory");
        goto free_scratch;
    }
    cli_progress progress;
    cli_progress_start(&progress, o.quiet);
    for (size_t s = 0; s < snaps.count && !st; s++) {
        dl_snapshot_header h;
        if ((st = dl_snapshot_read(snaps.paths[s], &h, &x)))
            break;
        if ((int)h.dim != dim || h.domain_kind != DL_DOMAIN_TORUS) {
            st = dl_error(DL_EFORMAT, "snapshot '%s' does not match the run (dim %u)",
                          snaps.paths[s], h.dim);
            break;
        }
        snaps.t[s] = h.time;
        snaps.sigma[s] = h.sigma;
        snaps.step[s] = (long)h.step;
        if ((st = dl_spectrum_execute(sp, x, (size_t)h.count)))
            break;
        memset(shell_sum, 0, n_waves * sizeof(double));
        memset(shell_count, 0, n_waves * sizeof(int));
        n_unseeded = 0;
        for (size_t i = 0; i < n_modes; i++) {
            double complex q, d;
            dl_spectrum_coefficient(sp, modes[i], &q);
            d = q - ptarget[i];
            qhat[i] = q;
            int shell = (int)lround(hypot(modes[i][0], modes[i][1]));
            if (!is_seeded(&c, modes[i], dim))
                unseeded[n_unseeded++] = cabs(d);
            if (shell < 1 || shell > o.kmax)
                continue;
            wave *wv = &waves[shell - 1];
            if (dim == 1) {
                wv->amp[s] = cabs(d);
                wv->dre[s] = creal(d), wv->dim_[s] = cimag(d);
                wv->qre[s] = creal(q), wv->qim[s] = cimag(q);
            } else {
                shell_sum[shell - 1] += creal(d) * creal(d) + cimag(d) * cimag(d);
                shell_count[shell - 1]++;
            }
        }
        if (dim == 2)
            for (size_t w = 0; w < n_waves; w++)
                waves[w].amp[s] = shell_count[w] ? sqrt(shell_sum[w] / shell_count[w]) : NAN;
        if (n_unseeded == 0) {
            st = dl_error(DL_EINVAL,
                          "no unseeded modes up to --kmax %d to estimate the noise from", o.kmax);
            break;
        }
        /* below ~1e-13 the FFT path itself is the limit, not the particles */
        noise[s] = fmax(dl_decay_noise_from_median(dl_median(unseeded, n_unseeded)), 1e-13);
        if (dim == 2 && (s == 0 || s == snaps.count / 2 || s + 1 == snaps.count) &&
            (st = write_density(&c, &prov, o.run, snaps.step[s], snaps.t[s], o.density_grid,
                                o.kmax, (const int(*)[2])modes, n_modes, qhat)))
            break;
        free(x);
        x = NULL;
        char detail[64];
        snprintf(detail, sizeof detail, "t=%.4g", snaps.t[s]);
        cli_progress_update(&progress, s + 1, snaps.count, detail);
    }
    cli_progress_finish(&progress);
    if (st)
        goto free_scratch;

    /* linear theory beside every measurement */
    for (size_t w = 0; w < n_waves; w++) {
        double kmag = 2 * M_PI * waves[w].n / c.domain.length, l0;
        if ((st = dl_theory_log_amplitude(c.kernel, &c.schedule, kmag, dim, snaps.t[0], &l0)))
            goto free_scratch;
        for (size_t s = 0; s < snaps.count; s++) {
            double l;
            if ((st = dl_theory_log_amplitude(c.kernel, &c.schedule, kmag, dim, snaps.t[s], &l)))
                goto free_scratch;
            waves[w].theory[s] = waves[w].amp[0] * exp(l - l0);
        }
    }

    /* spectrum.dat */
    char noise_line[160], win_line[160];
    snprintf(noise_line, sizeof noise_line,
             "noise: per-component std of delta_hat from the median over %zu unseeded modes, "
             "per snapshot (t0: %.4g)",
             n_unseeded, noise[0]);
    snprintf(win_line, sizeof win_line, "grid %d, %s assignment, kernel %s, schedule %s, dim %d",
             o.grid, dl_assignment_name(o.assign), c.kernel->name,
             dl_schedule_kind_name(c.schedule.kind), dim);
    const char *extra[] = {noise_line, win_line, NULL};
    dl_atomic_file f;
    snprintf(path, sizeof path, "%s/spectrum.dat", o.run);
    if ((st = dl_dat_open(&f, path, &prov, extra,
                          dim == 1 ? "t sigma k amp amp_theory noise delta_re delta_im q_re q_im"
                                   : "t sigma k amp amp_theory noise")))
        goto free_scratch;
    for (size_t s = 0; s < snaps.count; s++) {
        for (size_t w = 0; w < n_waves; w++) {
            double kmag = 2 * M_PI * waves[w].n / c.domain.length;
            fprintf(f.fp, "%.10g %.10g %.10g %.10e %.10e %.4e", snaps.t[s], snaps.sigma[s], kmag,
                    waves[w].amp[s], waves[w].theory[s], noise[s]);
            if (dim == 1)
                fprintf(f.fp, " %.17g %.17g %.17g %.17g", waves[w].dre[s], waves[w].dim_[s],
                        waves[w].qre[s], waves[w].qim[s]);
            fputc('\n', f.fp);
        }
    }
    if ((st = dl_atomic_commit(&f)))
        goto free_scratch;

    /* heatmap.mat: nonuniform matrix, x = k, y = t */
    snprintf(path, sizeof path, "%s/heatmap.mat", o.run);
    const char *hm_extra[] = {"gnuplot: plot FILE nonuniform matrix using 1:2:3 with image", NULL};
    if ((st = dl_dat_open(&f, path, &prov, hm_extra, "first row: count, k...; then t, |delta_hat|...")))
        goto free_scratch;
    fprintf(f.fp, "%zu", n_waves);
    for (size_t w = 0; w < n_waves; w++)
        fprintf(f.fp, " %.10g", 2 * M_PI * waves[w].n / c.domain.length);
    fputc('\n', f.fp);
    for (size_t s = 0; s < snaps.count; s++) {
        fprintf(f.fp, "%.10g", snaps.t[s]);
        for (size_t w = 0; w < n_waves; w++)
            fprintf(f.fp, " %.6e", waves[w].amp[s]);
        fputc('\n', f.fp);
    }
    if ((st = dl_atomic_commit(&f)))
        goto free_scratch;

    /* rates.dat: a single rate describes a mode only at constant bandwidth */
    if (c.schedule.kind == DL_SCHEDULE_CONSTANT) {
        snprintf(path, sizeof path, "%s/rates.dat", o.run);
        char fit_line[160];
        snprintf(fit_line, sizeof fit_line,
                 "weighted least squares on ln amp over [%g, %g], stopped at %g x the noise of "
                 "spectrum.dat; sigma %.10g",
                 o.t0, o.t1, DL_DECAY_FLOOR_FACTOR, c.schedule.sigma0);
        const char *r_extra[] = {fit_line, NULL};
        if ((st = dl_dat_open(&f, path, &prov, r_extra,
                              "k gamma_measured stderr gamma_theory t0 t1 r2 points seeded "
                              "gamma_theory_euler")))
            goto free_scratch;
        if (!o.quiet)
            printf("%8s %12s %10s %12s %8s %12s %8s %12s\n", "k", "gamma_fit", "stderr",
                   "gamma_theory", "rel_err", "gamma_euler", "rel_err", "window");
        for (size_t w = 0; w < n_waves; w++) {
            double kmag = 2 * M_PI * waves[w].n / c.domain.length, g;
            dl_theory_rate(c.kernel, kmag, c.schedule.sigma0, dim, &g);
            /* explicit Euler multiplies a mode by (1 - gamma dt) per step */
            double ge = c.integrator == DL_INTEGRATOR_EULER && g * c.dt < 1
                            ? -log1p(-g * c.dt) / c.dt
                            : g;
            dl_decay_fit fit;
            int fst = dl_decay_fit_window(snaps.t, waves[w].amp, noise, snaps.count, o.t0, o.t1,
                                          &fit);
            dl_error_clear();
            fprintf(f.fp, "%.10g %.10g %.4g %.10g %.10g %.10g %.8f %zu %d %.10g\n", kmag,
                    fit.gamma, fit.stderr_gamma, g, fit.t0, fit.t1, fit.r2, fit.points,
                    waves[w].seeded, ge);
            if (!o.quiet && (waves[w].seeded || dim == 2)) {
                if (fst)
                    printf("%8.4g %12s %10s %12.6g %8s %12.6g %8s   (below noise)\n", kmag, "-",
                           "-", g, "-", ge, "-");
                else
                    printf("%8.4g %12.6g %10.2g %12.6g %+7.2f%% %12.6g %+7.2f%%  [%g, %g]\n", kmag,
                           fit.gamma, fit.stderr_gamma, g, 100 * (fit.gamma - g) / g, ge,
                           100 * (fit.gamma - ge) / ge, fit.t0, fit.t1);
            }
        }
        if ((st = dl_atomic_commit(&f)))
            goto free_scratch;
    } else if (!o.quiet) {
        printf("bandwidth is annealed: no constant rate per mode; spectrum.dat has the "
               "annealed theory (amp_theory) beside every amplitude\n");
    }

    /* tconv.dat: T_eps(K) over the contiguous seeded modes 1..K (1-D) */
    if (dim == 1) {
        snprintf(path, sizeof path, "%s/tconv.dat", o.run);
        char eps_line[96];
        snprintf(eps_line, sizeof eps_line,
                 "T_eps(K): first time every seeded mode k <= K is below eps = %.6g of its start",
                 o.eps);
        const char *t_extra[] = {eps_line, NULL};
        if ((st = dl_dat_open(&f, path, &prov, t_extra,
                              "K T_measured T_theory T_k_measured T_k_theory")))
            goto free_scratch;
        double worst_meas = 0, worst_theory = 0;
        for (size_t w = 0; w < n_waves && waves[w].seeded; w++) {
            double kmag = 2 * M_PI * waves[w].n / c.domain.length, tk_theory;
            double tk = dl_decay_crossing_time(snaps.t, waves[w].amp, snaps.count, o.eps);
            if ((st = dl_theory_damping_time(c.kernel, &c.schedule, kmag, dim, o.eps, &tk_theory)))
                goto free_scratch;
            worst_meas = isnan(tk) || isnan(worst_meas) ? NAN : fmax(worst_meas, tk);
            worst_theory = fmax(worst_theory, tk_theory);
            fprintf(f.fp, "%d %.10g %.10g %.10g %.10g\n", waves[w].n, worst_meas, worst_theory,
                    tk, tk_theory);
        }
        if ((st = dl_atomic_commit(&f)))
            goto free_scratch;
    }

    /* the FFT path against the simulator's direct sums, where both exist */
    if (dim == 1) {
        snprintf(path, sizeof path, "%s/modes.dat", o.run);
        FILE *mf = fopen(path, "r");
        double worst = 0;
        size_t compared = 0;
        char line[512];
        while (mf && fgets(line, sizeof line, mf)) {
            double t, sg, k, re, im, amp;
            if (line[0] == '#' || sscanf(line, "%lf %lf %lf %lf %lf %lf", &t, &sg, &k, &re, &im,
                                         &amp) != 6)
                continue;
            int n = (int)lround(k * c.domain.length / (2 * M_PI));
            if (n < 1 || n > o.kmax)
                continue;
            for (size_t s = 0; s < snaps.count; s++)
                if (fabs(snaps.t[s] - t) < 1e-9 * fmax(1.0, t) &&
                    amp > DL_DECAY_FLOOR_FACTOR * noise[s]) {
                    double dre = waves[n - 1].qre[s] - re, dimg = waves[n - 1].qim[s] - im;
                    worst = fmax(worst, hypot(dre, dimg) / amp);
                    compared++;
                }
        }
        if (mf)
            fclose(mf);
        if (!o.quiet && compared)
            printf("FFT path vs direct sums (modes.dat): max relative difference %.3g over %zu "
                   "mode-times above the noise floor\n",
                   worst, compared);
    }
    if (!o.quiet)
        printf("noise floor %.3g at t0, %.3g at the end; wrote %s/{spectrum.dat,heatmap.mat%s%s%s}\n",
               noise[0], noise[snaps.count - 1], o.run,
               c.schedule.kind == DL_SCHEDULE_CONSTANT ? ",rates.dat" : "",
               dim == 1 ? ",tconv.dat" : "", dim == 2 ? ",density-*.mat" : "");

free_scratch:
    free(qhat);
    free(unseeded);
    free(noise);
    free(shell_sum);
    free(shell_count);
done:
    for (size_t w = 0; waves && w < n_waves; w++) {
        free(waves[w].amp);
        free(waves[w].theory);
        free(waves[w].dre);
        free(waves[w].dim_);
        free(waves[w].qre);
        free(waves[w].qim);
    }
    free(waves);
    free(modes);
    free(ptarget);
    free(x);
    dl_spectrum_destroy(sp);
    snapshot_list_free(&snaps);
    sim_options_free(&opts);
    return st ? cli_fail("spectrum") : 0;
}
