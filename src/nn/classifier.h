/* classifier: the small CNN that judges generated Fashion-MNIST images and
 * whose penultimate layer is the feature space of the image metrics.
 *
 *   x (1,B,28,28) -conv3x3 c1, ReLU-> (c1,B,28,28) -conv3x3/2 c2, ReLU-> (c2,B,14,14)
 *   -conv3x3/2 c3, ReLU-> (c3,B,7,7) -flatten-> (B, 49 c3) -linear fc, ReLU->
 *   features (B, fc) -linear 10-> logits (B, 10)
 *
 * All parameters live in one buffer, all gradients in another (llm.c style). */
#ifndef DL_CLASSIFIER_H
#define DL_CLASSIFIER_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "nn/nn.h"
#include "nn/optim.h"

#define DL_CLASSES 10
#define DL_IMAGE_SIDE 28
#define DL_IMAGE_PIXELS (DL_IMAGE_SIDE * DL_IMAGE_SIDE)

/* The widest layers a classifier may have (the CLI's and a checkpoint's limit). */
#define DL_CLASSIFIER_MAX_WIDTH 1024
#define DL_CLASSIFIER_MAX_FC 4096

typedef struct {
    int c1, c2, c3, fc;
} dl_classifier_arch;

typedef struct {
    dl_classifier_arch arch;
    int max_batch;
    size_t n_params;
    float *params, *grads;
    float *w1, *b1, *w2, *b2, *w3, *b3, *wf1, *bf1, *wf2, *bf2;     /* views into params */
    float *gw1, *gb1, *gw2, *gb2, *gw3, *gb3, *gwf1, *gbf1, *gwf2, *gbf2; /* into grads */
    dl_nn_conv2d_shape s1, s2, s3;
    /* activations for max_batch images, and their gradients */
    float *a1, *r1, *a2, *r2, *a3, *r3, *flat, *h, *features, *logits, *probs;
    float *da1, *dr1, *da2, *dr2, *da3, *dr3, *dflat, *dh, *dfeatures, *dlogits;
    float *scratch;
} dl_classifier;

int dl_classifier_create(dl_classifier **out, const dl_classifier_arch *arch, int max_batch);
void dl_classifier_destroy(dl_classifier *c);
/* "classifier-v1 c1=.. c2=.. c3=.. fc=..": what a checkpoint must match */
void dl_classifier_arch_string(const dl_classifier_arch *arch, char *buf, size_t len);
int dl_classifier_arch_parse(const char *text, dl_classifier_arch *arch);
/* He-normal weights, zero biases */
void dl_classifier_init(dl_classifier *c, gsl_rng *rng);

/* Pixels to network input: (x / 255 - mean) / std with Fashion-MNIST's
 * statistics; out is (B, 784). flip mirrors left-right where flip[b] != 0. */
void dl_classifier_prepare(float *out, const unsigned char *pixels, int B, const unsigned char *flip);
/* images (B,784) prepared; fills features (B,fc), logits and probs (B,10) */
void dl_classifier_forward(dl_classifier *c, const float *images, int B);
/* the forward through layer `depth` only: 1..3 the convs' r1..r3, 4 the
 * features, 5 (DL_CLASSIFIER_DEPTH) the logits too */
#define DL_CLASSIFIER_DEPTH 5
void dl_classifier_forward_to(dl_classifier *c, const float *images, int B, int depth);
/* after forward: zeroes grads, backpropagates the mean cross-entropy, returns it */
float dl_classifier_backward(dl_classifier *c, const float *images, const unsigned char *labels,
                             int B);

/* Trains c with opt (AdamW, created by the caller: lr schedule, EMA) on the
 * first n_train images of (pixels, labels) from step *step to total, batches
 * of c->max_batch in an order reshuffled every epoch and random left-right
 * flips, all drawn from (seed, step) alone: a resumed run sees the same data.
 * After every step, progress(ctx, step done, total, smoothed loss) is called
 * if given; a nonzero return stops early.  *step is the steps done. */
/* The optimiser every classifier is trained with (classify train, train's
 * fitted encoder): AdamW (0.9, 0.999), weight decay 1e-4, 200 warmup steps,
 * cosine decay to 0 at total_steps, clip 5, EMA 0.999. */
dl_adamw_config dl_classifier_adamw_config(float lr, long total_steps);
typedef int (*dl_classifier_progress)(void *ctx, long step, long total, double loss);
int dl_classifier_fit(dl_classifier *c, dl_adamw *opt, const unsigned char *pixels,
                      const unsigned char *labels, size_t n_train, unsigned long seed, long total,
                      long *step, dl_classifier_progress progress, void *ctx);

/* Load a checkpoint written by `driftlab classify train`; the model carries
 * the EMA weights, the ones evaluation uses. */
int dl_classifier_load(const char *path, dl_classifier **out, int max_batch);
/* Runs pixels (count x 784) through in batches of max_batch: accuracy against
 * labels (if given), penultimate features (count x fc) and argmax labels,
 * each output optional. */
int dl_classifier_run(dl_classifier *c, const unsigned char *pixels, size_t count,
                      const unsigned char *labels, double *accuracy, float *features,
                      unsigned char *predicted);

#endif
