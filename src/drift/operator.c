#include "drift/operator.h"

#include <string.h>

#include "base/dl_error.h"

static const dl_operator_info operators[] = {
    {DL_OPERATOR_MEANSHIFT, "meanshift",
     "E_p[k (y - x)] / E_p[k] - E_q[k (y - x)] / E_q[k] (the normalised drifting field)",
     "gamma(s) = -s khat'(s) / khat(0), a function of sigma |k| alone"},
    {DL_OPERATOR_MMD, "mmd", "grad_x E_p[k(x, y)] - grad_x E_q[k(x, y)] (the MMD witness's gradient)",
     "gamma(k) = rho0 |k|^2 khat(|k|), rho0 = 1 / L^d"},
};
#define OPERATOR_COUNT (sizeof operators / sizeof operators[0])

size_t dl_operator_count(void) { return OPERATOR_COUNT; }

const dl_operator_info *dl_operator_at(size_t index)
{
    return index < OPERATOR_COUNT ? &operators[index] : NULL;
}

const char *dl_operator_names(void) { return "meanshift, mmd"; }

int dl_operator_parse(const char *name, dl_operator *op)
{
    for (size_t i = 0; i < OPERATOR_COUNT; i++)
        if (name && !strcmp(name, operators[i].name)) {
            *op = operators[i].op;
            return DL_OK;
        }
    return dl_error(DL_EINVAL, "unknown field '%s' (known: %s)", name ? name : "(null)",
                    dl_operator_names());
}

const char *dl_operator_name(dl_operator op)
{
    return op == DL_OPERATOR_MMD ? "mmd" : "meanshift";
}

int dl_operator_check(dl_operator op, const dl_kernel *k, int torus)
{
    if (!(k->flags & DL_KERNEL_COULOMB))
        return DL_OK;
    if (op != DL_OPERATOR_MMD)
        return dl_error(DL_EINVAL, "kernel 'coulomb' drives the MMD flow only (use --field mmd); "
                        "its mean shift is undefined");
    if (!torus)
        return dl_error(DL_EINVAL, "kernel 'coulomb' needs the torus: on R^d the Green's function "
                        "has no finite total mass to drift against");
    return DL_OK;
}
