#include "drift/domain.h"

#include <string.h>

#include "base/dl_error.h"

int dl_domain_init(dl_domain *dom, dl_domain_kind kind, int dim, double length)
{
    if (dim < 1 || dim > DL_MAX_DIM)
        return dl_error(DL_EINVAL, "dimension %d out of range 1..%d", dim, DL_MAX_DIM);
    if (kind == DL_DOMAIN_TORUS && dim > DL_MAX_TORUS_DIM)
        return dl_error(DL_EINVAL, "torus dimension %d out of range 1..%d", dim, DL_MAX_TORUS_DIM);
    if (kind == DL_DOMAIN_TORUS && !(length > 0 && isfinite(length)))
        return dl_error(DL_EINVAL, "torus length must be positive and finite, got %g", length);
    dom->kind = kind;
    dom->dim = dim;
    dom->length = kind == DL_DOMAIN_TORUS ? length : 0.0;
    return DL_OK;
}

const char *dl_domain_kind_name(dl_domain_kind kind)
{
    return kind == DL_DOMAIN_TORUS ? "torus" : "rd";
}

int dl_domain_kind_parse(const char *name, dl_domain_kind *kind)
{
    if (strcmp(name, "torus") == 0)
        *kind = DL_DOMAIN_TORUS;
    else if (strcmp(name, "rd") == 0 || strcmp(name, "R^d") == 0)
        *kind = DL_DOMAIN_RD;
    else
        return dl_error(DL_EINVAL, "unknown domain '%s' (known: torus, rd)", name);
    return DL_OK;
}

void dl_domain_wrap(const dl_domain *dom, double *x)
{
    if (dom->kind != DL_DOMAIN_TORUS)
        return;
    for (int c = 0; c < dom->dim; c++) {
        double v = fmod(x[c], dom->length);
        if (v < 0)
            v += dom->length;
        if (v >= dom->length) /* fmod of a tiny negative number rounds up to L */
            v = 0.0;
        x[c] = v;
    }
}

double dl_domain_distance(const dl_domain *dom, const double *a, const double *b)
{
    double u[DL_MAX_DIM], r2 = 0;
    dl_domain_displacement(dom, a, b, u);
    for (int c = 0; c < dom->dim; c++)
        r2 += u[c] * u[c];
    return sqrt(r2);
}

int dl_pair_kernel_init(dl_pair_kernel *pk, const dl_kernel *kernel, double sigma,
                        const dl_domain *domain)
{
    if (!(sigma > 0) || !isfinite(sigma))
        return dl_error(DL_EINVAL, "kernel bandwidth sigma must be positive and finite, got %g",
                        sigma);
    memset(pk, 0, sizeof *pk);
    pk->kernel = kernel;
    pk->domain = *domain;
    pk->sigma = sigma;
    double rc = kernel->cutoff_radius(kernel, sigma, domain->dim, DL_PERIODIC_REL_TOL);
    pk->cutoff2 = rc * rc;
    if (domain->kind != DL_DOMAIN_TORUS)
        return DL_OK;
    double L = domain->length;
    /* With |u_c| <= L/2, image n_c lies at least |n_c| L - L/2 away. */
    /* At least one image each side: a point near u = L/2 has an image just as
     * close, which matters whenever the nearest term is itself small. */
    double images = fmax(1.0, floor(rc / L + 0.5));
    double terms = pow(2.0 * images + 1.0, domain->dim);
    if (terms <= DL_PERIODIC_MAX_TERMS)
        pk->grad_images = (int)images;
    if (kernel->periodic_1d && domain->dim == 1) {
        pk->closed_form = 1;
        return DL_OK;
    }
    if (terms <= DL_PERIODIC_MAX_TERMS) {
        pk->images = (int)images;
        return DL_OK;
    }
    return dl_error(DL_EUNSUPPORTED,
                    "kernel '%s' with sigma %g on a %d-D torus of length %g needs %.3g image "
                    "terms to reach %g relative accuracy (limit %d) and has no closed-form "
                    "periodisation in this dimension",
                    kernel->name, sigma, domain->dim, L, terms, DL_PERIODIC_REL_TOL,
                    DL_PERIODIC_MAX_TERMS);
}

double dl_pair_kernel_log_peak(const dl_pair_kernel *pk, const double *u)
{
    double r2 = 0;
    for (int c = 0; c < pk->domain.dim; c++)
        r2 += u[c] * u[c];
    return pk->kernel->log_value(pk->kernel, r2, pk->sigma, pk->domain.dim);
}

