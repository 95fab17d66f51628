#include "parallel/collective.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"

int dl_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
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
    if (size == 1)
        return dl_error(code, "%s", msg);
    return dl_error(code, "rank %d: %s", first, msg);
}

void dl_mpi_block(size_t n, int rank, int size, size_t *begin, size_t *end)
{
    /* in 128 bits: n r may pass 2^64 */
    *begin = (size_t)((unsigned __int128)n * (unsigned)rank / (unsigned)size);
    *end = (size_t)((unsigned __int128)n * (unsigned)(rank + 1) / (unsigned)size);
}

int dl_mpi_ordered_sum(MPI_Comm comm, const float *shards, int first, int held, int total, size_t len,
                       float *sum)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (len > INT_MAX / (size_t)(total > 0 ? total : 1))
        return dl_mpi_agree(comm, dl_error(DL_EINVAL, "ordered sum: %zu values x %d shards is too many", len, total));
    /* rank r sums piece r: [len r / size, len (r + 1) / size) */
    int *scount = calloc((size_t)size, sizeof(int)), *sdisp = calloc((size_t)size, sizeof(int));
    int *rcount = calloc((size_t)size, sizeof(int)), *rdisp = calloc((size_t)size, sizeof(int));
    int *held_by = calloc((size_t)size, sizeof(int)), *first_of = calloc((size_t)size, sizeof(int));
    size_t lo, hi;
    dl_mpi_block(len, rank, size, &lo, &hi);
    /* packed: the held shards by destination, then (reused) my summed piece */
    const size_t packed_len = (size_t)held * len > hi - lo ? (size_t)held * len : hi - lo;
    float *packed = malloc((packed_len + 1) * sizeof(float));
    float *mine = malloc(((size_t)total * (hi - lo) + 1) * sizeof(float));
    int st = scount && sdisp && rcount && rdisp && held_by && first_of && packed && mine
                 ? 0 : dl_error(DL_ENOMEM, "ordered sum: out of memory for %d shards of %zu", total, len);
    if (!(st = dl_mpi_agree(comm, st))) {
        MPI_Allgather(&held, 1, MPI_INT, held_by, 1, MPI_INT, comm);
        MPI_Allgather(&first, 1, MPI_INT, first_of, 1, MPI_INT, comm);
        /* to rank q: every held shard's piece q, shard by shard */
        size_t at = 0;
        for (int q = 0; q < size; q++) {
            size_t qlo, qhi;
            dl_mpi_block(len, q, size, &qlo, &qhi);
            sdisp[q] = (int)at;
            for (int k = 0; k < held; k++, at += qhi - qlo)
                memcpy(packed + at, shards + (size_t)k * len + qlo, (qhi - qlo) * sizeof(float));
            scount[q] = (int)(at - (size_t)sdisp[q]);
        }
        /* from rank q: its shards' share of my piece, placed by shard index */
        for (int q = 0; q < size; q++) {
            rcount[q] = held_by[q] * (int)(hi - lo);
            rdisp[q] = (int)((size_t)first_of[q] * (hi - lo));
        }
        MPI_Alltoallv(packed, scount, sdisp, MPI_FLOAT, mine, rcount, rdisp, MPI_FLOAT, comm);
        for (size_t i = 0; i < hi - lo; i++) {
            double acc = 0;
            for (int k = 0; k < total; k++)
                acc += mine[(size_t)k * (hi - lo) + i];
            packed[i] = (float)acc;
        }
        int *pcount = rcount, *pdisp = rdisp;
        for (int q = 0; q < size; q++) {
            size_t qlo, qhi;
            dl_mpi_block(len, q, size, &qlo, &qhi);
            pcount[q] = (int)(qhi - qlo), pdisp[q] = (int)qlo;
        }
        MPI_Allgatherv(packed, (int)(hi - lo), MPI_FLOAT, sum, pcount, pdisp, MPI_FLOAT, comm);
    }
    free(scount), free(sdisp), free(rcount), free(rdisp), free(held_by), free(first_of);
    free(packed), free(mine);
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
