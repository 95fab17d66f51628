#include "drift/integrator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "drift/field_energy.h"

struct dl_integrator {
    dl_integrator_config cfg;
    double *v_plus, *v_minus, *v; /* n x dim */
    double *x_pred, *v_pred;      /* Heun only */
    int field_valid;
    double field_t;
};

int dl_integrator_kind_parse(const char *name, dl_integrator_kind *kind)
{
    if (strcmp(name, "euler") == 0)
        *kind = DL_INTEGRATOR_EULER;
    else if (strcmp(name, "heun") == 0)
        *kind = DL_INTEGRATOR_HEUN;
    else
        return dl_error(DL_EINVAL, "unknown integrator '%s' (known: euler, heun)", name);
    return DL_OK;
}

const char *dl_integrator_kind_name(dl_integrator_kind kind)
{
    return kind == DL_INTEGRATOR_HEUN ? "heun" : "euler";
}

int dl_integrator_create(dl_integrator **out, const dl_integrator_config *cfg)
{
    *out = NULL;
    if (cfg->n == 0 || cfg->m == 0)
        return dl_error(DL_EINVAL, "integrator: need particles (n = %zu) and target samples (m = %zu)",
                        cfg->n, cfg->m);
    if (cfg->no_stop_gradient && cfg->kind != DL_INTEGRATOR_EULER)
        return dl_error(DL_EINVAL, "integrator: the no-stop-gradient ablation steps with euler only");
    if (cfg->no_stop_gradient && !cfg->self_mask)
        return dl_error(DL_EINVAL, "integrator: the no-stop-gradient ablation needs --self-mask "
                                   "(its V^- leaves each particle out)");
    dl_integrator *it = calloc(1, sizeof *it);
    if (!it)
        return dl_error(DL_ENOMEM, "integrator: out of memory");
    it->cfg = *cfg;
    size_t len = cfg->n * (size_t)cfg->domain->dim;
    it->v_plus = malloc(len * sizeof(double));
    it->v_minus = malloc(len * sizeof(double));
    it->v = malloc(len * sizeof(double));
    if (cfg->kind == DL_INTEGRATOR_HEUN) {
        it->x_pred = malloc(len * sizeof(double));
        it->v_pred = malloc(len * sizeof(double));
    }
    if (!it->v_plus || !it->v_minus || !it->v ||
        (cfg->kind == DL_INTEGRATOR_HEUN && (!it->x_pred || !it->v_pred))) {
        dl_integrator_destroy(it);
        return dl_error(DL_ENOMEM, "integrator: out of memory for %zu particles", cfg->n);
    }
    *out = it;
    return DL_OK;
}

void dl_integrator_destroy(dl_integrator *it)
{
    if (!it)
        return;
    free(it->v_plus);
    free(it->v_minus);
    free(it->v);
    free(it->x_pred);
    free(it->v_pred);
    free(it);
}

static int evaluate(dl_integrator *it, const double *x, double t, double *v)
{
    const dl_integrator_config *c = &it->cfg;
    dl_drift_request req = {.domain = c->domain,
                            .kernel = c->kernel,
                            .sigma = dl_schedule_sigma(c->schedule, t),
                            .x = x,
                            .n = c->n,
                            .y = c->target,
                            .m = c->m,
                            .q = x,
                            .nq = c->n,
                            .self_mask = c->self_mask,
                            .op = c->op};
    int st = dl_engine_drift(c->engine, &req, it->v_plus, it->v_minus);
    if (st)
        return st;
    size_t len = c->n * (size_t)c->domain->dim;
    for (size_t i = 0; i < len; i++)
        v[i] = it->v_plus[i] - it->v_minus[i];
    return DL_OK;
}

int dl_integrator_field(dl_integrator *it, const double *x, double t, const double **v,
                        const double **v_plus, const double **v_minus)
{
    if (!it->field_valid || it->field_t != t) {
        int st = evaluate(it, x, t, it->v);
        if (st)
            return st;
        it->field_valid = 1;
        it->field_t = t;
    }
    *v = it->v;
    if (v_plus)
        *v_plus = it->v_plus;
    if (v_minus)
        *v_minus = it->v_minus;
    return DL_OK;
}

static int check_finite(const double *x, size_t n, int dim, double t)
{
    for (size_t i = 0; i < n * (size_t)dim; i++)
        if (!isfinite(x[i]))
            return dl_error(DL_ENUMERIC, "particle %zu became non-finite at t = %g (dt too large?)",
                            i / (size_t)dim, t);
    return DL_OK;
}

int dl_integrator_step(dl_integrator *it, double *x, double t, double dt)
{
    if (!(dt > 0) || !isfinite(dt))
        return dl_error(DL_EINVAL, "time step must be positive and finite, got %g", dt);
    const int dim = it->cfg.domain->dim;
    const size_t n = it->cfg.n, len = n * (size_t)dim;
    const double *v;
    int st = dl_integrator_field(it, x, t, &v, NULL, NULL);
    if (st)
        return st;
    if (it->cfg.kind == DL_INTEGRATOR_HEUN) {
        for (size_t i = 0; i < len; i++)
            it->x_pred[i] = x[i] + dt * v[i];
        for (size_t i = 0; i < n; i++)
            dl_domain_wrap(it->cfg.domain, it->x_pred + i * dim);
        if ((st = evaluate(it, it->x_pred, t + dt, it->v_pred)))
            return st;
        for (size_t i = 0; i < len; i++)
            x[i] += 0.5 * dt * (v[i] + it->v_pred[i]);
    } else if (it->cfg.no_stop_gradient) {
        const dl_integrator_config *c = &it->cfg;
        if ((st = dl_field_energy(c->domain, c->kernel, dl_schedule_sigma(c->schedule, t), x, n,
                                  c->target, c->m, NULL, it->v_minus, NULL)))
            return st;
        for (size_t i = 0; i < len; i++) /* v_minus holds dE/dx until the field is re-evaluated */
            x[i] -= dt * it->v_minus[i];
    } else {
        for (size_t i = 0; i < len; i++)
            x[i] += dt * v[i];
    }
    it->field_valid = 0;
    for (size_t i = 0; i < n; i++)
        dl_domain_wrap(it->cfg.domain, x + i * dim);
    return check_finite(x, n, dim, t + dt);
}
