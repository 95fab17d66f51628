/* generator: the one-step image generator x = f(z, class).
 *
 * MLP baseline ("mlpgen-v1"):
 *   [z (B, zdim) | onehot(class) (B, classes)] -linear h, SiLU-> -linear h, SiLU->
 *   -linear 784, tanh-> image (B, 784) in [-1, 1]
 *
 * With arch.linear either generator ends in its last linear layer or conv
 * instead of tanh (architecture string token " linear").
 *
 * Either takes, with arch.guided, the guidance scale alpha as one more input
 * (the architecture string then ends in " guided").
 *
 * Convolutional ("convgen-v1", width C, zc noise channels), CBHW inside:
 *   [z (zc,B,7,7) | class map (8,B,7,7)] -conv3x3 2C-> res(2C) @7x7 -up2x->
 *   -conv3x3 C-> res(C) @14x14 -up2x-> -conv3x3 C/2, GroupNorm, SiLU-> -conv3x3 1,
 *   tanh-> image (B,784)
 *   res(c): x + conv(SiLU(GN(conv(SiLU(GN(x)))))), GroupNorm with 4 groups;
 *   the class map is a learned (classes, 8*49) embedding; z is image-shaped
 *   Gaussian noise, zdim = zc*49 numbers per image.
 *
 * One parameter buffer, one gradient buffer (llm.c style). */
#ifndef DL_GENERATOR_H
#define DL_GENERATOR_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

typedef enum { DL_GENERATOR_MLP, DL_GENERATOR_CONV } dl_generator_kind;

typedef struct {
    dl_generator_kind kind;
    int zdim;    /* numbers of noise per image (conv: zc*49) */
    int hidden;  /* MLP width, or the conv generator's C (a multiple of 8) */
    int classes; /* 0: unconditional */
    int out;     /* MLP output size: 0 or 784 an image (tanh), anything else linear (2-D toys) */
    int guided;  /* 1: also conditioned on the guidance scale alpha (classifier-free
                    guidance), as one more input (alpha - 1): a column of the MLP's
                    input, a constant channel of the conv generator's 7x7 input */
    int linear;  /* images: 1 leaves the output unsquashed (the writers clamp to [-1, 1]);
                    tanh's vanishing slope traps pixels that overshoot to +-1 */
} dl_generator_arch;

typedef struct dl_convgen dl_convgen;

typedef struct {
    dl_generator_arch arch;
    int max_batch, in_dim;
    size_t n_params;
    float *params, *grads;
    float *w1, *b1, *w2, *b2, *w3, *b3, *gw1, *gb1, *gw2, *gb2, *gw3, *gb3;
    float *in, *h1, *s1, *h2, *s2, *o, *out;     /* activations */
    float *ds1, *dh1, *ds2, *dh2, *dout_pre;     /* their gradients */
    dl_convgen *conv;                            /* the conv generator's layers */
} dl_generator;

/* "mlp" | "conv" */
int dl_generator_kind_parse(const char *name, dl_generator_kind *kind);
int dl_generator_create(dl_generator **out, const dl_generator_arch *arch, int max_batch);
void dl_generator_destroy(dl_generator *g);
void dl_generator_arch_string(const dl_generator_arch *a, char *buf, size_t len);
int dl_generator_arch_parse(const char *text, dl_generator_arch *a);
void dl_generator_init(dl_generator *g, gsl_rng *rng);
/* z (B, zdim), labels (B) or NULL, alpha (B) or NULL (alpha = 1: no
 * guidance; ignored unless arch.guided) -> g->out (B, out) */
void dl_generator_forward(dl_generator *g, const float *z, const unsigned char *labels,
                          const float *alpha, int B);
/* zeroes grads, backpropagates dout (B, 784) */
void dl_generator_backward(dl_generator *g, const float *dout, int B);

#endif
