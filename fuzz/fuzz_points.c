/* The points tables (drift/snapshot's text reader: .dat rows of numbers).
 * Mode byte: the dimension, 1..4.  Every accepted value must be finite and
 * normal, as the CLI's own parse demands. */
#include <float.h>
#include <math.h>

#include "drift/snapshot.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 16))
        return 0;
    const int dim = 1 + data[0] % 4;
    const char *path = fuzz_write_file(".dat", data + 1, size - 1);
    double *x;
    size_t count;
    if (dl_samples_read(path, dim, &x, &count) == 0) {
        FUZZ_ASSERT(count >= 1 && count * dim <= size);
        for (size_t i = 0; i < count * dim; i++)
            FUZZ_ASSERT(isfinite(x[i]) && (x[i] == 0 || fabs(x[i]) >= DBL_MIN));
        free(x);
    }
    return 0;
}
