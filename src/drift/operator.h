/* operator: which drift field a kernel drives (docs/THEORY.md section 8).
 *
 *   mean shift  V = E_p[k (y - x)] / E_p[k] - E_q[k (y - x)] / E_q[k]
 *               (the drifting field; gamma_ms(s) = -s khat'(s) / khat(0))
 *   MMD flow    V = grad_x E_p[k(x, y)] - grad_x E_q[k(x, y)]
 *               (the MMD witness's gradient, unnormalised; gamma_mmd = rho0 |k|^2 khat(|k|))
 *
 * One table lists them, for the CLI, its help and the lab. */
#ifndef DL_OPERATOR_H
#define DL_OPERATOR_H

#include "drift/kernel.h"

typedef enum { DL_OPERATOR_MEANSHIFT = 0, DL_OPERATOR_MMD = 1 } dl_operator;

typedef struct {
    dl_operator op;
    const char *name;    /* CLI name: "meanshift", "mmd" */
    const char *formula; /* for help */
    const char *rate;    /* its linear rate, in words */
} dl_operator_info;

size_t dl_operator_count(void);
const dl_operator_info *dl_operator_at(size_t index);
int dl_operator_parse(const char *name, dl_operator *op);
const char *dl_operator_name(dl_operator op);
/* Comma-separated names, for messages. */
const char *dl_operator_names(void);

/* Whether this kernel can drive this operator on this domain kind (torus:
 * nonzero): the Coulomb kernel drives the MMD flow on the torus only. */
int dl_operator_check(dl_operator op, const dl_kernel *k, int torus);

#endif
