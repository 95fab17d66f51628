/* feature_maps: the maps the drifting loss is computed in, each with its own drift
 * field (Deng et al. could not train on pixels alone).  Images are (n, 784) in
 * [-1, 1]; every map is differentiable and its backward adds into dimg. */
#ifndef DL_FEATURE_MAPS_H
#define DL_FEATURE_MAPS_H

typedef enum {
    DL_FEATURE_PIXELS,  /* 784: the image itself */
    DL_FEATURE_POOL14,  /* 196: 2x2 average pooling */
    DL_FEATURE_POOL7,   /* 49: 4x4 average pooling */
    DL_FEATURE_MEANSTD, /* 2: per-image mean and standard deviation */
    DL_FEATURE_PATCHSTD, /* 32: mean and standard deviation of each 7x7 patch (4 x 4 patches) */
    DL_FEATURE_GRAD,     /* 49: RMS of the image gradient (forward differences) over each
                            4x4 patch: the one map that sees pixel noise, which the pixel
                            field does not pull back (its weights sum to zero) */
    DL_FEATURE_EDGES,    /* 392: rectified differences to 4 neighbours (right, down and the two
                            diagonals), each sign its own channel, averaged over 4x4 patches:
                            a fixed, rectified map like a conv layer's, so it sees grain
                            without a fitted encoder */
    DL_FEATURE_COUNT
} dl_feature_kind;

int dl_feature_parse(const char *name, dl_feature_kind *kind);
const char *dl_feature_name(dl_feature_kind kind);
int dl_feature_dim(dl_feature_kind kind);
void dl_feature_forward(dl_feature_kind kind, const float *img, int n, float *f);
void dl_feature_backward(dl_feature_kind kind, const float *img, int n, const float *df,
                         float *dimg);

#endif
