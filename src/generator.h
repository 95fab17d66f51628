/* generator: the one-step image generator x = f(z, class), an MLP baseline.
 *
 *   [z (B, zdim) | onehot(class) (B, classes)] -linear h, SiLU-> -linear h, SiLU->
 *   -linear 784, tanh-> image (B, 784) in [-1, 1]
 *
 * One parameter buffer, one gradient buffer (llm.c style). */
#ifndef DL_GENERATOR_H
#define DL_GENERATOR_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

typedef struct {
    int zdim, hidden, classes; /* classes = 0: unconditional */
} dl_generator_arch;

typedef struct {
    dl_generator_arch arch;
    int max_batch, in_dim;
    size_t n_params;
    float *params, *grads;
    float *w1, *b1, *w2, *b2, *w3, *b3, *gw1, *gb1, *gw2, *gb2, *gw3, *gb3;
    float *in, *h1, *s1, *h2, *s2, *o, *out;     /* activations */
    float *ds1, *dh1, *ds2, *dh2, *dout_pre;     /* their gradients */
} dl_generator;

int dl_generator_create(dl_generator **out, const dl_generator_arch *arch, int max_batch);
void dl_generator_destroy(dl_generator *g);
void dl_generator_arch_string(const dl_generator_arch *a, char *buf, size_t len);
int dl_generator_arch_parse(const char *text, dl_generator_arch *a);
void dl_generator_init(dl_generator *g, gsl_rng *rng);
/* z (B, zdim), labels (B) or NULL -> g->out (B, 784) */
void dl_generator_forward(dl_generator *g, const float *z, const unsigned char *labels, int B);
/* zeroes grads, backpropagates dout (B, 784) */
void dl_generator_backward(dl_generator *g, const float *dout, int B);

#endif
