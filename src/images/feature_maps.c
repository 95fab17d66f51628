#include "images/feature_maps.h"

#include <math.h>
#include <string.h>

#include "base/dl_error.h"
#include "nn/nn.h"

static const char *const names[] = {"pixels", "pool14", "pool7", "meanstd", "patchstd", "grad", "edges"};

int dl_feature_parse(const char *name, dl_feature_kind *kind)
{
    for (int i = 0; i < DL_FEATURE_COUNT; i++)
        if (!strcmp(name, names[i])) {
            *kind = (dl_feature_kind)i;
            return DL_OK;
        }
    return dl_error(DL_EINVAL, "unknown feature map '%s' (known: pixels, pool14, pool7, meanstd, "
                    "patchstd, grad, edges)", name);
}

const char *dl_feature_name(dl_feature_kind kind) { return names[kind]; }

int dl_feature_dim(dl_feature_kind kind)
{
    static const int dims[] = {784, 196, 49, 2, 32, 49, 392};
    return dims[kind];
}

/* Squared forward differences: at pixel (r, c), h = x[r][c+1] - x[r][c]
 * (c < 27) and v = x[r+1][c] - x[r][c] (r < 27); patch p of 4x4 pixels gets
 * g_p = sqrt(mean over its pixels of (h^2 + v^2) + GRAD_EPS). */
#define GRAD_EPS 1e-6
static void grad_forward(const float *x, float *f)
{
    for (int p = 0; p < 49; p++) {
        const int r0 = (p / 7) * 4, c0 = (p % 7) * 4;
        double s = 0;
        for (int r = r0; r < r0 + 4; r++)
            for (int c = c0; c < c0 + 4; c++) {
                const double h = c < 27 ? x[r * 28 + c + 1] - x[r * 28 + c] : 0.0,
                             v = r < 27 ? x[(r + 1) * 28 + c] - x[r * 28 + c] : 0.0;
                s += h * h + v * v;
            }
        f[p] = (float)sqrt(s / 16 + GRAD_EPS);
    }
}

static void grad_backward(const float *x, const float *df, float *dx)
{
    float g[49];
    grad_forward(x, g);
    for (int p = 0; p < 49; p++) {
        const int r0 = (p / 7) * 4, c0 = (p % 7) * 4;
        const double k = df[p] / (16.0 * g[p]); /* d g / d (h^2 + v^2) = 1 / (32 g); times 2h */
        for (int r = r0; r < r0 + 4; r++)
            for (int c = c0; c < c0 + 4; c++) {
                if (c < 27) {
                    const double h = x[r * 28 + c + 1] - x[r * 28 + c];
                    dx[r * 28 + c + 1] += (float)(k * h), dx[r * 28 + c] -= (float)(k * h);
                }
                if (r < 27) {
                    const double v = x[(r + 1) * 28 + c] - x[r * 28 + c];
                    dx[(r + 1) * 28 + c] += (float)(k * v), dx[r * 28 + c] -= (float)(k * v);
                }
            }
    }
}

/* Channel 2k + s of the edges map, k over the neighbours (dr, dc) below, is
 * the mean over a 4x4 patch of max(0, +-(x[r+dr][c+dc] - x[r][c])), + for
 * s = 0; a neighbour outside the image gives no difference. */
static const int edge_dr[4] = {0, 1, 1, 1}, edge_dc[4] = {1, 0, 1, -1};

static void edges_forward(const float *x, float *f)
{
    for (int k = 0; k < 4; k++)
        for (int p = 0; p < 49; p++) {
            const int r0 = (p / 7) * 4, c0 = (p % 7) * 4;
            float up = 0, down = 0;
            for (int r = r0; r < r0 + 4; r++)
                for (int c = c0; c < c0 + 4; c++) {
                    const int rn = r + edge_dr[k], cn = c + edge_dc[k];
                    if (rn > 27 || cn < 0 || cn > 27)
                        continue;
                    const float d = x[rn * 28 + cn] - x[r * 28 + c];
                    up += d > 0 ? d : 0, down += d < 0 ? -d : 0;
                }
            f[(2 * k) * 49 + p] = up / 16, f[(2 * k + 1) * 49 + p] = down / 16;
        }
}

static void edges_backward(const float *x, const float *df, float *dx)
{
    for (int k = 0; k < 4; k++)
        for (int p = 0; p < 49; p++) {
            const int r0 = (p / 7) * 4, c0 = (p % 7) * 4;
            const float gu = df[(2 * k) * 49 + p] / 16, gd = df[(2 * k + 1) * 49 + p] / 16;
            for (int r = r0; r < r0 + 4; r++)
                for (int c = c0; c < c0 + 4; c++) {
                    const int rn = r + edge_dr[k], cn = c + edge_dc[k];
                    if (rn > 27 || cn < 0 || cn > 27)
                        continue;
                    const float d = x[rn * 28 + cn] - x[r * 28 + c];
                    const float g = d > 0 ? gu : d < 0 ? -gd : 0; /* d max(0, -d)/dd = -1 */
                    dx[rn * 28 + cn] += g, dx[r * 28 + c] -= g;
                }
        }
}

/* Mean and standard deviation (floored at 1e-6) of a side x side patch of a
 * 28 x 28 image starting at (r0, c0); the whole image is the 28 x 28 patch. */
static void patch_moments(const float *img, int r0, int c0, int side, double *mean, double *sd)
{
    double s = 0, s2 = 0;
    for (int r = r0; r < r0 + side; r++)
        for (int c = c0; c < c0 + side; c++)
            s += img[r * 28 + c], s2 += (double)img[r * 28 + c] * img[r * 28 + c];
    const double n = (double)side * side, m = s / n, var = s2 / n - m * m;
    *mean = m;
    *sd = sqrt(var > 1e-12 ? var : 1e-12);
}

/* the backward of patch_moments: d mean/dx = 1/n, d sd/dx = (x - m)/(n sd) */
static void patch_moments_backward(const float *img, int r0, int c0, int side, double dm, double ds,
                                   float *dimg)
{
    double m, sd;
    patch_moments(img, r0, c0, side, &m, &sd);
    const double n = (double)side * side;
    for (int r = r0; r < r0 + side; r++)
        for (int c = c0; c < c0 + side; c++)
            dimg[r * 28 + c] += (float)(dm / n + ds * (img[r * 28 + c] - m) / (n * sd));
}

void dl_feature_forward(dl_feature_kind kind, const float *img, int n, float *f)
{
    switch (kind) {
    case DL_FEATURE_PIXELS:
        memcpy(f, img, (size_t)n * 784 * sizeof(float));
        break;
    case DL_FEATURE_POOL14:
        dl_nn_avgpool_forward(f, img, n, 28, 28, 2);
        break;
    case DL_FEATURE_POOL7:
        dl_nn_avgpool_forward(f, img, n, 28, 28, 4);
        break;
    case DL_FEATURE_MEANSTD:
    case DL_FEATURE_PATCHSTD: {
        const int side = kind == DL_FEATURE_MEANSTD ? 28 : 7, per = 28 / side, D = dl_feature_dim(kind);
        for (int b = 0; b < n; b++)
            for (int p = 0; p < per * per; p++) {
                double m, sd;
                patch_moments(img + (size_t)b * 784, (p / per) * side, (p % per) * side, side, &m, &sd);
                f[(size_t)b * D + 2 * p] = (float)m;
                f[(size_t)b * D + 2 * p + 1] = (float)sd;
            }
        break;
    }
    case DL_FEATURE_GRAD:
        for (int b = 0; b < n; b++)
            grad_forward(img + (size_t)b * 784, f + (size_t)b * 49);
        break;
    case DL_FEATURE_EDGES:
        for (int b = 0; b < n; b++)
            edges_forward(img + (size_t)b * 784, f + (size_t)b * 392);
        break;
    case DL_FEATURE_COUNT:
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
        dl_nn_avgpool_backward(dimg, df, n, 28, 28, 2);
        break;
    case DL_FEATURE_POOL7:
        dl_nn_avgpool_backward(dimg, df, n, 28, 28, 4);
        break;
    case DL_FEATURE_MEANSTD:
    case DL_FEATURE_PATCHSTD: {
        const int side = kind == DL_FEATURE_MEANSTD ? 28 : 7, per = 28 / side, D = dl_feature_dim(kind);
        for (int b = 0; b < n; b++)
            for (int p = 0; p < per * per; p++)
                patch_moments_backward(img + (size_t)b * 784, (p / per) * side, (p % per) * side, side,
                                       df[(size_t)b * D + 2 * p], df[(size_t)b * D + 2 * p + 1],
                                       dimg + (size_t)b * 784);
        break;
    }
    case DL_FEATURE_GRAD:
        for (int b = 0; b < n; b++)
            grad_backward(img + (size_t)b * 784, df + (size_t)b * 49, dimg + (size_t)b * 784);
        break;
    case DL_FEATURE_EDGES:
        for (int b = 0; b < n; b++)
            edges_backward(img + (size_t)b * 784, df + (size_t)b * 392, dimg + (size_t)b * 784);
        break;
    case DL_FEATURE_COUNT:
        break;
    }
}
