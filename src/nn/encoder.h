/* encoder: a trained classifier (driftlab classify train) used, frozen, as the
 * multi-scale feature encoder of the drifting loss (Deng et al. could not
 * train without one).  Its four maps, each (B, D) batch-major:
 *
 *   layer 1: conv1 ReLU (c1,28,28) averaged over 4x4 blocks -> c1*49
 *   layer 2: conv2 ReLU (c2,14,14) averaged over 2x2 blocks -> c2*49
 *   layer 3: conv3 ReLU (c3,7,7)                             -> c3*49
 *   layer 4: the penultimate (fc) features                   -> fc
 *
 * Images come in the generator's range [-1, 1] and are mapped to the
 * classifier's input normalisation inside, so gradients come back in
 * generator units.  Use a different network from the evaluation classifier:
 * a loss computed in the evaluation network's own features would train
 * toward the metric. */
#ifndef DL_ENCODER_H
#define DL_ENCODER_H

#include "nn/classifier.h"

#define DL_ENCODER_LAYERS 4

typedef struct {
    dl_classifier *net;
    int dim[DL_ENCODER_LAYERS];
    float *x, *pooled, *dx; /* (B,784), largest pooled map, (B,784) */
    int fused1;             /* the last forward stopped at enc1 through the fused layer,
                             * which left its map in pooled (B, dim[0]) */
} dl_encoder;

int dl_encoder_load(dl_encoder **out, const char *path, int max_batch);
/* wraps a network, which the encoder then owns (and frees, even on failure) */
int dl_encoder_create(dl_encoder **out, dl_classifier *net);
void dl_encoder_destroy(dl_encoder *e);
/* img (B,784) in [-1,1], through layer `depth` (1..4: the deepest map that
 * will be read); keeps the activations for backward */
void dl_encoder_forward(dl_encoder *e, const float *img, int B, int depth);
/* after forward: layer (1..4) map -> f (B, dim[layer-1]) */
void dl_encoder_layer(dl_encoder *e, int layer, int B, float *f);
/* after forward: d[l] (B, dim[l]) or NULL for each layer, none deeper than the
 * forward's depth; ADDS d loss/d img into dimg (B,784).  Only the layers up to
 * the deepest non-NULL d are backpropagated. */
void dl_encoder_backward(dl_encoder *e, float *const d[DL_ENCODER_LAYERS], int B, float *dimg);

#endif
