/* optim: AdamW over one flat parameter buffer, with linear warmup, a
 * global-norm gradient clip and an exponential moving average of the weights. */
#ifndef DL_OPTIM_H
#define DL_OPTIM_H

#include <stddef.h>

typedef struct {
    float lr;           /* peak learning rate */
    float beta1, beta2; /* moment decays */
    float eps;
    float weight_decay; /* decoupled, applied to every parameter */
    long warmup_steps;  /* lr rises linearly from lr/warmup to lr */
    long total_steps;   /* > 0: cosine decay to 0 at this step, from lr at */
    long decay_start;   /* max(decay_start, warmup_steps): a constant stretch before it */
    float clip_norm;    /* global gradient norm cap; <= 0: no clip */
    float ema_decay;    /* 0: no EMA; the decay used is min(ema_decay, (1+t)/(10+t)) */
} dl_adamw_config;

typedef struct {
    dl_adamw_config cfg;
    size_t n;
    long step;       /* updates done */
    float *m, *v;    /* first and second moments (n) */
    float *ema;      /* EMA of the parameters (n), or NULL */
} dl_adamw;

int dl_adamw_create(dl_adamw **out, size_t n, const dl_adamw_config *cfg, const float *params);
void dl_adamw_destroy(dl_adamw *o);
float dl_adamw_lr(const dl_adamw_config *cfg, long step);
/* Clip, then one update; returns the gradient norm before clipping (a
 * non-finite norm skips the update and returns it, for the caller to report). */
float dl_adamw_step(dl_adamw *o, float *params, float *grads);

#endif
