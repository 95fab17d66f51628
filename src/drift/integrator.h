/* integrator: moves particles along the drift, dx/dt = V_{p,q}(x), with q the
 * particles themselves (McKean-Vlasov).
 *
 * Euler freezes the field at the current particles for the whole step: this
 * is the stop-gradient / JKO step x <- x + dt V_{q_n}(x).  Heun (RK2) averages
 * the field at the start and at the Euler-predicted configuration, with sigma
 * taken from the schedule at t and t + dt. */
#ifndef DL_INTEGRATOR_H
#define DL_INTEGRATOR_H

#include <stddef.h>

#include "drift/domain.h"
#include "drift/engine.h"
#include "drift/kernel.h"
#include "drift/schedule.h"

typedef enum { DL_INTEGRATOR_EULER, DL_INTEGRATOR_HEUN } dl_integrator_kind;

int dl_integrator_kind_parse(const char *name, dl_integrator_kind *kind);
const char *dl_integrator_kind_name(dl_integrator_kind kind);

typedef struct {
    dl_integrator_kind kind;
    dl_engine *engine;         /* borrowed */
    const dl_domain *domain;   /* borrowed */
    const dl_kernel *kernel;   /* borrowed */
    const dl_schedule *schedule;
    const double *target;      /* m x dim, borrowed */
    size_t m;
    size_t n;                  /* particle count */
    int self_mask;
    dl_operator op;            /* the drift operator (mean shift by default) */
    /* 0: the ablation of docs/THEORY.md section 5: instead of following the frozen
     * field, particles descend E = (1/2) sum |V(x_i)|^2 through V itself,
     * dx/dt = -dE/dx (field_energy.h; Euler only) */
    int no_stop_gradient;
} dl_integrator_config;

typedef struct dl_integrator dl_integrator;

int dl_integrator_create(dl_integrator **out, const dl_integrator_config *cfg);
void dl_integrator_destroy(dl_integrator *it);

/* V = V+ - V- at particles x (n x dim) and time t; v_plus and v_minus, if not
 * NULL, receive the two halves.  The result stays valid (and is reused by the
 * next step) until the particles move. */
int dl_integrator_field(dl_integrator *it, const double *x, double t, const double **v,
                        const double **v_plus, const double **v_minus);

/* Advance x by one step of size dt from time t; fails with DL_ENUMERIC if a
 * particle becomes non-finite. */
int dl_integrator_step(dl_integrator *it, double *x, double t, double dt);

#endif
