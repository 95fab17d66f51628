/* The snapshot reader (drift/snapshot), and the samples reader that routes
 * snapshots through it.  Mode byte bit 0: recompute the positions' CRC, so
 * that inputs reach the checks behind it. */
#include <math.h>
#include <zlib.h>

#include "drift/snapshot.h"
#include "fuzz_common.h"

enum { TEXT_LEN_AT = 68 }; /* magic, version, dim, count, seed, step, time, sigma, kind, length */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int fix_crc = data[0] & 1;
    uint8_t *copy = malloc(size);
    memcpy(copy, data + 1, size - 1);
    size_t len = size - 1;
    if (fix_crc && len >= TEXT_LEN_AT + 4) {
        uint32_t text_len;
        memcpy(&text_len, copy + TEXT_LEN_AT, 4);
        uint64_t crc_at = TEXT_LEN_AT + 4 + (uint64_t)text_len;
        if (crc_at + 4 <= len) {
            uint32_t crc = (uint32_t)crc32(0L, copy + crc_at + 4, (uInt)(len - crc_at - 4));
            memcpy(copy + crc_at, &crc, 4);
        }
    }
    const char *path = fuzz_write_file(".dlsnap", copy, len);
    free(copy);
    dl_snapshot_header h;
    double *x = NULL;
    if (dl_snapshot_read(path, &h, &x) == 0) {
        FUZZ_ASSERT(h.dim >= 1 && h.count >= 1);
        for (size_t i = 0; i < h.count * h.dim; i++)
            FUZZ_ASSERT(isfinite(x[i]));
        free(x);
    }
    size_t count;
    if (dl_samples_read(path, 2, &x, &count) == 0)
        free(x);
    return 0;
}
