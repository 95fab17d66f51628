/* checkpoint: model state on disk, resumable bit for bit.
 *
 * Layout (little-endian): magic "DLCKPT\r\n"; u32 version (1); u32 length + the
 * architecture string; u32 length + provenance text; i64 training step;
 * u64 parameter count n; u32 flags (1: optimizer, 2: EMA, 4: RNG);
 * f32[n] parameters; [i64 optimizer step, f32[n] m, f32[n] v]; [f32[n] EMA];
 * [u32 length + GSL generator name, u64 size + generator state];
 * u32 CRC-32 (zlib) of everything between the magic and the CRC.
 * A reader checks magic, version, CRC, the exact length, and that the
 * architecture string is the one it expects.  The file's size is checked
 * against what the expected model can fill before it is read, and the CRC
 * before anything is sized from the file. */
#ifndef DL_CHECKPOINT_H
#define DL_CHECKPOINT_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "base/io.h"
#include "nn/optim.h"

/* The largest model a checkpoint may hold (parameters). */
#define DL_CHECKPOINT_MAX_PARAMS ((size_t)1 << 27)

/* opt and rng may be NULL. */
int dl_checkpoint_write(const char *path, const char *arch, long step, const float *params,
                        size_t n, const dl_adamw *opt, const gsl_rng *rng,
                        const dl_provenance *prov);

/* Fills params (n floats, n must match the file) and, when given and present
 * in the file, the optimizer state, EMA and RNG state.  arch must match. */
int dl_checkpoint_read(const char *path, const char *arch, long *step, float *params, size_t n,
                       dl_adamw *opt, gsl_rng *rng);

/* The architecture string of a checkpoint, after its CRC is verified by a
 * streamed pass in fixed memory. */
int dl_checkpoint_arch(const char *path, char *arch, size_t len);

#endif
