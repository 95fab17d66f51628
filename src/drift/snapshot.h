/* snapshot: particle positions on disk, beside the particles they hold.
 *
 * Snapshots (.dlsnap), little-endian:
 *     char[8]  magic "DLSNAP\r\n"   (the \r\n catches text-mode mangling)
 *     u32      format version (1)
 *     u32      dim
 *     u64      count
 *     u64      seed
 *     u64      step
 *     f64      time, sigma
 *     u32      domain kind (0 = R^d, 1 = torus)
 *     f64      torus length (0 on R^d)
 *     u32      provenance length P, then P bytes of text
 *     u32      CRC-32 (zlib) of the payload
 *     f64[count*dim] positions, row-major
 * Readers check the magic, version, ranges, that the length matches count,
 * the CRC and that every value is finite. */
#ifndef DL_SNAPSHOT_H
#define DL_SNAPSHOT_H

#include <stdint.h>

#include "base/io.h"
#include "drift/domain.h"

#define DL_SNAPSHOT_VERSION 1u

typedef struct {
    uint32_t dim;
    uint64_t count;
    uint64_t seed;
    uint64_t step;
    double time;
    double sigma;
    uint32_t domain_kind;
    double length;
} dl_snapshot_header;

int dl_snapshot_write(const char *path, const dl_snapshot_header *h, const double *x,
                      const dl_provenance *prov);
/* The same file written in pieces, for writers that never hold every point
 * at once (the distributed mesh gathers rank by rank): open with the header,
 * append the points in order, commit (which checks the count and fills in
 * the CRC).  dl_snapshot_write is open, one append, commit.  A failed append
 * or commit has already aborted; abort is for giving up in between. */
typedef struct {
    dl_atomic_file file;
    long crc_at;
    unsigned long crc;
    uint32_t dim;
    uint64_t expected, written;
} dl_snapshot_stream;
int dl_snapshot_stream_open(dl_snapshot_stream *w, const char *path, const dl_snapshot_header *h,
                            const dl_provenance *prov);
int dl_snapshot_stream_append(dl_snapshot_stream *w, const double *x, size_t count);
int dl_snapshot_stream_commit(dl_snapshot_stream *w);
void dl_snapshot_stream_abort(dl_snapshot_stream *w);

/* On success *x is malloc'ed (count x dim); the caller frees it. */
int dl_snapshot_read(const char *path, dl_snapshot_header *h, double **x);

/* Samples from a file: a snapshot, or (for names ending in .dat or .txt) a
 * text table with one point per row and '#' comments.  dim is what the caller
 * expects; *x is malloc'ed. */
int dl_samples_read(const char *path, int dim, double **x, size_t *count);
/* The text table from an open stream (the lab's uploads, through fmemopen);
 * name is the source the messages give.  The stream stays open. */
int dl_samples_parse(FILE *fp, const char *name, int dim, double **x, size_t *count);

#endif
