/* lane: one run of a lab session, with what the page shows beside it: the
 * theory line of each mode (the library's rate integrated along the run's own
 * sigma, in the integrator's form), the modes.dat rows sim would write, and
 * the sentence that says why a run stopped. */
#ifndef DL_SERVE_LANE_H
#define DL_SERVE_LANE_H

#include <stdio.h>

#include "run/run.h"
#include "spectral/theory.h"
#include "text.h"

#define LAB_MODES 16 /* modes k = 1..16 on axis 1 */
#define LAB_ED_POINTS 1000 /* the live energy distance's strided subsets, a side */

typedef struct {
    int configured;
    int reconfigure;      /* the run keeps its points under new options */
    dl_run_options opts;  /* as posted, with the lab's record-modes */
    dl_run_config config; /* resolved from opts */
    dl_run *run;
    int has_theory;
    dl_theory_model model;
    double kmag[LAB_MODES];
    double theory_log[LAB_MODES]; /* the theory's ln|a_k(t)| */
    double start_log[LAB_MODES];  /* the measured ln|a_k(0)| */
    double gamma[LAB_MODES];      /* the theory's rate at the current sigma */
    FILE *modes;                  /* modes.dat's rows so far (open_memstream) */
    char *modes_buf;
    size_t modes_size;
    int modes_full;
    dl_run_diagnostics diag;
    int have_diag;
    double box[4]; /* the plane's view: xmin, xmax, ymin, ymax */
    char error[768];
} lab_lane;

/* Resolves opts into a lane (the lab's refusals and caps first); the lane
 * takes opts.  No run yet: lab_lane_start makes it. */
int lab_lane_configure(lab_lane *lane, dl_run_options *opts, size_t drawn_m);
/* The lane at t = 0: a fresh run from its options (target: the drawn one,
 * when the lane names file:target.dat), or with fresh = 0 its run rewound. */
int lab_lane_start(lab_lane *lane, const double *target, size_t m, int fresh);
int lab_lane_uses_drawn_target(const lab_lane *lane);
void lab_lane_free(lab_lane *lane);
/* One step, the theory and modes.dat along; on failure, lane->error says why. */
int lab_lane_step(lab_lane *lane);
/* Measured ln|a_k| of the current particles, k = 1..LAB_MODES on axis 1. */
void lab_lane_log_modes(const lab_lane *lane, double *out);
/* modes.dat as `driftlab sim COMMAND` would write it now, and the command. */
int lab_lane_export_modes(lab_lane *lane, lab_text *out);
int lab_lane_export_command(const lab_lane *lane, lab_text *out);

#endif
