#include "generator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "dl_error.h"
#include "nn.h"

#define PIXELS 784

void dl_generator_arch_string(const dl_generator_arch *a, char *buf, size_t len)
{
    snprintf(buf, len, "mlpgen-v1 z=%d h=%d classes=%d", a->zdim, a->hidden, a->classes);
}

int dl_generator_arch_parse(const char *text, dl_generator_arch *a)
{
    if (sscanf(text, "mlpgen-v1 z=%d h=%d classes=%d", &a->zdim, &a->hidden, &a->classes) != 3 ||
        a->zdim < 1 || a->hidden < 1 || a->classes < 0)
        return dl_error(DL_EFORMAT, "not a generator architecture: '%s'", text);
    return DL_OK;
}

int dl_generator_create(dl_generator **out, const dl_generator_arch *a, int B)
{
    *out = NULL;
    if (a->zdim < 1 || a->hidden < 1 || a->classes < 0 || a->classes > 255 || B < 1)
        return dl_error(DL_EINVAL, "generator: bad architecture or batch");
    dl_generator *g = calloc(1, sizeof *g);
    if (!g)
        return dl_error(DL_ENOMEM, "generator: out of memory");
    g->arch = *a;
    g->max_batch = B;
    g->in_dim = a->zdim + a->classes;
    const int H = a->hidden, I = g->in_dim;
    size_t sizes[6] = {(size_t)H * I, H, (size_t)H * H, H, (size_t)PIXELS * H, PIXELS};
    for (int i = 0; i < 6; i++)
        g->n_params += sizes[i];
    g->params = calloc(g->n_params, sizeof(float));
    g->grads = calloc(g->n_params, sizeof(float));
    float **v[6] = {&g->w1, &g->b1, &g->w2, &g->b2, &g->w3, &g->b3};
    float **gv[6] = {&g->gw1, &g->gb1, &g->gw2, &g->gb2, &g->gw3, &g->gb3};
    size_t off = 0;
    for (int i = 0; g->params && g->grads && i < 6; i++) {
        *v[i] = g->params + off;
        *gv[i] = g->grads + off;
        off += sizes[i];
    }
    struct { float **p; size_t n; } bufs[] = {
        {&g->in, (size_t)B * I}, {&g->h1, (size_t)B * H}, {&g->s1, (size_t)B * H},
        {&g->h2, (size_t)B * H}, {&g->s2, (size_t)B * H}, {&g->o, (size_t)B * PIXELS},
        {&g->out, (size_t)B * PIXELS}, {&g->ds1, (size_t)B * H}, {&g->dh1, (size_t)B * H},
        {&g->ds2, (size_t)B * H}, {&g->dh2, (size_t)B * H}, {&g->dout_pre, (size_t)B * PIXELS}};
    int ok = g->params && g->grads;
    for (size_t i = 0; ok && i < sizeof bufs / sizeof bufs[0]; i++)
        ok = (*bufs[i].p = malloc(bufs[i].n * sizeof(float))) != NULL;
    if (!ok) {
        dl_generator_destroy(g);
        return dl_error(DL_ENOMEM, "generator: out of memory for batch %d", B);
    }
    *out = g;
    return DL_OK;
}

void dl_generator_destroy(dl_generator *g)
{
    if (!g)
        return;
    float *bufs[] = {g->params, g->grads, g->in, g->h1, g->s1, g->h2, g->s2, g->o, g->out,
                     g->ds1, g->dh1, g->ds2, g->dh2, g->dout_pre};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(g);
}

void dl_generator_init(dl_generator *g, gsl_rng *rng)
{
    const int H = g->arch.hidden, I = g->in_dim;
    memset(g->params, 0, g->n_params * sizeof(float));
    /* He-style for the SiLU layers, small for the output so tanh starts linear */
    for (size_t i = 0; i < (size_t)H * I; i++)
        g->w1[i] = (float)gsl_ran_gaussian(rng, sqrt(2.0 / I));
    for (size_t i = 0; i < (size_t)H * H; i++)
        g->w2[i] = (float)gsl_ran_gaussian(rng, sqrt(2.0 / H));
    for (size_t i = 0; i < (size_t)PIXELS * H; i++)
        g->w3[i] = (float)gsl_ran_gaussian(rng, sqrt(1.0 / H));
}

void dl_generator_forward(dl_generator *g, const float *z, const unsigned char *labels, int B)
{
    const int Z = g->arch.zdim, K = g->arch.classes, I = g->in_dim, H = g->arch.hidden;
    for (int b = 0; b < B; b++) {
        memcpy(g->in + (size_t)b * I, z + (size_t)b * Z, Z * sizeof(float));
        for (int k = 0; k < K; k++)
            g->in[(size_t)b * I + Z + k] = labels && labels[b] == k ? 1.0f : 0.0f;
    }
    nn_linear_forward(g->h1, g->in, g->w1, g->b1, B, I, H);
    nn_silu_forward(g->s1, g->h1, (size_t)B * H);
    nn_linear_forward(g->h2, g->s1, g->w2, g->b2, B, H, H);
    nn_silu_forward(g->s2, g->h2, (size_t)B * H);
    nn_linear_forward(g->o, g->s2, g->w3, g->b3, B, H, PIXELS);
    nn_tanh_forward(g->out, g->o, (size_t)B * PIXELS);
}

void dl_generator_backward(dl_generator *g, const float *dout, int B)
{
    const int I = g->in_dim, H = g->arch.hidden;
    memset(g->grads, 0, g->n_params * sizeof(float));
    memset(g->dout_pre, 0, (size_t)B * PIXELS * sizeof(float));
    memset(g->ds2, 0, (size_t)B * H * sizeof(float));
    memset(g->dh2, 0, (size_t)B * H * sizeof(float));
    memset(g->ds1, 0, (size_t)B * H * sizeof(float));
    memset(g->dh1, 0, (size_t)B * H * sizeof(float));
    nn_tanh_backward(g->dout_pre, dout, g->out, (size_t)B * PIXELS);
    nn_linear_backward(g->ds2, g->gw3, g->gb3, g->dout_pre, g->s2, g->w3, B, H, PIXELS);
    nn_silu_backward(g->dh2, g->ds2, g->h2, (size_t)B * H);
    nn_linear_backward(g->ds1, g->gw2, g->gb2, g->dh2, g->s1, g->w2, B, H, H);
    nn_silu_backward(g->dh1, g->ds1, g->h1, (size_t)B * H);
    nn_linear_backward(NULL, g->gw1, g->gb1, g->dh1, g->in, g->w1, B, I, H);
}
