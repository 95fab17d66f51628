/* collective: what every distributed part of driftlab shares.
 *
 * Under MPI a failure on one rank must reach every rank before the next
 * collective call, or the others wait for ever: dl_mpi_agree turns one
 * rank's status into everyone's, with that rank's message.  Sums that must
 * not depend on the rank count go through dl_mpi_ordered_sum. */
#ifndef DL_COLLECTIVE_H
#define DL_COLLECTIVE_H

#include <stddef.h>

#include <mpi.h>

/* Whether this process was started by mpirun / mpiexec (OpenMPI or a PMI launcher). */
int dl_mpi_launched(void);

/* Every rank passes its status; every rank gets back the first failing
 * rank's status (DL_OK if none failed), and dl_error_message() holds that
 * rank's message, "rank R: ..." (a message that already names a rank keeps
 * it, so a failure agreed twice still names the rank it came from). */
int dl_mpi_agree(MPI_Comm comm, int st);

/* The sum over `total` shards of len floats, in shard order 0, 1, ..,
 * total - 1, whatever the rank count: this rank holds shards [first, first +
 * held), contiguous and in order, each len floats at shards + k len.  Each
 * rank sums one piece of the vector over all shards (in double, in shard
 * order, then rounded once to float), and the pieces are gathered into sum
 * (len floats) on every rank.  Collective. */
int dl_mpi_ordered_sum(MPI_Comm comm, const float *shards, int first, int held, int total, size_t len,
                       float *sum);
/* The same sum planned once for a fixed split and length, for a sum that
 * repeats (a gradient every step): create and destroy are collective, and so
 * is execute, which allocates nothing.  At one rank it adds the shards in
 * place, with the same arithmetic. */
typedef struct dl_mpi_sum_plan dl_mpi_sum_plan;
int dl_mpi_sum_plan_create(dl_mpi_sum_plan **plan, MPI_Comm comm, int first, int held, int total, size_t len);
int dl_mpi_sum_plan_execute(dl_mpi_sum_plan *plan, const float *shards, float *sum);
void dl_mpi_sum_plan_destroy(dl_mpi_sum_plan *plan);

/* Rank 0 receives every rank's block of count_r points (dim doubles each), in
 * rank order and in pieces of at most `piece` points, and hands each piece to
 * sink; the others send theirs.  Memory stays a piece per rank.  The
 * status, sink's included, is agreed.  Collective. */
typedef int (*dl_mpi_sink)(void *ctx, const double *pts, size_t count);
int dl_mpi_gather_blocks(MPI_Comm comm, const double *local, size_t count, int dim, size_t piece,
                         dl_mpi_sink sink, void *ctx);

/* [begin, end) of rank's block of n items over size ranks: n r / size, the
 * same split everywhere. */
void dl_mpi_block(size_t n, int rank, int size, size_t *begin, size_t *end);

#endif
