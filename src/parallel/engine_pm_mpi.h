/* engine_pm_mpi: the particle mesh across MPI ranks, on the torus in 1-D, 2-D and 3-D.
 *
 * Each rank holds a block of the particles and of the targets (any split);
 * a drift request's x, y and q are this rank's blocks, and V comes back for
 * this rank's x.  The grid is slab-decomposed along its first axis by
 * FFTW-MPI (r2c / c2r; a 1-D grid is transformed as G x 1).  Points travel
 * to the rank whose slab holds their stencil's first plane, deposit there
 * into the slab and GUARD planes past it, and the guard planes are added
 * into their owners; interpolation reads the slab and guard planes copied
 * back from their owners, and V travels home.  The numbers are the serial
 * engine's (engine_pm.c) up to the order of floating-point sums.
 *
 * Every call is collective over the communicator, and every failure is
 * agreed (collective.h), so all ranks return the same status.  Where the
 * serial mesh falls back to the direct engine (a grid beyond max_cells, a
 * point far from every other) this one refuses with a message.
 *
 * dl_engine_fix_targets (engine.h), with this rank's block of the targets,
 * keeps their transformed deposit between calls: they are then neither
 * routed nor deposited again, and their route is freed.  Not collective; a
 * request takes the cache only where every rank can. */
#ifndef DL_ENGINE_PM_MPI_H
#define DL_ENGINE_PM_MPI_H

#include <mpi.h>

#include "drift/engine.h"

int dl_engine_pm_mpi_create(dl_engine **engine, const dl_pm_config *cfg, MPI_Comm comm);

/* Bytes this rank's mesh holds now (grids, plans' arrays, routing buffers). */
size_t dl_engine_pm_mpi_bytes(const dl_engine *engine);

#endif
