/* driftlab eval: how good are generated Fashion-MNIST images?  Every figure
 * is printed next to the same figure for real training images against the
 * test split (the real-data floor).  FD is the Frechet distance in the
 * classifier's penultimate features: FD-FMNIST, not comparable to Inception
 * FID. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "nn/classifier.h"
#include "cli.h"
#include "commands.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "images/idx.h"
#include "images/imagegrid.h"
#include "images/imgmetrics.h"
#include "base/io.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

typedef struct {
    const char *model, *images, *labels, *data, *out, *make;
    int reference_train; /* --reference train: a held-out half of the training split */
    long n;
    unsigned long seed;
    int quiet;
} eval_options;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab eval --model CKPT --images FILE [--labels FILE] [options]\n"
            "       driftlab eval --make noise|copy|train --images FILE [--labels FILE] [--n N]\n\n"
            "Compares generated images (IDX, plain or .gz) with the test split in the feature\n"
            "space of a classifier from `driftlab classify train`, and prints each figure beside\n"
            "the same figure for N real training images (the floor):\n"
            "  FD-FMNIST (Frechet distance of features), KID x 1e3 with its standard error,\n"
            "  precision and recall (k = 3), class entropy of the predictions; with --labels,\n"
            "  label accuracy, per-class prediction entropy and within-class diversity\n"
            "  (generated / real mean pairwise feature distance); and memorisation: the pixel\n"
            "  distance of each sample to its nearest training image, beside test images'.\n"
            "Writes OUT/eval.dat and OUT/samples.png (the first 100 images).\n\n"
            "--make writes a reference set instead: uniform noise, one training image copied N\n"
            "times, or N random training images.\n\n"
            "options:\n"
            "  --data DIR   Fashion-MNIST IDX files (default " DEFAULT_DATA ")\n"
            "  --n N        images per side (default 5000)\n"
            "  --out DIR    where eval.dat and samples.png go (default eval)\n"
            "  --seed N     for the real subsets and KID subsets (default 1)\n"
            "  --reference test|train  what the images are compared with: the test split\n"
            "               (default), or training images 30000.. with the floor's from\n"
            "               0..29999, to choose settings without looking at the test split\n"
            "  --quiet      no table on stdout\n");
}

static int parse_args(int argc, char **argv, eval_options *o, int *help)
{
    memset(o, 0, sizeof *o);
    o->data = DEFAULT_DATA;
    o->out = "eval";
    o->n = 5000;
    o->seed = 1;
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long lv;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = 1;
            return DL_OK;
        }
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (strncmp(a, "--", 2))
            return dl_error(DL_EINVAL, "unexpected argument '%s'", a);
        static const char *const with_value[] = {"model", "images", "labels", "data", "out", "make",
                                                 "n", "seed", "reference", NULL};
        int st = cli_option_value("eval", a, v, with_value);
        if (st)
            return st;
        i++;
        if (!strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--images"))
            o->images = v;
        else if (!strcmp(a, "--labels"))
            o->labels = v;
        else if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--out"))
            o->out = v;
        else if (!strcmp(a, "--make")) {
            if (strcmp(v, "noise") && strcmp(v, "copy") && strcmp(v, "train"))
                st = dl_error(DL_EINVAL, "--make: '%s' is not noise, copy or train", v);
            o->make = v;
        } else if (!strcmp(a, "--n")) {
            st = cli_parse_long_in("n", v, 10, 100000, &lv);
            o->n = lv;
        } else if (!strcmp(a, "--seed")) {
            st = cli_parse_long_in("seed", v, 0, 2147483647L, &lv);
            o->seed = (unsigned long)lv;
        } else if (!strcmp(a, "--reference")) {
            if (strcmp(v, "test") && strcmp(v, "train"))
                st = dl_error(DL_EINVAL, "--reference: '%s' is not test or train", v);
            o->reference_train = !strcmp(v, "train");
        } else
            st = dl_error(DL_EINVAL, "unknown option '%s' (see driftlab eval --help)", a);
        if (st)
            return st;
    }
    if (!o->images)
        return dl_error(DL_EINVAL, "--images is required (see driftlab eval --help)");
    if (!o->make && !o->model)
        return dl_error(DL_EINVAL, "--model is required to evaluate (see driftlab eval --help)");
    return DL_OK;
}

/* n distinct random rows of a set, pixels and labels copied out */
static int pick(const dl_image_set *s, size_t n, gsl_rng *rng, unsigned char *pix, unsigned char *lab)
{
    size_t *idx = malloc(s->count * sizeof *idx);
    if (!idx)
        return dl_error(DL_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->count; i++)
        idx[i] = i;
    gsl_ran_shuffle(rng, idx, s->count, sizeof *idx);
    for (size_t i = 0; i < n; i++) {
        memcpy(pix + i * DL_IMAGE_PIXELS, s->pixels + idx[i] * DL_IMAGE_PIXELS, DL_IMAGE_PIXELS);
        if (lab)
            lab[i] = s->labels[idx[i]];
    }
    free(idx);
    return DL_OK;
}

static int make_reference(const eval_options *o)
{
    dl_image_set train = {0}, out = {0};
    int st = dl_idx_read_split(o->data, "train", &train);
    if (st)
        return st;
    gsl_rng *rng = dl_rng_create(o->seed);
    size_t n = (size_t)o->n;
    out.count = n, out.rows = 28, out.cols = 28;
    out.pixels = malloc(n * DL_IMAGE_PIXELS);
    out.labels = malloc(n);
    if (!out.pixels || !out.labels) {
        st = dl_error(DL_ENOMEM, "out of memory");
    } else if (!strcmp(o->make, "noise")) {
        for (size_t i = 0; i < n * DL_IMAGE_PIXELS; i++)
            out.pixels[i] = (unsigned char)gsl_rng_uniform_int(rng, 256);
        for (size_t i = 0; i < n; i++)
            out.labels[i] = (unsigned char)(i % DL_CLASSES);
    } else if (!strcmp(o->make, "copy")) {
        size_t k = gsl_rng_uniform_int(rng, train.count);
        for (size_t i = 0; i < n; i++) {
            memcpy(out.pixels + i * DL_IMAGE_PIXELS, train.pixels + k * DL_IMAGE_PIXELS, DL_IMAGE_PIXELS);
            out.labels[i] = train.labels[k];
        }
    } else if (n > train.count) {
        st = dl_error(DL_EINVAL, "--n %zu exceeds the %zu training images", n, train.count);
    } else {
        st = pick(&train, n, rng, out.pixels, out.labels);
    }
    if (!st)
        st = dl_idx_write(o->images, o->labels, &out);
    if (!st && !o->quiet)
        printf("wrote %zu '%s' images to %s%s%s\n", n, o->make, o->images, o->labels ? " and " : "",
               o->labels ? o->labels : "");
    gsl_rng_free(rng);
    dl_image_set_free(&train);
    dl_image_set_free(&out);
    return st;
}

typedef struct {
    double fd, kid, kid_se, precision, recall, class_entropy;
} set_metrics;

static double entropy_bits(const size_t *counts, int k)
{
    size_t total = 0;
    for (int i = 0; i < k; i++)
        total += counts[i];
    double h = 0;
    for (int i = 0; i < k && total; i++)
        if (counts[i]) {
            double p = (double)counts[i] / total;
            h -= p * log2(p);
        }
    return h;
}

static int compare_sets(const float *f, const unsigned char *pred, const float *test_f, size_t n,
                        int d, gsl_rng *rng, set_metrics *m)
{
    int st = dl_frechet_distance(f, n, test_f, n, d, &m->fd);
    if (!st)
        st = dl_kid(f, n, test_f, n, d, 10, n >= 2000 ? 1000 : n / 2, rng, &m->kid, &m->kid_se);
    if (!st)
        st = dl_precision_recall(test_f, n, f, n, d, 3, &m->precision, &m->recall);
    size_t counts[DL_CLASSES] = {0};
    for (size_t i = 0; i < n; i++)
        counts[pred[i]]++;
    m->class_entropy = entropy_bits(counts, DL_CLASSES);
    return st;
}

/* One evaluation: the three image sets, their features and predictions. */
typedef struct {
    eval_options o;
    dl_image_set train, test, gen;
    dl_image_set floor_set; /* the real images the floor draws from (a view of train) */
    dl_classifier *cls;
    size_t n;
    int d;
    gsl_rng *rng;
    float *fg, *ft, *fr;            /* (n, d) features: generated, reference, floor */
    unsigned char *predg, *predt, *predr;
    unsigned char *tpix, *tlab, *rpix, *rlab; /* the random reference and floor subsets */
    set_metrics mg, mr;
    /* class-conditional figures, when the generator says which class it drew */
    double label_acc, label_acc_real, ent_g, ent_r, div_ratio, div_ratio_real, worst_div;
    int worst_class;
    /* memorisation */
    double mem_g, mem_t, min_g, min_t;
    size_t copies, nm;
} eval_run;

/* --reference train: the reference is the training split's second half and
 * the floor draws from the first. */
static int split_reference(eval_run *r)
{
    r->floor_set = r->train;
    if (!r->o.reference_train)
        return DL_OK;
    const size_t half = r->train.count / 2;
    r->floor_set.count = half;
    free(r->test.pixels), free(r->test.labels);
    r->test.count = r->train.count - half;
    r->test.pixels = malloc(r->test.count * DL_IMAGE_PIXELS), r->test.labels = malloc(r->test.count);
    if (!r->test.pixels || !r->test.labels)
        return dl_error(DL_ENOMEM, "out of memory");
    memcpy(r->test.pixels, r->train.pixels + half * DL_IMAGE_PIXELS, r->test.count * DL_IMAGE_PIXELS);
    memcpy(r->test.labels, r->train.labels + half, r->test.count);
    return DL_OK;
}

static int load_sets(eval_run *r)
{
    const eval_options *o = &r->o;
    int st = dl_idx_read(o->images, o->labels, &r->gen);
    if (st)
        return st;
    if (r->gen.rows != 28 || r->gen.cols != 28)
        return dl_error(DL_EFORMAT, "'%s' holds %dx%d images; the classifier needs 28x28", o->images,
                        r->gen.rows, r->gen.cols);
    if ((st = dl_idx_read_split(o->data, "train", &r->train)) ||
        (st = dl_idx_read_split(o->data, "t10k", &r->test)) ||
        (st = dl_classifier_load(o->model, &r->cls, 500)) || (st = split_reference(r)))
        return st;
    size_t n = (size_t)o->n;
    if (n > r->gen.count)
        n = r->gen.count;
    if (n > r->test.count)
        n = r->test.count;
    if (n < 10)
        return dl_error(DL_EINVAL, "need at least 10 generated images, '%s' has %zu", o->images,
                        r->gen.count);
    r->n = n, r->d = r->cls->arch.fc;
    return DL_OK;
}

/* generated: the first n; real: random test and train subsets; all through
 * the classifier */
static int embed_sets(eval_run *r)
{
    const size_t n = r->n, d = (size_t)r->d;
    r->rng = dl_rng_create(r->o.seed);
    r->fg = malloc(n * d * sizeof(float)), r->ft = malloc(n * d * sizeof(float));
    r->fr = malloc(n * d * sizeof(float));
    r->predg = malloc(n), r->predr = malloc(n), r->predt = malloc(n);
    r->tpix = malloc(n * DL_IMAGE_PIXELS), r->tlab = malloc(n);
    r->rpix = malloc(n * DL_IMAGE_PIXELS), r->rlab = malloc(n);
    if (!r->rng || !r->fg || !r->ft || !r->fr || !r->predg || !r->predr || !r->predt || !r->tpix ||
        !r->tlab || !r->rpix || !r->rlab)
        return dl_error(DL_ENOMEM, "out of memory for %zu images", n);
    int st;
    if ((st = pick(&r->test, n, r->rng, r->tpix, r->tlab)) ||
        (st = pick(&r->floor_set, n, r->rng, r->rpix, r->rlab)) ||
        (st = dl_classifier_run(r->cls, r->gen.pixels, n, NULL, NULL, r->fg, r->predg)) ||
        (st = dl_classifier_run(r->cls, r->tpix, n, NULL, NULL, r->ft, r->predt)) ||
        (st = dl_classifier_run(r->cls, r->rpix, n, NULL, NULL, r->fr, r->predr)))
        return st;
    if ((st = compare_sets(r->fg, r->predg, r->ft, n, r->d, r->rng, &r->mg)))
        return st;
    return compare_sets(r->fr, r->predr, r->ft, n, r->d, r->rng, &r->mr);
}

/* up to 500 feature rows of class c: of f (n, d) where labels[i] == c */
static size_t class_rows(const float *f, const unsigned char *labels, size_t n, int d, int c, float *buf)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 500; i++)
        if (labels[i] == c)
            memcpy(buf + k++ * d, f + i * d, d * sizeof(float));
    return k;
}

/* per-class prediction entropy and within-class diversity (generated and
 * real mean pairwise distance over the reference's), averaged over classes */
static void class_diversity(eval_run *r, size_t counts[][DL_CLASSES], size_t counts_r[][DL_CLASSES])
{
    const size_t n = r->n;
    const int d = r->d;
    r->ent_g = r->ent_r = r->div_ratio = r->div_ratio_real = 0;
    float *buf_g = malloc(n * d * sizeof(float)), *buf_t = malloc(n * d * sizeof(float)),
          *buf_r = malloc(n * d * sizeof(float));
    int classes_g = 0, classes_r = 0;
    for (int c = 0; buf_g && buf_t && buf_r && c < DL_CLASSES; c++) {
        size_t ng = class_rows(r->fg, r->gen.labels, n, d, c, buf_g);
        size_t nt = class_rows(r->ft, r->tlab, n, d, c, buf_t);
        size_t nr = class_rows(r->fr, r->rlab, n, d, c, buf_r);
        if (nt < 2)
            continue;
        double dt = dl_mean_pairwise_distance(buf_t, nt, d);
        /* the floor over every class the real sets hold, independent of the generator */
        if (nr >= 2) {
            r->div_ratio_real += dl_mean_pairwise_distance(buf_r, nr, d) / dt;
            r->ent_r += entropy_bits(counts_r[c], DL_CLASSES);
            classes_r++;
        }
        if (ng >= 2) {
            double ratio = dl_mean_pairwise_distance(buf_g, ng, d) / dt;
            r->div_ratio += ratio;
            r->ent_g += entropy_bits(counts[c], DL_CLASSES);
            if (ratio < r->worst_div)
                r->worst_div = ratio, r->worst_class = c;
            classes_g++;
        }
    }
    free(buf_g), free(buf_t), free(buf_r);
    r->div_ratio = classes_g ? r->div_ratio / classes_g : NAN;
    r->ent_g = classes_g ? r->ent_g / classes_g : NAN;
    r->div_ratio_real = classes_r ? r->div_ratio_real / classes_r : NAN;
    r->ent_r = classes_r ? r->ent_r / classes_r : NAN;
}

static void class_figures(eval_run *r)
{
    r->label_acc = r->label_acc_real = r->ent_g = r->ent_r = r->div_ratio = r->div_ratio_real = NAN;
    r->worst_div = INFINITY, r->worst_class = -1;
    if (!r->gen.labels)
        return;
    size_t hit = 0, hit_r = 0, counts[DL_CLASSES][DL_CLASSES] = {{0}}, counts_r[DL_CLASSES][DL_CLASSES] = {{0}};
    for (size_t i = 0; i < r->n; i++) {
        hit += r->predg[i] == r->gen.labels[i];
        hit_r += r->predr[i] == r->rlab[i];
        counts[r->gen.labels[i]][r->predg[i]]++;
        counts_r[r->rlab[i]][r->predr[i]]++;
    }
    r->label_acc = (double)hit / r->n;
    r->label_acc_real = (double)hit_r / r->n;
    class_diversity(r, counts, counts_r);
}

/* memorisation: pixel distance to the nearest training image (with
 * --reference train, of the floor's half: the reference images are the others) */
static int memorisation(eval_run *r)
{
    const size_t nm = r->nm = r->n < 1000 ? r->n : 1000, nf = r->floor_set.count;
    float *pg = malloc(nm * DL_IMAGE_PIXELS * sizeof(float));
    float *pt = malloc(nm * DL_IMAGE_PIXELS * sizeof(float));
    float *ptrain = malloc(nf * DL_IMAGE_PIXELS * sizeof(float));
    double *nn_gen = malloc(nm * sizeof(double)), *nn_test = malloc(nm * sizeof(double));
    int st = !pg || !pt || !ptrain || !nn_gen || !nn_test ? dl_error(DL_ENOMEM, "out of memory") : DL_OK;
    for (size_t i = 0; !st && i < nm * DL_IMAGE_PIXELS; i++) {
        pg[i] = r->gen.pixels[i] / 255.0f;
        pt[i] = r->tpix[i] / 255.0f;
    }
    for (size_t i = 0; !st && i < nf * DL_IMAGE_PIXELS; i++)
        ptrain[i] = r->floor_set.pixels[i] / 255.0f;
    if (!st)
        st = dl_nearest_distances(pg, nm, ptrain, nf, DL_IMAGE_PIXELS, nn_gen);
    if (!st)
        st = dl_nearest_distances(pt, nm, ptrain, nf, DL_IMAGE_PIXELS, nn_test);
    r->mem_g = r->mem_t = 0, r->min_g = r->min_t = INFINITY, r->copies = 0;
    for (size_t i = 0; !st && i < nm; i++) {
        r->mem_g += nn_gen[i] / nm, r->mem_t += nn_test[i] / nm;
        r->min_g = fmin(r->min_g, nn_gen[i]);
        r->copies += nn_gen[i] < 0.5; /* near-verbatim: < 0.5 in [0,1] pixel units over 784 pixels */
    }
    for (size_t i = 0; !st && i < nm; i++)
        r->min_t = fmin(r->min_t, nn_test[i]);
    free(pg), free(pt), free(ptrain), free(nn_gen), free(nn_test);
    return st;
}

typedef struct {
    const char *name;
    double g, r;
} eval_row;

static size_t eval_rows(const eval_run *r, eval_row *rows)
{
    const set_metrics *mg = &r->mg, *mr = &r->mr;
    const eval_row all[] = {
        {"fd_fmnist", mg->fd, mr->fd},
        {"kid_x1e3", 1e3 * mg->kid, 1e3 * mr->kid},
        {"kid_x1e3_stderr", 1e3 * mg->kid_se, 1e3 * mr->kid_se},
        {"precision", mg->precision, mr->precision},
        {"recall", mg->recall, mr->recall},
        {"predicted_class_entropy_bits", mg->class_entropy, mr->class_entropy},
        {"label_accuracy", r->label_acc, r->label_acc_real},
        {"per_class_prediction_entropy_bits", r->ent_g, r->ent_r},
        {"within_class_diversity_ratio", r->div_ratio, r->div_ratio_real},
        {"nearest_train_distance_mean", r->mem_g, r->mem_t},
        {"nearest_train_distance_min", r->min_g, r->min_t},
    };
    memcpy(rows, all, sizeof all);
    return sizeof all / sizeof all[0];
}

static int write_outputs(const eval_run *r, const dl_provenance *prov, const eval_row *rows, size_t n_rows)
{
    const eval_options *o = &r->o;
    int st = dl_mkdir_p(o->out);
    if (st)
        return st;
    char path[4200];
    snprintf(path, sizeof path, "%s/samples.png", o->out);
    if ((st = dl_imagegrid_write_png(path, r->gen.pixels, r->gen.count < 100 ? r->gen.count : 100, 28,
                                     28, 10, 2)))
        return st;
    char line[256];
    const char *reference = o->reference_train ? "held-out training (30000..)" : "test";
    snprintf(line, sizeof line, "%zu generated images from %s against %zu %s images; floor: %zu "
             "training images%s; classifier %s",
             r->n, o->images, r->n, reference, r->n, o->reference_train ? " (0..29999)" : "", o->model);
    const char *extra[] = {line, NULL};
    dl_atomic_file f;
    snprintf(path, sizeof path, "%s/eval.dat", o->out);
    if ((st = dl_dat_open(&f, path, prov, extra, "metric generated real_floor")))
        return st;
    for (size_t i = 0; i < n_rows; i++)
        fprintf(f.fp, "%s %.6g %.6g\n", rows[i].name, rows[i].g, rows[i].r);
    return dl_atomic_commit(&f);
}

static void print_table(const eval_run *r, const eval_row *rows, size_t n_rows)
{
    const eval_options *o = &r->o;
    printf("metric (generated vs %-15s %12s %12s\n", o->reference_train ? "training 30000..)" : "test)",
           "generated", "real floor");
    for (size_t i = 0; i < n_rows; i++)
        printf("%-36s %12.5g %12.5g\n", rows[i].name, rows[i].g, rows[i].r);
    if (r->gen.labels && r->worst_class >= 0)
        printf("least diverse class: %d (diversity ratio %.3f)\n", r->worst_class, r->worst_div);
    printf("near-verbatim training copies (pixel distance < 0.5): %zu of %zu\n", r->copies, r->nm);
    printf("wrote %s/eval.dat and %s/samples.png\n", o->out, o->out);
}

static void eval_run_free(eval_run *r)
{
    dl_image_set_free(&r->train), dl_image_set_free(&r->test), dl_image_set_free(&r->gen);
    dl_classifier_destroy(r->cls);
    free(r->fg), free(r->ft), free(r->fr), free(r->predg), free(r->predt), free(r->predr);
    free(r->tpix), free(r->tlab), free(r->rpix), free(r->rlab);
    if (r->rng)
        gsl_rng_free(r->rng);
}

int cmd_eval(int argc, char **argv)
{
    eval_run r;
    memset(&r, 0, sizeof r);
    int help, st = parse_args(argc, argv, &r.o, &help);
    if (!st && help) {
        usage(stdout);
        return 0;
    }
    if (!st && r.o.make) {
        st = make_reference(&r.o);
        return st ? cli_fail("eval") : 0;
    }
    if (!st)
        st = load_sets(&r);
    if (!st)
        st = embed_sets(&r);
    if (!st) {
        class_figures(&r);
        st = memorisation(&r);
    }
    eval_row rows[16];
    const size_t n_rows = st ? 0 : eval_rows(&r, rows);
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), r.o.seed};
    if (!st)
        st = write_outputs(&r, &prov, rows, n_rows);
    if (!st && !r.o.quiet)
        print_table(&r, rows, n_rows);
    eval_run_free(&r);
    return st ? cli_fail("eval") : 0;
}
