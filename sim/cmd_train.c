/* driftlab train: a one-step generator trained with the drifting loss
 *     L = E || f(z) - stopgrad(f(z) + V) ||^2
 * summed over feature maps, with V the practical field of Deng et al. computed
 * per class (its generated samples against its real positives).
 * driftlab sample: images from a trained generator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "nn/checkpoint.h"
#include "nn/classifier.h"
#include "cli.h"
#include "commands.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "images/drift_field.h"
#include "nn/encoder.h"
#include "images/feature_maps.h"
#include "nn/generator.h"
#include "images/idx.h"
#include "images/imagegrid.h"
#include "images/imgmetrics.h"
#include "base/io.h"
#include "nn/optim.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"
#define MAX_FEATURES 8
#define FIT_ENCODER "fit"
#define DEFAULT_FEATURES "pixels,enc1"
/* --field meanshift: one temperature, the softest of the practical field's */
#define MEANSHIFT_TAU 0.2
/* --field sinkhorn: entropic regularisation in units of the mean distance (cost |u|^2/2 ~ 0.5) */
#define SINKHORN_FIELD_EPS 0.05

/* A feature map of the loss: a fixed map of the image, or a layer (1..4) of
 * the frozen encoder. */
typedef struct {
    dl_feature_kind fixed;
    int encoder_layer; /* 0: the fixed map */
    int per_location;  /* encN-loc: one field per 7x7 location over the channels */
    double weight;     /* of its loss in the sum (name:W; default 1) */
} feature_slot;

typedef struct {
    const char *data, *out, *classifier, *encoder, *resume;
    int gen_per_class, pos_per_class, zdim, hidden, noise_channels, width, unconditional, quiet;
    int meanshift, sinkhorn, no_stop_gradient; /* the other fields; the ablation */
    dl_generator_kind generator;
    long steps, eval_every, checkpoint_every, eval_n;
    double lr, time_budget_min;
    double cfg_alpha_max, alpha; /* guidance: training range of alpha (> 1: on); scale to sample at */
    int cfg_uncond;              /* unconditional real negatives per class per step */
    double lr_decay;             /* the run's last fraction: lr decays to 0 over it (cosine) */
    int no_channel_scale;        /* encoder maps as they come, not per channel to unit RMS */
    int linear_output;           /* the generator's pixels unsquashed (no tanh) */
    double weight_decay, ema;    /* AdamW's decoupled decay; the sampled weights' EMA */
    unsigned long seed;
    int n_features;
    feature_slot features[MAX_FEATURES];
    dl_field_config field;
} train_options;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab train [options]\n\n"
            "Trains a one-step generator x = f(z, class) on Fashion-MNIST with the drifting loss\n"
            "(one drift field per class and feature map, under stop-gradient).  Writes into --out:\n"
            "generator.ckpt, train.dat (FD-FMNIST, KID, precision, recall, label accuracy at\n"
            "every evaluation; needs --classifier) and samples-<step>.png (one row per class).\n"
            "The drifting loss itself stays near constant by design (the field is RMS-normalised):\n"
            "it is no progress signal, the evaluation is.\n\n"
            "options:\n"
            "  --data DIR            IDX files (default " DEFAULT_DATA ")\n"
            "  --out DIR             (default runs/train)\n"
            "  --classifier CKPT     evaluation classifier (driftlab classify train)\n"
            "  --features LIST       of pixels, pool14, pool7, meanstd, patchstd, grad, edges and the\n"
            "                        encoder's enc1..enc3 (conv layers pooled to 7x7) and encfc\n"
            "                        (penultimate features); each map its own field and loss,\n"
            "                        NAME:W weighs that loss by W (default 1); encN-loc: that\n"
            "                        layer as one field per 7x7 location over its channels (49\n"
            "                        small fields, Deng et al.), each 1/49 of the map's loss\n"
            "                        (default " DEFAULT_FEATURES ")\n"
            "  --encoder CKPT|fit    the frozen encoder of the enc* maps: a classifier checkpoint,\n"
            "                        best not the evaluation one (a loss in the metric's own\n"
            "                        features trains toward it), or fit (default): train a small one\n"
            "                        first (widths 16,16,32,64, 2 epochs, 25-35 s, inside the time\n"
            "                        budget) into OUT/encoder.ckpt, which --resume reuses\n"
            "  --no-channel-scale    the encoder maps as they come (default: each channel scaled\n"
            "                        to unit RMS over the training split)\n"
            "  --kernel K            laplacian (default) | gaussian\n"
            "  --norm N              two-sided (default) | rows | none\n"
            "  --tau LIST            the practical field's temperatures, in units of the batch's\n"
            "                        mean distance; each one's force is RMS-normalised, then\n"
            "                        summed (default 0.02,0.05,0.2; at most 8)\n"
            "  --field F             practical (default: Deng et al., three temperatures, two-sided,\n"
            "                        RMS-normalised) | meanshift (V+ - V-, rows, tau 0.2, no RMS)\n"
            "                        | sinkhorn (T_qp - T_qq, eps 0.05 in units of the mean distance)\n"
            "  --no-stop-gradient    the ablation: descend |V|^2 through V (needs --field meanshift)\n"
            "  --gen-per-class N     generated images per class per step (default 64)\n"
            "  --pos-per-class N     real positives per class per step (default 64)\n"
            "  --generator G         mlp (default) | conv (upsampling convs, GroupNorm, SiLU,\n"
            "                        residual blocks; image-shaped noise and a class embedding)\n"
            "  --zdim N --hidden N   MLP noise and width (default 64, 512)\n"
            "  --noise-channels N    conv: 7x7 noise channels (default 4)\n"
            "  --width N             conv: base channels, a multiple of 8 (default 16)\n"
            "  --unconditional       one class for everything\n"
            "  --cfg-alpha-max A     classifier-free guidance (Deng et al. A.7): > 1 trains a\n"
            "                        generator conditioned on alpha, drawn per class and step from\n"
            "                        p(alpha) ~ alpha^-3 on [1, A]; the negatives then include\n"
            "                        --cfg-uncond real images of random classes, each weighted\n"
            "                        (alpha - 1)(N_gen - 1) / N_uncond (default 3; 1: off, the\n"
            "                        default with --unconditional or another --field)\n"
            "  --cfg-uncond N        unconditional negatives per class per step (default 32)\n"
            "  --alpha A             guidance scale of the evaluations and sample grids (default\n"
            "                        1: none; needs --cfg-alpha-max >= A)\n"
            "  --lr X                AdamW (0.9, 0.95) peak rate (default 3e-3, warmup 100)\n"
            "  --lr-decay F          the rate falls to 0 over the run's last fraction F (cosine;\n"
            "                        default 1; 0: constant): of --steps, or with --time-budget of\n"
            "                        the budget, ending where the step rate so far says the budget\n"
            "                        will (after at least 200 steps); train.dat records both steps\n"
            "  --weight-decay X      AdamW's decoupled weight decay (default 0)\n"
            "  --ema X               decay of the weights' moving average that samples (default 0.999)\n"
            "  --output O            tanh (default) | linear: the generator's last layer unsquashed,\n"
            "                        its images clamped to [-1, 1] where written\n"
            "  --steps N             (default 100000; --time-budget usually ends it first)\n"
            "  --time-budget MIN     stop after MIN minutes of training\n"
            "  --eval-every N        steps between evaluations (default 2500; they count in --time-budget)\n"
            "  --eval-n N            images per evaluation (default 2000)\n"
            "  --checkpoint-every N  (default 1000)\n"
            "  --resume CKPT         continue from a generator checkpoint\n"
            "  --seed N              (default 1)\n"
            "  --quiet\n");
}

static int parse_features(const char *text, train_options *o)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    o->n_features = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (o->n_features == MAX_FEATURES)
            return dl_error(DL_EINVAL, "--features: at most %d maps", MAX_FEATURES);
        feature_slot *f = &o->features[o->n_features++];
        static const char *const enc_names[] = {"enc1", "enc2", "enc3", "encfc"};
        f->encoder_layer = 0;
        f->weight = 1;
        char *colon = strchr(tok, ':');
        if (colon) {
            *colon = '\0';
            char option[64];
            snprintf(option, sizeof option, "features (the weight of map '%s')", tok);
            int st = cli_parse_double(option, colon + 1, &f->weight);
            if (st)
                return st;
            if (!(f->weight > 0))
                return dl_error(DL_EINVAL, "--features: the weight of map '%s' must be > 0 (got %s)",
                                tok, colon + 1);
        }
        f->per_location = 0;
        size_t len = strlen(tok);
        if (len > 4 && !strcmp(tok + len - 4, "-loc"))
            tok[len - 4] = '\0', f->per_location = 1;
        for (int l = 0; l < DL_ENCODER_LAYERS; l++)
            if (!strcmp(tok, enc_names[l]))
                f->encoder_layer = l + 1;
        if (f->per_location && !(f->encoder_layer >= 1 && f->encoder_layer <= 3))
            return dl_error(DL_EINVAL, "--features: '%s-loc': per-location fields are for the "
                            "convolutional maps enc1, enc2, enc3", tok);
        if (!f->encoder_layer && dl_feature_parse(tok, &f->fixed))
            return dl_error(DL_EINVAL, "--features: unknown feature map '%s' (known: pixels, pool14, "
                            "pool7, meanstd, patchstd, grad, edges, enc1, enc2, enc3, encfc, "
                            "enc1-loc, enc2-loc, enc3-loc)", tok);
    }
    if (!o->n_features)
        return dl_error(DL_EINVAL, "--features: empty list");
    return DL_OK;
}

static int parse_args(int argc, char **argv, train_options *o, int *help)
{
    memset(o, 0, sizeof *o);
    o->data = DEFAULT_DATA;
    o->out = "runs/train";
    o->gen_per_class = 64, o->pos_per_class = 64, o->zdim = 64, o->hidden = 512;
    o->noise_channels = 4, o->width = 16;
    o->steps = 100000, o->eval_every = 2500, o->checkpoint_every = 1000, o->eval_n = 2000;
    o->alpha = 1, o->cfg_uncond = 32;
    o->ema = 0.999;
    o->seed = 1;
    o->field = dl_field_default();
    *help = 0;
    int cfg_explicit = 0, tau_explicit = 0;
    /* The defaults are what measured best in a fixed time (README, issue 5):
     * pixels and the fitted encoder's first layer, guidance, lr 3e-3 falling
     * to 0 (cosine) by the end of the run.  enc1 sees the per-sample grain
     * that the pixel field cannot pull back, for 1.35x the step; the deeper
     * maps cost more per step than they give. */
    o->encoder = FIT_ENCODER;
    o->lr = 3e-3, o->lr_decay = 1;
    o->cfg_alpha_max = 3;
    int st = parse_features(DEFAULT_FEATURES, o);
    for (int i = 1; i < argc && !st; i++) {
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
        if (!strcmp(a, "--no-channel-scale")) {
            o->no_channel_scale = 1;
            continue;
        }
        if (!strcmp(a, "--unconditional")) {
            o->unconditional = 1;
            continue;
        }
        if (!strcmp(a, "--no-stop-gradient")) {
            o->no_stop_gradient = 1;
            continue;
        }
        if (strncmp(a, "--", 2))
            return dl_error(DL_EINVAL, "unexpected argument '%s'", a);
        static const char *const with_value[] = {
            "data", "out", "classifier", "encoder", "resume", "features", "generator", "kernel",
            "field", "norm", "tau", "gen-per-class", "pos-per-class", "zdim", "hidden",
            "noise-channels", "width", "steps", "eval-every", "eval-n", "checkpoint-every",
            "cfg-uncond", "seed", "lr", "weight-decay", "ema", "output", "cfg-alpha-max", "alpha",
            "lr-decay", "time-budget", NULL};
        if ((st = cli_option_value("train", a, v, with_value)))
            return st;
        i++;
#define INT_OPT(name, field, lo, hi)                                                               \
    else if (!strcmp(a, "--" name))                                                                \
    {                                                                                              \
        st = cli_parse_long_in(name, v, lo, hi, &lv);                                              \
        o->field = lv;                                                                             \
    }
        if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--out"))
            o->out = v;
        else if (!strcmp(a, "--classifier"))
            o->classifier = v;
        else if (!strcmp(a, "--encoder")) {
            o->encoder = v;
            if (!*v)
                st = dl_error(DL_EINVAL, "--encoder needs a checkpoint path or 'fit'");
        }
        else if (!strcmp(a, "--resume"))
            o->resume = v;
        else if (!strcmp(a, "--features"))
            st = parse_features(v, o);
        else if (!strcmp(a, "--generator"))
            st = dl_generator_kind_parse(v, &o->generator);
        else if (!strcmp(a, "--kernel"))
            st = dl_field_kernel_parse(v, &o->field.kernel);
        else if (!strcmp(a, "--field")) {
            if (!strcmp(v, "practical") || !strcmp(v, "meanshift") || !strcmp(v, "sinkhorn"))
                o->meanshift = !strcmp(v, "meanshift"), o->sinkhorn = !strcmp(v, "sinkhorn");
            else
                st = dl_error(DL_EINVAL, "unknown --field '%s' (practical, meanshift, sinkhorn)", v);
        } else if (!strcmp(a, "--norm"))
            st = dl_field_norm_parse(v, &o->field.norm);
        else if (!strcmp(a, "--tau") && ++tau_explicit)
            st = cli_parse_positive_list("tau", v, (int)(sizeof o->field.tau / sizeof o->field.tau[0]),
                                         o->field.tau, &o->field.n_tau);
        INT_OPT("gen-per-class", gen_per_class, 2, 4096)
        INT_OPT("pos-per-class", pos_per_class, 1, 4096)
        INT_OPT("zdim", zdim, 1, 4096)
        INT_OPT("hidden", hidden, 1, 8192)
        INT_OPT("noise-channels", noise_channels, 1, 64)
        INT_OPT("width", width, 8, 1024)
        INT_OPT("steps", steps, 1, 100000000)
        INT_OPT("eval-every", eval_every, 1, 100000000)
        INT_OPT("eval-n", eval_n, 100, 100000)
        INT_OPT("checkpoint-every", checkpoint_every, 1, 100000000)
        INT_OPT("cfg-uncond", cfg_uncond, 1, 4096)
        else if (!strcmp(a, "--seed")) {
            st = cli_parse_long_in("seed", v, 0, 2147483647L, &lv);
            o->seed = (unsigned long)lv;
        } else if (!strcmp(a, "--lr")) {
            if (!(st = cli_parse_double("lr", v, &o->lr)) && !(o->lr > 0))
                st = dl_error(DL_EINVAL, "--lr must be positive");
        } else if (!strcmp(a, "--weight-decay")) {
            if (!(st = cli_parse_double("weight-decay", v, &o->weight_decay)) &&
                !(o->weight_decay >= 0 && o->weight_decay < 1))
                st = dl_error(DL_EINVAL, "--weight-decay must lie in [0, 1), got %s", v);
        } else if (!strcmp(a, "--ema")) {
            if (!(st = cli_parse_double("ema", v, &o->ema)) && !(o->ema >= 0 && o->ema < 1))
                st = dl_error(DL_EINVAL, "--ema must lie in [0, 1), got %s", v);
        } else if (!strcmp(a, "--output")) {
            if (!strcmp(v, "tanh") || !strcmp(v, "linear"))
                o->linear_output = !strcmp(v, "linear");
            else
                st = dl_error(DL_EINVAL, "unknown --output '%s' (tanh, linear)", v);
        } else if (!strcmp(a, "--cfg-alpha-max")) {
            cfg_explicit = 1;
            if (!(st = cli_parse_double("cfg-alpha-max", v, &o->cfg_alpha_max)) &&
                !(o->cfg_alpha_max >= 1 && o->cfg_alpha_max <= 100))
                st = dl_error(DL_EINVAL, "--cfg-alpha-max must lie in [1, 100], got %s", v);
        } else if (!strcmp(a, "--alpha")) {
            if (!(st = cli_parse_double("alpha", v, &o->alpha)) && !(o->alpha >= 1 && o->alpha <= 100))
                st = dl_error(DL_EINVAL, "--alpha (the guidance scale) must lie in [1, 100], got %s", v);
        } else if (!strcmp(a, "--lr-decay")) {
            if (!(st = cli_parse_double("lr-decay", v, &o->lr_decay)) &&
                !(o->lr_decay >= 0 && o->lr_decay <= 1))
                st = dl_error(DL_EINVAL, "--lr-decay (a fraction of the run) must lie in [0, 1], got %s", v);
        } else if (!strcmp(a, "--time-budget")) {
            if (!(st = cli_parse_double("time-budget", v, &o->time_budget_min)) &&
                !(o->time_budget_min > 0))
                st = dl_error(DL_EINVAL, "--time-budget must be positive (minutes)");
        } else
            st = dl_error(DL_EINVAL, "unknown option '%s' (see driftlab train --help)", a);
#undef INT_OPT
    }
    if (!st && o->no_stop_gradient && !o->meanshift)
        st = dl_error(DL_EINVAL, "--no-stop-gradient differentiates through V exactly, which is "
                      "implemented for --field meanshift (the practical field's two-sided and RMS "
                      "normalisations are not)");
    if (!st && tau_explicit && (o->meanshift || o->sinkhorn))
        st = dl_error(DL_EINVAL, "--tau sets the practical field's temperatures (--field meanshift "
                      "uses tau 0.2, sinkhorn its own eps)");
    for (int f = 0; !st && f < o->n_features; f++)
        if (o->features[f].per_location && (o->meanshift || o->sinkhorn))
            st = dl_error(DL_EINVAL, "--features: per-location maps (-loc) are for the practical field");
    if (!cfg_explicit && (o->unconditional || o->meanshift || o->sinkhorn))
        o->cfg_alpha_max = 1; /* the default guidance is the practical field's, with classes */
    if (!st && o->cfg_alpha_max > 1 && o->unconditional)
        st = dl_error(DL_EINVAL, "--cfg-alpha-max: guidance needs classes (not --unconditional)");
    if (!st && o->cfg_alpha_max > 1 && (o->meanshift || o->sinkhorn))
        st = dl_error(DL_EINVAL, "--cfg-alpha-max: guidance is implemented for the practical field");
    if (!st && o->alpha > o->cfg_alpha_max)
        st = dl_error(DL_EINVAL, "--alpha %g lies outside the trained range [1, %g] (--cfg-alpha-max)",
                      o->alpha, o->cfg_alpha_max);
    if (!st && o->generator == DL_GENERATOR_CONV && o->width % 8)
        st = dl_error(DL_EINVAL, "--width must be a multiple of 8, got %d", o->width);
    for (int f = 0; !st && f < o->n_features; f++) {
        if (o->features[f].encoder_layer && !o->encoder)
            st = dl_error(DL_EINVAL, "--features: enc* maps need --encoder CKPT|fit");
        for (int e = 0; !st && e < f; e++)
            if (o->features[e].encoder_layer == o->features[f].encoder_layer &&
                (o->features[f].encoder_layer
                     ? o->features[e].per_location == o->features[f].per_location
                     : o->features[e].fixed == o->features[f].fixed))
                st = dl_error(DL_EINVAL, "--features: a map is listed twice");
    }
    return st;
}

/* --encoder fit: a second, small classifier trained before the generator
 * (not the evaluation classifier: a loss in the metric's own features would
 * train toward the metric), 2 epochs, the classify command's optimiser.
 * 16 first-layer channels, not 8: the enc1 map is then 784-d and a step about
 * 20% slower, yet at 20 minutes FD-FMNIST over scripts/fd_ratio.sh's 15
 * evaluations fell from 3.27x to 2.78x the floor at seed 1 and from 3.15x to
 * 3.10x at seed 2 (README, "Measured on the newest VM"). */
static int fit_encoder(const dl_image_set *train, unsigned long seed, const char *path,
                       const dl_provenance *prov, int quiet)
{
    const dl_classifier_arch arch = {16, 16, 32, 64};
    const int B = 128;
    const long total = 2 * (long)(train->count / B);
    dl_classifier *c = NULL;
    dl_adamw *opt = NULL;
    gsl_rng *rng = dl_rng_create(seed);
    int st = dl_classifier_create(&c, &arch, B);
    if (!st) {
        dl_classifier_init(c, rng);
        dl_adamw_config cfg = dl_classifier_adamw_config(2e-3f, total);
        st = dl_adamw_create(&opt, c->n_params, &cfg, c->params);
    }
    long step = 0;
    cli_fit_progress fp = {.t0 = cli_wall_seconds(), .batch = B};
    if (!st) {
        cli_progress_start(&fp.bar, quiet);
        st = dl_classifier_fit(c, opt, train->pixels, train->labels, train->count, seed, total, &step,
                               cli_fit_report, &fp);
        cli_progress_finish(&fp.bar);
    }
    char arch_s[128];
    dl_classifier_arch_string(&arch, arch_s, sizeof arch_s);
    if (!st)
        st = dl_checkpoint_write(path, arch_s, step, c->params, c->n_params, opt, rng, prov);
    if (!st && !quiet)
        fprintf(stderr, "fitted the encoder (%s, %ld steps) in %.1f s: %s\n", arch_s, step,
                cli_wall_seconds() - fp.t0, path);
    dl_classifier_destroy(c);
    dl_adamw_destroy(opt);
    gsl_rng_free(rng);
    return st;
}

/* Per-class index lists of the training split. */
typedef struct {
    size_t *idx[DL_CLASSES];
    size_t count[DL_CLASSES];
} class_index;

static int index_classes(const dl_image_set *s, class_index *ci)
{
    memset(ci, 0, sizeof *ci);
    for (size_t i = 0; i < s->count; i++)
        ci->count[s->labels[i]]++;
    for (int c = 0; c < DL_CLASSES; c++) {
        ci->idx[c] = malloc((ci->count[c] + 1) * sizeof(size_t));
        if (!ci->idx[c])
            return dl_error(DL_ENOMEM, "out of memory");
        ci->count[c] = 0;
    }
    for (size_t i = 0; i < s->count; i++)
        ci->idx[s->labels[i]][ci->count[s->labels[i]]++] = i;
    return DL_OK;
}

static void to_unit(float *dst, const unsigned char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] / 127.5f - 1.0f;
}

static void to_bytes(unsigned char *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = (src[i] + 1.0f) * 127.5f;
        dst[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
    }
}

/* Sample n_total images with the given weights at guidance scale alpha:
 * classes cycle 0..9 (only_class < 0) or are all only_class; labels are the
 * classes asked for. */
static int generate(dl_generator *g, const float *weights, size_t n_total, int classes,
                    int only_class, float alpha, double noise_scale, gsl_rng *rng, unsigned char *pixels,
                    unsigned char *labels)
{
    const int B = g->max_batch;
    float *saved = malloc(g->n_params * sizeof(float)), *al = malloc((size_t)B * sizeof(float));
    float *z = malloc((size_t)B * g->arch.zdim * sizeof(float));
    unsigned char *lab = malloc((size_t)B);
    if (!saved || !al || !z || !lab) {
        free(saved), free(al), free(z), free(lab);
        return dl_error(DL_ENOMEM, "out of memory for sampling");
    }
    memcpy(saved, g->params, g->n_params * sizeof(float));
    memcpy(g->params, weights, g->n_params * sizeof(float));
    for (int b = 0; b < B; b++)
        al[b] = alpha;
    for (size_t at = 0; at < n_total; at += (size_t)B) {
        int nb = (int)(n_total - at < (size_t)B ? n_total - at : (size_t)B);
        for (int b = 0; b < nb; b++) {
            lab[b] = (unsigned char)(!classes ? 0 : only_class >= 0 ? only_class : (int)((at + b) % DL_CLASSES));
            for (int k = 0; k < g->arch.zdim; k++)
                z[(size_t)b * g->arch.zdim + k] = (float)gsl_ran_gaussian(rng, noise_scale);
        }
        dl_generator_forward(g, z, classes ? lab : NULL, al, nb);
        to_bytes(pixels + at * 784, g->out, (size_t)nb * 784);
        if (labels)
            memcpy(labels + at, lab, (size_t)nb);
    }
    memcpy(g->params, saved, g->n_params * sizeof(float));
    free(saved), free(al), free(z), free(lab);
    return DL_OK;
}

typedef struct {
    double fd, kid, precision, recall, label_acc;
} gen_eval;

/* ft (n, fc): the classifier's features of the first n test images, the
 * same at every evaluation, so computed once by the caller */
static int evaluate(dl_generator *g, const float *weights, dl_classifier *cls, const float *ft,
                    size_t n, int classes, float alpha, unsigned long seed, gen_eval *e)
{
    unsigned char *pix = malloc(n * 784), *lab = malloc(n), *pred = malloc(n);
    float *fg = malloc(n * cls->arch.fc * sizeof(float));
    int st = !pix || !lab || !pred || !fg ? dl_error(DL_ENOMEM, "out of memory") : DL_OK;
    gsl_rng *rng = dl_rng_create(seed);
    if (!st)
        st = generate(g, weights, n, classes, -1, alpha, 1.0, rng, pix, lab);
    if (!st)
        st = dl_classifier_run(cls, pix, n, classes ? lab : NULL, &e->label_acc, fg, pred);
    double se;
    if (!st)
        st = dl_frechet_distance(fg, n, ft, n, cls->arch.fc, &e->fd);
    if (!st)
        st = dl_kid(fg, n, ft, n, cls->arch.fc, 4, n / 4, rng, &e->kid, &se);
    if (!st)
        st = dl_precision_recall(ft, n, fg, n, cls->arch.fc, 3, &e->precision, &e->recall);
    gsl_rng_free(rng);
    free(pix), free(lab), free(pred), free(fg);
    return st;
}

static int write_grid(dl_generator *g, const float *weights, int classes, float alpha,
                      const char *path, unsigned long seed)
{
    unsigned char pix[100 * 784], lab[100], rows[100 * 784];
    gsl_rng *rng = dl_rng_create(seed);
    int st = generate(g, weights, 100, classes, -1, alpha, 1.0, rng, pix, lab);
    gsl_rng_free(rng);
    if (st)
        return st;
    /* generate() cycles classes 0..9; lay out one row per class */
    for (int r = 0; r < 10; r++)
        for (int k = 0; k < 10; k++)
            memcpy(rows + (size_t)(r * 10 + k) * 784, pix + (size_t)(k * 10 + r) * 784, 784);
    return dl_imagegrid_write_png(path, classes ? rows : pix, 100, 28, 28, 10, 2);
}

/* x (B, D) with D / block channels of `block` numbers each (49 for the conv
 * maps, 1 for encfc): channel c times scale[c]; scale NULL: unchanged */
static void scale_channels(float *x, int B, int D, int block, const float *scale)
{
    if (!scale)
        return;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < D; i++)
            x[(size_t)b * D + i] *= scale[i / block];
}

/* encN-loc: one field per location (dl_field_compute_per_location); each
 * location's gradient is the flattened field's, -2 w V / (numel scale), with
 * that location's own scale, so that the map weighs in the sum as one
 * flattened field would.  Adds sum V^2 to *sq. */
static int field_per_location(const dl_field_config *cfg, const float *x, int Bg, const float *y,
                              int Bp, const float *u, int Nu, double guide_weight, int D, int block,
                              double map_weight, float *V, float *grad, double *sq)
{
    double scales[64];
    if (block > 64)
        return dl_error(DL_EINVAL, "per-location field: at most 64 locations, got %d", block);
    int st = dl_field_compute_per_location(cfg, x, (size_t)Bg, y, (size_t)Bp, u, (size_t)Nu,
                                           guide_weight, D, block, V, scales);
    for (size_t i = 0; !st && i < (size_t)Bg; i++)
        for (int c = 0; c < D; c++) {
            const double v = V[i * D + c];
            grad[i * D + c] = (float)(-2.0 * map_weight * v / ((double)Bg * D * scales[c % block]));
            *sq += v * v;
        }
    return st;
}

/* The step at which this run's time budget will run out, from its rate so far:
 * steps per second of stepping, with the evaluations still to come at their
 * measured cost, 2% short so that the rate reaches 0 inside the budget; at
 * most --steps.  -1 before 200 steps (too few to measure the rate on). */
static long budget_end_step(const train_options *o, long step, long step0, double t0, double t_loop,
                            double t_eval, int n_evals)
{
    if (step - step0 < 200)
        return o->steps - step0 > 200 ? -1 : o->steps;
    const double now = cli_wall_seconds(), stepping = now - t_loop - t_eval;
    const double left = 60 * o->time_budget_min - (now - t0);
    const double rate = (step - step0) / stepping, per_eval = n_evals ? t_eval / n_evals : 0;
    /* n steps take n / rate + (n / eval_every + 1) per_eval seconds */
    const double n = 0.98 * (left - per_eval) / (1 / rate + per_eval / o->eval_every);
    if (!(stepping > 0) || n >= (double)(o->steps - step))
        return o->steps;
    return step + (n > 1 ? (long)n : 1);
}

/* The late decay of --lr-decay F.  Without a time budget it is the last
 * fraction F of --steps, counted from step 0, so that a resumed run follows
 * the schedule of the uninterrupted one.  With a budget it begins where 1 - F
 * of this run's budget (or of its steps) has passed, and its end is fitted to
 * the budget then and again at every evaluation step: a refit keeps the
 * fraction of the decay already done, so the rate stays continuous and only
 * its slope changes (the first 200 steps alone misjudged the rate by 10%).
 * Returns 1 when it has set cfg's decay_start and total_steps. */
static int plan_lr_decay(const train_options *o, long step, long step0, double t0, double t_loop,
                         double t_eval, int n_evals, int planned, dl_adamw_config *cfg)
{
    if (!(o->time_budget_min > 0)) {
        if (planned)
            return 0;
        cfg->decay_start = (long)ceil((double)o->steps * (1 - o->lr_decay)), cfg->total_steps = o->steps;
        return 1;
    }
    if (!planned) {
        const long by_steps = step0 + (long)ceil((double)(o->steps - step0) * (1 - o->lr_decay));
        if (step < by_steps && cli_wall_seconds() - t0 < (1 - o->lr_decay) * 60 * o->time_budget_min)
            return 0;
        const long end = budget_end_step(o, step, step0, t0, t_loop, t_eval, n_evals);
        if (end < 0)
            return 0;
        cfg->decay_start = step, cfg->total_steps = end;
        return 1;
    }
    if (step % o->eval_every || step <= cfg->decay_start || step >= cfg->total_steps)
        return 0;
    const long end = budget_end_step(o, step, step0, t0, t_loop, t_eval, n_evals);
    if (end == cfg->total_steps)
        return 0;
    const double done = (double)(step - cfg->decay_start) / (double)(cfg->total_steps - cfg->decay_start);
    cfg->decay_start = lround((double)end - (double)(end - step) / (1 - done));
    cfg->total_steps = end;
    return 1;
}

int cmd_train(int argc, char **argv)
{
    train_options o;
    int help, st;
    dl_image_set train = {0}, test = {0};
    class_index ci = {0};
    dl_generator *g = NULL;
    dl_adamw *opt = NULL;
    dl_classifier *cls = NULL;
    gsl_rng *rng = NULL;
    dl_encoder *enc = NULL;
    float *z = NULL, *dout = NULL, *pos = NULL, *alphas = NULL, *fx = NULL, *fy = NULL, *V = NULL, *dfx = NULL;
    float *test_features = NULL; /* the evaluation classifier's, of the first --eval-n test images */
    int dim[MAX_FEATURES], maxD = 0;
    float *enc_cache[MAX_FEATURES] = {NULL}, *chan_scale[MAX_FEATURES] = {NULL};
    int chan_block[MAX_FEATURES] = {0};
    size_t *pos_index = NULL;
    unsigned char *labels = NULL;
    dl_atomic_file log = {0};
    if ((st = parse_args(argc, argv, &o, &help)))
        goto done;
    if (help) {
        usage(stdout);
        return 0;
    }
    if ((st = dl_idx_read_split(o.data, "train", &train)) || (st = index_classes(&train, &ci)))
        goto done;
    if (o.classifier && (st = dl_idx_read_split(o.data, "t10k", &test)))
        goto done;
    if (o.classifier && (size_t)o.eval_n > test.count) {
        st = dl_error(DL_EINVAL, "--eval-n %ld exceeds the test split's %zu images", o.eval_n, test.count);
        goto done;
    }
    if (o.classifier && (st = dl_classifier_load(o.classifier, &cls, 500)))
        goto done;
    if (cls) {
        if (!(test_features = malloc((size_t)o.eval_n * cls->arch.fc * sizeof(float)))) {
            st = dl_error(DL_ENOMEM, "out of memory for the test split's features");
            goto done;
        }
        if ((st = dl_classifier_run(cls, test.pixels, (size_t)o.eval_n, NULL, NULL, test_features, NULL)))
            goto done;
    }
    const int classes = o.unconditional ? 0 : DL_CLASSES, groups = o.unconditional ? 1 : DL_CLASSES;
    const int Bg = o.gen_per_class, Bp = o.pos_per_class, B = Bg * groups;
    const int guided = o.cfg_alpha_max > 1, Nu = guided ? o.cfg_uncond : 0;
    dl_generator_arch arch = {.kind = o.generator, .zdim = o.zdim, .hidden = o.hidden,
                              .classes = classes, .linear = o.linear_output, .guided = guided};
    if (o.generator == DL_GENERATOR_CONV)
        arch.zdim = o.noise_channels * 49, arch.hidden = o.width;
    if ((st = dl_generator_create(&g, &arch, B)))
        goto done;
    rng = dl_rng_create(o.seed);
    dl_generator_init(g, rng);
    dl_adamw_config cfg = {.lr = (float)o.lr, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
                           .weight_decay = (float)o.weight_decay, .warmup_steps = 100,
                           .clip_norm = 2.0f, .ema_decay = (float)o.ema};
    if ((st = dl_adamw_create(&opt, g->n_params, &cfg, g->params)))
        goto done;
    char arch_s[128];
    dl_generator_arch_string(&arch, arch_s, sizeof arch_s);
    long step = 0;
    if (o.resume && (st = dl_checkpoint_read(o.resume, arch_s, &step, g->params, g->n_params, opt, rng)))
        goto done;
    /* the real rows of a step: P positives, then Nu unconditional negatives per class */
    const int P = Bp * groups, PU = P + Nu * groups;
    dl_sinkhorn_config sinkhorn_cfg = dl_sinkhorn_config_default(SINKHORN_FIELD_EPS);
    sinkhorn_cfg.tol = 1e-6;
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), o.seed};
    const double t_start = cli_wall_seconds();
    int needs_encoder = 0;
    for (int f = 0; f < o.n_features; f++)
        needs_encoder |= o.features[f].encoder_layer != 0;
    if (!needs_encoder)
        o.encoder = NULL; /* no enc* map: nothing to fit or load */
    char encoder_path[4200];
    snprintf(encoder_path, sizeof encoder_path, "%s", o.encoder ? o.encoder : "");
    if (o.encoder && !strcmp(o.encoder, FIT_ENCODER)) {
        snprintf(encoder_path, sizeof encoder_path, "%s/encoder.ckpt", o.out);
        if (!(o.resume && access(encoder_path, R_OK) == 0) &&
            ((st = dl_mkdir_p(o.out)) ||
             (st = fit_encoder(&train, o.seed + 101, encoder_path, &prov, o.quiet))))
            goto done;
    }
    if (o.encoder && (st = dl_encoder_load(&enc, encoder_path, B > PU ? B : PU)))
        goto done;
    size_t fx_total = 0, fy_total = 0;
    for (int f = 0; f < o.n_features; f++) {
        dim[f] = o.features[f].encoder_layer ? enc->dim[o.features[f].encoder_layer - 1]
                                             : dl_feature_dim(o.features[f].fixed);
        maxD = dim[f] > maxD ? dim[f] : maxD;
        fx_total += (size_t)B * dim[f], fy_total += (size_t)PU * dim[f];
    }
    z = malloc((size_t)B * arch.zdim * sizeof(float));
    dout = malloc((size_t)B * 784 * sizeof(float));
    pos = malloc((size_t)PU * 784 * sizeof(float));
    alphas = malloc((size_t)B * sizeof(float));
    fx = malloc(fx_total * sizeof(float)), dfx = malloc(fx_total * sizeof(float));
    fy = malloc(fy_total * sizeof(float)), V = malloc((size_t)B * maxD * sizeof(float));
    labels = malloc((size_t)B);
    pos_index = malloc((size_t)PU * sizeof(size_t));
    if (!z || !dout || !pos || !alphas || !fx || !fy || !V || !dfx || !labels || !pos_index) {
        st = dl_error(DL_ENOMEM, "out of memory");
        goto done;
    }
    /* The frozen encoder's maps of every training image, once: positives then
     * cost a copy, not a forward pass. */
    for (int f = 0; enc && f < o.n_features; f++) {
        if (!o.features[f].encoder_layer)
            continue;
        if (!(enc_cache[f] = malloc(train.count * dim[f] * sizeof(float)))) {
            st = dl_error(DL_ENOMEM, "out of memory for the encoder's maps of %zu images", train.count);
            goto done;
        }
    }
    int enc_depth = 0; /* the deepest encoder map of the loss: forward and backward stop there */
    for (int f = 0; f < o.n_features; f++)
        if (o.features[f].encoder_layer > enc_depth)
            enc_depth = o.features[f].encoder_layer;
    for (size_t at = 0; enc && at < train.count; at += (size_t)P) {
        int nb = (int)(train.count - at < (size_t)P ? train.count - at : (size_t)P);
        to_unit(pos, train.pixels + at * 784, (size_t)nb * 784);
        dl_encoder_forward(enc, pos, nb, enc_depth);
        for (int f = 0; f < o.n_features; f++)
            if (o.features[f].encoder_layer)
                dl_encoder_layer(enc, o.features[f].encoder_layer, nb, enc_cache[f] + at * dim[f]);
    }
    /* Each channel of an encoder map scaled to unit RMS over the training
     * split, so that a few strong channels do not set the map's distances:
     * without it the fitted encoder's seed decided between a useful enc1 and
     * one no better than pixels alone (FD 10.7-11.9 against 15.5-16.5 at 1000
     * steps, five encoder seeds; with it 10.9-12.0).  At 20 minutes two seeds
     * moved opposite ways (3.46 -> 2.88 and 2.34 -> 3.07): --no-channel-scale
     * keeps the unscaled map. */
    for (int f = 0; enc && !o.no_channel_scale && f < o.n_features; f++) {
        if (!o.features[f].encoder_layer)
            continue;
        const int block = chan_block[f] = o.features[f].encoder_layer < 4 ? 49 : 1, nch = dim[f] / block;
        if (!(chan_scale[f] = malloc((size_t)nch * sizeof(float)))) {
            st = dl_error(DL_ENOMEM, "out of memory");
            goto done;
        }
        for (int ch = 0; ch < nch; ch++) {
            double s2 = 0;
            for (size_t i = 0; i < train.count; i++)
                for (int k = 0; k < block; k++) {
                    const double v = enc_cache[f][i * dim[f] + ch * block + k];
                    s2 += v * v;
                }
            const double rms = sqrt(s2 / ((double)train.count * block));
            chan_scale[f][ch] = (float)(rms > 0 ? 1 / rms : 1);
            for (size_t i = 0; i < train.count; i++)
                for (int k = 0; k < block; k++)
                    enc_cache[f][i * dim[f] + ch * block + k] *= chan_scale[f][ch];
        }
    }
    for (int b = 0; b < B; b++)
        labels[b] = (unsigned char)(classes ? b / Bg : 0);
    if ((st = dl_mkdir_p(o.out)))
        goto done;
    char path[4200], cfg_line[800], guidance[160] = "", taus[160] = "";
    for (int t = 0, used = 0; t < o.field.n_tau && !o.meanshift && !o.sinkhorn; t++)
        used += snprintf(taus + used, sizeof taus - (size_t)used, "%s%g", t ? "," : " tau ",
                         o.field.tau[t]);
    if (guided)
        snprintf(guidance, sizeof guidance,
                 "; guidance: alpha ~ alpha^-3 on [1, %g], %d unconditional negatives per class, "
                 "evaluated at alpha %g", o.cfg_alpha_max, Nu, o.alpha);
    snprintf(cfg_line, sizeof cfg_line,
             "generator %s; features %d%s; field %s%s kernel %s norm %s%s; %d generated + %d positive "
             "per class; lr %g%s",
             arch_s, o.n_features, enc ? " (with encoder)" : "", o.meanshift ? "meanshift" : o.sinkhorn ? "sinkhorn" : "practical",
             o.no_stop_gradient ? " WITHOUT stop-gradient" : "", o.field.kernel == DL_FIELD_GAUSSIAN ? "gaussian" : "laplacian",
             o.field.norm == DL_FIELD_TWO_SIDED ? "two-sided" : o.field.norm == DL_FIELD_ROWS ? "rows" : "none",
             taus, Bg, Bp, o.lr, guidance);
    const char *extra[] = {cfg_line, NULL};
    snprintf(path, sizeof path, "%s/train.dat", o.out);
    if ((st = dl_dat_open(&log, path, &prov, extra,
                          "step seconds images_per_s drift_rms fd_fmnist kid precision recall label_accuracy")))
        goto done;
    cli_progress progress;
    cli_progress_start(&progress, o.quiet);
    /* the budget counts from the start: fitting the encoder and caching its maps are in it */
    double t0 = t_start, t_setup = cli_wall_seconds() - t_start, drift_rms = 0, last_fd = NAN;
    /* where a step's time goes */
    double t_gen_fwd = 0, t_features = 0, t_field = 0, t_gen_bwd = 0, t_eval = 0, mark;
    long step0 = step;
    int n_evals = 0, decay_planned = 0;
    const double t_loop = cli_wall_seconds();
    for (;; step++) {
        int stop = step >= o.steps || (decay_planned && step >= opt->cfg.total_steps) ||
                   (o.time_budget_min > 0 && cli_wall_seconds() - t0 > 60 * o.time_budget_min);
        if (cls && (stop || step == step0 || step % o.eval_every == 0)) {
            mark = cli_wall_seconds();
            gen_eval e;
            if ((st = evaluate(g, opt->ema, cls, test_features, (size_t)o.eval_n, classes, (float)o.alpha,
                               o.seed + 17, &e)))
                goto done;
            double el = cli_wall_seconds() - t0;
            fprintf(log.fp, "%ld %.1f %.1f %.4f %.5g %.5g %.4f %.4f %.4f\n", step, el,
                    (step - step0) * (double)B / (el > 0 ? el : 1), drift_rms, e.fd, e.kid,
                    e.precision, e.recall, e.label_acc);
            fflush(log.fp);
            last_fd = e.fd;
            snprintf(path, sizeof path, "%s/samples-%08ld.png", o.out, step);
            if ((st = write_grid(g, opt->ema, classes, (float)o.alpha, path, o.seed + 29)))
                goto done;
            t_eval += cli_wall_seconds() - mark;
            n_evals++;
        }
        if (step > step0 && (stop || step % o.checkpoint_every == 0)) {
            snprintf(path, sizeof path, "%s/generator.ckpt", o.out);
            if ((st = dl_checkpoint_write(path, arch_s, step, g->params, g->n_params, opt, rng, &prov)))
                goto done;
        }
        if (stop)
            break;
        if (o.lr_decay > 0 &&
            plan_lr_decay(&o, step, step0, t0, t_loop, t_eval, n_evals, decay_planned, &opt->cfg)) {
            fprintf(log.fp, "# lr decay: cosine from %g at step %ld to 0 at step %ld (%s at step %ld, "
                    "minute %.2f)\n", o.lr, opt->cfg.decay_start, opt->cfg.total_steps,
                    decay_planned ? "refitted to the time budget" : o.time_budget_min > 0 ?
                    "fitted to the time budget" : "planned", step, (cli_wall_seconds() - t0) / 60);
            fflush(log.fp);
            if (!o.quiet && !decay_planned)
                fprintf(stderr, "\nlr decay: cosine from step %ld to 0 at step %ld\n",
                        opt->cfg.decay_start, opt->cfg.total_steps);
            decay_planned = 1;
        }
        /* noise and positives depend only on (seed, step): a resumed run sees the same */
        gsl_rng *sr = dl_rng_create(o.seed * 1000003ul + (unsigned long)step + 1);
        for (size_t i = 0; i < (size_t)B * arch.zdim; i++)
            z[i] = (float)gsl_ran_gaussian(sr, 1.0);
        for (int c = 0; c < groups; c++)
            for (int p = 0; p < Bp; p++) {
                int cls_c = classes ? c : (int)gsl_rng_uniform_int(sr, DL_CLASSES);
                size_t k = ci.idx[cls_c][gsl_rng_uniform_int(sr, ci.count[cls_c])];
                to_unit(pos + ((size_t)c * Bp + p) * 784, train.pixels + k * 784, 784);
                pos_index[c * Bp + p] = k;
            }
        /* Guidance draws come after the positives, so that an unguided run
         * sees the same stream.  alpha by inverting the CDF of alpha^-3. */
        double weight[DL_CLASSES] = {0};
        for (int c = 0; c < groups && guided; c++) {
            for (int u = 0; u < Nu; u++) {
                size_t k = gsl_rng_uniform_int(sr, train.count), r = (size_t)P + (size_t)c * Nu + u;
                to_unit(pos + r * 784, train.pixels + k * 784, 784);
                pos_index[r] = k;
            }
            const double amax = o.cfg_alpha_max, u = gsl_rng_uniform(sr);
            const double alpha = 1.0 / sqrt(1.0 - u * (1.0 - 1.0 / (amax * amax)));
            weight[c] = (alpha - 1.0) * (Bg - 1) / Nu;
            for (int b = 0; b < Bg; b++)
                alphas[c * Bg + b] = (float)alpha;
        }
        mark = cli_wall_seconds();
        dl_generator_forward(g, z, classes ? labels : NULL, guided ? alphas : NULL, B);
        t_gen_fwd += cli_wall_seconds() - mark;
        /* every map of every image: fx (B, D_f) and fy (P, D_f), one block per map */
        mark = cli_wall_seconds();
        float *fxs[MAX_FEATURES], *fys[MAX_FEATURES], *dfxs[MAX_FEATURES];
        for (size_t f = 0, ox = 0, oy = 0; f < (size_t)o.n_features; f++) {
            fxs[f] = fx + ox, dfxs[f] = dfx + ox, fys[f] = fy + oy;
            ox += (size_t)B * dim[f], oy += (size_t)PU * dim[f];
        }
        if (enc) {
            dl_encoder_forward(enc, g->out, B, enc_depth);
            for (int f = 0; f < o.n_features; f++)
                if (o.features[f].encoder_layer) {
                    dl_encoder_layer(enc, o.features[f].encoder_layer, B, fxs[f]);
                    scale_channels(fxs[f], B, dim[f], chan_block[f], chan_scale[f]);
                    for (int p = 0; p < PU; p++) /* the real images' maps, computed once */
                        memcpy(fys[f] + (size_t)p * dim[f], enc_cache[f] + pos_index[p] * dim[f],
                               (size_t)dim[f] * sizeof(float));
                }
        }
        for (int f = 0; f < o.n_features; f++)
            if (!o.features[f].encoder_layer) {
                dl_feature_forward(o.features[f].fixed, g->out, B, fxs[f]);
                dl_feature_forward(o.features[f].fixed, pos, PU, fys[f]);
            }
        t_features += cli_wall_seconds() - mark;
        /* One class's fields per thread (the BLAS inside runs single-threaded
         * there): each class has its own V and its own sum of squares, added
         * in class order, so the numbers do not depend on the thread count. */
        double sq = 0, sq_c[DL_CLASSES] = {0};
        size_t sq_n = 0;
        int st_c[DL_CLASSES] = {0};
        char msg_c[DL_CLASSES][256];
        mark = cli_wall_seconds();
#pragma omp parallel for schedule(dynamic, 1)
        for (int c = 0; c < groups; c++)
            for (int f = 0; f < o.n_features && !st_c[c]; f++) {
                const int D = dim[f];
                double scale;
                const float *xc = fxs[f] + (size_t)c * Bg * D, *yc = fys[f] + (size_t)c * Bp * D;
                float *d = dfxs[f] + (size_t)c * Bg * D, *Vc = V + (size_t)c * Bg * maxD;
                const float *uc = fys[f] + ((size_t)P + (size_t)c * Nu) * D;
                const int per_location = o.features[f].per_location;
                int sf;
                if (per_location) /* writes its own gradient into d */
                    sf = field_per_location(&o.field, xc, Bg, yc, Bp, uc, Nu, weight[c], D,
                                            chan_block[f], o.features[f].weight, Vc, d, &sq_c[c]);
                else if (o.meanshift)
                    sf = dl_field_meanshift(&o.field, MEANSHIFT_TAU, xc, Bg, yc, Bp, D, Vc,
                                            o.no_stop_gradient ? d : NULL, &scale);
                else if (o.sinkhorn)
                    sf = dl_field_sinkhorn(&sinkhorn_cfg, xc, Bg, yc, Bp, D, Vc, &scale);
                else
                    sf = dl_field_compute_float(&o.field, xc, Bg, yc, Bp, uc, Nu, weight[c], D, Vc,
                                                 &scale);
                if (sf) { /* the message is the thread's own: keep it for the caller */
                    st_c[c] = sf;
                    snprintf(msg_c[c], sizeof msg_c[c], "%s", dl_error_message());
                    break;
                }
                if (per_location)
                    continue;
                /* stop-gradient: d/dx ||x/s - sg(x/s + V)||^2 / numel = -2 V / (numel s);
                 * the ablation: d/dx ||V(x/s)||^2 / numel = 2 (dE/dx') / (numel s) */
                const double k2 = (o.no_stop_gradient ? 2.0 : -2.0) * o.features[f].weight /
                                  ((double)Bg * D * scale);
                for (size_t i = 0; i < (size_t)Bg * D; i++) {
                    d[i] = (float)(k2 * (o.no_stop_gradient ? d[i] : Vc[i]));
                    sq_c[c] += (double)Vc[i] * Vc[i];
                }
            }
        for (int c = 0; c < groups; c++) {
            if (st_c[c] && !st) {
                st = dl_error(st_c[c], "class %d: %s", c, msg_c[c]);
                gsl_rng_free(sr);
                goto done;
            }
            sq += sq_c[c];
        }
        for (int f = 0; f < o.n_features; f++)
            sq_n += (size_t)groups * Bg * dim[f];
        t_field += cli_wall_seconds() - mark;
        mark = cli_wall_seconds();
        memset(dout, 0, (size_t)B * 784 * sizeof(float));
        float *denc[DL_ENCODER_LAYERS] = {NULL};
        for (int f = 0; f < o.n_features; f++) {
            if (o.features[f].encoder_layer) {
                scale_channels(dfxs[f], B, dim[f], chan_block[f], chan_scale[f]); /* d(f s)/df = s */
                float **to = &denc[o.features[f].encoder_layer - 1];
                if (*to) /* encN and encN-loc: one layer, two losses */
                    for (size_t i = 0; i < (size_t)B * dim[f]; i++)
                        (*to)[i] += dfxs[f][i];
                else
                    *to = dfxs[f];
            }
            else
                dl_feature_backward(o.features[f].fixed, g->out, B, dfxs[f], dout);
        }
        if (enc)
            dl_encoder_backward(enc, denc, B, dout);
        t_features += cli_wall_seconds() - mark;
        gsl_rng_free(sr);
        drift_rms = sqrt(sq / (double)sq_n);
        mark = cli_wall_seconds();
        dl_generator_backward(g, dout, B);
        float norm = dl_adamw_step(opt, g->params, g->grads);
        t_gen_bwd += cli_wall_seconds() - mark;
        if (!isfinite(norm)) {
            st = dl_error(DL_ENUMERIC, "training diverged at step %ld (gradient norm %g)", step, norm);
            goto done;
        }
        double el = cli_wall_seconds() - t0;
        char detail[128];
        snprintf(detail, sizeof detail, "step %ld  %.0f img/s  FD %.4g", step + 1,
                 (step + 1 - step0) * (double)B / (el > 0 ? el : 1), last_fd);
        long total = decay_planned && opt->cfg.total_steps < o.steps ? opt->cfg.total_steps : o.steps;
        if (o.time_budget_min > 0 && el > 1) {
            long by_time = step0 + (long)((step + 1 - step0) * 60 * o.time_budget_min / el);
            total = by_time < total ? by_time : total;
        }
        cli_progress_update(&progress, (size_t)(step + 1), (size_t)(total > step + 1 ? total : step + 1), detail);
    }
    cli_progress_finish(&progress);
    if ((st = dl_atomic_commit(&log)))
        goto done;
    if (!o.quiet) {
        double total_s = cli_wall_seconds() - t0;
        printf("trained %ld steps in %.1f s; wrote %s/{generator.ckpt,train.dat,samples-*.png}%s\n",
               step, total_s, o.out, cls ? "" : " (no --classifier: no evaluation)");
        printf("time: setup (encoder, its maps) %.1f%%, generator forward %.1f%%, feature maps "
               "%.1f%%, drift fields %.1f%%, generator backward + AdamW %.1f%%, evaluation %.1f%%, "
               "other %.1f%%\n",
               100 * t_setup / total_s, 100 * t_gen_fwd / total_s, 100 * t_features / total_s,
               100 * t_field / total_s, 100 * t_gen_bwd / total_s, 100 * t_eval / total_s,
               100 * (total_s - t_setup - t_gen_fwd - t_features - t_field - t_gen_bwd - t_eval) /
                   total_s);
    }
done:
    if (log.fp)
        dl_atomic_abort(&log);
    dl_image_set_free(&train), dl_image_set_free(&test);
    for (int c = 0; c < DL_CLASSES; c++)
        free(ci.idx[c]);
    dl_generator_destroy(g);
    dl_adamw_destroy(opt);
    dl_classifier_destroy(cls);
    dl_encoder_destroy(enc);
    if (rng)
        gsl_rng_free(rng);
    free(z), free(dout), free(pos), free(alphas), free(fx), free(fy), free(V), free(dfx), free(labels);
    free(pos_index), free(test_features);
    for (int f = 0; f < MAX_FEATURES; f++)
        free(enc_cache[f]), free(chan_scale[f]);
    return st ? cli_fail("train") : 0;
}

int cmd_sample(int argc, char **argv)
{
    const char *ckpt = NULL, *out = NULL;
    long n = 100, cls_only = -1, seed = 1;
    double alpha = 1, noise_scale = 1;
    int st = DL_OK, quiet = 0;
    static const char *const with_value[] = {"out", "n", "class", "seed", "alpha", "noise-scale",
                                             NULL};
    for (int i = 1; i < argc && !st; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: driftlab sample CKPT --out PREFIX [--n N] [--class C] [--seed S] [--alpha A]\n"
                   "                       [--noise-scale S] [--quiet]\n"
                   "Writes PREFIX.png (a grid) and PREFIX-images.idx.gz, PREFIX-labels.idx.gz\n"
                   "(the format `driftlab eval` reads), drawn with the EMA weights; classes\n"
                   "cycle 0..9 unless --class C.  --alpha: the guidance scale of a generator\n"
                   "trained with --cfg-alpha-max (default 1: none).  --noise-scale: the noise's\n"
                   "standard deviation (default 1, as trained; below 1 trades coverage for\n"
                   "fidelity, the truncation trick, above 1 the reverse).\n");
            return 0;
        }
        if (a[0] != '-') {
            ckpt = a;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if ((st = cli_option_value("sample", a, v, with_value)))
            break;
        i++;
        if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--n")) {
            st = cli_parse_long_in("n", v, 1, 1000000, &n);
        } else if (!strcmp(a, "--class")) {
            st = cli_parse_long_in("class", v, 0, 9, &cls_only);
        } else if (!strcmp(a, "--seed")) {
            st = cli_parse_long_in("seed", v, 0, 2147483647L, &seed);
        } else if (!strcmp(a, "--alpha")) {
            if (!(st = cli_parse_double("alpha", v, &alpha)) && !(alpha >= 1 && alpha <= 100))
                st = dl_error(DL_EINVAL, "--alpha (the guidance scale) must lie in [1, 100], got %s", v);
        } else if (!strcmp(a, "--noise-scale")) {
            if (!(st = cli_parse_double("noise-scale", v, &noise_scale)) &&
                !(noise_scale > 0 && noise_scale <= 10))
                st = dl_error(DL_EINVAL, "--noise-scale must lie in (0, 10], got %s", v);
        }
    }
    if (!st && (!ckpt || !out))
        st = dl_error(DL_EINVAL, "sample needs a checkpoint and --out PREFIX");
    char arch_s[256];
    dl_generator_arch arch;
    dl_generator *g = NULL;
    dl_adamw *opt = NULL;
    dl_image_set set = {0};
    if (!st)
        st = dl_checkpoint_arch(ckpt, arch_s, sizeof arch_s);
    if (!st)
        st = dl_generator_arch_parse(arch_s, &arch);
    if (!st && alpha != 1 && !arch.guided)
        st = dl_error(DL_EINVAL, "--alpha %g: %s was trained without guidance (--cfg-alpha-max)",
                      alpha, ckpt);
    if (!st)
        st = dl_generator_create(&g, &arch, 500);
    dl_adamw_config cfg = {.lr = 1, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .ema_decay = 0.5f};
    if (!st)
        st = dl_adamw_create(&opt, g->n_params, &cfg, g->params);
    if (!st)
        st = dl_checkpoint_read(ckpt, arch_s, NULL, g->params, g->n_params, opt, NULL);
    if (!st) {
        set.count = (size_t)n, set.rows = 28, set.cols = 28;
        set.pixels = malloc((size_t)n * 784);
        set.labels = malloc((size_t)n);
        if (!set.pixels || !set.labels)
            st = dl_error(DL_ENOMEM, "out of memory");
    }
    if (!st) {
        gsl_rng *rng = dl_rng_create((unsigned long)seed);
        st = generate(g, opt->ema, (size_t)n, arch.classes, (int)cls_only, (float)alpha, noise_scale, rng,
                      set.pixels, set.labels);
        gsl_rng_free(rng);
    }
    if (!st) {
        char p1[4200], p2[4200], p3[4200];
        snprintf(p1, sizeof p1, "%s.png", out);
        snprintf(p2, sizeof p2, "%s-images.idx.gz", out);
        snprintf(p3, sizeof p3, "%s-labels.idx.gz", out);
        st = dl_imagegrid_write_png(p1, set.pixels, (size_t)(n < 100 ? n : 100), 28, 28, 10, 2);
        if (!st)
            st = dl_idx_write(p2, p3, &set);
        if (!st && !quiet)
            printf("wrote %ld samples: %s, %s, %s\n", n, p1, p2, p3);
    }
    dl_image_set_free(&set);
    dl_generator_destroy(g);
    dl_adamw_destroy(opt);
    return st ? cli_fail("sample") : 0;
}
