#include "feature_maps.h"

#include <math.h>
#include <string.h>

#include "dl_error.h"
#include "nn.h"

static const char *const names[] = {"pixels", "pool14", "pool7", "meanstd"};

int dl_feature_parse(const char *name, dl_feature_kind *kind)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) {
            *kind = (dl_feature_kind)i;
            return DL_OK;
        }
    return dl_error(DL_EINVAL, "unknown feature map '%s' (known: pixels, pool14, pool7, meanstd)",
                    name);
}

const char *dl_feature_name(dl_feature_kind kind) { return names[kind]; }

int dl_feature_dim(dl_feature_kind kind)
{
    static const int dims[] = {784, 196, 49, 2};
    return dims[kind];
}

/* per-image mean and standard deviation (floored at 1e-6) */
static void image_moments(const float *img, double *mean, double *sd)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < 784; i++)
        s += img[i], s2 += (double)img[i] * img[i];
    double m = s / 784, var = s2 / 784 - m * m;
    *mean = m;
    *sd = sqrt(var > 1e-12 ? var : 1e-12);
}

void dl_feature_forward(dl_feature_kind kind, const float *img, int n, float *f)
{
    switch (kind) {
    case DL_FEATURE_PIXELS:
        memcpy(f, img, (size_t)n * 784 * sizeof(float));
        break;
    case DL_FEATURE_POOL14:
        nn_avgpool_forward(f, img, n, 28, 28, 2);
        break;
    case DL_FEATURE_POOL7:
        nn_avgpool_forward(f, img, n, 28, 28, 4);
        break;
    case DL_FEATURE_MEANSTD:
        for (int b = 0; b < n; b++) {
            double m, sd;
            image_moments(img + (size_t)b * 784, &m, &sd);
            f[2 * b] = (float)m;
            f[2 * b + 1] = (float)sd;
        }
        break;
    }
}

void dl_feature_backward(dl_feature_kind kind, const float *img, int n, const float *df, float *dimg)
{
    switch (kind) {
    case DL_FEATURE_PIXELS:
        for (size_t i = 0; i < (size_t)n * 784; i++)
            dimg[i] += df[i];
        break;
    case DL_FEATURE_POOL14:
        nn_avgpool_backward(dimg, df, n, 28, 28, 2);
        break;
    case DL_FEATURE_POOL7:
        nn_avgpool_backward(dimg, df, n, 28, 28, 4);
        break;
    case DL_FEATURE_MEANSTD:
        for (int b = 0; b < n; b++) {
            double m, sd;
            image_moments(img + (size_t)b * 784, &m, &sd);
            for (int i = 0; i < 784; i++)
                dimg[b * 784 + i] += (float)(df[2 * b] / 784.0 +
                                             df[2 * b + 1] * (img[b * 784 + i] - m) / (784.0 * sd));
        }
        break;
    }
}
