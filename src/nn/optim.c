#include "nn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"

int dl_adamw_create(dl_adamw **out, size_t n, const dl_adamw_config *cfg, const float *params)
{
    *out = NULL;
    if (!(cfg->lr > 0) || !(cfg->beta1 >= 0 && cfg->beta1 < 1) || !(cfg->beta2 >= 0 && cfg->beta2 < 1) ||
        !(cfg->eps > 0) || !(cfg->ema_decay >= 0 && cfg->ema_decay < 1) || cfg->warmup_steps < 0)
        return dl_error(DL_EINVAL, "adamw: bad hyper-parameters (lr %g, betas %g %g, eps %g, ema %g)",
                        cfg->lr, cfg->beta1, cfg->beta2, cfg->eps, cfg->ema_decay);
    dl_adamw *o = calloc(1, sizeof *o);
    if (!o)
        return dl_error(DL_ENOMEM, "adamw: out of memory");
    o->cfg = *cfg;
    o->n = n;
    o->m = calloc(n, sizeof(float));
    o->v = calloc(n, sizeof(float));
    if (cfg->ema_decay > 0 && (o->ema = malloc(n * sizeof(float))))
        memcpy(o->ema, params, n * sizeof(float));
    if (!o->m || !o->v || (cfg->ema_decay > 0 && !o->ema)) {
        dl_adamw_destroy(o);
        return dl_error(DL_ENOMEM, "adamw: out of memory for %zu parameters", n);
    }
    *out = o;
    return DL_OK;
}

void dl_adamw_destroy(dl_adamw *o)
{
    if (!o)
        return;
    free(o->m);
    free(o->v);
    free(o->ema);
    free(o);
}

float dl_adamw_lr(const dl_adamw_config *cfg, long step)
{
    if (cfg->warmup_steps > 0 && step < cfg->warmup_steps)
        return cfg->lr * (float)(step + 1) / (float)cfg->warmup_steps;
    const long start = cfg->decay_start > cfg->warmup_steps ? cfg->decay_start : cfg->warmup_steps;
    if (cfg->total_steps > start) {
        if (step < start)
            return cfg->lr;
        double f = (double)(step - start) / (double)(cfg->total_steps - start);
        return f >= 1 ? 0.0f : (float)(cfg->lr * 0.5 * (1 + cos(M_PI * f)));
    }
    return cfg->lr;
}

float dl_adamw_step(dl_adamw *o, float *params, float *grads)
{
    const size_t n = o->n;
    double sq = 0; /* serial, in index order: the same norm for any thread count */
    for (size_t i = 0; i < n; i++)
        sq += (double)grads[i] * grads[i];
    float norm = (float)sqrt(sq);
    if (!isfinite(norm))
        return norm;
    float scale = o->cfg.clip_norm > 0 && norm > o->cfg.clip_norm ? o->cfg.clip_norm / norm : 1.0f;
    const float lr = dl_adamw_lr(&o->cfg, o->step), b1 = o->cfg.beta1, b2 = o->cfg.beta2;
    o->step++;
    const float c1 = 1.0f - powf(b1, (float)o->step), c2 = 1.0f - powf(b2, (float)o->step);
    /* EMA warmup: early on the average would otherwise be mostly the random
     * initialisation; the decay grows to its target as (1 + t) / (10 + t). */
    const float wd = o->cfg.weight_decay, eps = o->cfg.eps,
                ed = fminf(o->cfg.ema_decay, (1.0f + o->step) / (10.0f + o->step));
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float g = grads[i] * scale;
        o->m[i] = b1 * o->m[i] + (1 - b1) * g;
        o->v[i] = b2 * o->v[i] + (1 - b2) * g * g;
        float mhat = o->m[i] / c1, vhat = o->v[i] / c2;
        params[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * params[i]);
        if (o->ema)
            o->ema[i] = ed * o->ema[i] + (1 - ed) * params[i];
    }
    return norm;
}
