/* train_mpi: `mpirun -np R driftlab train`, data-parallel (DRIFTLAB_MPI builds).
 *
 * Each rank takes a contiguous block of the classes (the trainer's shards),
 * and the generator's gradients are summed over all classes in class order
 * (dl_mpi_ordered_sum), so every rank takes the same AdamW step and the run
 * does not depend on R.  Rank 0 evaluates and writes every file; the others
 * only compute.  Failures are agreed at every step. */
#ifndef TRAIN_MPI_H
#define TRAIN_MPI_H

#include "train/trainer.h"

typedef struct dl_mpi_sum_plan dl_mpi_sum_plan;
typedef struct {
    int active; /* launched by mpirun */
    int rank, size, started_here;
    dl_mpi_sum_plan *plan; /* the gradients' ordered sum (parallel/collective.h) */
} train_mpi;

#ifdef DRIFTLAB_HAVE_MPI
/* Starts MPI when launched by mpirun; a no-op otherwise. */
void train_mpi_start(train_mpi *m);
/* This rank's block of the trainer's classes, summed across ranks. */
int train_mpi_shard(train_mpi *m, dl_trainer *t);
/* One rank's failure is everyone's (a no-op when not active). */
int train_mpi_agree(const train_mpi *m, int st);
void train_mpi_finish(train_mpi *m);
#else /* one process: nothing to share */
static inline void train_mpi_start(train_mpi *m) { *m = (train_mpi){0}; }
static inline int train_mpi_shard(train_mpi *m, dl_trainer *t) { return (void)m, (void)t, 0; }
static inline int train_mpi_agree(const train_mpi *m, int st) { return (void)m, st; }
static inline void train_mpi_finish(train_mpi *m) { (void)m; }
#endif

#endif
