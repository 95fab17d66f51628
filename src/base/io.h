/* io: every file driftlab writes or reads.
 *
 * Outputs are written to a temporary file beside the target and renamed into
 * place on commit, so a failed run never leaves a partial file.  Every output
 * starts with a provenance header: tool version, git hash, command line, seed,
 * and the BLAS kernels in use.
 *
 * .dat tables (gnuplot reads them directly):
 *     # driftlab 0.1.0 (git 1a2b3c4)
 *     # command: driftlab sim --kernel gaussian ...
 *     # seed: 1
 *     # blas: OpenBLAS Haswell
 *     # <any extra header lines>
 *     # columns: t sigma k re im amp
 *     0 0.5 1 0.0025 0 0.0025 */
#ifndef DL_IO_H
#define DL_IO_H

#include <stdint.h>
#include <stdio.h>


typedef struct {
    const char *command_line; /* the full invocation */
    unsigned long seed;
} dl_provenance;

const char *dl_version_string(void); /* "0.1.0" */
const char *dl_git_hash(void);       /* short hash, "-dirty" if modified, or "unknown" */
/* The name of the kernels OpenBLAS chose when it was loaded ("Haswell",
 * "SkylakeX", ...), or NULL where another BLAS is linked.  Float results depend
 * on it (summation order) and so does speed, so every header records it. */
const char *dl_blas_core(void);

/* ---- atomic files ---- */
/* The data goes to an unnamed file in the target's directory (O_TMPFILE),
 * named and renamed into place only at commit, so that a process killed
 * mid-write leaves neither a partial output nor a temporary behind; where the
 * file system has no O_TMPFILE, a named PATH.tmp-XXXXXX stands in. */
typedef struct {
    FILE *fp;
    char *path;
    char *tmp_path;
    int unnamed; /* O_TMPFILE: tmp_path is given only at commit */
} dl_atomic_file;

int dl_atomic_open(dl_atomic_file *f, const char *path, const char *mode);
int dl_atomic_commit(dl_atomic_file *f); /* close, flush, rename into place */
void dl_atomic_abort(dl_atomic_file *f); /* close and delete the temporary */

/* ---- .dat tables ---- */
/* Opens an atomic file and writes the provenance header, the extra lines
 * (each printed after "# ", may be NULL) and the "# columns:" line. */
int dl_dat_open(dl_atomic_file *f, const char *path, const dl_provenance *prov,
                const char *const *extra_lines, const char *columns);
/* The header alone, on any stream (the lab builds modes.dat in memory). */
void dl_dat_write_header(FILE *fp, const dl_provenance *prov, const char *const *extra_lines,
                         const char *columns);
/* The same header, for files that are not tables (configs, scripts). */
void dl_provenance_write(FILE *fp, const dl_provenance *prov, const char *comment);
/* The same lines, unwrapped and without comment marks, into buf (len bytes,
 * truncated to fit): the provenance text of snapshots and checkpoints. */
void dl_provenance_format(char *buf, size_t len, const dl_provenance *prov);

/* Create a directory (and its parents); fails if it exists as a file or
 * cannot be written. */
int dl_mkdir_p(const char *path);

#endif
