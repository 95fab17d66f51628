/* trainer: a one-step generator x = f(z, class) trained with the drifting loss
 *     L = sum_f w_f E || phi_f(x) - stopgrad(phi_f(x) + V_f) ||^2
 * over feature maps phi_f, with V_f the practical field of Deng et al.
 * (images/drift_field.h) of each class's generated samples against its real
 * positives.
 *
 * create / step / evaluate / checkpoint / destroy:
 *     dl_trainer_config cfg = dl_trainer_config_default();
 *     dl_trainer_create(&t, &cfg, &train_split, encoder_path);
 *     dl_trainer_resume(t, ckpt);                  (optional)
 *     while (...) dl_trainer_step(t);              one AdamW step, t->step + 1
 *     dl_trainer_evaluate(t, &eval_set, 1, seed, &e);  FD-FMNIST, KID, ...
 *     dl_trainer_checkpoint(t, path, &prov);
 *     dl_trainer_destroy(t);
 * A step's noise and positives depend only on (seed, step), so a resumed run
 * follows the uninterrupted one bit for bit, whatever the thread count. */
#ifndef DL_TRAINER_H
#define DL_TRAINER_H

#include <stddef.h>

#include "base/io.h"
#include "drift/schedule.h"
#include "images/drift_field.h"
#include "images/feature_maps.h"
#include "images/idx.h"
#include "nn/classifier.h"
#include "nn/encoder.h"
#include "nn/generator.h"
#include "nn/optim.h"
#include "spectral/imgspectrum.h"

#define DL_TRAINER_MAX_FEATURES 8

/* A feature map of the loss: a fixed map of the image, or a layer (1..4) of
 * the frozen encoder. */
typedef struct {
    dl_feature_kind fixed;
    int encoder_layer; /* 0: the fixed map */
    int per_location;  /* encN-loc: one field per 7x7 location over the channels */
    double weight;     /* of its loss in the sum */
} dl_trainer_feature;

typedef enum { DL_TRAINER_PRACTICAL, DL_TRAINER_MEANSHIFT, DL_TRAINER_SINKHORN } dl_trainer_field;

typedef struct {
    int n_features;
    dl_trainer_feature features[DL_TRAINER_MAX_FEATURES];
    dl_trainer_field field_kind;
    dl_field_config field;  /* kernel, norm, temperatures of the practical field */
    int no_stop_gradient;   /* the ablation: descend |V|^2 through V (meanshift only) */
    dl_generator_kind generator;
    int zdim, hidden;          /* MLP noise and width */
    int noise_channels, width; /* conv: 7x7 noise channels, base channels */
    int linear_output;         /* pixels unsquashed (no tanh) */
    int unconditional;         /* one class for everything */
    int gen_per_class, pos_per_class;
    double cfg_alpha_max; /* > 1: classifier-free guidance trained on [1, cfg_alpha_max] */
    int cfg_uncond;       /* unconditional negatives per class per step */
    int no_channel_scale; /* encoder maps as they come, not per channel to unit RMS */
    double lr, weight_decay, ema;
    unsigned long seed;
    /* Annealed bandwidth: every temperature of the field is scaled as a length
     * by s(progress), progress = step / tau_end_step in [0, 1] (the schedule's
     * time runs over [0, 1]): the Laplacian's tau by s, the Gaussian's (a
     * squared length) by s^2.  Constant at 1: the temperatures as given. */
    dl_schedule tau_schedule;
    long tau_end_step;
} dl_trainer_config;

/* Seconds spent in each part of the steps (wall clock). */
typedef struct {
    double gen_forward, features, fields, gen_backward;
} dl_trainer_profile;

typedef struct {
    double fd, kid, precision, recall, label_acc;
    dl_imgspectrum_result spectrum; /* of the generated images */
} dl_trainer_eval;

/* The evaluation's fixed half: a classifier and its features of n real images,
 * the same at every evaluation (dl_trainer_eval_set_create computes them). */
typedef struct {
    dl_classifier *classifier;
    float *real_features; /* (n, fc) */
    size_t n;
    dl_imgspectrum *spectrum_plan;
    dl_imgspectrum_result real_spectrum; /* of the n real images */
} dl_trainer_eval_set;

typedef struct dl_trainer_state dl_trainer_state;

typedef struct {
    dl_trainer_config cfg;
    dl_generator_arch arch;
    char arch_string[128];
    dl_generator *gen;
    dl_adamw *opt; /* its EMA weights are the ones that sample */
    gsl_rng *rng;  /* the generator's initialisation; kept in checkpoints */
    long step;     /* steps done */
    double drift_rms; /* of the last step's fields */
    double tau_scale; /* s(progress) of the last step */
    int batch;        /* generated images per step */
    dl_trainer_profile profile;
    dl_trainer_state *state; /* buffers, encoder, class index (trainer.c) */
} dl_trainer;

/* The defaults are what measured best in a fixed time (docs/RESULTS.md):
 * pixels and the fitted encoder's first layer, guidance on [1, 3], lr 3e-3. */
dl_trainer_config dl_trainer_config_default(void);
/* "pixels,pool7:0.5,enc1-loc": the maps with their weights. */
int dl_trainer_features_parse(const char *text, dl_trainer_config *cfg);
/* The config's own consistency (the field, guidance and maps agree). */
int dl_trainer_config_check(const dl_trainer_config *cfg);
int dl_trainer_needs_encoder(const dl_trainer_config *cfg);
/* s(step / end): the temperatures' scale at that step (clamped to progress 1). */
double dl_trainer_tau_scale(const dl_trainer_config *cfg, long step, long end);

/* train: the training split (kept by reference, must outlive the trainer);
 * encoder_path: a classifier checkpoint for the enc* maps, or NULL. */
int dl_trainer_create(dl_trainer **out, const dl_trainer_config *cfg, const dl_image_set *train,
                      const char *encoder_path);
int dl_trainer_resume(dl_trainer *t, const char *checkpoint_path);
/* Whether a checkpoint would resume a trainer of this config (architecture,
 * CRC, sizes), without building one: to refuse a bad file before any work. */
int dl_trainer_resume_check(const dl_trainer_config *cfg, const char *checkpoint_path);
/* One step: a batch, its fields, one AdamW update.  DL_ENUMERIC on a
 * non-finite gradient (the parameters are then left as they were). */
int dl_trainer_step(dl_trainer *t);
/* Data-parallel training.  The shards are the classes (one when
 * unconditional); this process computes shards [first, first + held) and
 * sum adds every shard's vector of len floats in shard order into sum, the
 * same on every process (under MPI: dl_mpi_ordered_sum); agree makes one
 * process's failure everyone's.  The step then depends on the split of the
 * classes not at all: any number of processes gives the same parameters, bit
 * for bit.  Each class's rows go through the generator on their own, so the
 * result differs in rounding from the unsharded step's one batch. */
typedef struct {
    int first, held;
    int (*agree)(void *ctx, int st);
    int (*sum)(void *ctx, const float *shards, int first, int held, int total, size_t len, float *sum);
    void *ctx;
} dl_trainer_shards;
int dl_trainer_shard_count(const dl_trainer *t);
int dl_trainer_set_shards(dl_trainer *t, const dl_trainer_shards *shards);

int dl_trainer_evaluate(dl_trainer *t, const dl_trainer_eval_set *es, float alpha,
                        unsigned long seed, dl_trainer_eval *e);
int dl_trainer_checkpoint(const dl_trainer *t, const char *path, const dl_provenance *prov);
/* A 10 x 10 PNG of the EMA generator's images, one row per class. */
int dl_trainer_write_grid(dl_trainer *t, float alpha, unsigned long seed, const char *path);
/* The config in one line, for the train.dat header. */
void dl_trainer_describe(const dl_trainer *t, float alpha, char *buf, size_t len);
void dl_trainer_destroy(dl_trainer *t);

/* The evaluation set: the first n images of `real`, through the classifier
 * (which the set then owns). */
int dl_trainer_eval_set_create(dl_trainer_eval_set *es, dl_classifier *cls,
                               const dl_image_set *real, size_t n);
void dl_trainer_eval_set_free(dl_trainer_eval_set *es);

/* --encoder fit: a small classifier (widths 16,16,32,64, 2 epochs) trained on
 * the split with the classify command's optimiser, written to path. */
int dl_trainer_fit_encoder(const dl_image_set *train, unsigned long seed, const char *path,
                           const dl_provenance *prov, dl_classifier_progress report, void *ctx,
                           long *steps_done);

/* n images from the generator with the given weights at guidance scale alpha:
 * classes cycle 0..9 (only_class < 0) or are all only_class; labels (may be
 * NULL) receive the classes asked for.  pixels: n x 784 bytes. */
int dl_trainer_generate(dl_generator *g, const float *weights, size_t n, int only_class,
                        float alpha, double noise_scale, gsl_rng *rng, unsigned char *pixels,
                        unsigned char *labels);

#endif
