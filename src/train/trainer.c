#define _POSIX_C_SOURCE 200809L
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "base/rng.h"
#include "drift/sinkhorn.h"
#include "images/imagegrid.h"
#include "images/imgmetrics.h"
#include "nn/checkpoint.h"

/* --field meanshift: one temperature, the softest of the practical field's */
#define MEANSHIFT_TAU 0.2
/* --field sinkhorn: entropic regularisation in units of the mean distance (cost |u|^2/2 ~ 0.5) */
#define SINKHORN_FIELD_EPS 0.05
#define IMAGE 784

/* Per-class index lists of the training split. */
typedef struct {
    size_t *idx[DL_CLASSES];
    size_t count[DL_CLASSES];
} class_index;

struct dl_trainer_state {
    const dl_image_set *train;
    class_index ci;
    dl_encoder *enc;
    int enc_depth; /* the deepest encoder map of the loss: forward and backward stop there */
    int groups, Bg, Bp, P, Nu, PU, guided;
    int dim[DL_TRAINER_MAX_FEATURES], maxD;
    size_t fx_off[DL_TRAINER_MAX_FEATURES], fy_off[DL_TRAINER_MAX_FEATURES]; /* map f's block in fx, fy */
    float *enc_cache[DL_TRAINER_MAX_FEATURES];  /* the encoder's maps of every training image */
    float *chan_scale[DL_TRAINER_MAX_FEATURES]; /* per channel, to unit RMS; NULL: none */
    int chan_block[DL_TRAINER_MAX_FEATURES];
    dl_sinkhorn_config sinkhorn;
    dl_field_config field_now; /* the temperatures of this step, scaled by s(progress) */
    double meanshift_tau_now;
    float *z;      /* (B, zdim) noise */
    float *dout;   /* (B, 784) d loss / d image */
    float *pos;    /* (PU, 784) positives, then the unconditional negatives */
    float *alphas; /* (B) guidance scales */
    float *fx, *dfx; /* every map of the generated images, one block per map: (B, D_f) */
    float *fy;       /* and of the real rows: (PU, D_f) */
    float *V;        /* (B, maxD) one map's field */
    unsigned char *labels; /* (B) */
    size_t *pos_index;     /* (PU) training-split index of each real row */
    double weight[DL_CLASSES]; /* guidance: the unconditional negatives' kernel weight */
    /* data-parallel steps (dl_trainer_set_shards): this process's classes */
    int sharded;
    dl_trainer_shards shards;
    float *shard_grads; /* (held, n_params + 1): each class's gradient, then its sum V^2 */
    float *shard_sum;   /* (n_params + 1) */
};

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

dl_trainer_config dl_trainer_config_default(void)
{
    dl_trainer_config c;
    memset(&c, 0, sizeof c);
    c.field = dl_field_default();
    c.field_kind = DL_TRAINER_PRACTICAL;
    c.gen_per_class = 64, c.pos_per_class = 64, c.zdim = 64, c.hidden = 512;
    c.noise_channels = 4, c.width = 16;
    c.cfg_alpha_max = 3, c.cfg_uncond = 32;
    c.lr = 3e-3, c.ema = 0.999;
    c.seed = 1;
    dl_schedule_init(&c.tau_schedule, DL_SCHEDULE_CONSTANT, 1.0, 0, 0, 1.0);
    c.tau_end_step = 100000;
    dl_trainer_features_parse("pixels,enc1", &c);
    return c;
}

static int parse_feature(char *tok, dl_trainer_feature *f)
{
    static const char *const enc_names[] = {"enc1", "enc2", "enc3", "encfc"};
    f->encoder_layer = 0, f->weight = 1, f->per_location = 0;
    char *colon = strchr(tok, ':');
    if (colon) {
        *colon = '\0';
        char what[64];
        snprintf(what, sizeof what, "features (the weight of map '%s')", tok);
        int st = dl_parse_double(what, colon + 1, &f->weight);
        if (st)
            return st;
        if (!(f->weight > 0))
            return dl_error(DL_EINVAL, "--features: the weight of map '%s' must be > 0 (got %s)",
                            tok, colon + 1);
    }
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
    return DL_OK;
}

int dl_trainer_features_parse(const char *text, dl_trainer_config *cfg)
{
    char buf[256];
    if (strlen(text) >= sizeof buf)
        return dl_error(DL_EINVAL, "--features: list longer than %zu characters", sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", text);
    cfg->n_features = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (cfg->n_features == DL_TRAINER_MAX_FEATURES)
            return dl_error(DL_EINVAL, "--features: at most %d maps", DL_TRAINER_MAX_FEATURES);
        int st = parse_feature(tok, &cfg->features[cfg->n_features++]);
        if (st)
            return st;
    }
    if (!cfg->n_features)
        return dl_error(DL_EINVAL, "--features: empty list");
    return DL_OK;
}

int dl_trainer_needs_encoder(const dl_trainer_config *cfg)
{
    for (int f = 0; f < cfg->n_features; f++)
        if (cfg->features[f].encoder_layer)
            return 1;
    return 0;
}

double dl_trainer_tau_scale(const dl_trainer_config *cfg, long step, long end)
{
    const double progress = end > 0 ? fmin((double)step / (double)end, 1.0) : 1.0;
    return dl_schedule_sigma(&cfg->tau_schedule, progress);
}

static int check_features(const dl_trainer_config *c)
{
    for (int f = 0; f < c->n_features; f++) {
        if (c->features[f].per_location && c->field_kind != DL_TRAINER_PRACTICAL)
            return dl_error(DL_EINVAL, "--features: per-location maps (-loc) are for the practical field");
        for (int e = 0; e < f; e++)
            if (c->features[e].encoder_layer == c->features[f].encoder_layer &&
                (c->features[f].encoder_layer
                     ? c->features[e].per_location == c->features[f].per_location
                     : c->features[e].fixed == c->features[f].fixed))
                return dl_error(DL_EINVAL, "--features: a map is listed twice");
    }
    return DL_OK;
}

int dl_trainer_config_check(const dl_trainer_config *c)
{
    if (c->no_stop_gradient && c->field_kind != DL_TRAINER_MEANSHIFT)
        return dl_error(DL_EINVAL, "--no-stop-gradient differentiates through V exactly, which is "
                        "implemented for --field meanshift (the practical field's two-sided and RMS "
                        "normalisations are not)");
    if (c->cfg_alpha_max > 1 && c->unconditional)
        return dl_error(DL_EINVAL, "--cfg-alpha-max: guidance needs classes (not --unconditional)");
    if (c->cfg_alpha_max > 1 && c->field_kind != DL_TRAINER_PRACTICAL)
        return dl_error(DL_EINVAL, "--cfg-alpha-max: guidance is implemented for the practical field");
    if (c->generator == DL_GENERATOR_CONV && c->width % 8)
        return dl_error(DL_EINVAL, "--width must be a multiple of 8, got %d", c->width);
    if (c->tau_schedule.kind != DL_SCHEDULE_CONSTANT && c->field_kind == DL_TRAINER_SINKHORN)
        return dl_error(DL_EINVAL, "--tau-schedule anneals the kernel fields' temperatures (practical, "
                        "meanshift), not the Sinkhorn field's eps");
    if (!(c->tau_end_step >= 1))
        return dl_error(DL_EINVAL, "trainer: the schedule's end step must be >= 1, got %ld", c->tau_end_step);
    if (c->gen_per_class < 2 || c->pos_per_class < 1)
        return dl_error(DL_EINVAL, "trainer: %d generated and %d positive images per class "
                        "(at least 2 and 1)", c->gen_per_class, c->pos_per_class);
    return check_features(c);
}

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

/* The generator, its optimiser and the RNG of its initialisation. */
static int create_generator(dl_trainer *t)
{
    const dl_trainer_config *o = &t->cfg;
    const int guided = o->cfg_alpha_max > 1;
    dl_generator_arch arch = {.kind = o->generator, .zdim = o->zdim, .hidden = o->hidden,
                              .classes = o->unconditional ? 0 : DL_CLASSES,
                              .linear = o->linear_output, .guided = guided};
    if (o->generator == DL_GENERATOR_CONV)
        arch.zdim = o->noise_channels * 49, arch.hidden = o->width;
    t->arch = arch;
    int st = dl_generator_create(&t->gen, &arch, t->batch);
    if (st)
        return st;
    if (!(t->rng = dl_rng_create(o->seed)))
        return dl_error(DL_ENOMEM, "out of memory for the RNG");
    dl_generator_init(t->gen, t->rng);
    dl_adamw_config cfg = {.lr = (float)o->lr, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
                           .weight_decay = (float)o->weight_decay, .warmup_steps = 100,
                           .clip_norm = 2.0f, .ema_decay = (float)o->ema};
    if ((st = dl_adamw_create(&t->opt, t->gen->n_params, &cfg, t->gen->params)))
        return st;
    dl_generator_arch_string(&arch, t->arch_string, sizeof t->arch_string);
    return DL_OK;
}

static int alloc_buffers(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    const int B = t->batch;
    size_t fx_total = 0, fy_total = 0;
    for (int f = 0; f < t->cfg.n_features; f++) {
        const dl_trainer_feature *ft = &t->cfg.features[f];
        s->dim[f] = ft->encoder_layer ? s->enc->dim[ft->encoder_layer - 1] : dl_feature_dim(ft->fixed);
        if (ft->encoder_layer) /* channels of 7x7 locations; encfc: one number each */
            s->chan_block[f] = ft->encoder_layer < 4 ? 49 : 1;
        s->maxD = s->dim[f] > s->maxD ? s->dim[f] : s->maxD;
        s->fx_off[f] = fx_total, s->fy_off[f] = fy_total;
        fx_total += (size_t)B * s->dim[f], fy_total += (size_t)s->PU * s->dim[f];
    }
    s->z = malloc((size_t)B * t->arch.zdim * sizeof(float));
    s->dout = malloc((size_t)B * IMAGE * sizeof(float));
    s->pos = malloc((size_t)s->PU * IMAGE * sizeof(float));
    s->alphas = malloc((size_t)B * sizeof(float));
    s->fx = malloc(fx_total * sizeof(float)), s->dfx = malloc(fx_total * sizeof(float));
    s->fy = malloc(fy_total * sizeof(float)), s->V = malloc((size_t)B * s->maxD * sizeof(float));
    s->labels = malloc((size_t)B);
    s->pos_index = malloc((size_t)s->PU * sizeof(size_t));
    if (!s->z || !s->dout || !s->pos || !s->alphas || !s->fx || !s->fy || !s->V || !s->dfx ||
        !s->labels || !s->pos_index)
        return dl_error(DL_ENOMEM, "out of memory for the training buffers");
    for (int b = 0; b < B; b++)
        s->labels[b] = (unsigned char)(t->arch.classes ? b / s->Bg : 0);
    return DL_OK;
}

/* The frozen encoder's maps of every training image, once: positives then
 * cost a copy, not a forward pass. */
static int cache_encoder_maps(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    const dl_image_set *train = s->train;
    for (int f = 0; f < t->cfg.n_features; f++) {
        const int layer = t->cfg.features[f].encoder_layer;
        if (layer > s->enc_depth)
            s->enc_depth = layer;
        if (layer && !(s->enc_cache[f] = malloc(train->count * s->dim[f] * sizeof(float))))
            return dl_error(DL_ENOMEM, "out of memory for the encoder's maps of %zu images",
                            train->count);
    }
    for (size_t at = 0; at < train->count; at += (size_t)s->P) {
        int nb = (int)(train->count - at < (size_t)s->P ? train->count - at : (size_t)s->P);
        to_unit(s->pos, train->pixels + at * IMAGE, (size_t)nb * IMAGE);
        dl_encoder_forward(s->enc, s->pos, nb, s->enc_depth);
        for (int f = 0; f < t->cfg.n_features; f++)
            if (t->cfg.features[f].encoder_layer)
                dl_encoder_layer(s->enc, t->cfg.features[f].encoder_layer, nb,
                                 s->enc_cache[f] + at * s->dim[f]);
    }
    return DL_OK;
}

/* Each channel of an encoder map scaled to unit RMS over the training split,
 * so that a few strong channels do not set the map's distances: without it the
 * fitted encoder's seed decided between a useful enc1 and one no better than
 * pixels alone (FD 10.7-11.9 against 15.5-16.5 at 1000 steps, five encoder
 * seeds; with it 10.9-12.0). */
static int scale_encoder_maps(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    const size_t count = s->train->count;
    for (int f = 0; f < t->cfg.n_features; f++) {
        if (!t->cfg.features[f].encoder_layer)
            continue;
        const int D = s->dim[f], block = s->chan_block[f], nch = D / block;
        if (!(s->chan_scale[f] = malloc((size_t)nch * sizeof(float))))
            return dl_error(DL_ENOMEM, "out of memory");
        for (int ch = 0; ch < nch; ch++) {
            double s2 = 0;
            for (size_t i = 0; i < count; i++)
                for (int k = 0; k < block; k++) {
                    const double v = s->enc_cache[f][i * D + ch * block + k];
                    s2 += v * v;
                }
            const double rms = sqrt(s2 / ((double)count * block));
            s->chan_scale[f][ch] = (float)(rms > 0 ? 1 / rms : 1);
            for (size_t i = 0; i < count; i++)
                for (int k = 0; k < block; k++)
                    s->enc_cache[f][i * D + ch * block + k] *= s->chan_scale[f][ch];
        }
    }
    return DL_OK;
}

int dl_trainer_create(dl_trainer **out, const dl_trainer_config *cfg, const dl_image_set *train,
                      const char *encoder_path)
{
    *out = NULL;
    int st = dl_trainer_config_check(cfg);
    if (st)
        return st;
    if (dl_trainer_needs_encoder(cfg) && !encoder_path)
        return dl_error(DL_EINVAL, "--features: enc* maps need --encoder CKPT|fit");
    dl_trainer *t = calloc(1, sizeof *t);
    dl_trainer_state *s = t ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        free(t);
        return dl_error(DL_ENOMEM, "out of memory for the trainer");
    }
    t->cfg = *cfg, t->state = s, s->train = train;
    s->groups = cfg->unconditional ? 1 : DL_CLASSES;
    s->Bg = cfg->gen_per_class, s->Bp = cfg->pos_per_class, t->batch = s->Bg * s->groups;
    s->guided = cfg->cfg_alpha_max > 1, s->Nu = s->guided ? cfg->cfg_uncond : 0;
    /* the real rows of a step: P positives, then Nu unconditional negatives per class */
    s->P = s->Bp * s->groups, s->PU = s->P + s->Nu * s->groups;
    s->sinkhorn = dl_sinkhorn_config_default(SINKHORN_FIELD_EPS);
    s->sinkhorn.tol = 1e-6;
    if (!(st = index_classes(train, &s->ci)))
        st = create_generator(t);
    const int needs_encoder = dl_trainer_needs_encoder(cfg);
    if (!st && needs_encoder)
        st = dl_encoder_load(&s->enc, encoder_path, t->batch > s->PU ? t->batch : s->PU);
    if (!st)
        st = alloc_buffers(t);
    if (!st && needs_encoder)
        st = cache_encoder_maps(t);
    if (!st && needs_encoder && !cfg->no_channel_scale)
        st = scale_encoder_maps(t);
    if (st) {
        dl_trainer_destroy(t);
        return st;
    }
    *out = t;
    return DL_OK;
}

int dl_trainer_resume(dl_trainer *t, const char *checkpoint_path)
{
    return dl_checkpoint_read(checkpoint_path, t->arch_string, &t->step, t->gen->params,
                              t->gen->n_params, t->opt, t->rng);
}

int dl_trainer_resume_check(const dl_trainer_config *cfg, const char *checkpoint_path)
{
    dl_trainer t;
    memset(&t, 0, sizeof t);
    t.cfg = *cfg, t.batch = 1;
    long step = 0;
    int st = create_generator(&t);
    if (!st)
        st = dl_checkpoint_read(checkpoint_path, t.arch_string, &step, t.gen->params,
                                t.gen->n_params, t.opt, t.rng);
    dl_generator_destroy(t.gen);
    dl_adamw_destroy(t.opt);
    if (t.rng)
        gsl_rng_free(t.rng);
    return st;
}

/* The step's noise, positives and guidance, drawn from (seed, step) alone. */
static void draw_batch(dl_trainer *t, gsl_rng *sr)
{
    dl_trainer_state *s = t->state;
    const dl_image_set *train = s->train;
    const int classes = t->arch.classes;
    for (size_t i = 0; i < (size_t)t->batch * t->arch.zdim; i++)
        s->z[i] = (float)gsl_ran_gaussian(sr, 1.0);
    for (int c = 0; c < s->groups; c++)
        for (int p = 0; p < s->Bp; p++) {
            int cls_c = classes ? c : (int)gsl_rng_uniform_int(sr, DL_CLASSES);
            size_t k = s->ci.idx[cls_c][gsl_rng_uniform_int(sr, s->ci.count[cls_c])];
            to_unit(s->pos + ((size_t)c * s->Bp + p) * IMAGE, train->pixels + k * IMAGE, IMAGE);
            s->pos_index[c * s->Bp + p] = k;
        }
    /* Guidance draws come after the positives, so that an unguided run sees
     * the same stream.  alpha by inverting the CDF of alpha^-3. */
    memset(s->weight, 0, sizeof s->weight);
    for (int c = 0; c < s->groups && s->guided; c++) {
        for (int u = 0; u < s->Nu; u++) {
            size_t k = gsl_rng_uniform_int(sr, train->count), r = (size_t)s->P + (size_t)c * s->Nu + u;
            to_unit(s->pos + r * IMAGE, train->pixels + k * IMAGE, IMAGE);
            s->pos_index[r] = k;
        }
        const double amax = t->cfg.cfg_alpha_max, u = gsl_rng_uniform(sr);
        const double alpha = 1.0 / sqrt(1.0 - u * (1.0 - 1.0 / (amax * amax)));
        s->weight[c] = (alpha - 1.0) * (s->Bg - 1) / s->Nu;
        for (int b = 0; b < s->Bg; b++)
            s->alphas[c * s->Bg + b] = (float)alpha;
    }
}

/* Map f's block of the generated rows [B, D_f] and of the real rows [PU, D_f]. */
static float *map_x(const dl_trainer *t, float *base, int f) { return base + t->state->fx_off[f]; }

static float *map_y(const dl_trainer *t, int f) { return t->state->fy + t->state->fy_off[f]; }

/* the generated rows [row0, row0 + rows) of every map, fx, from the
 * generator's output (rows, 784) */
static void forward_generated(dl_trainer *t, int row0, int rows)
{
    dl_trainer_state *s = t->state;
    const float *img = t->gen->out;
    if (s->enc)
        dl_encoder_forward(s->enc, img, rows, s->enc_depth);
    for (int f = 0; f < t->cfg.n_features; f++) {
        float *fx = map_x(t, s->fx, f) + (size_t)row0 * s->dim[f];
        if (t->cfg.features[f].encoder_layer) {
            dl_encoder_layer(s->enc, t->cfg.features[f].encoder_layer, rows, fx);
            scale_channels(fx, rows, s->dim[f], s->chan_block[f], s->chan_scale[f]);
        } else {
            dl_feature_forward(t->cfg.features[f].fixed, img, rows, fx);
        }
    }
}

/* every map of the real rows, fy (PU, D_f): the encoder's from its cache */
static void forward_real(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    for (int f = 0; f < t->cfg.n_features; f++) {
        float *fy = map_y(t, f);
        if (t->cfg.features[f].encoder_layer)
            for (int p = 0; p < s->PU; p++)
                memcpy(fy + (size_t)p * s->dim[f], s->enc_cache[f] + s->pos_index[p] * s->dim[f],
                       (size_t)s->dim[f] * sizeof(float));
        else
            dl_feature_forward(t->cfg.features[f].fixed, s->pos, s->PU, fy);
    }
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

/* Class c's field on map f and its gradient d (Bg, D) = d loss / d fx; adds
 * sum V^2 to *sq.  V: (Bg, maxD) scratch of this class. */
static int class_field(dl_trainer *t, int c, int f, float *V, double *sq)
{
    const dl_trainer_state *s = t->state;
    const dl_trainer_feature *ft = &t->cfg.features[f];
    const int D = s->dim[f], Bg = s->Bg, Bp = s->Bp, Nu = s->Nu;
    const float *fy = map_y(t, f);
    const float *xc = map_x(t, s->fx, f) + (size_t)c * Bg * D, *yc = fy + (size_t)c * Bp * D;
    const float *uc = fy + ((size_t)s->P + (size_t)c * Nu) * D;
    float *d = map_x(t, s->dfx, f) + (size_t)c * Bg * D;
    const int nsg = t->cfg.no_stop_gradient;
    double scale;
    int st;
    if (ft->per_location) /* writes its own gradient into d */
        return field_per_location(&s->field_now, xc, Bg, yc, Bp, uc, Nu, s->weight[c], D,
                                  s->chan_block[f], ft->weight, V, d, sq);
    if (t->cfg.field_kind == DL_TRAINER_MEANSHIFT)
        st = dl_field_meanshift(&s->field_now, s->meanshift_tau_now, xc, Bg, yc, Bp, D, V, nsg ? d : NULL,
                                &scale);
    else if (t->cfg.field_kind == DL_TRAINER_SINKHORN)
        st = dl_field_sinkhorn(&s->sinkhorn, xc, Bg, yc, Bp, D, V, &scale);
    else
        st = dl_field_compute_float(&s->field_now, xc, Bg, yc, Bp, uc, Nu, s->weight[c], D, V, &scale);
    if (st)
        return st;
    /* stop-gradient: d/dx ||x/s - sg(x/s + V)||^2 / numel = -2 V / (numel s);
     * the ablation: d/dx ||V(x/s)||^2 / numel = 2 (dE/dx') / (numel s) */
    const double k2 = (nsg ? 2.0 : -2.0) * ft->weight / ((double)Bg * D * scale);
    for (size_t i = 0; i < (size_t)Bg * D; i++) {
        d[i] = (float)(k2 * (nsg ? d[i] : V[i]));
        *sq += (double)V[i] * V[i];
    }
    return DL_OK;
}

/* One class's fields per thread (the BLAS inside runs single-threaded there):
 * each class has its own V and its own sum of squares, added in class order,
 * so the numbers do not depend on the thread count.  Sets t->drift_rms. */
static int compute_fields(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    const int groups = s->groups;
    double sq = 0, sq_c[DL_CLASSES] = {0};
    int st_c[DL_CLASSES] = {0};
    char msg_c[DL_CLASSES][256];
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < groups; c++)
        for (int f = 0; f < t->cfg.n_features && !st_c[c]; f++)
            if ((st_c[c] = class_field(t, c, f, s->V + (size_t)c * s->Bg * s->maxD, &sq_c[c])))
                /* the message is the thread's own: keep it for the caller */
                snprintf(msg_c[c], sizeof msg_c[c], "%s", dl_error_message());
    for (int c = 0; c < groups; c++) {
        if (st_c[c])
            return dl_error(st_c[c], "class %d: %s", c, msg_c[c]);
        sq += sq_c[c];
    }
    size_t sq_n = 0;
    for (int f = 0; f < t->cfg.n_features; f++)
        sq_n += (size_t)groups * s->Bg * s->dim[f];
    t->drift_rms = sqrt(sq / (double)sq_n);
    return DL_OK;
}

/* d loss / d image from every map's gradient (dfx) of the generated rows
 * [row0, row0 + rows), into dout (rows, 784). */
static void backward_features(dl_trainer *t, int row0, int rows)
{
    dl_trainer_state *s = t->state;
    memset(s->dout, 0, (size_t)rows * IMAGE * sizeof(float));
    float *denc[DL_ENCODER_LAYERS] = {NULL};
    for (int f = 0; f < t->cfg.n_features; f++) {
        float *dfx = map_x(t, s->dfx, f) + (size_t)row0 * s->dim[f];
        const int layer = t->cfg.features[f].encoder_layer;
        if (layer) {
            scale_channels(dfx, rows, s->dim[f], s->chan_block[f], s->chan_scale[f]); /* d(f s)/df = s */
            float **to = &denc[layer - 1];
            if (*to) /* encN and encN-loc: one layer, two losses */
                for (size_t i = 0; i < (size_t)rows * s->dim[f]; i++)
                    (*to)[i] += dfx[i];
            else
                *to = dfx;
        } else
            dl_feature_backward(t->cfg.features[f].fixed, t->gen->out, rows, dfx, s->dout);
    }
    if (s->enc)
        dl_encoder_backward(s->enc, denc, rows, s->dout);
}

/* This step's temperatures: tau s (Laplacian, a length) or tau s^2 (Gaussian,
 * a squared length).  At s = 1 they are the configured ones, bit for bit. */
static void anneal_temperatures(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    const double sc = t->tau_scale = dl_trainer_tau_scale(&t->cfg, t->step, t->cfg.tau_end_step);
    const double f = t->cfg.field.kernel == DL_FIELD_GAUSSIAN ? sc * sc : sc;
    s->field_now = t->cfg.field;
    for (int k = 0; k < s->field_now.n_tau; k++)
        s->field_now.tau[k] *= f;
    s->meanshift_tau_now = MEANSHIFT_TAU * f;
}

int dl_trainer_shard_count(const dl_trainer *t) { return t->state->groups; }

int dl_trainer_set_shards(dl_trainer *t, const dl_trainer_shards *sh)
{
    dl_trainer_state *s = t->state;
    if (sh->first < 0 || sh->held < 0 || sh->first + sh->held > s->groups || !sh->sum || !sh->agree)
        return dl_error(DL_EINVAL, "trainer: shards [%d, %d) of %d", sh->first, sh->first + sh->held,
                        s->groups);
    const size_t len = t->gen->n_params + 1;
    free(s->shard_grads), free(s->shard_sum);
    s->shard_grads = malloc(((size_t)sh->held * len + 1) * sizeof(float));
    s->shard_sum = malloc(len * sizeof(float));
    if (!s->shard_grads || !s->shard_sum)
        return dl_error(DL_ENOMEM, "trainer: out of memory for %d shards of %zu gradients", sh->held, len);
    s->shards = *sh, s->sharded = 1;
    return DL_OK;
}

/* One class end to end, alone: its Bg generated rows forward, its fields,
 * back to the generator's gradient; into out (n_params + 1), the last entry
 * its sum V^2.  What a shard computes depends on nothing but the class. */
static int shard_gradient(dl_trainer *t, int c, float *out)
{
    dl_trainer_state *s = t->state;
    dl_trainer_profile *p = &t->profile;
    const int Bg = s->Bg, row0 = c * Bg;
    double mark = wall_seconds();
    dl_generator_forward(t->gen, s->z + (size_t)row0 * t->arch.zdim,
                         t->arch.classes ? s->labels + row0 : NULL, s->guided ? s->alphas + row0 : NULL, Bg);
    p->gen_forward += wall_seconds() - mark, mark = wall_seconds();
    forward_generated(t, row0, Bg);
    p->features += wall_seconds() - mark, mark = wall_seconds();
    double sq = 0;
    for (int f = 0; f < t->cfg.n_features; f++) {
        int st = class_field(t, c, f, s->V, &sq);
        if (st)
            return dl_error(st, "class %d: %s", c, dl_error_message());
    }
    p->fields += wall_seconds() - mark, mark = wall_seconds();
    backward_features(t, row0, Bg);
    p->features += wall_seconds() - mark, mark = wall_seconds();
    dl_generator_backward(t->gen, s->dout, Bg);
    memcpy(out, t->gen->grads, t->gen->n_params * sizeof(float));
    out[t->gen->n_params] = (float)sq;
    p->gen_backward += wall_seconds() - mark;
    return DL_OK;
}

/* The data-parallel step: this process's classes one by one, then the
 * gradients summed over every class in class order (shards.sum), so the
 * update is the same on every process and for any split of the classes. */
static int step_sharded(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    const dl_trainer_shards *sh = &s->shards;
    const size_t np = t->gen->n_params, len = np + 1;
    double mark = wall_seconds();
    forward_real(t);
    t->profile.features += wall_seconds() - mark;
    int st = DL_OK;
    for (int k = 0; k < sh->held && !st; k++)
        st = shard_gradient(t, sh->first + k, s->shard_grads + (size_t)k * len);
    mark = wall_seconds(); /* the sum (and any wait for other ranks) counts as backward */
    if ((st = sh->agree(sh->ctx, st)) ||
        (st = sh->sum(sh->ctx, s->shard_grads, sh->first, sh->held, s->groups, len, s->shard_sum)))
        return st;
    t->profile.gen_backward += wall_seconds() - mark;
    memcpy(t->gen->grads, s->shard_sum, np * sizeof(float));
    size_t sq_n = 0;
    for (int f = 0; f < t->cfg.n_features; f++)
        sq_n += (size_t)s->groups * s->Bg * s->dim[f];
    t->drift_rms = sqrt(s->shard_sum[np] / (double)sq_n);
    return DL_OK;
}

int dl_trainer_step(dl_trainer *t)
{
    dl_trainer_state *s = t->state;
    dl_trainer_profile *p = &t->profile;
    anneal_temperatures(t);
    /* noise and positives depend only on (seed, step): a resumed run sees the same */
    gsl_rng *sr = dl_rng_create(t->cfg.seed * 1000003ul + (unsigned long)t->step + 1);
    if (!sr)
        return dl_error(DL_ENOMEM, "out of memory for the step's RNG");
    draw_batch(t, sr);
    gsl_rng_free(sr);
    if (s->sharded) {
        int st = step_sharded(t);
        if (st)
            return st;
        float norm = dl_adamw_step(t->opt, t->gen->params, t->gen->grads);
        if (!isfinite(norm))
            return dl_error(DL_ENUMERIC, "training diverged at step %ld (gradient norm %g)", t->step, norm);
        t->step++;
        return DL_OK;
    }
    double mark = wall_seconds();
    dl_generator_forward(t->gen, s->z, t->arch.classes ? s->labels : NULL, s->guided ? s->alphas : NULL,
                         t->batch);
    p->gen_forward += wall_seconds() - mark;
    mark = wall_seconds();
    forward_generated(t, 0, t->batch);
    forward_real(t);
    p->features += wall_seconds() - mark;
    mark = wall_seconds();
    int st = compute_fields(t);
    p->fields += wall_seconds() - mark;
    if (st)
        return st;
    mark = wall_seconds();
    backward_features(t, 0, t->batch);
    p->features += wall_seconds() - mark;
    mark = wall_seconds();
    dl_generator_backward(t->gen, s->dout, t->batch);
    float norm = dl_adamw_step(t->opt, t->gen->params, t->gen->grads);
    p->gen_backward += wall_seconds() - mark;
    if (!isfinite(norm))
        return dl_error(DL_ENUMERIC, "training diverged at step %ld (gradient norm %g)", t->step, norm);
    t->step++;
    return DL_OK;
}

int dl_trainer_generate(dl_generator *g, const float *weights, size_t n, int only_class,
                        float alpha, double noise_scale, gsl_rng *rng, unsigned char *pixels,
                        unsigned char *labels)
{
    const int B = g->max_batch, classes = g->arch.classes;
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
    for (size_t at = 0; at < n; at += (size_t)B) {
        int nb = (int)(n - at < (size_t)B ? n - at : (size_t)B);
        for (int b = 0; b < nb; b++) {
            lab[b] = (unsigned char)(!classes ? 0 : only_class >= 0 ? only_class : (int)((at + b) % DL_CLASSES));
            for (int k = 0; k < g->arch.zdim; k++)
                z[(size_t)b * g->arch.zdim + k] = (float)gsl_ran_gaussian(rng, noise_scale);
        }
        dl_generator_forward(g, z, classes ? lab : NULL, al, nb);
        to_bytes(pixels + at * IMAGE, g->out, (size_t)nb * IMAGE);
        if (labels)
            memcpy(labels + at, lab, (size_t)nb);
    }
    memcpy(g->params, saved, g->n_params * sizeof(float));
    free(saved), free(al), free(z), free(lab);
    return DL_OK;
}

int dl_trainer_eval_set_create(dl_trainer_eval_set *es, dl_classifier *cls,
                               const dl_image_set *real, size_t n)
{
    memset(es, 0, sizeof *es);
    es->classifier = cls, es->n = n;
    if (n > real->count)
        return dl_error(DL_EINVAL, "--eval-n %zu exceeds the test split's %zu images", n, real->count);
    if (!(es->real_features = malloc(n * cls->arch.fc * sizeof(float))))
        return dl_error(DL_ENOMEM, "out of memory for the test split's features");
    int st = dl_imgspectrum_create(&es->spectrum_plan, real->rows, real->cols);
    if (!st)
        st = dl_imgspectrum_execute_bytes(es->spectrum_plan, real->pixels, n, &es->real_spectrum);
    if (!st)
        st = dl_classifier_run(cls, real->pixels, n, NULL, NULL, es->real_features, NULL);
    return st;
}

void dl_trainer_eval_set_free(dl_trainer_eval_set *es)
{
    dl_classifier_destroy(es->classifier);
    dl_imgspectrum_destroy(es->spectrum_plan);
    free(es->real_features);
    memset(es, 0, sizeof *es);
}

/* The EMA generator's n images against the set's n real ones: FD, KID,
 * precision and recall in the classifier's features, and label accuracy. */
int dl_trainer_evaluate(dl_trainer *t, const dl_trainer_eval_set *es, float alpha,
                        unsigned long seed, dl_trainer_eval *e)
{
    const size_t n = es->n;
    dl_classifier *cls = es->classifier;
    const float *ft = es->real_features;
    const int classes = t->arch.classes;
    unsigned char *pix = malloc(n * IMAGE), *lab = malloc(n), *pred = malloc(n);
    float *fg = malloc(n * cls->arch.fc * sizeof(float));
    int st = !pix || !lab || !pred || !fg ? dl_error(DL_ENOMEM, "out of memory") : DL_OK;
    gsl_rng *rng = dl_rng_create(seed);
    if (!st)
        st = dl_trainer_generate(t->gen, t->opt->ema, n, -1, alpha, 1.0, rng, pix, lab);
    if (!st)
        st = dl_classifier_run(cls, pix, n, classes ? lab : NULL, &e->label_acc, fg, pred);
    double se;
    if (!st)
        st = dl_frechet_distance(fg, n, ft, n, cls->arch.fc, &e->fd);
    if (!st)
        st = dl_kid(fg, n, ft, n, cls->arch.fc, 4, n / 4, rng, &e->kid, &se);
    if (!st)
        st = dl_precision_recall(ft, n, fg, n, cls->arch.fc, 3, &e->precision, &e->recall);
    if (!st)
        st = dl_imgspectrum_execute_bytes(es->spectrum_plan, pix, n, &e->spectrum);
    gsl_rng_free(rng);
    free(pix), free(lab), free(pred), free(fg);
    return st;
}

int dl_trainer_write_grid(dl_trainer *t, float alpha, unsigned long seed, const char *path)
{
    unsigned char pix[100 * IMAGE], lab[100], rows[100 * IMAGE];
    gsl_rng *rng = dl_rng_create(seed);
    int st = dl_trainer_generate(t->gen, t->opt->ema, 100, -1, alpha, 1.0, rng, pix, lab);
    gsl_rng_free(rng);
    if (st)
        return st;
    /* dl_trainer_generate cycles classes 0..9; lay out one row per class */
    for (int r = 0; r < 10; r++)
        for (int k = 0; k < 10; k++)
            memcpy(rows + (size_t)(r * 10 + k) * IMAGE, pix + (size_t)(k * 10 + r) * IMAGE, IMAGE);
    return dl_imagegrid_write_png(path, t->arch.classes ? rows : pix, 100, 28, 28, 10, 2);
}

int dl_trainer_checkpoint(const dl_trainer *t, const char *path, const dl_provenance *prov)
{
    return dl_checkpoint_write(path, t->arch_string, t->step, t->gen->params, t->gen->n_params,
                               t->opt, t->rng, prov);
}

void dl_trainer_describe(const dl_trainer *t, float alpha, char *buf, size_t len)
{
    const dl_trainer_config *o = &t->cfg;
    const int practical = o->field_kind == DL_TRAINER_PRACTICAL;
    char guidance[160] = "", taus[160] = "";
    for (int k = 0, used = 0; k < o->field.n_tau && practical; k++)
        used += snprintf(taus + used, sizeof taus - (size_t)used, "%s%g", k ? "," : " tau ", o->field.tau[k]);
    if (t->state->guided)
        snprintf(guidance, sizeof guidance,
                 "; guidance: alpha ~ alpha^-3 on [1, %g], %d unconditional negatives per class, "
                 "evaluated at alpha %g", o->cfg_alpha_max, t->state->Nu, alpha);
    static const char *const fields[] = {"practical", "meanshift", "sinkhorn"};
    const dl_schedule *ts = &o->tau_schedule;
    char anneal[200] = "";
    if (ts->kind == DL_SCHEDULE_CONSTANT && ts->sigma0 != 1)
        snprintf(anneal, sizeof anneal, "; temperatures scaled by %g", ts->sigma0);
    else if (ts->kind == DL_SCHEDULE_EXP)
        snprintf(anneal, sizeof anneal, "; temperatures scaled by max(%g, %g exp(-%g step / %ld))",
                 ts->sigma_min, ts->sigma0, ts->rate, o->tau_end_step);
    else if (ts->kind == DL_SCHEDULE_COSINE)
        snprintf(anneal, sizeof anneal, "; temperatures scaled by a cosine from %g to %g over %ld steps",
                 ts->sigma0, ts->sigma_min, o->tau_end_step);
    snprintf(buf, len,
             "generator %s; features %d%s; field %s%s kernel %s norm %s%s; %d generated + %d positive "
             "per class; lr %g%s%s",
             t->arch_string, o->n_features, t->state->enc ? " (with encoder)" : "", fields[o->field_kind],
             o->no_stop_gradient ? " WITHOUT stop-gradient" : "",
             o->field.kernel == DL_FIELD_GAUSSIAN ? "gaussian" : "laplacian",
             o->field.norm == DL_FIELD_TWO_SIDED ? "two-sided" : o->field.norm == DL_FIELD_ROWS ? "rows" : "none",
             taus, o->gen_per_class, o->pos_per_class, o->lr, guidance, anneal);
}

void dl_trainer_destroy(dl_trainer *t)
{
    if (!t)
        return;
    dl_trainer_state *s = t->state;
    if (s) {
        for (int c = 0; c < DL_CLASSES; c++)
            free(s->ci.idx[c]);
        dl_encoder_destroy(s->enc);
        free(s->z), free(s->dout), free(s->pos), free(s->alphas), free(s->fx), free(s->fy);
        free(s->V), free(s->dfx), free(s->labels), free(s->pos_index);
        for (int f = 0; f < DL_TRAINER_MAX_FEATURES; f++)
            free(s->enc_cache[f]), free(s->chan_scale[f]);
        free(s->shard_grads), free(s->shard_sum);
        free(s);
    }
    dl_generator_destroy(t->gen);
    dl_adamw_destroy(t->opt);
    if (t->rng)
        gsl_rng_free(t->rng);
    free(t);
}

int dl_trainer_fit_encoder(const dl_image_set *train, unsigned long seed, const char *path,
                           const dl_provenance *prov, dl_classifier_progress report, void *ctx,
                           long *steps_done)
{
    /* 16 first-layer channels, not 8: the enc1 map is then 784-d and a step
     * about 20% slower, yet it wins at equal time (docs/RESULTS.md). */
    const dl_classifier_arch arch = {16, 16, 32, 64};
    const int B = 128;
    const long total = 2 * (long)(train->count / B);
    dl_classifier *c = NULL;
    dl_adamw *opt = NULL;
    gsl_rng *rng = dl_rng_create(seed);
    int st = rng ? dl_classifier_create(&c, &arch, B) : dl_error(DL_ENOMEM, "out of memory");
    if (!st) {
        dl_classifier_init(c, rng);
        dl_adamw_config cfg = dl_classifier_adamw_config(2e-3f, total);
        st = dl_adamw_create(&opt, c->n_params, &cfg, c->params);
    }
    long step = 0;
    if (!st)
        st = dl_classifier_fit(c, opt, train->pixels, train->labels, train->count, seed, total, &step,
                               report, ctx);
    char arch_s[128];
    dl_classifier_arch_string(&arch, arch_s, sizeof arch_s);
    if (!st)
        st = dl_checkpoint_write(path, arch_s, step, c->params, c->n_params, opt, rng, prov);
    if (steps_done)
        *steps_done = step;
    dl_classifier_destroy(c);
    dl_adamw_destroy(opt);
    if (rng)
        gsl_rng_free(rng);
    return st;
}
