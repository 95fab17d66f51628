/* driftlab sample: images from a trained generator's EMA weights, as a PNG
 * grid and as IDX files that `driftlab eval` reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "base/rng.h"
#include "cli.h"
#include "commands.h"
#include "images/idx.h"
#include "images/imagegrid.h"
#include "nn/checkpoint.h"
#include "nn/generator.h"
#include "nn/optim.h"
#include "train/trainer.h"

typedef struct {
    const char *ckpt, *out;
    long n, only_class, seed;
    double alpha, noise_scale;
    int quiet;
} sample_options;

static void usage(void)
{
    printf("usage: driftlab sample CKPT --out PREFIX [--n N] [--class C] [--seed S] [--alpha A]\n"
           "                       [--noise-scale S] [--quiet]\n"
           "Writes PREFIX.png (a grid) and PREFIX-images.idx.gz, PREFIX-labels.idx.gz\n"
           "(the format `driftlab eval` reads), drawn with the EMA weights; classes\n"
           "cycle 0..9 unless --class C.  --alpha: the guidance scale of a generator\n"
           "trained with --cfg-alpha-max (default 1: none).  --noise-scale: the noise's\n"
           "standard deviation (default 1, as trained; below 1 trades coverage for\n"
           "fidelity, the truncation trick, above 1 the reverse).\n");
}

static int parse_value(const char *a, const char *v, sample_options *o)
{
    int st = DL_OK;
    if (!strcmp(a, "--out"))
        o->out = v;
    else if (!strcmp(a, "--n"))
        st = cli_parse_long_in("n", v, 1, 1000000, &o->n);
    else if (!strcmp(a, "--class"))
        st = cli_parse_long_in("class", v, 0, 9, &o->only_class);
    else if (!strcmp(a, "--seed"))
        st = cli_parse_long_in("seed", v, 0, 2147483647L, &o->seed);
    else if (!strcmp(a, "--alpha")) {
        if (!(st = dl_parse_double("alpha", v, &o->alpha)) && !(o->alpha >= 1 && o->alpha <= 100))
            st = dl_error(DL_EINVAL, "--alpha (the guidance scale) must lie in [1, 100], got %s", v);
    } else if (!strcmp(a, "--noise-scale")) {
        if (!(st = dl_parse_double("noise-scale", v, &o->noise_scale)) &&
            !(o->noise_scale > 0 && o->noise_scale <= 10))
            st = dl_error(DL_EINVAL, "--noise-scale must lie in (0, 10], got %s", v);
    }
    return st;
}

/* 1 with *help set for --help; otherwise a status */
static int parse_args(int argc, char **argv, sample_options *o, int *help)
{
    static const char *const with_value[] = {"out", "n", "class", "seed", "alpha", "noise-scale",
                                             NULL};
    *o = (sample_options){.n = 100, .only_class = -1, .seed = 1, .alpha = 1, .noise_scale = 1};
    *help = 0;
    int st = DL_OK;
    for (int i = 1; i < argc && !st; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = 1;
            return DL_OK;
        }
        if (a[0] != '-')
            o->ckpt = a;
        else if (!strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (!(st = cli_option_value("sample", a, v, with_value)))
            st = parse_value(a, v, o), i++;
    }
    if (!st && (!o->ckpt || !o->out))
        st = dl_error(DL_EINVAL, "sample needs a checkpoint and --out PREFIX");
    return st;
}

/* The checkpoint's generator and its EMA weights (in opt). */
static int load_generator(const sample_options *o, dl_generator **g, dl_adamw **opt)
{
    char arch_s[256];
    dl_generator_arch arch;
    int st = dl_checkpoint_arch(o->ckpt, arch_s, sizeof arch_s);
    if (!st)
        st = dl_generator_arch_parse(arch_s, &arch);
    if (!st && o->alpha != 1 && !arch.guided)
        st = dl_error(DL_EINVAL, "--alpha %g: %s was trained without guidance (--cfg-alpha-max)",
                      o->alpha, o->ckpt);
    if (!st)
        st = dl_generator_create(g, &arch, 500);
    dl_adamw_config cfg = {.lr = 1, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .ema_decay = 0.5f};
    if (!st)
        st = dl_adamw_create(opt, (*g)->n_params, &cfg, (*g)->params);
    if (!st)
        st = dl_checkpoint_read(o->ckpt, arch_s, NULL, (*g)->params, (*g)->n_params, *opt, NULL);
    return st;
}

static int write_samples(const sample_options *o, const dl_image_set *set)
{
    char p1[4200], p2[4200], p3[4200];
    snprintf(p1, sizeof p1, "%s.png", o->out);
    snprintf(p2, sizeof p2, "%s-images.idx.gz", o->out);
    snprintf(p3, sizeof p3, "%s-labels.idx.gz", o->out);
    int st = dl_imagegrid_write_png(p1, set->pixels, (size_t)(o->n < 100 ? o->n : 100), 28, 28, 10, 2);
    if (!st)
        st = dl_idx_write(p2, p3, set);
    if (!st && !o->quiet)
        printf("wrote %ld samples: %s, %s, %s\n", o->n, p1, p2, p3);
    return st;
}

int cmd_sample(int argc, char **argv)
{
    sample_options o;
    int help;
    int st = parse_args(argc, argv, &o, &help);
    if (!st && help) {
        usage();
        return 0;
    }
    dl_generator *g = NULL;
    dl_adamw *opt = NULL;
    dl_image_set set = {0};
    if (!st)
        st = load_generator(&o, &g, &opt);
    if (!st) {
        set.count = (size_t)o.n, set.rows = 28, set.cols = 28;
        set.pixels = malloc((size_t)o.n * 784);
        set.labels = malloc((size_t)o.n);
        if (!set.pixels || !set.labels)
            st = dl_error(DL_ENOMEM, "out of memory");
    }
    if (!st) {
        gsl_rng *rng = dl_rng_create((unsigned long)o.seed);
        st = dl_trainer_generate(g, opt->ema, (size_t)o.n, (int)o.only_class, (float)o.alpha,
                                 o.noise_scale, rng, set.pixels, set.labels);
        gsl_rng_free(rng);
    }
    if (!st)
        st = write_samples(&o, &set);
    dl_image_set_free(&set);
    dl_generator_destroy(g);
    dl_adamw_destroy(opt);
    return st ? cli_fail("sample") : 0;
}
