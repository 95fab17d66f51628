/* The frozen encoder's backward (image gradient of its four pooled maps)
 * against central finite differences of its forward.  L = sum_l <R_l, F_l(x)>
 * with fixed random R_l.  A random tiny network in float: a step h crosses
 * ReLU kinks in proportion to h (measured: relative error 5e-2 at h = 1e-2,
 * 1e-2 at 3e-3, 2e-4..2e-3 at 1e-3, which is float round-off), so h = 1e-3
 * and the check is on the whole sampled gradient vector: relative L2 error
 * <= 1e-2.  A wrong backward (a missing
 * layer, a dropped pooling scale, a wrong input normalisation) is off by O(1):
 * each map is also checked alone. */
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "nn/encoder.h"
#include "test_common.h"

#define B 3

/* the forward stops at the deepest map with a weight, as train's does */
static double loss(dl_encoder *e, const float *img, float *const R[DL_ENCODER_LAYERS], float *buf)
{
    int depth = 0;
    for (int l = 0; l < DL_ENCODER_LAYERS; l++)
        if (R[l])
            depth = l + 1;
    dl_encoder_forward(e, img, B, depth);
    double L = 0;
    for (int l = 0; l < DL_ENCODER_LAYERS; l++) {
        if (!R[l])
            continue;
        dl_encoder_layer(e, l + 1, B, buf);
        for (size_t i = 0; i < (size_t)B * e->dim[l]; i++)
            L += (double)R[l][i] * buf[i];
    }
    return L;
}

static void check_maps(dl_encoder *e, float *img, float *const R[DL_ENCODER_LAYERS], gsl_rng *rng,
                       const char *what)
{
    float *buf = malloc((size_t)B * 4096 * sizeof(float));
    float *grad = calloc((size_t)B * 784, sizeof(float));
    loss(e, img, R, buf);
    dl_encoder_backward(e, R, B, grad);
    double num = 0, den = 0;
    const float h = 1e-3f;
    for (int t = 0; t < 120; t++) {
        size_t i = gsl_rng_uniform_int(rng, (size_t)B * 784);
        float keep = img[i];
        img[i] = keep + h;
        double lp = loss(e, img, R, buf);
        img[i] = keep - h;
        double lm = loss(e, img, R, buf);
        img[i] = keep;
        double fd = (lp - lm) / (2 * h);
        num += (fd - grad[i]) * (fd - grad[i]);
        den += fd * fd;
    }
    double rel = sqrt(num / den);
    CHECK(den > 0 && rel <= 1e-2, "%s: relative error of the image gradient %.3g > 1e-2", what, rel);
    printf("%s: relative gradient error %.2e\n", what, rel);
    free(buf), free(grad);
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(11);
    dl_classifier_arch arch = {4, 6, 5, 8};
    dl_classifier *net;
    dl_encoder *e;
    CHECK_OK(dl_classifier_create(&net, &arch, B));
    dl_classifier_init(net, rng);
    for (size_t i = 0; i < net->n_params; i++) /* biases too, so ReLUs are not all symmetric */
        net->params[i] += (float)gsl_ran_gaussian(rng, 0.05);
    CHECK_OK(dl_encoder_create(&e, net));
    CHECK(e->dim[0] == 4 * 49 && e->dim[1] == 6 * 49 && e->dim[2] == 5 * 49 && e->dim[3] == 8,
          "map sizes %d %d %d %d", e->dim[0], e->dim[1], e->dim[2], e->dim[3]);
    float img[B * 784];
    for (int i = 0; i < B * 784; i++)
        img[i] = (float)(gsl_rng_uniform(rng) * 1.8 - 0.9);
    float *R[DL_ENCODER_LAYERS];
    for (int l = 0; l < DL_ENCODER_LAYERS; l++) {
        R[l] = malloc((size_t)B * e->dim[l] * sizeof(float));
        for (int i = 0; i < B * e->dim[l]; i++)
            R[l][i] = (float)gsl_ran_gaussian(rng, 1.0);
    }
    check_maps(e, img, R, rng, "all four maps");
    static const char *const names[] = {"enc1 alone", "enc2 alone", "enc3 alone", "encfc alone"};
    for (int l = 0; l < DL_ENCODER_LAYERS; l++) {
        float *one[DL_ENCODER_LAYERS] = {NULL};
        one[l] = R[l];
        check_maps(e, img, one, rng, names[l]);
    }
    /* a shallow forward gives the same maps as the full one */
    float *full = malloc((size_t)B * 4096 * sizeof(float)), *part = malloc((size_t)B * 4096 * sizeof(float));
    for (int l = 1; l <= DL_ENCODER_LAYERS; l++) {
        dl_encoder_forward(e, img, B, DL_ENCODER_LAYERS);
        dl_encoder_layer(e, l, B, full);
        memset(e->net->r1, 0, (size_t)B * 784 * e->net->arch.c1 * sizeof(float)); /* not stale */
        dl_encoder_forward(e, img, B, l);
        dl_encoder_layer(e, l, B, part);
        CHECK(!memcmp(full, part, (size_t)B * e->dim[l - 1] * sizeof(float)),
              "layer %d: the forward to depth %d differs from the full forward", l, l);
    }
    /* enc1 alone goes through the fused conv-ReLU-pool layer (nn.c), whose
     * backward recomputes the conv: the same image gradient, bit for bit, as
     * the general path after a full forward */
    {
        float *none[DL_ENCODER_LAYERS] = {R[0], NULL, NULL, NULL};
        float *g_general = calloc((size_t)B * 784, sizeof(float)),
              *g_fused = calloc((size_t)B * 784, sizeof(float));
        dl_encoder_forward(e, img, B, DL_ENCODER_LAYERS);
        CHECK(!e->fused1, "the full forward took the fused enc1 layer");
        dl_encoder_backward(e, none, B, g_general);
        dl_encoder_forward(e, img, B, 1);
        CHECK(e->fused1, "the forward to enc1 did not take the fused layer");
        dl_encoder_backward(e, none, B, g_fused);
        CHECK(!memcmp(g_general, g_fused, (size_t)B * 784 * sizeof(float)),
              "enc1: the fused backward's image gradient differs from the general path's");
        free(g_general), free(g_fused);
    }
    free(full), free(part);
    for (int l = 0; l < DL_ENCODER_LAYERS; l++)
        free(R[l]);
    dl_encoder_destroy(e);
    gsl_rng_free(rng);
    return test_report("test_encoder");
}
