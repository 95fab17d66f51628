/* sim_mpi: `driftlab sim --engine pm` under mpirun (DRIFTLAB_MPI builds). */
#ifndef SIM_MPI_H
#define SIM_MPI_H

#include "base/io.h"
#include "run/options.h"

/* Whether this invocation is a distributed run: launched by mpirun with the
 * pm engine.  *refuse is set (with a message) for more than one rank and
 * another engine; *quiet_rank when this is not rank 0, which stays silent.
 * A sim run inside a program that has started MPI already (a sweep's point,
 * analysis/cmd_sweep.c) is one process's run. */
int sim_mpi_wanted(const dl_run_config *c, int *refuse, int *quiet_rank);
/* The whole run, collectively; the exit code (rank 0 prints a failure's one line). */
int sim_mpi_main(const dl_run_options *opts, const dl_run_config *c, const dl_provenance *prov);

#endif
