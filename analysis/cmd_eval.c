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

int cmd_eval(int argc, char **argv)
{
    eval_options o;
    int help, st;
    dl_image_set train = {0}, test = {0}, gen = {0};
    dl_classifier *cls = NULL;
    float *fg = NULL, *ft = NULL, *fr = NULL, *pg = NULL, *pt = NULL, *ptrain = NULL;
    unsigned char *predg = NULL, *predr = NULL, *tpix = NULL, *tlab = NULL, *rpix = NULL, *rlab = NULL;
    double *nn_gen = NULL, *nn_test = NULL;
    gsl_rng *rng = NULL;
    if ((st = parse_args(argc, argv, &o, &help)))
        goto done;
    if (help) {
        usage(stdout);
        return 0;
    }
    if (o.make) {
        st = make_reference(&o);
        goto done;
    }
    if ((st = dl_idx_read(o.images, o.labels, &gen)))
        goto done;
    if (gen.rows != 28 || gen.cols != 28) {
        st = dl_error(DL_EFORMAT, "'%s' holds %dx%d images; the classifier needs 28x28", o.images,
                      gen.rows, gen.cols);
        goto done;
    }
    if ((st = dl_idx_read_split(o.data, "train", &train)) ||
        (st = dl_idx_read_split(o.data, "t10k", &test)) || (st = dl_classifier_load(o.model, &cls, 500)))
        goto done;
    /* the floor draws from the real images below `half`, the reference set from the rest */
    dl_image_set floor_set = train;
    if (o.reference_train) {
        const size_t half = train.count / 2;
        floor_set.count = half;
        free(test.pixels), free(test.labels);
        test.count = train.count - half;
        test.pixels = malloc(test.count * DL_IMAGE_PIXELS), test.labels = malloc(test.count);
        if (!test.pixels || !test.labels) {
            st = dl_error(DL_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(test.pixels, train.pixels + half * DL_IMAGE_PIXELS, test.count * DL_IMAGE_PIXELS);
        memcpy(test.labels, train.labels + half, test.count);
    }
    size_t n = (size_t)o.n;
    if (n > gen.count)
        n = gen.count;
    if (n > test.count)
        n = test.count;
    if (n < 10) {
        st = dl_error(DL_EINVAL, "need at least 10 generated images, '%s' has %zu", o.images, gen.count);
        goto done;
    }
    const int d = cls->arch.fc;
    rng = dl_rng_create(o.seed);
    fg = malloc(n * d * sizeof(float)), ft = malloc(n * d * sizeof(float)), fr = malloc(n * d * sizeof(float));
    predg = malloc(n), predr = malloc(n), tpix = malloc(n * DL_IMAGE_PIXELS), tlab = malloc(n);
    rpix = malloc(n * DL_IMAGE_PIXELS), rlab = malloc(n);
    if (!fg || !ft || !fr || !predg || !predr || !tpix || !tlab || !rpix || !rlab) {
        st = dl_error(DL_ENOMEM, "out of memory for %zu images", n);
        goto done;
    }
    /* generated: the first n; real: random test and train subsets */
    unsigned char *predt = malloc(n);
    if (!predt || (st = pick(&test, n, rng, tpix, tlab)) || (st = pick(&floor_set, n, rng, rpix, rlab)) ||
        (st = dl_classifier_run(cls, gen.pixels, n, NULL, NULL, fg, predg)) ||
        (st = dl_classifier_run(cls, tpix, n, NULL, NULL, ft, predt)) ||
        (st = dl_classifier_run(cls, rpix, n, NULL, NULL, fr, predr))) {
        free(predt);
        if (!st)
            st = dl_error(DL_ENOMEM, "out of memory");
        goto done;
    }
    set_metrics mg, mr;
    if ((st = compare_sets(fg, predg, ft, n, d, rng, &mg)) ||
        (st = compare_sets(fr, predr, ft, n, d, rng, &mr))) {
        free(predt);
        goto done;
    }

    /* class-conditional figures, when the generator says which class it drew */
    double label_acc = NAN, label_acc_real = NAN, ent_g = NAN, ent_r = NAN, div_ratio = NAN,
           div_ratio_real = NAN, worst_div = INFINITY;
    int worst_class = -1;
    if (gen.labels) {
        size_t hit = 0, hit_r = 0, counts[DL_CLASSES][DL_CLASSES] = {{0}}, counts_r[DL_CLASSES][DL_CLASSES] = {{0}};
        for (size_t i = 0; i < n; i++) {
            hit += predg[i] == gen.labels[i];
            hit_r += predr[i] == rlab[i];
            counts[gen.labels[i]][predg[i]]++;
            counts_r[rlab[i]][predr[i]]++;
        }
        label_acc = (double)hit / n;
        label_acc_real = (double)hit_r / n;
        ent_g = ent_r = div_ratio = div_ratio_real = 0;
        float *buf_g = malloc(n * d * sizeof(float)), *buf_t = malloc(n * d * sizeof(float)),
              *buf_r = malloc(n * d * sizeof(float));
        int classes_g = 0, classes_r = 0;
        for (int c = 0; buf_g && buf_t && buf_r && c < DL_CLASSES; c++) {
            size_t ng = 0, nt = 0, nr = 0;
            for (size_t i = 0; i < n && ng < 500; i++)
                if (gen.labels[i] == c)
                    memcpy(buf_g + ng++ * d, fg + i * d, d * sizeof(float));
            for (size_t i = 0; i < n && nt < 500; i++)
                if (tlab[i] == c)
                    memcpy(buf_t + nt++ * d, ft + i * d, d * sizeof(float));
            for (size_t i = 0; i < n && nr < 500; i++)
                if (rlab[i] == c)
                    memcpy(buf_r + nr++ * d, fr + i * d, d * sizeof(float));
            if (nt < 2)
                continue;
            double dt = dl_mean_pairwise_distance(buf_t, nt, d);
            /* the floor over every class the real sets hold, independent of the generator */
            if (nr >= 2) {
                div_ratio_real += dl_mean_pairwise_distance(buf_r, nr, d) / dt;
                ent_r += entropy_bits(counts_r[c], DL_CLASSES);
                classes_r++;
            }
            if (ng >= 2) {
                double ratio = dl_mean_pairwise_distance(buf_g, ng, d) / dt;
                div_ratio += ratio;
                ent_g += entropy_bits(counts[c], DL_CLASSES);
                if (ratio < worst_div)
                    worst_div = ratio, worst_class = c;
                classes_g++;
            }
        }
        free(buf_g), free(buf_t), free(buf_r);
        div_ratio = classes_g ? div_ratio / classes_g : NAN;
        ent_g = classes_g ? ent_g / classes_g : NAN;
        div_ratio_real = classes_r ? div_ratio_real / classes_r : NAN;
        ent_r = classes_r ? ent_r / classes_r : NAN;
    }
    free(predt);

    /* memorisation: pixel distance to the nearest training image (with
     * --reference train, of the floor's half: the reference images are the others) */
    size_t nm = n < 1000 ? n : 1000;
    pg = malloc(nm * DL_IMAGE_PIXELS * sizeof(float));
    pt = malloc(nm * DL_IMAGE_PIXELS * sizeof(float));
    ptrain = malloc(floor_set.count * DL_IMAGE_PIXELS * sizeof(float));
    nn_gen = malloc(nm * sizeof(double)), nn_test = malloc(nm * sizeof(double));
    if (!pg || !pt || !ptrain || !nn_gen || !nn_test) {
        st = dl_error(DL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nm * DL_IMAGE_PIXELS; i++) {
        pg[i] = gen.pixels[i] / 255.0f;
        pt[i] = tpix[i] / 255.0f;
    }
    for (size_t i = 0; i < floor_set.count * DL_IMAGE_PIXELS; i++)
        ptrain[i] = floor_set.pixels[i] / 255.0f;
    if ((st = dl_nearest_distances(pg, nm, ptrain, floor_set.count, DL_IMAGE_PIXELS, nn_gen)) ||
        (st = dl_nearest_distances(pt, nm, ptrain, floor_set.count, DL_IMAGE_PIXELS, nn_test)))
        goto done;
    double mem_g = 0, mem_t = 0, min_g = INFINITY;
    size_t copies = 0;
    for (size_t i = 0; i < nm; i++) {
        mem_g += nn_gen[i] / nm, mem_t += nn_test[i] / nm;
        min_g = fmin(min_g, nn_gen[i]);
        copies += nn_gen[i] < 0.5; /* near-verbatim: < 0.5 in [0,1] pixel units over 784 pixels */
    }
    double min_t = INFINITY;
    for (size_t i = 0; i < nm; i++)
        min_t = fmin(min_t, nn_test[i]);

    if ((st = dl_mkdir_p(o.out)))
        goto done;
    char path[4200];
    snprintf(path, sizeof path, "%s/samples.png", o.out);
    if ((st = dl_imagegrid_write_png(path, gen.pixels, gen.count < 100 ? gen.count : 100, 28, 28, 10, 2)))
        goto done;
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), o.seed};
    char line[256];
    const char *reference = o.reference_train ? "held-out training (30000..)" : "test";
    snprintf(line, sizeof line, "%zu generated images from %s against %zu %s images; floor: %zu "
             "training images%s; classifier %s",
             n, o.images, n, reference, n, o.reference_train ? " (0..29999)" : "", o.model);
    const char *extra[] = {line, NULL};
    dl_atomic_file f;
    snprintf(path, sizeof path, "%s/eval.dat", o.out);
    if ((st = dl_dat_open(&f, path, &prov, extra, "metric generated real_floor")))
        goto done;
    struct { const char *name; double g, r; } rows[] = {
        {"fd_fmnist", mg.fd, mr.fd},
        {"kid_x1e3", 1e3 * mg.kid, 1e3 * mr.kid},
        {"kid_x1e3_stderr", 1e3 * mg.kid_se, 1e3 * mr.kid_se},
        {"precision", mg.precision, mr.precision},
        {"recall", mg.recall, mr.recall},
        {"predicted_class_entropy_bits", mg.class_entropy, mr.class_entropy},
        {"label_accuracy", label_acc, label_acc_real},
        {"per_class_prediction_entropy_bits", ent_g, ent_r},
        {"within_class_diversity_ratio", div_ratio, div_ratio_real},
        {"nearest_train_distance_mean", mem_g, mem_t},
        {"nearest_train_distance_min", min_g, min_t},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(f.fp, "%s %.6g %.6g\n", rows[i].name, rows[i].g, rows[i].r);
    if ((st = dl_atomic_commit(&f)))
        goto done;
    if (!o.quiet) {
        printf("metric (generated vs %-15s %12s %12s\n", o.reference_train ? "training 30000..)" : "test)",
               "generated", "real floor");
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            printf("%-36s %12.5g %12.5g\n", rows[i].name, rows[i].g, rows[i].r);
        if (gen.labels && worst_class >= 0)
            printf("least diverse class: %d (diversity ratio %.3f)\n", worst_class, worst_div);
        printf("near-verbatim training copies (pixel distance < 0.5): %zu of %zu\n", copies, nm);
        printf("wrote %s/eval.dat and %s/samples.png\n", o.out, o.out);
    }
done:
    dl_image_set_free(&train), dl_image_set_free(&test), dl_image_set_free(&gen);
    dl_classifier_destroy(cls);
    free(fg), free(ft), free(fr), free(pg), free(pt), free(ptrain);
    free(predg), free(predr), free(tpix), free(tlab), free(rpix), free(rlab);
    free(nn_gen), free(nn_test);
    if (rng)
        gsl_rng_free(rng);
    return st ? cli_fail("eval") : 0;
}
