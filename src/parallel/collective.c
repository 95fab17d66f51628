#include "parallel/collective.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"

int dl_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

/* Whether msg already starts "rank R: ": a failure agreed once is every
 * rank's, so agreeing it again must keep the rank it came from. */
static int names_a_rank(const char *msg)
{
    if (strncmp(msg, "rank ", 5) || !isdigit((unsigned char)msg[5]))
        return 0;
    const char *p = msg + 5;
    while (isdigit((unsigned char)*p))
        p++;
    return p[0] == ':' && p[1] == ' ';
}

int dl_mpi_agree(MPI_Comm comm, int st)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int mine = st ? rank : size, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size)
        return 0;
    char msg[1024] = "";
    int code = st;
    if (rank == first)
        snprintf(msg, sizeof msg, "%s", dl_error_message());
    MPI_Bcast(&code, 1, MPI_INT, first, comm);
    MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, comm);
    if (size == 1 || names_a_rank(msg))
        return dl_error(code, "%s", msg);
    return dl_error(code, "rank %d: %s", first, msg);
}

void dl_mpi_block(size_t n, int rank, int size, size_t *begin, size_t *end)
{
    /* in 128 bits: n r may pass 2^64 */
    *begin = (size_t)((unsigned __int128)n * (unsigned)rank / (unsigned)size);
    *end = (size_t)((unsigned __int128)n * (unsigned)(rank + 1) / (unsigned)size);
}

struct dl_mpi_sum_plan {
    MPI_Comm comm;
    int size, held, total;
    size_t len, lo, hi;          /* this rank sums [lo, hi) of the vector */
    int *scount, *sdisp, *rcount, *rdisp, *pcount, *pdisp;
    float *packed;               /* the held shards by destination, then my summed piece */
    float *mine;                 /* every shard's share of my piece, by shard index */
};

void dl_mpi_sum_plan_destroy(dl_mpi_sum_plan *p)
{
    if (!p)
        return;
    free(p->scount), free(p->sdisp), free(p->rcount), free(p->rdisp), free(p->pcount), free(p->pdisp);
    free(p->packed), free(p->mine);
    free(p);
}

/* the message counts and offsets, from every rank's shards */
static void plan_counts(dl_mpi_sum_plan *p, const int *held_by, const int *first_of)
{
    const size_t piece = p->hi - p->lo;
    for (int q = 0, at = 0; q < p->size; q++) {
        size_t qlo, qhi;
        dl_mpi_block(p->len, q, p->size, &qlo, &qhi);
        p->sdisp[q] = at, p->scount[q] = p->held * (int)(qhi - qlo), at += p->scount[q];
        p->rcount[q] = held_by[q] * (int)piece, p->rdisp[q] = first_of[q] * (int)piece;
        p->pcount[q] = (int)(qhi - qlo), p->pdisp[q] = (int)qlo;
    }
}

int dl_mpi_sum_plan_create(dl_mpi_sum_plan **out, MPI_Comm comm, int first, int held, int total, size_t len)
{
    *out = NULL;
    dl_mpi_sum_plan *p = calloc(1, sizeof *p);
    int st = p ? DL_OK : dl_error(DL_ENOMEM, "ordered sum: out of memory");
    if (!st && len > INT_MAX / (size_t)(total > 0 ? total : 1))
        st = dl_error(DL_EINVAL, "ordered sum: %zu values x %d shards is too many", len, total);
    int *held_by = NULL, *first_of = NULL;
    if (!st) {
        p->comm = comm, p->held = held, p->total = total, p->len = len;
        MPI_Comm_size(comm, &p->size);
        int rank;
        MPI_Comm_rank(comm, &rank);
        dl_mpi_block(len, rank, p->size, &p->lo, &p->hi);
        const size_t n = (size_t)p->size, packed = (size_t)held * len > p->hi - p->lo ? (size_t)held * len
                                                                                    : p->hi - p->lo;
        int **ints[] = {&p->scount, &p->sdisp, &p->rcount, &p->rdisp, &p->pcount, &p->pdisp, &held_by, &first_of};
        for (size_t k = 0; k < sizeof ints / sizeof *ints; k++)
            *ints[k] = calloc(n, sizeof(int));
        p->packed = malloc((packed + 1) * sizeof(float));
        p->mine = malloc(((size_t)total * (p->hi - p->lo) + 1) * sizeof(float));
        for (size_t k = 0; k < sizeof ints / sizeof *ints; k++)
            st = st || *ints[k] ? st : dl_error(DL_ENOMEM, "ordered sum: out of memory");
        if (!st && (!p->packed || !p->mine))
            st = dl_error(DL_ENOMEM, "ordered sum: out of memory for %d shards of %zu", total, len);
    }
    if (!(st = dl_mpi_agree(comm, st))) {
        MPI_Allgather(&held, 1, MPI_INT, held_by, 1, MPI_INT, comm);
        MPI_Allgather(&first, 1, MPI_INT, first_of, 1, MPI_INT, comm);
        plan_counts(p, held_by, first_of);
        *out = p;
    } else {
        dl_mpi_sum_plan_destroy(p);
    }
    free(held_by), free(first_of);
    return st;
}

int dl_mpi_sum_plan_execute(dl_mpi_sum_plan *p, const float *shards, float *sum)
{
    const size_t piece = p->hi - p->lo;
    const float *from = p->mine;
    if (p->size > 1) {
        /* to rank q: every held shard's piece q, shard by shard */
        for (int q = 0; q < p->size; q++)
            for (int k = 0; k < p->held; k++)
                memcpy(p->packed + p->sdisp[q] + (size_t)k * p->pcount[q],
                       shards + (size_t)k * p->len + p->pdisp[q], (size_t)p->pcount[q] * sizeof(float));
        MPI_Alltoallv(p->packed, p->scount, p->sdisp, MPI_FLOAT, p->mine, p->rcount, p->rdisp, MPI_FLOAT,
                      p->comm);
    } else {
        from = shards; /* one rank holds every shard, already laid out by shard index */
    }
    float *out = p->size > 1 ? p->packed : sum;
    for (size_t i = 0; i < piece; i++) {
        double acc = 0;
        for (int k = 0; k < p->total; k++)
            acc += from[(size_t)k * piece + i];
        out[i] = (float)acc;
    }
    if (p->size > 1)
        MPI_Allgatherv(p->packed, (int)piece, MPI_FLOAT, sum, p->pcount, p->pdisp, MPI_FLOAT, p->comm);
    return DL_OK;
}

int dl_mpi_ordered_sum(MPI_Comm comm, const float *shards, int first, int held, int total, size_t len,
                       float *sum)
{
    dl_mpi_sum_plan *p;
    int st = dl_mpi_sum_plan_create(&p, comm, first, held, total, len);
    if (!st)
        st = dl_mpi_sum_plan_execute(p, shards, sum);
    dl_mpi_sum_plan_destroy(p);
    return st;
}

int dl_mpi_gather_blocks(MPI_Comm comm, const double *local, size_t count, int dim, size_t piece,
                         dl_mpi_sink sink, void *ctx)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (piece == 0 || piece * (size_t)dim > INT_MAX)
        piece = (size_t)(INT_MAX / dim);
    unsigned long long mine = count, *counts = malloc((size_t)size * sizeof *counts);
    double *buf = rank == 0 ? malloc(piece * (size_t)dim * sizeof(double)) : NULL;
    int st = counts && (rank || buf) ? 0 : dl_error(DL_ENOMEM, "gather: out of memory");
    if ((st = dl_mpi_agree(comm, st))) {
        free(counts), free(buf);
        return st;
    }
    MPI_Gather(&mine, 1, MPI_UNSIGNED_LONG_LONG, counts, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
    if (rank == 0) {
        for (size_t at = 0; !st && at < count; at += piece)
            st = sink(ctx, local + at * dim, count - at < piece ? count - at : piece);
        for (int q = 1; q < size; q++)
            for (size_t at = 0; at < counts[q]; at += piece) {
                size_t len = counts[q] - at < piece ? counts[q] - at : piece;
                /* keep receiving after a failure: the senders must not block */
                MPI_Recv(buf, (int)(len * dim), MPI_DOUBLE, q, 0, comm, MPI_STATUS_IGNORE);
                if (!st)
                    st = sink(ctx, buf, len);
            }
    } else {
        for (size_t at = 0; at < count; at += piece) {
            size_t len = count - at < piece ? count - at : piece;
            MPI_Send(local + at * dim, (int)(len * dim), MPI_DOUBLE, 0, 0, comm);
        }
    }
    free(counts), free(buf);
    return dl_mpi_agree(comm, st);
}
