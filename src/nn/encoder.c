#include "nn/encoder.h"

#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "nn/nn.h"

/* the classifier's input normalisation (classifier.c): (x01 - 0.2860) / 0.3530 */
#define ENC_MEAN 0.2860f
#define ENC_STD 0.3530f

int dl_encoder_load(dl_encoder **out, const char *path, int max_batch)
{
    *out = NULL;
    dl_classifier *net;
    int st = dl_classifier_load(path, &net, max_batch);
    if (st)
        return dl_error(st, "encoder: %s", dl_error_message());
    return dl_encoder_create(out, net);
}

int dl_encoder_create(dl_encoder **out, dl_classifier *net)
{
    *out = NULL;
    dl_encoder *e = calloc(1, sizeof *e);
    if (!e) {
        dl_classifier_destroy(net);
        return dl_error(DL_ENOMEM, "encoder: out of memory");
    }
    e->net = net;
    const int max_batch = net->max_batch;
    const dl_classifier_arch *a = &e->net->arch;
    e->dim[0] = a->c1 * 49, e->dim[1] = a->c2 * 49, e->dim[2] = a->c3 * 49, e->dim[3] = a->fc;
    int widest = a->c1 > a->c2 ? a->c1 : a->c2;
    e->x = malloc((size_t)max_batch * 784 * sizeof(float));
    e->dx = malloc((size_t)max_batch * 784 * sizeof(float));
    e->pooled = malloc((size_t)max_batch * widest * 196 * sizeof(float));
    if (!e->x || !e->dx || !e->pooled) {
        dl_encoder_destroy(e);
        return dl_error(DL_ENOMEM, "encoder: out of memory for batch %d", max_batch);
    }
    *out = e;
    return DL_OK;
}

void dl_encoder_destroy(dl_encoder *e)
{
    if (!e)
        return;
    dl_classifier_destroy(e->net);
    free(e->x), free(e->dx), free(e->pooled);
    free(e);
}

void dl_encoder_forward(dl_encoder *e, const float *img, int B, int depth)
{
    const float a = 0.5f / ENC_STD, b = (0.5f - ENC_MEAN) / ENC_STD;
    for (size_t i = 0; i < (size_t)B * 784; i++)
        e->x[i] = a * img[i] + b;
    dl_classifier *c = e->net;
    /* enc1 the deepest map (the training's default): conv, ReLU and pooling
     * per image in cache, straight into layer 1's map; its backward
     * recomputes the conv.  The (c1,B,28,28) planes the general path writes
     * and reads back were 16 MB apiece at B = 640, and their traffic set
     * the time of the whole map. */
    e->fused1 = depth <= 1 && dl_nn_conv_relu_pool_fusable(&c->s1, 4);
    if (e->fused1) {
        dl_nn_conv_relu_pool_forward(e->pooled, e->x, c->w1, c->b1, &c->s1, B, 4);
        return;
    }
    /* layer 4 (the features) is classifier depth 4: the logits are never needed */
    dl_classifier_forward_to(c, e->x, B, depth < 1 ? 1 : depth > 4 ? 4 : depth);
}

void dl_encoder_layer(dl_encoder *e, int layer, int B, float *f)
{
    dl_classifier *c = e->net;
    const dl_classifier_arch *a = &c->arch;
    switch (layer) {
    case 1:
        if (e->fused1) {
            memcpy(f, e->pooled, (size_t)B * e->dim[0] * sizeof(float));
            break;
        }
        dl_nn_avgpool_forward(e->pooled, c->r1, a->c1 * B, 28, 28, 4);
        dl_nn_cbp_to_bcp(f, e->pooled, a->c1, B, 49);
        break;
    case 2:
        dl_nn_avgpool_forward(e->pooled, c->r2, a->c2 * B, 14, 14, 2);
        dl_nn_cbp_to_bcp(f, e->pooled, a->c2, B, 49);
        break;
    case 3:
        dl_nn_cbp_to_bcp(f, c->r3, a->c3, B, 49);
        break;
    default:
        memcpy(f, c->features, (size_t)B * a->fc * sizeof(float));
    }
}

/* the general path: from the deepest map with a gradient down to the image */
static void backward_layers(dl_encoder *e, float *const d[DL_ENCODER_LAYERS], int B, int deepest)
{
    dl_classifier *c = e->net;
    const dl_classifier_arch *a = &c->arch;
    const size_t n1 = (size_t)a->c1 * B * 784, n2 = (size_t)a->c2 * B * 196,
                 n3 = (size_t)a->c3 * B * 49;
    memset(c->dr1, 0, n1 * sizeof(float));
    if (deepest >= 3) {
        memset(c->dr3, 0, n3 * sizeof(float));
        if (d[3]) {
            memset(c->dh, 0, (size_t)B * a->fc * sizeof(float));
            memset(c->dflat, 0, n3 * sizeof(float));
            dl_nn_relu_backward(c->dh, d[3], c->h, (size_t)B * a->fc);
            dl_nn_linear_backward(c->dflat, NULL, NULL, c->dh, c->flat, c->wf1, B, a->c3 * 49, a->fc);
            dl_nn_bcp_to_cbp(c->dr3, c->dflat, a->c3, B, 49);
        }
        if (d[2]) {
            dl_nn_bcp_to_cbp(c->da3, d[2], a->c3, B, 49); /* da3 as scratch */
            dl_nn_add_forward(c->dr3, c->dr3, c->da3, n3);
        }
        memset(c->da3, 0, n3 * sizeof(float));
        dl_nn_relu_backward(c->da3, c->dr3, c->a3, n3);
    }
    if (deepest >= 2) {
        memset(c->dr2, 0, n2 * sizeof(float));
        if (deepest >= 3)
            dl_nn_conv2d_backward(c->dr2, NULL, NULL, c->scratch, c->da3, c->r2, c->w3, &c->s3, B);
        if (d[1]) {
            dl_nn_bcp_to_cbp(e->pooled, d[1], a->c2, B, 49);
            dl_nn_avgpool_backward(c->dr2, e->pooled, a->c2 * B, 14, 14, 2);
        }
        memset(c->da2, 0, n2 * sizeof(float));
        dl_nn_relu_backward(c->da2, c->dr2, c->a2, n2);
        dl_nn_conv2d_backward(c->dr1, NULL, NULL, c->scratch, c->da2, c->r1, c->w2, &c->s2, B);
    }
    if (d[0]) {
        dl_nn_bcp_to_cbp(e->pooled, d[0], a->c1, B, 49);
        dl_nn_avgpool_backward(c->dr1, e->pooled, a->c1 * B, 28, 28, 4);
    }
    memset(c->da1, 0, n1 * sizeof(float));
    dl_nn_relu_backward(c->da1, c->dr1, c->a1, n1);
    dl_nn_conv2d_backward(e->dx, NULL, NULL, c->scratch, c->da1, e->x, c->w1, &c->s1, B);
}

void dl_encoder_backward(dl_encoder *e, float *const d[DL_ENCODER_LAYERS], int B, float *dimg)
{
    int deepest = 0;
    for (int l = 0; l < DL_ENCODER_LAYERS; l++)
        if (d[l])
            deepest = l + 1;
    if (!deepest)
        return;
    memset(e->dx, 0, (size_t)B * 784 * sizeof(float));
    dl_classifier *c = e->net;
    if (e->fused1) /* forward stopped at enc1, so d[0] is the only gradient */
        dl_nn_conv_relu_pool_backward(e->dx, d[0], e->x, c->w1, c->b1, &c->s1, B, 4);
    else
        backward_layers(e, d, B, deepest);
    const float scale = 0.5f / ENC_STD;
    for (size_t i = 0; i < (size_t)B * 784; i++)
        dimg[i] += scale * e->dx[i];
}
