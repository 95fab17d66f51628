/* outputs: the files a simulation writes beside its snapshots, shared by the
 * recorded run (record.c: sim and sweep) and the distributed one (sim_mpi.c):
 * run.ini, diagnostics.dat and modes.dat, and the run log.  The library never
 * prints: log lines go to the caller's log function (NULL: nowhere). */
#ifndef DL_RUN_OUTPUTS_H
#define DL_RUN_OUTPUTS_H

#include <complex.h>
#include <stdio.h>

#include "base/io.h"
#include "images/image_points.h"
#include "run/options.h"

typedef struct {
    dl_atomic_file diagnostics, modes;
    int have_modes;
    dl_image_fd *fd; /* image runs with --classifier */
    void (*log)(void *ctx, const char *topic, const char *line);
    void *log_ctx;
} dl_run_outputs;

/* run.ini: the provenance and every option, so the run replays */
int dl_run_write_ini(const dl_run_options *o, const dl_run_config *c, const dl_provenance *prov);
/* diagnostics.dat, and on the torus modes.dat (atomic; committed by the caller) */
int dl_run_outputs_open(const dl_run_config *c, const dl_provenance *prov, dl_run_outputs *out);
/* modes.dat's header, on any stream */
void dl_run_outputs_modes_header(const dl_run_config *c, const dl_provenance *prov, FILE *fp);
/* modes.dat's rows at time t: z[r] is the Fourier coefficient of c->record[r] */
void dl_run_outputs_modes(const dl_run_config *c, FILE *fp, double t, double sigma, const double complex *z);
/* a decision (the engine's, the diagnostics') as a comment in diagnostics.dat
 * and, unless --quiet, to the log function */
void dl_run_outputs_log(const dl_run_config *c, dl_run_outputs *out, const char *topic, const char *line);
void dl_run_outputs_engine_log(const dl_run_config *c, dl_run_outputs *out, const char *line);
/* a measurement that changes from run to run (a rate, memory): to the log
 * function unless --quiet, never in a file, so that outputs repeat byte for byte */
void dl_run_outputs_measured(const dl_run_config *c, dl_run_outputs *out, const char *topic,
                             const char *line);

#endif
