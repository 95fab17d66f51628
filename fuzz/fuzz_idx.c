/* The IDX reader (images/idx), plain and gzip.  Mode byte: bit 0 the input
 * is a label file, read beside a fixed one-image file; bit 1 gzip the input
 * here first, so that valid streams carry fuzzed content. */
#include <zlib.h>

#include "images/idx.h"
#include "fuzz_common.h"

static const char *gzip_file(const uint8_t *data, size_t size)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/driftlab-fuzz-%ld-z.gz", (long)getpid());
    gzFile g = gzopen(path, "wb1");
    if (!g || (size && gzwrite(g, data, (unsigned)size) != (int)size) || gzclose(g) != Z_OK)
        abort();
    return path;
}

static const char *one_image_file(void)
{
    static char path[256];
    uint8_t head[16 + 784] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28};
    snprintf(path, sizeof path, "/tmp/driftlab-fuzz-%ld-one.idx", (long)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(head, 1, sizeof head, fp) != sizeof head)
        abort();
    fclose(fp);
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    const int labels = data[0] & 1, gz = data[0] & 2;
    const char *path = gz ? gzip_file(data + 1, size - 1) : fuzz_write_file(".idx", data + 1, size - 1);
    dl_image_set set;
    int st = labels ? dl_idx_read(one_image_file(), path, &set) : dl_idx_read(path, NULL, &set);
    if (st == 0) {
        FUZZ_ASSERT(set.count >= 1 && set.rows >= 1 && set.cols >= 1);
        FUZZ_ASSERT(set.count * (size_t)set.rows * set.cols <= DL_IDX_MAX_BYTES);
        for (size_t i = 0; labels && i < set.count; i++)
            FUZZ_ASSERT(set.labels[i] <= 9);
        dl_image_set_free(&set);
    }
    size_t count;
    int rows, cols;
    if (!labels && dl_idx_peek(path, &count, &rows, &cols) == 0)
        FUZZ_ASSERT(count >= 1 && rows >= 1 && rows <= 4096 && cols >= 1 && cols <= 4096);
    return 0;
}
