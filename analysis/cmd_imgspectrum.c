/* driftlab spectrum --images A: the power of an image set per radial
 * spatial-frequency shell beside a reference set's (src/spectral/imgspectrum.h),
 * and docs/THEORY.md 7's Gaussian-kernel rate from the reference's own variances. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "base/io.h"
#include "drift/snapshot.h"
#include "cli.h"
#include "commands.h"
#include "images/idx.h"
#include "cmd_imgspectrum.h"
#include "run/options.h"
#include "snapshot_list.h"
#include "spectral/decay.h"
#include "spectral/imgmodel.h"
#include "spectral/imgspectrum.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

typedef struct {
    const char *images, *labels, *reference, *reference_labels, *data, *out;
    int per_class, quiet;
    double sigma;
} imgspectrum_options;

static void usage(void)
{
    printf("usage: driftlab spectrum --images A.idx[.gz] [--labels L] [--reference B.idx[.gz]]\n"
           "                         [--reference-labels L] [--per-class] [--sigma S] [--out DIR]\n\n"
           "The power |F(k)|^2 of each image's 2-D FFT (pixels mapped to [-1, 1]), averaged over\n"
           "the images and over the radial shells |k| = 1 .. min(rows, cols)/2, for the images\n"
           "minus their set's mean image (centred) and for the mean image itself, beside the\n"
           "same for the reference (default: the Fashion-MNIST test split in --data).  Writes\n"
           "DIR/imgspectrum.dat (" DL_IMGSPECTRUM_COLUMNS ")\n"
           "with the DC terms in its header; --sigma S adds docs/THEORY.md 7's rate 2u/(1+u)^2,\n"
           "u = lambda_ref / S^2, of the Gaussian kernel; --per-class adds one block per class\n"
           "(both sets need labels).  plots/imgspectrum.gp draws it.\n\n"
           "options:\n"
           "  --data DIR    Fashion-MNIST IDX files (default " DEFAULT_DATA ")\n"
           "  --out DIR     (default runs/imgspectrum)\n"
           "  --quiet       no table on stdout\n");
}

static int parse_value(const char *a, const char *v, imgspectrum_options *o)
{
    const char **slots[] = {&o->images, &o->labels, &o->reference, &o->reference_labels, &o->data, &o->out};
    const char *names[] = {"--images", "--labels", "--reference", "--reference-labels", "--data", "--out"};
    for (int k = 0; k < 6; k++)
        if (!strcmp(a, names[k])) {
            *slots[k] = v;
            return DL_OK;
        }
    if (!strcmp(a, "--sigma")) {
        int st = dl_parse_double("sigma", v, &o->sigma);
        if (!st && !(o->sigma > 0))
            st = dl_error(DL_EINVAL, "--sigma must be positive, got %s", v);
        return st;
    }
    return dl_error(DL_EINVAL, "unknown option '%s' (see driftlab spectrum --help)", a);
}

static int parse_args(int argc, char **argv, imgspectrum_options *o, int *help)
{
    static const char *const with_value[] = {"images", "labels", "reference", "reference-labels",
                                             "data", "out", "sigma", NULL};
    *o = (imgspectrum_options){.data = DEFAULT_DATA, .out = "runs/imgspectrum"};
    *help = 0;
    int st = DL_OK;
    for (int i = 1; i < argc && !st; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return *help = 1, DL_OK;
        if (!strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (!strcmp(a, "--per-class"))
            o->per_class = 1;
        else if (strncmp(a, "--", 2))
            st = dl_error(DL_EINVAL, "unexpected argument '%s'", a);
        else if (!(st = cli_option_value("spectrum", a, v, with_value)))
            st = parse_value(a, v, o), i++;
    }
    if (!st && !o->images)
        st = dl_error(DL_EINVAL, "--images: no image set given");
    return st;
}

static int load_sets(const imgspectrum_options *o, dl_image_set *a, dl_image_set *b)
{
    int st = dl_idx_read(o->images, o->labels, a);
    if (!st)
        st = o->reference ? dl_idx_read(o->reference, o->reference_labels, b)
                          : dl_idx_read_split(o->data, "t10k", b);
    if (!st && (a->rows != b->rows || a->cols != b->cols))
        st = dl_error(DL_EFORMAT, "'%s' holds %dx%d images, the reference %dx%d: the shells differ",
                      o->images, a->rows, a->cols, b->rows, b->cols);
    if (!st && o->per_class && (!a->labels || !b->labels))
        st = dl_error(DL_EINVAL, "--per-class needs labels for both sets (--labels, --reference-labels)");
    return st;
}

/* the images of class c (all for c < 0), copied into buf; their count */
static size_t class_subset(const dl_image_set *s, int c, unsigned char *buf)
{
    const size_t npix = (size_t)s->rows * s->cols;
    size_t n = 0;
    for (size_t i = 0; i < s->count; i++)
        if (c < 0 || s->labels[i] == c)
            memcpy(buf + n++ * npix, s->pixels + i * npix, npix);
    return n;
}

/* One block of rows: class c of both sets (c < 0: every image). */
static int spectrum_block(dl_imgspectrum *plan, const dl_image_set *a, const dl_image_set *b, int c,
                          unsigned char *buf, double sigma, FILE *fp, dl_imgspectrum_result *ra,
                          dl_imgspectrum_result *rb)
{
    size_t na = class_subset(a, c, buf);
    int st = na ? dl_imgspectrum_execute_bytes(plan, buf, na, ra)
                : dl_error(DL_EINVAL, "class %d: no images in the set", c);
    size_t nb = st ? 0 : class_subset(b, c, buf);
    if (!st)
        st = nb ? dl_imgspectrum_execute_bytes(plan, buf, nb, rb)
                : dl_error(DL_EINVAL, "class %d: no images in the reference", c);
    if (!st)
        dl_imgspectrum_write_rows(fp, 0, c, ra, rb, a->rows * a->cols, sigma, NULL);
    return st;
}

static void print_table(const dl_imgspectrum_result *a, const dl_imgspectrum_result *b, int pixels)
{
    printf("%5s %12s %12s %9s %12s %12s\n", "shell", "P", "P_ref", "ln ratio", "P_mean", "P_mean_ref");
    printf("%5s %12.5g %12.5g %9.4f %12.5g %12.5g   (DC)\n", "0", a->centred[0], b->centred[0],
           log(a->centred[0] / b->centred[0]), a->mean[0], b->mean[0]);
    for (int k = 1; k <= a->kmax; k++)
        printf("%5d %12.5g %12.5g %9.4f %12.5g %12.5g   lambda_ref %.4g\n", k, a->centred[k],
               b->centred[k], log(a->centred[k] / b->centred[k]), a->mean[k], b->mean[k],
               b->centred[k] / pixels);
}

static int write_spectra(const imgspectrum_options *o, const dl_image_set *a, const dl_image_set *b,
                         const dl_provenance *prov)
{
    dl_imgspectrum *plan = NULL;
    const size_t npix = (size_t)a->rows * a->cols, most = a->count > b->count ? a->count : b->count;
    unsigned char *buf = malloc(most * npix);
    int st = buf ? dl_imgspectrum_create(&plan, a->rows, a->cols) : dl_error(DL_ENOMEM, "out of memory");
    dl_imgspectrum_result ra, rb;
    char path[4200], line[4400];
    dl_atomic_file f = {0};
    if (!st)
        st = dl_mkdir_p(o->out);
    snprintf(path, sizeof path, "%s/imgspectrum.dat", o->out);
    snprintf(line, sizeof line, "%zu images of %s against %zu of %s; %dx%d pixels in [-1, 1]", a->count,
             o->images, b->count, o->reference ? o->reference : "the test split", a->rows, a->cols);
    const char *extra[] = {line, NULL};
    if (!st)
        st = dl_dat_open(&f, path, prov, extra, DL_IMGSPECTRUM_COLUMNS);
    for (int c = o->per_class ? 9 : -1; !st && c >= -1; c--)
        st = spectrum_block(plan, a, b, c, buf, o->sigma, f.fp, &ra, &rb);
    if (!st) /* the last block is every image's: its DC terms close the file */
        fprintf(f.fp, "# DC (shell 0): P %.8e P_ref %.8e P_mean %.8e P_mean_ref %.8e\n", ra.centred[0],
                rb.centred[0], ra.mean[0], rb.mean[0]);
    if (!st)
        st = dl_atomic_commit(&f);
    else if (f.fp)
        dl_atomic_abort(&f);
    if (!st && !o->quiet) {
        print_table(&ra, &rb, a->rows * a->cols);
        printf("wrote %s\n", path);
    }
    dl_imgspectrum_destroy(plan);
    free(buf);
    return st;
}

int cmd_imgspectrum(int argc, char **argv)
{
    imgspectrum_options o;
    int help, st = parse_args(argc, argv, &o, &help);
    if (!st && help) {
        usage();
        return 0;
    }
    dl_image_set a = {0}, b = {0};
    if (!st)
        st = load_sets(&o, &a, &b);
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), 0};
    if (!st)
        st = write_spectra(&o, &a, &b, &prov);
    dl_image_set_free(&a), dl_image_set_free(&b);
    return st ? cli_fail("spectrum") : 0;
}

/* ---- an image particle run (driftlab spectrum RUN_DIR, target idx:...) ---- */

/* A snapshot (or the target) as floats in [-1, 1]; its spectrum into r. */
/* A snapshot's points as float images (the caller frees *f). */
static int snapshot_images(const char *path, int d, dl_snapshot_header *h, float **f)
{
    double *x = NULL;
    *f = NULL;
    int st = dl_snapshot_read(path, h, &x);
    if (!st && (int)h->dim != d)
        st = dl_error(DL_EFORMAT, "'%s' is %u-D, the run's images %d pixels", path, h->dim, d);
    if (!st && !(*f = malloc(h->count * (size_t)d * sizeof(float))))
        st = dl_error(DL_ENOMEM, "out of memory for '%s'", path);
    for (size_t i = 0; !st && i < h->count * (size_t)d; i++)
        (*f)[i] = (float)x[i];
    free(x);
    return st;
}

static int snapshot_spectrum(dl_imgspectrum *plan, const char *path, int d, dl_snapshot_header *h,
                             dl_imgspectrum_result *r)
{
    float *f = NULL;
    int st = snapshot_images(path, d, h, &f);
    if (!st)
        st = dl_imgspectrum_execute(plan, f, (size_t)h->count, r);
    free(f);
    return st;
}

typedef struct {
    size_t n_snaps;
    double *t, *sigma;
    dl_imgspectrum_result ref, *at; /* the target's; one per snapshot */
    size_t n_particles, n_target;
    float *target;                  /* the target's images, n_target of them */
    double *model;                  /* the exact model's P per snapshot x shell; NULL: none */
    int model_shells;
    double model_eps;               /* the model's estimate of what it leaves out at the last snapshot */
    char first[4300];               /* the first snapshot's path */
} image_series;

static int read_series(const char *run, const dl_run_config *c, dl_imgspectrum *plan, image_series *s)
{
    const int d = c->image_rows * c->image_cols;
    char path[4300];
    snprintf(path, sizeof path, "%s/target.dlsnap", run);
    dl_snapshot_header h;
    snapshot_list l;
    int st = snapshot_images(path, d, &h, &s->target);
    s->n_target = (size_t)h.count;
    if (!st)
        st = dl_imgspectrum_execute(plan, s->target, s->n_target, &s->ref);
    if (!st)
        st = snapshot_list_read(run, &l);
    if (st)
        return st;
    s->n_snaps = l.count;
    s->t = calloc(l.count, sizeof(double)), s->sigma = calloc(l.count, sizeof(double));
    s->at = calloc(l.count, sizeof *s->at);
    if (!s->t || !s->sigma || !s->at)
        st = dl_error(DL_ENOMEM, "out of memory");
    if (!st && l.count)
        snprintf(s->first, sizeof s->first, "%s", l.paths[0]);
    for (size_t i = 0; !st && i < l.count; i++) {
        st = snapshot_spectrum(plan, l.paths[i], d, &h, &s->at[i]);
        s->t[i] = h.time, s->sigma[i] = h.sigma, s->n_particles = (size_t)h.count;
    }
    snapshot_list_free(&l);
    return st;
}

/* docs/THEORY.md 7's exact model of the run (the Gaussian kernel's mean
 * shift): the target's eigenbasis, the first snapshot's variances along it,
 * advanced snapshot to snapshot with the run's N, self-masking, integrator
 * and schedule (sigma in pixel units). */
static int model_series(const dl_run_config *c, dl_imgspectrum *plan, image_series *s)
{
    if (strcmp(c->kernel->name, "gaussian") || c->field != DL_OPERATOR_MEANSHIFT || !s->n_snaps)
        return DL_OK;
    const int d = c->image_rows * c->image_cols;
    dl_snapshot_header h;
    float *x = NULL;
    dl_imgmodel *model = NULL;
    double *var = malloc(2 * (size_t)d * sizeof *var), *var0 = var + d;
    int st = var ? dl_imgmodel_create(&model, s->target, s->n_target, c->image_rows, c->image_cols)
                 : dl_error(DL_ENOMEM, "out of memory");
    if (!st)
        st = snapshot_images(s->first, d, &h, &x);
    if (!st && (st = dl_imgmodel_project(model, x, (size_t)h.count, var)) == DL_OK)
        memcpy(var0, var, (size_t)d * sizeof *var);
    const size_t n = (size_t)h.count;
    float *moved = st ? NULL : malloc(n * (size_t)d * sizeof *moved);
    if (!st && !moved)
        st = dl_error(DL_ENOMEM, "out of memory");
    const dl_imgmodel_flow flow = {s->n_particles, c->self_mask, 1,
                                   c->integrator == DL_INTEGRATOR_EULER, c->dt, &c->schedule};
    s->model_shells = st ? 0 : dl_imgmodel_shells(model);
    if (!st && !(s->model = malloc(s->n_snaps * (size_t)s->model_shells * sizeof *s->model)))
        st = dl_error(DL_ENOMEM, "out of memory");
    /* the first snapshot's particles carried by the model's map, through the analyzer */
    double spread = 0;
    for (size_t i = 0; !st && i < s->n_snaps; i++) {
        dl_imgspectrum_result r;
        if (i)
            st = dl_imgmodel_advance(model, &flow, s->t[i - 1], s->t[i], var, &spread);
        if (!st)
            st = dl_imgmodel_transport(model, var0, var, x, n, moved);
        if (!st)
            st = dl_imgspectrum_execute(plan, moved, n, &r);
        for (int k = 0; !st && k < s->model_shells; k++)
            s->model[i * (size_t)s->model_shells + k] = r.centred[k];
    }
    s->model_eps = dl_imgmodel_fluctuation(spread, s->n_particles);
    free(x), free(var), free(moved);
    dl_imgmodel_destroy(model);
    return st;
}

static void write_series(FILE *fp, const dl_run_config *c, const image_series *s)
{
    const int d = c->image_rows * c->image_cols;
    for (size_t i = 0; i < s->n_snaps; i++) /* gamma at the snapshot's own bandwidth, Gaussian kernel */
        dl_imgspectrum_write_rows(fp, s->t[i], -1, &s->at[i], &s->ref, d,
                                  strcmp(c->kernel->name, "gaussian") ? 0 : s->sigma[i],
                                  s->model ? s->model + i * (size_t)s->model_shells : NULL);
}

static void free_series(image_series *s)
{
    free(s->t), free(s->sigma), free(s->at), free(s->target), free(s->model);
}

/* Shell k's gap |ln P/P_ref| fitted as a decay over [t0, t1], beside docs/THEORY.md
 * 7 (Gaussian kernel): the constant rate, and the log gap at the last
 * snapshot under the run's schedule.  The floor is the sampling error of the
 * two log powers, sqrt(2 / (N count)) + sqrt(2 / (M count)). */
static void fit_shell(const image_series *s, const dl_run_config *c, int k, double t0, double t1, FILE *fp,
                      int quiet)
{
    const size_t use = s->n_snaps;
    double *gap = malloc(2 * use * sizeof(double)), *noise = gap + use;
    if (!gap) { /* a row of NaN rather than a silently shorter fit */
        fprintf(fp, "%d nan nan nan nan nan nan nan 0 nan nan nan nan\n", k);
        return;
    }
    for (size_t i = 0; i < use; i++) {
        gap[i] = fabs(log(s->at[i].centred[k] / s->ref.centred[k]));
        noise[i] = sqrt(2.0 / ((double)s->n_particles * s->ref.count[k])) +
                   sqrt(2.0 / ((double)s->n_target * s->ref.count[k]));
    }
    const double lambda = s->ref.centred[k] / (c->image_rows * c->image_cols);
    const int gaussian = !strcmp(c->kernel->name, "gaussian");
    const double g_theory = gaussian && c->schedule.kind == DL_SCHEDULE_CONSTANT
                                ? dl_imgspectrum_gaussian_rate(lambda, c->schedule.sigma0) : NAN;
    /* the exact model's log gap from its own start, and the part of it that
     * the finite-N weight spread may move: ln P by up to ln(1 + eps), the
     * log gap by that over the gap (imgmodel.h) */
    double lg_theory = NAN, bound = NAN;
    if (s->model && k < s->model_shells) {
        const double g0 = fabs(log(s->model[k] / s->ref.centred[k]));
        const double g1 = fabs(log(s->model[(use - 1) * (size_t)s->model_shells + k] / s->ref.centred[k]));
        lg_theory = log(g1 / g0);
        bound = log1p(s->model_eps) / g1;
    }
    const double lg_meas = log(gap[use - 1] / gap[0]);
    dl_decay_fit fit;
    int fst = dl_decay_fit_window(s->t, gap, noise, use, t0, t1, &fit);
    dl_error_clear();
    fprintf(fp, "%d %.8e %.8e %.8e %.4g %.8e %.6g %.6g %zu %.6g %.6g %.4g %.4g\n", k, lambda, gap[0],
            fst ? NAN : fit.gamma, fst ? NAN : fit.stderr_gamma, g_theory, fit.t0, fit.t1,
            fst ? 0 : fit.points, lg_meas, lg_theory, noise[0], bound);
    if (!quiet)
        printf("%5d %10.4g %10.4g %12.5g %10.2g %12.5g %10.4g %10.4g\n", k, lambda, gap[0],
               fst ? NAN : fit.gamma, fst ? NAN : fit.stderr_gamma, g_theory, lg_meas, lg_theory);
    free(gap);
}

static int write_heatmap(const char *run, const image_series *s, const dl_provenance *prov)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/imgheatmap.mat", run);
    const char *extra[] = {"gnuplot: plot FILE nonuniform matrix using 1:2:3 with image", NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, prov, extra, "first row: count, shells...; then t, |ln P/P_ref|...");
    if (st)
        return st;
    const int kmax = s->ref.kmax;
    fprintf(f.fp, "%d", kmax);
    for (int k = 1; k <= kmax; k++)
        fprintf(f.fp, " %d", k);
    fputc('\n', f.fp);
    for (size_t i = 0; i < s->n_snaps; i++) {
        fprintf(f.fp, "%.10g", s->t[i]);
        for (int k = 1; k <= kmax; k++)
            fprintf(f.fp, " %.6e", fabs(log(s->at[i].centred[k] / s->ref.centred[k])));
        fputc('\n', f.fp);
    }
    return dl_atomic_commit(&f);
}

#define MODEL_NOTE_RATES                                                                           \
    "gamma_theory: the per-shell rate 2u/(1+u)^2 of docs/THEORY.md 7 (each shell as one direction)"
#define MODEL_NOTE_EXACT                                                                           \
    "log_gap_end_theory, P_model: the exact model (docs/THEORY.md 7: the target's eigenbasis "      \
    "projected on the shells, the particle's own term, the run's N, self-mask and integrator)"
#define MODEL_NOTE_BOUND                                                                           \
    "finite_n_bound: what the exact model leaves out, the spread of a finite set's kernel weights, "  \
    "at most this much of log_gap_end_theory (docs/THEORY.md 7); the model's eps at the end: "
#define MODEL_NOTE_NONE                                                                            \
    "log_gap_end_theory, P_model: none (the exact model is the Gaussian kernel's mean shift)"

static int write_rates(const char *run, const dl_run_config *c, const image_series *s, double t0,
                       double t1, int quiet, const dl_provenance *prov)
{
    char path[4300], line[200], bound[300];
    snprintf(path, sizeof path, "%s/imgrates.dat", run);
    snprintf(bound, sizeof bound, "%s%.4g", MODEL_NOTE_BOUND, s->model_eps);
    snprintf(line, sizeof line, "gap |ln P/P_ref| per shell fitted as a decay over [%g, %g]; kernel %s, "
             "schedule %s, sigma0 %.6g", t0, t1, c->kernel->name, dl_schedule_kind_name(c->schedule.kind),
             c->schedule.sigma0);
    const char *extra[] = {line, MODEL_NOTE_RATES, s->model ? MODEL_NOTE_EXACT : MODEL_NOTE_NONE,
                           s->model ? bound : NULL, NULL};
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, prov, extra,
                         "shell lambda_ref gap0 gamma_measured stderr gamma_theory t0 t1 points "
                         "log_gap_end log_gap_end_theory noise finite_n_bound");
    if (st)
        return st;
    if (!quiet)
        printf("%5s %10s %10s %12s %10s %12s %10s %10s\n", "shell", "lambda", "gap(0)", "gamma_fit",
               "stderr", "gamma_th", "ln gap end", "theory");
    for (int k = 1; k <= s->ref.kmax; k++)
        fit_shell(s, c, k, t0, t1, f.fp, quiet);
    return dl_atomic_commit(&f);
}

int imgspectrum_analyze_run(const char *run, const dl_run_config *c, double t0, double t1, int quiet,
                            const dl_provenance *prov)
{
    dl_imgspectrum *plan = NULL;
    image_series s = {0};
    char path[4300];
    snprintf(path, sizeof path, "%s/imgspectrum.dat", run);
    const char *extra[] = {"the particles at every snapshot against the run's target (t in the first column)", NULL};
    dl_atomic_file f = {0};
    int st = dl_imgspectrum_create(&plan, c->image_rows, c->image_cols);
    if (!st)
        st = read_series(run, c, plan, &s);
    /* the bandwidth the run used: with --sigma-units median run.ini holds it
     * in units of the median distance, the snapshots in pixel units */
    dl_run_config cs = *c;
    const double planned = st ? 0 : dl_schedule_sigma(&c->schedule, s.t[0]);
    if (!st && planned > 0 && s.sigma[0] > 0)
        cs.schedule.sigma0 *= s.sigma[0] / planned, cs.schedule.sigma_min *= s.sigma[0] / planned;
    if (!st)
        st = model_series(&cs, plan, &s);
    const char *extra2[] = {extra[0], s.model ? MODEL_NOTE_EXACT : MODEL_NOTE_NONE, NULL};
    if (!st)
        st = dl_dat_open(&f, path, prov, extra2, DL_IMGSPECTRUM_COLUMNS);
    if (!st) {
        write_series(f.fp, &cs, &s);
        st = dl_atomic_commit(&f);
    }
    if (!st)
        st = write_heatmap(run, &s, prov);
    if (!st)
        st = write_rates(run, &cs, &s, t0, t1, quiet, prov);
    if (!st && !quiet)
        printf("wrote %s/{imgspectrum.dat,imgrates.dat,imgheatmap.mat}\n", run);
    free_series(&s);
    dl_imgspectrum_destroy(plan);
    return st;
}
