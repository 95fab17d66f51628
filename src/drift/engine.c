#include "drift/engine.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/dl_error.h"
#include "drift/kernel_float.h"

static const char *const engine_names[] = {"direct", "simd", "pm", "gemm", "sinkhorn", "coulomb"};

const char *dl_engine_name_at(size_t index)
{
    return index < sizeof engine_names / sizeof engine_names[0] ? engine_names[index] : NULL;
}

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
    if (name && strcmp(name, "sinkhorn") == 0)
        return dl_engine_sinkhorn_create(engine, NULL);
    if (name && strcmp(name, "coulomb") == 0)
        return dl_engine_coulomb_create(engine);
    return dl_error(DL_EINVAL, "unknown drift engine '%s' (known: direct, simd, pm, gemm, sinkhorn, "
                    "coulomb)",
                    name ? name : "(null)");
}

dl_engine_options dl_engine_options_default(void)
{
    dl_engine_options o = {dl_pm_config_default(), dl_sinkhorn_config_default(1.0)};
    return o;
}

int dl_engine_create_configured(const char *name, const dl_engine_options *opt, dl_engine **engine)
{
    if (name && strcmp(name, "pm") == 0)
        return dl_engine_pm_create(engine, &opt->pm);
    if (name && strcmp(name, "sinkhorn") == 0)
        return dl_engine_sinkhorn_create(engine, &opt->sinkhorn);
    return dl_engine_create(name, engine);
}

/* Pairs per evaluation above which a mesh pays for its FFTs (measured with
 * `driftlab bench`: PM overtakes simd between n = m = 2000 and 5000 in 1-D). */
#define AUTO_PM_PAIRS 1e7

const char *dl_engine_auto(const dl_domain *dom, const dl_kernel *kernel, dl_operator op,
                           double sigma, size_t n, size_t m, const dl_pm_config *pm, char *why,
                           size_t len)
{
    const int d = dom->dim;
    if (kernel->flags & DL_KERNEL_COULOMB) {
        snprintf(why, len, d == 1 ? "auto: coulomb (the exact field from sorted positions)"
                                  : "auto: pm (the Coulomb field by a Poisson solve)");
        return d == 1 ? "coulomb" : "pm";
    }
    if (op == DL_OPERATOR_MMD && (d > 3 || (double)n * (double)(m > n ? m : n) < AUTO_PM_PAIRS)) {
        snprintf(why, len, "auto: direct (the MMD flow: the mesh or the reference)");
        return "direct";
    }
    const double pairs = (double)n * (double)(m > n ? m : n);
    const int vectorised = op == DL_OPERATOR_MEANSHIFT && dl_kernel_float_handles(kernel, d);
    if (d >= 16 && dom->kind == DL_DOMAIN_RD) {
        snprintf(why, len, "auto: gemm (d = %d >= 16: distances as one sgemm)", d);
        return "gemm";
    }
    if (d <= 3 && pairs >= AUTO_PM_PAIRS) {
        /* the mesh's cell count: the torus's, or about 12 sigma of padding per axis on R^d */
        const double cps = pm && pm->cells_per_sigma > 0 ? pm->cells_per_sigma
                                                         : dl_pm_cells_per_sigma(kernel, d);
        const double axis = dom->kind == DL_DOMAIN_TORUS ? dom->length * cps / sigma : 12.0 * cps;
        const double cells = pow(axis, d), limit = pm ? (double)pm->max_cells : 4194304.0;
        if (cells <= limit) {
            snprintf(why, len, "auto: pm (d = %d, n m = %.3g pairs >= %.0e, about %.3g grid cells)",
                     d, pairs, AUTO_PM_PAIRS, cells);
            return "pm";
        }
    }
    if (d <= 3 && vectorised) {
        snprintf(why, len, "auto: simd (d = %d, n m = %.3g pairs, %s kernel)", d, pairs, kernel->name);
        return "simd";
    }
    if (dom->kind == DL_DOMAIN_RD && d >= 4) {
        snprintf(why, len, "auto: gemm (d = %d on R^d)", d);
        return "gemm";
    }
    snprintf(why, len, "auto: direct (%s kernel, d = %d: no fast path applies)", kernel->name, d);
    return "direct";
}

int dl_engine_check(const char *name, const dl_domain *dom, const dl_kernel *kernel,
                    dl_operator op)
{
    const int d = dom->dim, torus = dom->kind == DL_DOMAIN_TORUS;
    int st = dl_operator_check(op, kernel, torus);
    if (!st)
        st = dl_kernel_check_dim(kernel, d);
    if (st)
        return st;
    const int coulomb = (kernel->flags & DL_KERNEL_COULOMB) != 0;
    if (!coulomb && !strcmp(name, "coulomb"))
        return dl_error(DL_EINVAL, "coulomb engine: the Coulomb kernel only");
    if (coulomb && strcmp(name, "coulomb") && strcmp(name, "pm"))
        return dl_error(DL_EINVAL, "kernel 'coulomb': its field is exact from sorted positions "
                        "(--engine coulomb, 1-D) or a Poisson solve (--engine pm); got %s", name);
    if (coulomb && !strcmp(name, "coulomb") && d != 1)
        return dl_error(DL_EINVAL, "coulomb engine: the exact field is 1-D; in %d-D use --engine "
                        "pm (one Poisson solve per step)", d);
    if (op == DL_OPERATOR_MMD && !coulomb && strcmp(name, "direct") && strcmp(name, "pm"))
        return dl_error(DL_EINVAL, "%s engine: the MMD flow runs on the direct and pm engines; "
                        "use --engine direct, pm or auto", name);
    if (!strcmp(name, "simd") && (d > 3 || !dl_kernel_float_handles(kernel, d)))
        return dl_error(DL_EINVAL, "simd engine: vectorises the smoothing kernels in d <= 3 (got "
                        "%s, d = %d); use --engine direct", kernel->name, d);
    if (!strcmp(name, "gemm") && torus)
        return dl_error(DL_EINVAL, "gemm engine: R^d only (a torus has no inner-product distance); "
                        "use --engine pm, simd or direct");
    if (!strcmp(name, "pm") && d > 3)
        return dl_error(DL_EINVAL, "pm engine: dimension %d > 3; use --engine gemm or direct", d);
    if (!strcmp(name, "sinkhorn") && strcmp(kernel->name, "gaussian"))
        return dl_error(DL_EINVAL, "sinkhorn drift: its Gibbs kernel is the Gaussian (eps = "
                        "sigma^2); use --kernel gaussian");
    return DL_OK;
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
    if ((st = dl_engine_check(engine->ops->name, req->domain, req->kernel, req->op)))
        return st;
    return engine->ops->drift(engine, req, v_plus, v_minus);
}

void dl_engine_destroy(dl_engine *engine)
{
    if (engine)
        engine->ops->destroy(engine);
}

void dl_engine_fix_targets(dl_engine *engine, const double *y, size_t m)
{
    if (engine->ops->fix_targets)
        engine->ops->fix_targets(engine, y, m);
}
