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
#include "base/parse.h"
#include "base/io.h"
#include "drift/snapshot.h"
#include "drift/metrics.h"
#include "cmd_imgspectrum.h"
#include "run/options.h"
#include "snapshot_list.h"
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


static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab spectrum RUN_DIR [options]\n"
            "       driftlab spectrum --images A.idx.gz [--reference B.idx.gz] ...  (image sets:\n"
            "       power per radial frequency shell; driftlab spectrum --images x --help)\n\n"
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
                st = dl_parse_double("eps", v, &o->eps);
                if (!st && !(o->eps > 0 && o->eps < 1))
                    st = dl_error(DL_EINVAL, "--eps must be in (0, 1), got %g", o->eps);
            } else if (!strcmp(a, "--fit-window")) {
                char buf[128];
                snprintf(buf, sizeof buf, "%s", v);
                char *colon = strchr(buf, ':');
                if (colon)
                    *colon = '\0';
                if (!colon || dl_parse_double("fit-window", buf, &o->t0) ||
                    dl_parse_double("fit-window", colon + 1, &o->t1) || !(o->t1 > o->t0))
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

static int is_seeded(const dl_run_config *c, const int *mode, int dim)
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
static int write_density(const dl_run_config *c, const dl_provenance *prov, const char *run,
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

/* One analysis: the run's configuration, its snapshots, the spectrum plan,
 * the analysed modes and waves, and the noise floor per snapshot. */
typedef struct {
    spectrum_options o;
    dl_run_options opts;
    dl_run_config c;
    int dim;
    dl_provenance prov;
    snapshot_list snaps;
    dl_spectrum *sp;
    int (*modes)[2];          /* the modes measured: 1..kmax, or a 2-D half plane */
    size_t n_modes, n_waves;
    double complex *ptarget;  /* the target's p_hat per mode */
    double complex *qhat;     /* the current snapshot's q_hat per mode */
    wave *waves;              /* kmax of them */
    double *noise;            /* per snapshot */
    size_t n_unseeded;        /* modes the noise floor is estimated from */
    double *unseeded, *shell_sum;
    int *shell_count;
} spectrum_run;

static double wave_k(const spectrum_run *r, size_t w)
{
    return 2 * M_PI * r->waves[w].n / r->c.domain.length;
}

/* The run's configuration from run.ini, its snapshots, grid and kmax. */
static int load_run(spectrum_run *r)
{
    spectrum_options *o = &r->o;
    struct stat sb;
    if (stat(o->run, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return dl_error(DL_EIO, "run directory '%s' does not exist", o->run);
    char path[4300];
    snprintf(path, sizeof path, "%s/run.ini", o->run);
    int st = dl_run_options_load_ini(&r->opts, path);
    if (st || (st = dl_run_config_resolve(&r->opts, &r->c)))
        return st;
    const dl_run_config *c = &r->c;
    const int dim = r->dim = c->domain.dim;
    if (c->image_rows) /* an image run: its own analyzer (cmd_imgspectrum.c) */
        return DL_OK;
    if (c->domain.kind != DL_DOMAIN_TORUS || dim > 2)
        return dl_error(DL_EINVAL, "run '%s' is not on a 1-D or 2-D torus (domain %s, dim %d)",
                        o->run, dl_domain_kind_name(c->domain.kind), dim);
    if ((st = snapshot_list_read(o->run, &r->snaps)))
        return st;
    if (!o->grid)
        o->grid = dim == 1 ? 1 << 16 : 512;
    int seeded_max = 0;
    if (c->init.kind == DL_DIST_MODES)
        for (int m = 0; m < c->init.n_modes; m++)
            for (int d = 0; d < dim; d++)
                seeded_max = abs(c->init.mode[m][d]) > seeded_max ? abs(c->init.mode[m][d]) : seeded_max;
    if (!o->kmax)
        o->kmax = dim == 1 ? (seeded_max * 2 > 32 ? seeded_max * 2 : 32)
                           : (seeded_max * 2 > 16 ? seeded_max * 2 : 16);
    if (o->kmax >= o->grid / 2)
        return dl_error(DL_EINVAL, "--kmax %d needs a grid above %d cells", o->kmax, 2 * o->kmax);
    return dl_spectrum_create(&r->sp, &c->domain, o->grid, o->assign);
}

/* The modes to measure and the target's spectrum at them, once. */
static int target_spectrum(spectrum_run *r)
{
    int st = DL_OK;
    if (r->dim == 1) {
        r->n_modes = (size_t)r->o.kmax;
        if (!(r->modes = malloc(r->n_modes * sizeof *r->modes)))
            return dl_error(DL_ENOMEM, "out of memory");
        for (size_t i = 0; i < r->n_modes; i++)
            r->modes[i][0] = (int)i + 1, r->modes[i][1] = 0;
    } else if ((st = half_plane_modes(r->o.kmax, &r->modes, &r->n_modes)))
        return st;
    dl_snapshot_header h;
    double *x = NULL;
    char path[4300];
    snprintf(path, sizeof path, "%s/target.dlsnap", r->o.run);
    if ((st = dl_snapshot_read(path, &h, &x)))
        return st;
    if ((int)h.dim != r->dim)
        st = dl_error(DL_EFORMAT, "'%s' is %u-D, the run is %d-D", path, h.dim, r->dim);
    if (!st)
        st = dl_spectrum_execute(r->sp, x, (size_t)h.count);
    free(x);
    if (!st && !(r->ptarget = malloc(r->n_modes * sizeof *r->ptarget)))
        st = dl_error(DL_ENOMEM, "out of memory");
    for (size_t i = 0; !st && i < r->n_modes; i++)
        dl_spectrum_coefficient(r->sp, r->modes[i], &r->ptarget[i]);
    return st;
}

static int alloc_waves(spectrum_run *r)
{
    const size_t ns = r->snaps.count;
    r->n_waves = (size_t)r->o.kmax;
    if (!(r->waves = calloc(r->n_waves, sizeof *r->waves)))
        return dl_error(DL_ENOMEM, "out of memory");
    for (size_t w = 0; w < r->n_waves; w++) {
        wave *wv = &r->waves[w];
        wv->n = (int)w + 1;
        wv->amp = calloc(ns, sizeof(double)), wv->theory = calloc(ns, sizeof(double));
        wv->dre = calloc(ns, sizeof(double)), wv->dim_ = calloc(ns, sizeof(double));
        wv->qre = calloc(ns, sizeof(double)), wv->qim = calloc(ns, sizeof(double));
        if (!wv->amp || !wv->theory || !wv->dre || !wv->dim_ || !wv->qre || !wv->qim)
            return dl_error(DL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->n_modes; i++) {
        int shell = (int)lround(hypot(r->modes[i][0], r->modes[i][1]));
        if (shell >= 1 && shell <= r->o.kmax && is_seeded(&r->c, r->modes[i], r->dim))
            r->waves[shell - 1].seeded = 1;
    }
    r->unseeded = malloc(r->n_modes * sizeof(double));
    r->noise = calloc(ns, sizeof(double));
    r->shell_sum = calloc(r->n_waves, sizeof(double));
    r->shell_count = calloc(r->n_waves, sizeof(int));
    r->qhat = malloc(r->n_modes * sizeof *r->qhat);
    if (!r->unseeded || !r->noise || !r->shell_sum || !r->shell_count || !r->qhat)
        return dl_error(DL_ENOMEM, "out of memory");
    return DL_OK;
}

/* Snapshot s's delta_hat per mode into the waves (1-D: the mode; 2-D: the
 * rms over its |k| shell), and its noise floor: |delta_hat| of the modes the
 * initial condition left alone (discreteness noise, and whatever other modes
 * feed). */
static int measure_modes(spectrum_run *r, size_t s)
{
    const int dim = r->dim;
    memset(r->shell_sum, 0, r->n_waves * sizeof(double));
    memset(r->shell_count, 0, r->n_waves * sizeof(int));
    r->n_unseeded = 0;
    for (size_t i = 0; i < r->n_modes; i++) {
        double complex q, d;
        dl_spectrum_coefficient(r->sp, r->modes[i], &q);
        d = q - r->ptarget[i];
        r->qhat[i] = q;
        int shell = (int)lround(hypot(r->modes[i][0], r->modes[i][1]));
        if (!is_seeded(&r->c, r->modes[i], dim))
            r->unseeded[r->n_unseeded++] = cabs(d);
        if (shell < 1 || shell > r->o.kmax)
            continue;
        wave *wv = &r->waves[shell - 1];
        if (dim == 1) {
            wv->amp[s] = cabs(d);
            wv->dre[s] = creal(d), wv->dim_[s] = cimag(d);
            wv->qre[s] = creal(q), wv->qim[s] = cimag(q);
        } else {
            r->shell_sum[shell - 1] += creal(d) * creal(d) + cimag(d) * cimag(d);
            r->shell_count[shell - 1]++;
        }
    }
    if (dim == 2)
        for (size_t w = 0; w < r->n_waves; w++)
            r->waves[w].amp[s] = r->shell_count[w] ? sqrt(r->shell_sum[w] / r->shell_count[w]) : NAN;
    if (r->n_unseeded == 0)
        return dl_error(DL_EINVAL, "no unseeded modes up to --kmax %d to estimate the noise from",
                        r->o.kmax);
    /* below ~1e-13 the FFT path itself is the limit, not the particles */
    r->noise[s] = fmax(dl_decay_noise_from_median(dl_median(r->unseeded, r->n_unseeded)), 1e-13);
    return DL_OK;
}

static int measure_snapshot(spectrum_run *r, size_t s)
{
    snapshot_list *sn = &r->snaps;
    dl_snapshot_header h;
    double *x = NULL;
    int st = dl_snapshot_read(sn->paths[s], &h, &x);
    if (st)
        return st;
    if ((int)h.dim != r->dim || h.domain_kind != DL_DOMAIN_TORUS)
        st = dl_error(DL_EFORMAT, "snapshot '%s' does not match the run (dim %u)", sn->paths[s], h.dim);
    sn->t[s] = h.time, sn->sigma[s] = h.sigma, sn->step[s] = (long)h.step;
    if (!st)
        st = dl_spectrum_execute(r->sp, x, (size_t)h.count);
    free(x);
    if (!st)
        st = measure_modes(r, s);
    if (!st && r->dim == 2 && (s == 0 || s == sn->count / 2 || s + 1 == sn->count))
        st = write_density(&r->c, &r->prov, r->o.run, sn->step[s], sn->t[s], r->o.density_grid,
                           r->o.kmax, (const int(*)[2])r->modes, r->n_modes, r->qhat);
    return st;
}

static int measure_all(spectrum_run *r)
{
    cli_progress progress;
    cli_progress_start(&progress, r->o.quiet);
    int st = DL_OK;
    for (size_t s = 0; s < r->snaps.count && !st; s++) {
        if ((st = measure_snapshot(r, s)))
            break;
        char detail[64];
        snprintf(detail, sizeof detail, "t=%.4g", r->snaps.t[s]);
        cli_progress_update(&progress, s + 1, r->snaps.count, detail);
    }
    cli_progress_finish(&progress);
    return st;
}

/* the run's kernel and operator around its uniform density 1/L^d */
static dl_theory_model spectrum_model(const spectrum_run *r)
{
    const dl_theory_model m = {r->c.kernel, r->c.field, r->dim, pow(r->c.domain.length, -r->dim)};
    return m;
}

/* An adaptive run's theory follows the sigma(t) its snapshots recorded:
 * a tabulated schedule through them (linear in ln sigma between snapshots,
 * where the run held sigma piecewise constant between adaptations). */
static int recorded_schedule(spectrum_run *r)
{
    dl_schedule_table *tab = &r->c.schedule_table;
    const size_t stride = (r->snaps.count + DL_SCHEDULE_TABLE_MAX - 1) / DL_SCHEDULE_TABLE_MAX;
    tab->n = 0;
    for (size_t s = 0; s < r->snaps.count; s += stride) {
        if (tab->n && !(r->snaps.t[s] > tab->t[tab->n - 1]))
            continue;
        if (!(r->snaps.sigma[s] > 0))
            return dl_error(DL_EFORMAT, "snapshot %zu records sigma %g", s, r->snaps.sigma[s]);
        tab->t[tab->n] = r->snaps.t[s];
        tab->log_sigma[tab->n++] = log(r->snaps.sigma[s]);
    }
    return dl_schedule_init_table(&r->c.schedule, tab);
}

/* linear theory beside every measurement */
static int add_theory(spectrum_run *r)
{
    const dl_run_config *c = &r->c;
    int rst = c->schedule.kind == DL_SCHEDULE_ADAPTIVE ? recorded_schedule(r) : DL_OK;
    if (rst)
        return rst;
    for (size_t w = 0; w < r->n_waves; w++) {
        double kmag = wave_k(r, w), l0;
        const dl_theory_model m = spectrum_model(r);
        int st = dl_theory_model_log_amplitude(&m, &c->schedule, kmag, r->snaps.t[0], &l0);
        for (size_t s = 0; !st && s < r->snaps.count; s++) {
            double l;
            st = dl_theory_model_log_amplitude(&m, &c->schedule, kmag, r->snaps.t[s], &l);
            r->waves[w].theory[s] = r->waves[w].amp[0] * exp(l - l0);
        }
        if (st)
            return st;
    }
    return DL_OK;
}

static int write_spectrum_dat(const spectrum_run *r)
{
    const int dim = r->dim;
    char path[4300], noise_line[160], win_line[160];
    snprintf(noise_line, sizeof noise_line,
             "noise: per-component std of delta_hat from the median over %zu unseeded modes, "
             "per snapshot (t0: %.4g)",
             r->n_unseeded, r->noise[0]);
    snprintf(win_line, sizeof win_line, "grid %d, %s assignment, kernel %s, schedule %s, dim %d",
             r->o.grid, dl_assignment_name(r->o.assign), r->c.kernel->name,
             dl_schedule_kind_name(r->c.schedule.kind), dim);
    const char *extra[] = {noise_line, win_line, NULL};
    dl_atomic_file f;
    snprintf(path, sizeof path, "%s/spectrum.dat", r->o.run);
    int st = dl_dat_open(&f, path, &r->prov, extra,
                         dim == 1 ? "t sigma k amp amp_theory noise delta_re delta_im q_re q_im"
                                  : "t sigma k amp amp_theory noise");
    if (st)
        return st;
    for (size_t s = 0; s < r->snaps.count; s++)
        for (size_t w = 0; w < r->n_waves; w++) {
            const wave *wv = &r->waves[w];
            fprintf(f.fp, "%.10g %.10g %.10g %.10e %.10e %.4e", r->snaps.t[s], r->snaps.sigma[s],
                    wave_k(r, w), wv->amp[s], wv->theory[s], r->noise[s]);
            if (dim == 1)
                fprintf(f.fp, " %.17g %.17g %.17g %.17g", wv->dre[s], wv->dim_[s], wv->qre[s], wv->qim[s]);
            fputc('\n', f.fp);
        }
    return dl_atomic_commit(&f);
}

/* heatmap.mat: nonuniform matrix, x = k, y = t */
static int write_heatmap(const spectrum_run *r)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/heatmap.mat", r->o.run);
    const char *extra[] = {"gnuplot: plot FILE nonuniform matrix using 1:2:3 with image", NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, &r->prov, extra, "first row: count, k...; then t, |delta_hat|...");
    if (st)
        return st;
    fprintf(f.fp, "%zu", r->n_waves);
    for (size_t w = 0; w < r->n_waves; w++)
        fprintf(f.fp, " %.10g", wave_k(r, w));
    fputc('\n', f.fp);
    for (size_t s = 0; s < r->snaps.count; s++) {
        fprintf(f.fp, "%.10g", r->snaps.t[s]);
        for (size_t w = 0; w < r->n_waves; w++)
            fprintf(f.fp, " %.6e", r->waves[w].amp[s]);
        fputc('\n', f.fp);
    }
    return dl_atomic_commit(&f);
}

/* One rates.dat row for wave w, and its line on stdout. */
static void fit_rate(const spectrum_run *r, size_t w, FILE *fp)
{
    const dl_run_config *c = &r->c;
    const wave *wv = &r->waves[w];
    double kmag = wave_k(r, w), g = NAN;
    const dl_theory_model m = spectrum_model(r);
    dl_theory_model_rate(&m, kmag, c->schedule.sigma0, &g);
    /* explicit Euler multiplies a mode by (1 - gamma dt) per step */
    double ge = c->integrator == DL_INTEGRATOR_EULER && g * c->dt < 1 ? -log1p(-g * c->dt) / c->dt : g;
    dl_decay_fit fit;
    int fst = dl_decay_fit_window(r->snaps.t, wv->amp, r->noise, r->snaps.count, r->o.t0, r->o.t1, &fit);
    dl_error_clear();
    fprintf(fp, "%.10g %.10g %.4g %.10g %.10g %.10g %.8f %zu %d %.10g\n", kmag, fit.gamma,
            fit.stderr_gamma, g, fit.t0, fit.t1, fit.r2, fit.points, wv->seeded, ge);
    if (r->o.quiet || !(wv->seeded || r->dim == 2))
        return;
    if (fst)
        printf("%8.4g %12s %10s %12.6g %8s %12.6g %8s   (below noise)\n", kmag, "-", "-", g, "-", ge, "-");
    else
        printf("%8.4g %12.6g %10.2g %12.6g %+7.2f%% %12.6g %+7.2f%%  [%g, %g]\n", kmag, fit.gamma,
               fit.stderr_gamma, g, 100 * (fit.gamma - g) / g, ge, 100 * (fit.gamma - ge) / ge,
               fit.t0, fit.t1);
}

/* rates.dat: a single rate describes a mode only at constant bandwidth */
static int write_rates(const spectrum_run *r)
{
    if (r->c.schedule.kind != DL_SCHEDULE_CONSTANT) {
        if (!r->o.quiet)
            printf("bandwidth is annealed: no constant rate per mode; spectrum.dat has the "
                   "annealed theory (amp_theory) beside every amplitude\n");
        return DL_OK;
    }
    char path[4300], fit_line[160];
    snprintf(path, sizeof path, "%s/rates.dat", r->o.run);
    snprintf(fit_line, sizeof fit_line,
             "weighted least squares on ln amp over [%g, %g], stopped at %g x the noise of "
             "spectrum.dat; sigma %.10g",
             r->o.t0, r->o.t1, DL_DECAY_FLOOR_FACTOR, r->c.schedule.sigma0);
    const char *extra[] = {fit_line, NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, &r->prov, extra,
                         "k gamma_measured stderr gamma_theory t0 t1 r2 points seeded "
                         "gamma_theory_euler");
    if (st)
        return st;
    if (!r->o.quiet)
        printf("%8s %12s %10s %12s %8s %12s %8s %12s\n", "k", "gamma_fit", "stderr",
               "gamma_theory", "rel_err", "gamma_euler", "rel_err", "window");
    for (size_t w = 0; w < r->n_waves; w++)
        fit_rate(r, w, f.fp);
    return dl_atomic_commit(&f);
}

/* tconv.dat: T_eps(K) over the contiguous seeded modes 1..K (1-D) */
static int write_tconv(const spectrum_run *r)
{
    char path[4300], eps_line[96];
    snprintf(path, sizeof path, "%s/tconv.dat", r->o.run);
    snprintf(eps_line, sizeof eps_line,
             "T_eps(K): first time every seeded mode k <= K is below eps = %.6g of its start", r->o.eps);
    const char *extra[] = {eps_line, NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, &r->prov, extra, "K T_measured T_theory T_k_measured T_k_theory");
    if (st)
        return st;
    double worst_meas = 0, worst_theory = 0;
    for (size_t w = 0; w < r->n_waves && r->waves[w].seeded; w++) {
        double tk_theory;
        double tk = dl_decay_crossing_time(r->snaps.t, r->waves[w].amp, r->snaps.count, r->o.eps);
        const dl_theory_model m = spectrum_model(r);
        if ((st = dl_theory_model_damping_time(&m, &r->c.schedule, wave_k(r, w), r->o.eps,
                                               &tk_theory))) {
            dl_atomic_abort(&f);
            return st;
        }
        worst_meas = isnan(tk) || isnan(worst_meas) ? NAN : fmax(worst_meas, tk);
        worst_theory = fmax(worst_theory, tk_theory);
        fprintf(f.fp, "%d %.10g %.10g %.10g %.10g\n", r->waves[w].n, worst_meas, worst_theory, tk,
                tk_theory);
    }
    return dl_atomic_commit(&f);
}

/* the FFT path against the simulator's direct sums (modes.dat, 1-D) */
static void compare_direct(const spectrum_run *r)
{
    char path[4300], line[512];
    snprintf(path, sizeof path, "%s/modes.dat", r->o.run);
    FILE *mf = fopen(path, "r");
    double worst = 0;
    size_t compared = 0;
    while (mf && fgets(line, sizeof line, mf)) {
        double t, sg, k, re, im, amp;
        if (line[0] == '#' || sscanf(line, "%lf %lf %lf %lf %lf %lf", &t, &sg, &k, &re, &im, &amp) != 6)
            continue;
        int n = (int)lround(k * r->c.domain.length / (2 * M_PI));
        if (n < 1 || n > r->o.kmax)
            continue;
        for (size_t s = 0; s < r->snaps.count; s++)
            if (fabs(r->snaps.t[s] - t) < 1e-9 * fmax(1.0, t) && amp > DL_DECAY_FLOOR_FACTOR * r->noise[s]) {
                double dre = r->waves[n - 1].qre[s] - re, dimg = r->waves[n - 1].qim[s] - im;
                worst = fmax(worst, hypot(dre, dimg) / amp);
                compared++;
            }
    }
    if (mf)
        fclose(mf);
    if (!r->o.quiet && compared)
        printf("FFT path vs direct sums (modes.dat): max relative difference %.3g over %zu "
               "mode-times above the noise floor\n",
               worst, compared);
}

static void spectrum_run_free(spectrum_run *r)
{
    for (size_t w = 0; r->waves && w < r->n_waves; w++) {
        wave *wv = &r->waves[w];
        free(wv->amp), free(wv->theory), free(wv->dre), free(wv->dim_), free(wv->qre), free(wv->qim);
    }
    free(r->waves), free(r->modes), free(r->ptarget), free(r->qhat);
    free(r->unseeded), free(r->noise), free(r->shell_sum), free(r->shell_count);
    dl_spectrum_destroy(r->sp);
    snapshot_list_free(&r->snaps);
    dl_run_options_free(&r->opts);
}

int cmd_spectrum(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* image sets: their own analyzer */
        if (!strcmp(argv[i], "--images"))
            return cmd_imgspectrum(argc, argv);
    spectrum_run r;
    memset(&r, 0, sizeof r);
    dl_run_options_init(&r.opts);
    int help, st = parse_args(argc, argv, &r.o, &help);
    if (!st && help) {
        usage(stdout);
        dl_run_options_free(&r.opts);
        return 0;
    }
    if (!st)
        st = load_run(&r);
    r.prov = (dl_provenance){cli_command_line(argc + 1, argv - 1), r.c.seed};
    if (!st && r.c.image_rows) {
        st = imgspectrum_analyze_run(r.o.run, &r.c, r.o.t0, r.o.t1, r.o.quiet, &r.prov);
        spectrum_run_free(&r);
        return st ? cli_fail("spectrum") : 0;
    }
    if (!st)
        st = target_spectrum(&r);
    if (!st)
        st = alloc_waves(&r);
    if (!st)
        st = measure_all(&r);
    if (!st)
        st = add_theory(&r);
    if (!st)
        st = write_spectrum_dat(&r);
    if (!st)
        st = write_heatmap(&r);
    if (!st)
        st = write_rates(&r);
    if (!st && r.dim == 1)
        st = write_tconv(&r);
    if (!st && r.dim == 1)
        compare_direct(&r);
    if (!st && !r.o.quiet)
        printf("noise floor %.3g at t0, %.3g at the end; wrote %s/{spectrum.dat,heatmap.mat%s%s%s}\n",
               r.noise[0], r.noise[r.snaps.count - 1], r.o.run,
               r.c.schedule.kind == DL_SCHEDULE_CONSTANT ? ",rates.dat" : "",
               r.dim == 1 ? ",tconv.dat" : "", r.dim == 2 ? ",density-*.mat" : "");
    spectrum_run_free(&r);
    return st ? cli_fail("spectrum") : 0;
}
