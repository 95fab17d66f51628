/* What every harness shares: the input written to a file of this process's
 * own (the readers take paths), and the mode byte that steers a harness.
 * Each harness defines LLVMFuzzerTestOneInput; libFuzzer drives it under
 * scripts/fuzz.sh, and replay_main.c drives it over the corpus in CTest. */
#ifndef DL_FUZZ_COMMON_H
#define DL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A file named after the process (suffix chooses the reader's format, e.g.
 * ".dat"), holding exactly size bytes of data.  Returns its path (static). */
static inline const char *fuzz_write_file(const char *suffix, const uint8_t *data, size_t size)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/driftlab-fuzz-%ld%s", (long)getpid(), suffix);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        abort();
    if (size && fwrite(data, 1, size, fp) != size)
        abort();
    fclose(fp);
    return path;
}

/* A finding: the property named failed on this input. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
