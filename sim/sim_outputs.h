/* sim_outputs: the files a simulation writes beside its snapshots, shared by
 * the single-process run (cmd_sim.c) and the distributed one (sim_mpi.c):
 * run.ini, diagnostics.dat and modes.dat, and the run log. */
#ifndef SIM_OUTPUTS_H
#define SIM_OUTPUTS_H

#include <complex.h>
#include <stdio.h>

#include "base/io.h"
#include "image_points.h"
#include "sim_config.h"

typedef struct {
    dl_atomic_file diagnostics, modes;
    int have_modes;
    sim_image_fd *fd; /* image runs with --classifier */
} sim_outputs;

/* run.ini: the provenance and every option, so the run replays */
int sim_write_run_ini(const sim_options *o, const sim_config *c, const dl_provenance *prov);
/* diagnostics.dat, and on the torus modes.dat (atomic; committed by the caller) */
int sim_outputs_open(const sim_config *c, const dl_provenance *prov, sim_outputs *out);
/* modes.dat's rows at time t: z[r] is the Fourier coefficient of c->record[r] */
void sim_outputs_modes(const sim_config *c, FILE *fp, double t, double sigma, const double complex *z);
/* a decision (the engine's, the diagnostics') as a comment in diagnostics.dat
 * and, unless --quiet, on stderr */
void sim_outputs_log(const sim_config *c, sim_outputs *out, const char *topic, const char *line);
void sim_outputs_engine_log(const sim_config *c, sim_outputs *out, const char *line);
/* a measurement that changes from run to run (a rate, memory): on stderr
 * unless --quiet, never in a file, so that outputs repeat byte for byte */
void sim_outputs_measured(const sim_config *c, const char *topic, const char *line);

#endif
