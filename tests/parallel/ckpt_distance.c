/* ckpt_distance A.ckpt B.ckpt: how far two generator checkpoints' parameters
 * are apart: |a - b| / |a| (L2) and max |a - b|, from the documented layout
 * (src/nn/checkpoint.h), read standalone so that it trusts neither file's
 * reader.  For the notes on data-parallel training against the plain build. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *params(const char *path, uint64_t *n)
{
    FILE *f = fopen(path, "rb");
    char magic[8];
    uint32_t version, len;
    int64_t step;
    uint32_t flags;
    if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "DLCKPT\r\n", 8) || fread(&version, 4, 1, f) != 1)
        return NULL;
    for (int k = 0; k < 2; k++) /* architecture, provenance */
        if (fread(&len, 4, 1, f) != 1 || len > (1u << 20) || fseek(f, len, SEEK_CUR))
            return NULL;
    if (fread(&step, 8, 1, f) != 1 || fread(n, 8, 1, f) != 1 || *n == 0 || *n > (1u << 27) ||
        fread(&flags, 4, 1, f) != 1)
        return NULL;
    float *p = malloc(*n * sizeof(float));
    if (p && fread(p, sizeof(float), *n, f) != *n)
        free(p), p = NULL;
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    uint64_t na, nb;
    float *a = argc == 3 ? params(argv[1], &na) : NULL, *b = argc == 3 ? params(argv[2], &nb) : NULL;
    if (!a || !b || na != nb) {
        fprintf(stderr, "usage: ckpt_distance A.ckpt B.ckpt (two generator checkpoints of one model)\n");
        return 2;
    }
    double d2 = 0, a2 = 0, dmax = 0;
    for (uint64_t i = 0; i < na; i++) {
        double d = (double)a[i] - b[i];
        d2 += d * d, a2 += (double)a[i] * a[i], dmax = fmax(dmax, fabs(d));
    }
    printf("%llu parameters: |a - b| / |a| = %.3g, max |a - b| = %.3g\n", (unsigned long long)na,
           sqrt(d2 / a2), dmax);
    return 0;
}
