#include "train_mpi.h"

#include <mpi.h>

#include "parallel/collective.h"

void train_mpi_start(train_mpi *m)
{
    *m = (train_mpi){0};
    if (!dl_mpi_launched())
        return;
    int up;
    MPI_Initialized(&up);
    if (!up)
        MPI_Init(NULL, NULL), m->started_here = 1;
    m->active = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
}

static int agree(void *ctx, int st)
{
    (void)ctx;
    return dl_mpi_agree(MPI_COMM_WORLD, st);
}

/* the trainer's sum through the plan made for its split */
static int ordered_sum(void *ctx, const float *shards, int first, int held, int total, size_t len, float *sum)
{
    (void)first, (void)held, (void)total, (void)len;
    return dl_mpi_sum_plan_execute(ctx, shards, sum);
}

int train_mpi_shard(train_mpi *m, dl_trainer *t)
{
    if (!m->active)
        return 0;
    size_t begin, end;
    const int total = dl_trainer_shard_count(t);
    dl_mpi_block((size_t)total, m->rank, m->size, &begin, &end);
    int st = dl_mpi_sum_plan_create(&m->plan, MPI_COMM_WORLD, (int)begin, (int)(end - begin), total,
                                    t->gen->n_params + 1);
    if (st)
        return st;
    dl_trainer_shards sh = {(int)begin, (int)(end - begin), agree, ordered_sum, m->plan};
    return dl_mpi_agree(MPI_COMM_WORLD, dl_trainer_set_shards(t, &sh));
}

int train_mpi_agree(const train_mpi *m, int st)
{
    return m->active ? dl_mpi_agree(MPI_COMM_WORLD, st) : st;
}

void train_mpi_finish(train_mpi *m)
{
    dl_mpi_sum_plan_destroy(m->plan);
    m->plan = NULL;
    if (m->started_here)
        MPI_Finalize();
}
