#include "nn/classifier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "nn/checkpoint.h"
#include "base/rng.h"
#include "base/dl_error.h"
#include "base/parse.h"
#include "nn/optim.h"

/* Fashion-MNIST training-set pixel statistics (mean and std of x/255 over
 * the 60000 training images, as commonly quoted: 0.2860, 0.3530). */
#define FMNIST_MEAN 0.2860f
#define FMNIST_STD 0.3530f

void dl_classifier_arch_string(const dl_classifier_arch *a, char *buf, size_t len)
{
    snprintf(buf, len, "classifier-v1 c1=%d c2=%d c3=%d fc=%d", a->c1, a->c2, a->c3, a->fc);
}

int dl_classifier_arch_parse(const char *text, dl_classifier_arch *a)
{
    static const char tag[] = "classifier-v1";
    const char *p = text + sizeof tag - 1;
    long c1, c2, c3, fc;
    if (strncmp(text, tag, sizeof tag - 1) || dl_parse_field(&p, "c1", 1, DL_CLASSIFIER_MAX_WIDTH, &c1) ||
        dl_parse_field(&p, "c2", 1, DL_CLASSIFIER_MAX_WIDTH, &c2) ||
        dl_parse_field(&p, "c3", 1, DL_CLASSIFIER_MAX_WIDTH, &c3) ||
        dl_parse_field(&p, "fc", 1, DL_CLASSIFIER_MAX_FC, &fc) || *p)
        return dl_error(DL_EFORMAT, "not a classifier architecture: '%.80s'", text);
    a->c1 = (int)c1, a->c2 = (int)c2, a->c3 = (int)c3, a->fc = (int)fc;
    char canonical[128]; /* one spelling per architecture: no leading zeros or '+' */
    dl_classifier_arch_string(a, canonical, sizeof canonical);
    if (strcmp(canonical, text))
        return dl_error(DL_EFORMAT, "not a classifier architecture: '%.80s'", text);
    return DL_OK;
}

int dl_classifier_create(dl_classifier **out, const dl_classifier_arch *arch, int B)
{
    *out = NULL;
    if (arch->c1 < 1 || arch->c2 < 1 || arch->c3 < 1 || arch->fc < 1 || B < 1 ||
        arch->c1 > DL_CLASSIFIER_MAX_WIDTH || arch->c2 > DL_CLASSIFIER_MAX_WIDTH ||
        arch->c3 > DL_CLASSIFIER_MAX_WIDTH || arch->fc > DL_CLASSIFIER_MAX_FC || B > (1 << 20))
        return dl_error(DL_EINVAL, "classifier: widths must be in 1..%d (fc 1..%d), batch positive",
                        DL_CLASSIFIER_MAX_WIDTH, DL_CLASSIFIER_MAX_FC);
    dl_classifier *c = calloc(1, sizeof *c);
    if (!c)
        return dl_error(DL_ENOMEM, "classifier: out of memory");
    c->arch = *arch;
    c->max_batch = B;
    const int c1 = arch->c1, c2 = arch->c2, c3 = arch->c3, fc = arch->fc;
    dl_nn_conv2d_setup(&c->s1, 1, 28, 28, c1, 3, 1, 1);
    dl_nn_conv2d_setup(&c->s2, c1, 28, 28, c2, 3, 2, 1);
    dl_nn_conv2d_setup(&c->s3, c2, 14, 14, c3, 3, 2, 1);
    size_t sizes[10] = {(size_t)c1 * 9, c1, (size_t)c2 * c1 * 9, c2, (size_t)c3 * c2 * 9, c3,
                        (size_t)fc * c3 * 49, fc, (size_t)DL_CLASSES * fc, DL_CLASSES};
    for (int i = 0; i < 10; i++)
        c->n_params += sizes[i];
    c->params = calloc(c->n_params, sizeof(float));
    c->grads = calloc(c->n_params, sizeof(float));
    float **views[10] = {&c->w1, &c->b1, &c->w2, &c->b2, &c->w3, &c->b3, &c->wf1, &c->bf1, &c->wf2, &c->bf2};
    float **gviews[10] = {&c->gw1, &c->gb1, &c->gw2, &c->gb2, &c->gw3, &c->gb3, &c->gwf1, &c->gbf1, &c->gwf2, &c->gbf2};
    size_t off = 0;
    for (int i = 0; c->params && c->grads && i < 10; i++) {
        *views[i] = c->params + off;
        *gviews[i] = c->grads + off;
        off += sizes[i];
    }
    size_t n1 = (size_t)c1 * B * 784, n2 = (size_t)c2 * B * 196, n3 = (size_t)c3 * B * 49;
    size_t scratch = dl_nn_conv2d_scratch(&c->s1, B);
    if (dl_nn_conv2d_scratch(&c->s2, B) > scratch)
        scratch = dl_nn_conv2d_scratch(&c->s2, B);
    if (dl_nn_conv2d_scratch(&c->s3, B) > scratch)
        scratch = dl_nn_conv2d_scratch(&c->s3, B);
    struct { float **p; size_t n; } bufs[] = {
        {&c->a1, n1}, {&c->r1, n1}, {&c->a2, n2}, {&c->r2, n2}, {&c->a3, n3}, {&c->r3, n3},
        {&c->flat, n3}, {&c->h, (size_t)B * fc}, {&c->features, (size_t)B * fc},
        {&c->logits, (size_t)B * 10}, {&c->probs, (size_t)B * 10}, {&c->da1, n1}, {&c->dr1, n1},
        {&c->da2, n2}, {&c->dr2, n2}, {&c->da3, n3}, {&c->dr3, n3}, {&c->dflat, n3},
        {&c->dh, (size_t)B * fc}, {&c->dfeatures, (size_t)B * fc}, {&c->dlogits, (size_t)B * 10},
        {&c->scratch, scratch}};
    int ok = c->params && c->grads;
    for (size_t i = 0; ok && i < sizeof bufs / sizeof bufs[0]; i++)
        ok = (*bufs[i].p = malloc(bufs[i].n * sizeof(float))) != NULL;
    if (!ok) {
        dl_classifier_destroy(c);
        return dl_error(DL_ENOMEM, "classifier: out of memory for batch %d", B);
    }
    *out = c;
    return DL_OK;
}

void dl_classifier_destroy(dl_classifier *c)
{
    if (!c)
        return;
    float *bufs[] = {c->params, c->grads, c->a1, c->r1, c->a2, c->r2, c->a3, c->r3, c->flat, c->h,
                     c->features, c->logits, c->probs, c->da1, c->dr1, c->da2, c->dr2, c->da3,
                     c->dr3, c->dflat, c->dh, c->dfeatures, c->dlogits, c->scratch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(c);
}

static void he_normal(float *w, size_t n, int fan_in, gsl_rng *rng)
{
    double sd = sqrt(2.0 / fan_in);
    for (size_t i = 0; i < n; i++)
        w[i] = (float)gsl_ran_gaussian(rng, sd);
}

void dl_classifier_init(dl_classifier *c, gsl_rng *rng)
{
    const dl_classifier_arch *a = &c->arch;
    memset(c->params, 0, c->n_params * sizeof(float));
    he_normal(c->w1, (size_t)a->c1 * 9, 9, rng);
    he_normal(c->w2, (size_t)a->c2 * a->c1 * 9, a->c1 * 9, rng);
    he_normal(c->w3, (size_t)a->c3 * a->c2 * 9, a->c2 * 9, rng);
    he_normal(c->wf1, (size_t)a->fc * a->c3 * 49, a->c3 * 49, rng);
    he_normal(c->wf2, (size_t)DL_CLASSES * a->fc, a->fc, rng);
}

void dl_classifier_prepare(float *out, const unsigned char *pixels, int B, const unsigned char *flip)
{
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++)
        for (int i = 0; i < 28; i++)
            for (int j = 0; j < 28; j++) {
                int src = flip && flip[b] ? 27 - j : j;
                out[(size_t)b * 784 + i * 28 + j] =
                    (pixels[(size_t)b * 784 + i * 28 + src] / 255.0f - FMNIST_MEAN) / FMNIST_STD;
            }
}

void dl_classifier_forward_to(dl_classifier *c, const float *x, int B, int depth)
{
    const dl_classifier_arch *a = &c->arch;
    const size_t n1 = (size_t)a->c1 * B * 784, n2 = (size_t)a->c2 * B * 196,
                 n3 = (size_t)a->c3 * B * 49;
    dl_nn_conv2d_forward(c->a1, c->scratch, x, c->w1, c->b1, &c->s1, B);
    dl_nn_relu_forward(c->r1, c->a1, n1);
    if (depth < 2)
        return;
    dl_nn_conv2d_forward(c->a2, c->scratch, c->r1, c->w2, c->b2, &c->s2, B);
    dl_nn_relu_forward(c->r2, c->a2, n2);
    if (depth < 3)
        return;
    dl_nn_conv2d_forward(c->a3, c->scratch, c->r2, c->w3, c->b3, &c->s3, B);
    dl_nn_relu_forward(c->r3, c->a3, n3);
    if (depth < 4)
        return;
    dl_nn_cbp_to_bcp(c->flat, c->r3, a->c3, B, 49);
    dl_nn_linear_forward(c->h, c->flat, c->wf1, c->bf1, B, a->c3 * 49, a->fc);
    dl_nn_relu_forward(c->features, c->h, (size_t)B * a->fc);
    if (depth < 5)
        return;
    dl_nn_linear_forward(c->logits, c->features, c->wf2, c->bf2, B, a->fc, DL_CLASSES);
}

void dl_classifier_forward(dl_classifier *c, const float *x, int B)
{
    dl_classifier_forward_to(c, x, B, DL_CLASSIFIER_DEPTH);
}

float dl_classifier_backward(dl_classifier *c, const float *x, const unsigned char *labels, int B)
{
    const dl_classifier_arch *a = &c->arch;
    const size_t n1 = (size_t)a->c1 * B * 784, n2 = (size_t)a->c2 * B * 196,
                 n3 = (size_t)a->c3 * B * 49;
    float loss = dl_nn_softmax_xent_forward(c->probs, c->logits, labels, B, DL_CLASSES);
    memset(c->grads, 0, c->n_params * sizeof(float));
    float *zero[] = {c->dlogits, c->dfeatures, c->dh, c->dflat, c->dr3, c->da3, c->dr2, c->da2,
                     c->dr1, c->da1};
    size_t sizes[] = {(size_t)B * 10, (size_t)B * a->fc, (size_t)B * a->fc, n3, n3, n3, n2, n2, n1, n1};
    for (int i = 0; i < 10; i++)
        memset(zero[i], 0, sizes[i] * sizeof(float));
    dl_nn_softmax_xent_backward(c->dlogits, c->probs, labels, B, DL_CLASSES);
    dl_nn_linear_backward(c->dfeatures, c->gwf2, c->gbf2, c->dlogits, c->features, c->wf2, B, a->fc,
                       DL_CLASSES);
    dl_nn_relu_backward(c->dh, c->dfeatures, c->h, (size_t)B * a->fc);
    dl_nn_linear_backward(c->dflat, c->gwf1, c->gbf1, c->dh, c->flat, c->wf1, B, a->c3 * 49, a->fc);
    dl_nn_bcp_to_cbp(c->dr3, c->dflat, a->c3, B, 49);
    dl_nn_relu_backward(c->da3, c->dr3, c->a3, n3);
    dl_nn_conv2d_backward(c->dr2, c->gw3, c->gb3, c->scratch, c->da3, c->r2, c->w3, &c->s3, B);
    dl_nn_relu_backward(c->da2, c->dr2, c->a2, n2);
    dl_nn_conv2d_backward(c->dr1, c->gw2, c->gb2, c->scratch, c->da2, c->r1, c->w2, &c->s2, B);
    dl_nn_relu_backward(c->da1, c->dr1, c->a1, n1);
    dl_nn_conv2d_backward(NULL, c->gw1, c->gb1, c->scratch, c->da1, x, c->w1, &c->s1, B);
    return loss;
}

/* The EMA weights are the model: copy them over the raw ones for evaluation. */
int dl_classifier_load(const char *path, dl_classifier **out, int max_batch)
{
    *out = NULL;
    dl_classifier_arch arch;
    char name[256];
    int st = dl_checkpoint_arch(path, name, sizeof name);
    if (st)
        return st;
    st = dl_classifier_arch_parse(name, &arch);
    if (st)
        return dl_error(st, "'%s': %s", path, dl_error_message());
    dl_classifier *c;
    if ((st = dl_classifier_create(&c, &arch, max_batch)))
        return st;
    dl_adamw *opt = NULL;
    dl_adamw_config cfg = {.lr = 1, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .ema_decay = 0.5f};
    if ((st = dl_adamw_create(&opt, c->n_params, &cfg, c->params)) ||
        (st = dl_checkpoint_read(path, name, NULL, c->params, c->n_params, opt, NULL))) {
        dl_adamw_destroy(opt);
        dl_classifier_destroy(c);
        return st;
    }
    memcpy(c->params, opt->ema, c->n_params * sizeof(float));
    dl_adamw_destroy(opt);
    *out = c;
    return DL_OK;
}

/* Accuracy on a labelled set; features and predictions optional outputs. */
int dl_classifier_run(dl_classifier *c, const unsigned char *pixels, size_t count,
                      const unsigned char *labels, double *accuracy, float *features,
                      unsigned char *predicted)
{
    const int B = c->max_batch;
    float *x = malloc((size_t)B * DL_IMAGE_PIXELS * sizeof(float));
    if (!x)
        return dl_error(DL_ENOMEM, "out of memory");
    size_t correct = 0;
    for (size_t at = 0; at < count; at += (size_t)B) {
        int nb = (int)(count - at < (size_t)B ? count - at : (size_t)B);
        dl_classifier_prepare(x, pixels + at * DL_IMAGE_PIXELS, nb, NULL);
        dl_classifier_forward(c, x, nb);
        for (int b = 0; b < nb; b++) {
            const float *z = c->logits + (size_t)b * DL_CLASSES;
            int best = 0;
            for (int k = 1; k < DL_CLASSES; k++)
                best = z[k] > z[best] ? k : best;
            if (labels)
                correct += best == labels[at + b];
            if (predicted)
                predicted[at + b] = (unsigned char)best;
        }
        if (features)
            memcpy(features + at * c->arch.fc, c->features, (size_t)nb * c->arch.fc * sizeof(float));
    }
    free(x);
    if (accuracy)
        *accuracy = labels ? (double)correct / (double)count : NAN;
    return DL_OK;
}


dl_adamw_config dl_classifier_adamw_config(float lr, long total_steps)
{
    dl_adamw_config cfg = {.lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                           .weight_decay = 1e-4f, .warmup_steps = 200, .total_steps = total_steps,
                           .clip_norm = 5.0f, .ema_decay = 0.999f};
    return cfg;
}

int dl_classifier_fit(dl_classifier *c, dl_adamw *opt, const unsigned char *pixels,
                      const unsigned char *labels, size_t n_train, unsigned long seed, long total,
                      long *step, dl_classifier_progress progress, void *ctx)
{
    const int B = c->max_batch;
    const long steps_per_epoch = (long)(n_train / (size_t)B);
    if (steps_per_epoch < 1)
        return dl_error(DL_EINVAL, "classifier: batch %d is larger than the %zu training images", B,
                        n_train);
    size_t *order = malloc(n_train * sizeof *order);
    float *x = malloc((size_t)B * DL_IMAGE_PIXELS * sizeof(float));
    unsigned char *pix = malloc((size_t)B * DL_IMAGE_PIXELS), *lab = malloc((size_t)B),
                  *flip = malloc((size_t)B);
    int st = !order || !x || !pix || !lab || !flip ? dl_error(DL_ENOMEM, "classifier: out of memory")
                                                   : DL_OK;
    double loss_avg = NAN;
    long epoch_of_order = -1;
    for (; !st && *step < total; ++*step) {
        const long epoch = *step / steps_per_epoch, in_epoch = *step % steps_per_epoch;
        if (epoch != epoch_of_order) {
            gsl_rng *er = dl_rng_create(seed * 1000003ul + (unsigned long)epoch + 1);
            for (size_t i = 0; i < n_train; i++)
                order[i] = i;
            gsl_ran_shuffle(er, order, n_train, sizeof *order);
            gsl_rng_free(er);
            epoch_of_order = epoch;
        }
        gsl_rng *fr = dl_rng_create(seed * 7919ul + (unsigned long)*step + 1);
        for (int b = 0; b < B; b++) {
            size_t idx = order[(size_t)in_epoch * B + b];
            memcpy(pix + (size_t)b * DL_IMAGE_PIXELS, pixels + idx * DL_IMAGE_PIXELS, DL_IMAGE_PIXELS);
            lab[b] = labels[idx];
            flip[b] = (unsigned char)gsl_rng_uniform_int(fr, 2);
        }
        gsl_rng_free(fr);
        dl_classifier_prepare(x, pix, B, flip);
        dl_classifier_forward(c, x, B);
        float loss = dl_classifier_backward(c, x, lab, B);
        float norm = dl_adamw_step(opt, c->params, c->grads);
        if (!isfinite(loss) || !isfinite(norm)) {
            st = dl_error(DL_ENUMERIC, "classifier: training diverged at step %ld (loss %g, "
                          "gradient norm %g)", *step, loss, norm);
            break;
        }
        loss_avg = isnan(loss_avg) ? loss : 0.98 * loss_avg + 0.02 * loss;
        if (progress && progress(ctx, *step + 1, total, loss_avg)) {
            ++*step;
            break;
        }
    }
    free(order), free(x), free(pix), free(lab), free(flip);
    return st;
}
