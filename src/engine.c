#include "engine.h"

#include <math.h>
#include <string.h>

#include "dl_error.h"

int dl_engine_create(const char *name, dl_engine **engine)
{
    *engine = NULL;
    if (name && strcmp(name, "direct") == 0)
        return dl_engine_direct_create(engine);
    if (name && strcmp(name, "simd") == 0)
        return dl_engine_simd_create(engine);
    if (name && strcmp(name, "pm") == 0)
        return dl_engine_pm_create(engine, NULL);
    if (name && strcmp(name, "gemm") == 0)
        return dl_engine_gemm_create(engine);
    return dl_error(DL_EINVAL, "unknown drift engine '%s' (known: direct, simd, pm, gemm)",
                    name ? name : "(null)");
}

int dl_drift_request_validate(const dl_drift_request *req)
{
    if (!req->domain || !req->kernel)
        return dl_error(DL_EINVAL, "drift request: domain and kernel are required");
    if (!(req->sigma > 0) || !isfinite(req->sigma))
        return dl_error(DL_EINVAL, "drift request: sigma must be positive and finite, got %g",
                        req->sigma);
    if (req->n > 0 && !req->x)
        return dl_error(DL_EINVAL, "drift request: no evaluation points");
    if (req->self_mask && (req->q != req->x || req->nq != req->n))
        return dl_error(DL_EINVAL, "drift request: self-masking needs q to be the particles x");
    return DL_OK;
}

int dl_engine_drift(dl_engine *engine, const dl_drift_request *req, double *v_plus,
                    double *v_minus)
{
    int st = dl_drift_request_validate(req);
    if (st)
        return st;
    if (v_plus && (req->m == 0 || !req->y))
        return dl_error(DL_EINVAL, "drift request: V+ needs at least one target sample");
    if (v_minus && (req->nq < (req->self_mask ? 2u : 1u) || !req->q))
        return dl_error(DL_EINVAL, "drift request: V- needs at least %d particle(s)%s",
                        req->self_mask ? 2 : 1, req->self_mask ? " with self-masking" : "");
    return engine->ops->drift(engine, req, v_plus, v_minus);
}

void dl_engine_destroy(dl_engine *engine)
{
    if (engine)
        engine->ops->destroy(engine);
}
