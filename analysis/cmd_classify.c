/* driftlab classify train|test: the evaluation classifier on Fashion-MNIST. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "nn/checkpoint.h"
#include "nn/classifier.h"
#include "cli.h"
#include "commands.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "base/parse.h"
#include "images/idx.h"
#include "nn/optim.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

typedef struct {
    const char *data, *out, *model, *resume;
    int epochs, batch, quiet, limit;
    long checkpoint_every;
    double lr, time_budget_min;
    unsigned long seed;
    dl_classifier_arch arch;
} classify_options;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab classify train [options]   train the evaluation CNN\n"
            "       driftlab classify test --model CKPT [--data DIR]\n\n"
            "train options:\n"
            "  --data DIR          IDX files (default " DEFAULT_DATA ")\n"
            "  --out FILE          checkpoint to write (default classifier.ckpt)\n"
            "  --epochs N          passes over the training split (default 4)\n"
            "  --batch N           images per step (default 128)\n"
            "  --lr X              peak AdamW learning rate (default 2e-3; warmup 200 steps, cosine)\n"
            "  --time-budget MIN   stop training after MIN minutes (default: none)\n"
            "  --limit N           train on the first N training images only\n"
            "  --resume CKPT       continue from a checkpoint of this command\n"
            "  --checkpoint-every N  also write --out every N steps, to resume from (default: at the end)\n"
            "  --seed N            (default 1)\n"
            "  --width C1,C2,C3,FC channel and feature widths (default 32,64,64,128)\n"
            "  --quiet             no progress line\n"
            "The test split is used only to report accuracy.\n");
}

/* --width C1,C2,C3,FC, each in range before it narrows to int */
static int parse_widths(const char *text, dl_classifier_arch *w)
{
    long v[4];
    int n;
    int st = dl_parse_long_list("width", text, 4, 1, DL_CLASSIFIER_MAX_FC, v, &n);
    if (st)
        return st;
    if (n != 4 || v[0] > DL_CLASSIFIER_MAX_WIDTH || v[1] > DL_CLASSIFIER_MAX_WIDTH ||
        v[2] > DL_CLASSIFIER_MAX_WIDTH)
        return dl_error(DL_EINVAL, "--width needs four integers C1,C2,C3 (1..%d) and FC (1..%d), got '%s'",
                        DL_CLASSIFIER_MAX_WIDTH, DL_CLASSIFIER_MAX_FC, text);
    w->c1 = (int)v[0], w->c2 = (int)v[1], w->c3 = (int)v[2], w->fc = (int)v[3];
    return DL_OK;
}

static int parse_args(int argc, char **argv, classify_options *o)
{
    memset(o, 0, sizeof *o);
    o->data = DEFAULT_DATA;
    o->out = "classifier.ckpt";
    o->epochs = 4;
    o->batch = 128;
    o->lr = 2e-3;
    o->seed = 1;
    o->arch = (dl_classifier_arch){32, 64, 64, 128};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long lv;
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (strncmp(a, "--", 2))
            return dl_error(DL_EINVAL, "unexpected argument '%s'", a);
        static const char *const with_value[] = {"data", "out", "model", "resume", "epochs", "batch",
                                                 "limit", "seed", "lr", "time-budget", "width",
                                                 "checkpoint-every", NULL};
        int st = cli_option_value("classify", a, v, with_value);
        if (st)
            return st;
        i++;
        if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--out"))
            o->out = v;
        else if (!strcmp(a, "--model"))
            o->model = v;
        else if (!strcmp(a, "--resume"))
            o->resume = v;
        else if (!strcmp(a, "--checkpoint-every"))
            st = cli_parse_long_in("checkpoint-every", v, 1, 100000000, &o->checkpoint_every);
        else if (!strcmp(a, "--epochs")) {
            st = cli_parse_long_in("epochs", v, 1, 1000, &lv);
            o->epochs = (int)lv;
        } else if (!strcmp(a, "--batch")) {
            st = cli_parse_long_in("batch", v, 1, 4096, &lv);
            o->batch = (int)lv;
        } else if (!strcmp(a, "--limit")) {
            st = cli_parse_long_in("limit", v, 1, 1000000000L, &lv);
            o->limit = (int)lv;
        } else if (!strcmp(a, "--seed")) {
            st = cli_parse_long_in("seed", v, 0, 2147483647L, &lv);
            o->seed = (unsigned long)lv;
        } else if (!strcmp(a, "--lr")) {
            if (!(st = dl_parse_double("lr", v, &o->lr)) && !(o->lr > 0))
                st = dl_error(DL_EINVAL, "--lr must be positive");
        } else if (!strcmp(a, "--time-budget")) {
            if (!(st = dl_parse_double("time-budget", v, &o->time_budget_min)) &&
                !(o->time_budget_min > 0))
                st = dl_error(DL_EINVAL, "--time-budget must be positive (minutes)");
        } else if (!strcmp(a, "--width")) {
            dl_classifier_arch w;
            st = parse_widths(v, &w);
            o->arch = w;
        } else
            st = dl_error(DL_EINVAL, "unknown option '%s' (see driftlab classify --help)", a);
        if (st)
            return st;
    }
    return DL_OK;
}

/* The fit's per-step report: the progress line, and every checkpoint_every
 * steps the checkpoint a --resume continues from (written atomically). */
typedef struct {
    cli_fit_progress progress;
    const classify_options *o;
    const dl_classifier *c;
    const dl_adamw *opt;
    const gsl_rng *rng;
    const char *arch;
    const dl_provenance *prov;
    int status;
} fit_report;

static int on_fit_step(void *ctx, long step, long total, double loss)
{
    fit_report *r = ctx;
    const long every = r->o->checkpoint_every;
    if (every && step % every == 0 && step < total &&
        (r->status = dl_checkpoint_write(r->o->out, r->arch, step, r->c->params, r->c->n_params,
                                         r->opt, r->rng, r->prov)))
        return 1;
    return cli_fit_report(&r->progress, step, total, loss);
}

static int train(const classify_options *o, int argc, char **argv)
{
    dl_image_set train_set = {0}, test_set = {0};
    dl_classifier *c = NULL;
    dl_adamw *opt = NULL;
    gsl_rng *rng = NULL;
    int st;
    if ((st = dl_idx_read_split(o->data, "train", &train_set)) ||
        (st = dl_idx_read_split(o->data, "t10k", &test_set)))
        goto done;
    if (train_set.rows != 28 || train_set.cols != 28 || test_set.rows != 28 || test_set.cols != 28) {
        st = dl_error(DL_EFORMAT, "the classifier needs 28x28 images, '%s' has %dx%d", o->data,
                      train_set.rows, train_set.cols);
        goto done;
    }
    size_t n_train = o->limit && (size_t)o->limit < train_set.count ? (size_t)o->limit : train_set.count;
    const int B = o->batch;
    long steps_per_epoch = (long)(n_train / (size_t)B);
    if (steps_per_epoch < 1) {
        st = dl_error(DL_EINVAL, "batch %d is larger than the %zu training images", B, n_train);
        goto done;
    }
    long total = steps_per_epoch * o->epochs;
    if ((st = dl_classifier_create(&c, &o->arch, B)))
        goto done;
    rng = dl_rng_create(o->seed);
    dl_classifier_init(c, rng);
    dl_adamw_config cfg = dl_classifier_adamw_config((float)o->lr, total);
    if ((st = dl_adamw_create(&opt, c->n_params, &cfg, c->params)))
        goto done;
    char arch[128];
    dl_classifier_arch_string(&o->arch, arch, sizeof arch);
    long step = 0;
    if (o->resume && (st = dl_checkpoint_read(o->resume, arch, &step, c->params, c->n_params, opt, rng)))
        goto done;
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), o->seed};
    fit_report fr = {.progress = {.budget_s = 60 * o->time_budget_min, .t0 = cli_wall_seconds(), .batch = B},
                     .o = o, .c = c, .opt = opt, .rng = rng, .arch = arch, .prov = &prov};
    cli_fit_progress *fp = &fr.progress;
    cli_progress_start(&fp->bar, o->quiet);
    st = dl_classifier_fit(c, opt, train_set.pixels, train_set.labels, n_train, o->seed, total, &step,
                           on_fit_step, &fr);
    cli_progress_finish(&fp->bar);
    if (!st)
        st = fr.status;
    if (st)
        goto done;
    double seconds = cli_wall_seconds() - fp->t0;
    if ((st = dl_checkpoint_write(o->out, arch, step, c->params, c->n_params, opt, rng, &prov)))
        goto done;
    /* evaluate the EMA weights on the test split */
    memcpy(c->params, opt->ema, c->n_params * sizeof(float));
    double acc;
    if ((st = dl_classifier_run(c, test_set.pixels, test_set.count, test_set.labels, &acc, NULL, NULL)))
        goto done;
    printf("trained %ld steps (%ld images) in %.1f s, %.0f images/s; test accuracy %.2f%% on %zu "
           "images; wrote %s\n",
           step, step * B, seconds, step * B / (seconds > 0 ? seconds : 1e-9), 100 * acc,
           test_set.count, o->out);
done:
    dl_image_set_free(&train_set);
    dl_image_set_free(&test_set);
    dl_classifier_destroy(c);
    dl_adamw_destroy(opt);
    if (rng)
        gsl_rng_free(rng);
    return st;
}

static int test(const classify_options *o)
{
    if (!o->model)
        return dl_error(DL_EINVAL, "classify test needs --model CKPT");
    dl_image_set test_set = {0};
    dl_classifier *c = NULL;
    int st = dl_idx_read_split(o->data, "t10k", &test_set);
    if (!st)
        st = dl_classifier_load(o->model, &c, 500);
    double acc;
    if (!st)
        st = dl_classifier_run(c, test_set.pixels, test_set.count, test_set.labels, &acc, NULL, NULL);
    if (!st)
        printf("test accuracy %.2f%% on %zu images (%s)\n", 100 * acc, test_set.count, o->model);
    dl_classifier_destroy(c);
    dl_image_set_free(&test_set);
    return st;
}

int cmd_classify(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    classify_options o;
    int st = parse_args(argc, argv, &o);
    if (!st) {
        if (!strcmp(argv[1], "train"))
            st = train(&o, argc, argv);
        else if (!strcmp(argv[1], "test"))
            st = test(&o);
        else
            st = dl_error(DL_EINVAL, "unknown classify action '%s' (train or test)", argv[1]);
    }
    return st ? cli_fail("classify") : 0;
}
