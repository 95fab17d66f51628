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
/* On success *x is malloc'ed (count x dim); the caller frees it. */
int dl_snapshot_read(const char *path, dl_snapshot_header *h, double **x);

/* Samples from a file: a snapshot, or (for names ending in .dat or .txt) a
 * text table with one point per row and '#' comments.  dim is what the caller
 * expects; *x is malloc'ed. */
int dl_samples_read(const char *path, int dim, double **x, size_t *count);

#endif
