/* run: one simulation in memory, the object that `driftlab sim` (through
 * record.h), `sweep` and the lab of `driftlab serve` all step.
 *
 *   dl_run_create   draw the target and the particles from the config's seed
 *                   (target first, then particles: the order sim has always
 *                   used), pick the engine, build the integrator
 *   dl_run_step     one step of dt (an adaptive schedule re-reads sigma first)
 *   dl_run_diagnose the field's rms norms and the energy distance, now
 *   dl_run_modes    the recorded Fourier coefficients, now
 *   dl_run_destroy
 *
 * The run owns its points and its schedule (an adaptive one follows the
 * particles).  Nothing here writes a file or prints. */
#ifndef DL_RUN_RUN_H
#define DL_RUN_RUN_H

#include <complex.h>
#include <stddef.h>

#include "drift/engine.h"
#include "run/options.h"

typedef struct {
    long step;
    double t, sigma;
    double rms_v, rms_v_plus, rms_v_minus;
    double energy_distance; /* on strided subsets beyond DL_RUN_ED_POINTS a side */
} dl_run_diagnostics;

/* The energy distance costs O((n + m)^2): beyond this many points a side is
 * thinned to an evenly strided subset (strided, not a prefix: a quiet start
 * orders particles along the domain). */
#define DL_RUN_ED_POINTS 4000

typedef struct dl_run dl_run;

/* target, if not NULL, replaces the config's target by these m points (a
 * target drawn in the lab); the RNG then draws only the particles. */
int dl_run_create(dl_run **out, const dl_run_config *c, const double *target, size_t m);
void dl_run_destroy(dl_run *r);
/* Back to t = 0: the same first particles, schedule and a fresh engine, so
 * that what follows repeats a new run's numbers bit for bit, without drawing
 * the points again. */
int dl_run_rewind(dl_run *r);
/* The same points under another config's dynamics (kernel, operator,
 * schedule, dt, integrator, engine), rewound to t = 0.  The caller vouches
 * that c draws the same points (dl_run_options_same_points). */
int dl_run_reconfigure(dl_run *r, const dl_run_config *c);

/* One step; on a non-finite particle it fails with DL_ENUMERIC and a message
 * that names the step and time.  The particles are then those of the failed
 * step: the caller decides what to keep. */
int dl_run_step(dl_run *r);
int dl_run_diagnose(dl_run *r, dl_run_diagnostics *d);
/* Thins the energy distance's subsets to `points` a side (default
 * DL_RUN_ED_POINTS): the lab measures it live, where O(4000^2) a lane is too slow. */
int dl_run_set_energy_points(dl_run *r, size_t points);
/* c->n_record coefficients, in c->record's order (the torus only). */
void dl_run_modes(const dl_run *r, double complex *z);
/* The field V, V+ and V- (each count x dim, any may be NULL) at points that
 * are not particles, against the current particles: the lab's arrows. */
int dl_run_field_at(dl_run *r, const double *pts, size_t count, double *v, double *v_plus,
                    double *v_minus);

/* The resolved config (after --sigma-units median rescaled sigma). */
const dl_run_config *dl_run_get_config(const dl_run *r);
const double *dl_run_particles(const dl_run *r);
const double *dl_run_targets(const dl_run *r, size_t *m);
long dl_run_step_index(const dl_run *r);
double dl_run_time(const dl_run *r);
double dl_run_sigma(dl_run *r);
/* The target's median pairwise distance when sigma is in its units, else NaN. */
double dl_run_median(const dl_run *r);
/* The engine's pick and its latest note ("" when none); changed is set when
 * the note is new since the last call. */
const char *dl_run_engine_choice(const dl_run *r);
const char *dl_run_engine_note(dl_run *r, int *changed);

#endif
