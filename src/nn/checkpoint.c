#include "nn/checkpoint.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <math.h>
#include <zlib.h>

#include "base/dl_error.h"

static const char ckpt_magic[8] = {'D', 'L', 'C', 'K', 'P', 'T', '\r', '\n'};
#define CKPT_VERSION 1u
/* Everything but the float arrays: magic, version, the architecture and
 * provenance strings, the counts, the RNG record and the CRC. */
#define CKPT_RECORDS_MAX (1u << 20)
enum { HAS_OPT = 1, HAS_EMA = 2, HAS_RNG = 4 };

/* A growable byte buffer: the checkpoint is assembled in memory, checksummed,
 * then written atomically in one go. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} buffer;

static void put(buffer *b, const void *p, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_string(buffer *b, const char *s)
{
    uint32_t len = (uint32_t)strlen(s);
    put(b, &len, 4);
    put(b, s, len);
}

int dl_checkpoint_write(const char *path, const char *arch, long step, const float *params,
                        size_t n, const dl_adamw *opt, const gsl_rng *rng,
                        const dl_provenance *prov)
{
    buffer b = {0};
    char text[4096];
    dl_provenance_format(text, sizeof text, prov);
    uint32_t version = CKPT_VERSION, flags = (opt ? HAS_OPT : 0) | (opt && opt->ema ? HAS_EMA : 0) |
                                             (rng ? HAS_RNG : 0);
    int64_t s64 = step;
    uint64_t n64 = n;
    put(&b, ckpt_magic, 8);
    put(&b, &version, 4);
    put_string(&b, arch);
    put_string(&b, text);
    put(&b, &s64, 8);
    put(&b, &n64, 8);
    put(&b, &flags, 4);
    put(&b, params, n * sizeof(float));
    if (opt) {
        int64_t os = opt->step;
        put(&b, &os, 8);
        put(&b, opt->m, n * sizeof(float));
        put(&b, opt->v, n * sizeof(float));
        if (opt->ema)
            put(&b, opt->ema, n * sizeof(float));
    }
    if (rng) {
        put_string(&b, gsl_rng_name(rng));
        uint64_t size = gsl_rng_size(rng);
        put(&b, &size, 8);
        put(&b, gsl_rng_state(rng), size);
    }
    if (b.failed) {
        free(b.data);
        return dl_error(DL_ENOMEM, "checkpoint '%s': out of memory", path);
    }
    uint32_t crc = (uint32_t)crc32(0L, b.data + 8, (uInt)(b.len - 8));
    put(&b, &crc, 4);
    dl_atomic_file f;
    int st = b.failed ? dl_error(DL_ENOMEM, "checkpoint: out of memory")
                      : dl_atomic_open(&f, path, "wb");
    if (!st) {
        fwrite(b.data, 1, b.len, f.fp);
        st = dl_atomic_commit(&f);
    }
    free(b.data);
    return st;
}

typedef struct {
    const uint8_t *data;
    size_t len, at;
} reader;

static int take(reader *r, void *out, size_t n)
{
    if (r->len - r->at < n)
        return -1;
    if (out)
        memcpy(out, r->data + r->at, n);
    r->at += n;
    return 0;
}

/* The whole file into *data (malloc'ed), refused unread when it is larger
 * than max bytes: the most a checkpoint of the expected model can hold. */
static int read_whole(const char *path, size_t max, uint8_t **data, size_t *len)
{
    *data = NULL, *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return dl_error(DL_EIO, "cannot open checkpoint '%s': %s", path, strerror(errno));
    struct stat sb;
    const char *bad = fstat(fileno(fp), &sb) ? "cannot be examined"
                      : !S_ISREG(sb.st_mode) ? "is not a regular file"
                      : (uint64_t)sb.st_size > max ? "is larger than its model can fill" : NULL;
    if (bad) {
        fclose(fp);
        return dl_error(DL_EFORMAT, "checkpoint '%s' %s (limit %zu bytes)", path, bad, max);
    }
    size_t want = (size_t)sb.st_size;
    *data = malloc(want ? want : 1);
    if (!*data) {
        fclose(fp);
        return dl_error(DL_ENOMEM, "checkpoint '%s': out of memory for %zu bytes", path, want);
    }
    *len = fread(*data, 1, want, fp);
    int err = ferror(fp) || *len != want;
    fclose(fp);
    if (err) {
        free(*data), *data = NULL;
        return dl_error(DL_EIO, "reading checkpoint '%s' failed", path);
    }
    return DL_OK;
}

/* The most bytes a checkpoint of n parameters can take: the parameters,
 * both moments and the EMA, plus the bounded records around them. */
static size_t max_checkpoint_bytes(size_t n)
{
    return (size_t)CKPT_RECORDS_MAX + 4 * n * sizeof(float);
}

/* the optimizer's moments and step, and the EMA (params when absent) */
static int read_optimizer(reader *r, const char *path, uint32_t flags, const float *params,
                          size_t n, dl_adamw *opt)
{
    if (!(flags & HAS_OPT))
        return opt ? dl_error(DL_EFORMAT, "checkpoint '%s' has no optimizer state to resume from", path)
                   : DL_OK;
    int64_t os;
    float *m = opt ? opt->m : NULL, *v = opt ? opt->v : NULL;
    if (take(r, &os, 8) || take(r, m, n * sizeof(float)) || take(r, v, n * sizeof(float)))
        return dl_error(DL_EFORMAT, "checkpoint '%s': truncated optimizer state", path);
    if (opt)
        opt->step = (long)os;
    if (flags & HAS_EMA) {
        if (take(r, opt && opt->ema ? opt->ema : NULL, n * sizeof(float)))
            return dl_error(DL_EFORMAT, "checkpoint '%s': truncated EMA", path);
    } else if (opt && opt->ema) {
        memcpy(opt->ema, params, n * sizeof(float));
    }
    return DL_OK;
}

/* the GSL generator's name, size and state, which must match rng's */
static int read_rng(reader *r, const char *path, uint32_t flags, gsl_rng *rng)
{
    if (!(flags & HAS_RNG))
        return DL_OK;
    uint32_t nlen;
    uint64_t size;
    char rname[64];
    if (take(r, &nlen, 4) || nlen >= sizeof rname || take(r, rname, nlen) || take(r, &size, 8))
        return dl_error(DL_EFORMAT, "checkpoint '%s': bad RNG record", path);
    rname[nlen] = '\0';
    if (rng && (strcmp(rname, gsl_rng_name(rng)) || size != gsl_rng_size(rng)))
        return dl_error(DL_EFORMAT, "checkpoint '%s': RNG '%s' does not match '%s'", path, rname,
                        gsl_rng_name(rng));
    if (take(r, rng ? gsl_rng_state(rng) : NULL, size))
        return dl_error(DL_EFORMAT, "checkpoint '%s': truncated RNG state", path);
    return DL_OK;
}

int dl_checkpoint_read(const char *path, const char *arch, long *step, float *params, size_t n,
                       dl_adamw *opt, gsl_rng *rng)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (n > DL_CHECKPOINT_MAX_PARAMS)
        return dl_error(DL_EINVAL, "checkpoint '%s': a model of %zu parameters is over the limit", path, n);
    int st = read_whole(path, max_checkpoint_bytes(n), &data, &len);
    if (st)
        return st;
    reader r = {data, len, 0};
    char name[256];
    uint32_t version, alen, tlen, flags, crc;
    int64_t s64;
    uint64_t n64;
    if (len < 12 || memcmp(data, ckpt_magic, 8) != 0) {
        st = dl_error(DL_EFORMAT, "'%s' is not a driftlab checkpoint (%s)", path,
                      len < 12 ? "too short" : "bad magic");
        goto done;
    }
    memcpy(&crc, data + len - 4, 4);
    if ((uint32_t)crc32(0L, data + 8, (uInt)(len - 12)) != crc) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s' is corrupt or truncated (checksum mismatch)", path);
        goto done;
    }
    r.len = len - 4;
    r.at = 8;
    if (take(&r, &version, 4) || version != CKPT_VERSION) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s': unsupported version", path);
        goto done;
    }
    if (take(&r, &alen, 4) || alen >= sizeof name || take(&r, name, alen)) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s': bad architecture record", path);
        goto done;
    }
    name[alen] = '\0';
    if (arch && strcmp(name, arch) != 0) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s' holds architecture '%s', expected '%s'", path,
                      name, arch);
        goto done;
    }
    if (take(&r, &tlen, 4) || take(&r, NULL, tlen) || take(&r, &s64, 8) || take(&r, &n64, 8) ||
        take(&r, &flags, 4)) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s': truncated header", path);
        goto done;
    }
    if (n64 != n) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s' has %llu parameters, the model %zu", path,
                      (unsigned long long)n64, n);
        goto done;
    }
    if (take(&r, params, n * sizeof(float))) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s': truncated parameters", path);
        goto done;
    }
    if ((st = read_optimizer(&r, path, flags, params, n, opt)) || (st = read_rng(&r, path, flags, rng)))
        goto done;
    if (r.at != r.len) {
        st = dl_error(DL_EFORMAT, "checkpoint '%s': %zu unexpected trailing bytes", path,
                      r.len - r.at);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(params[i])) {
            st = dl_error(DL_EFORMAT, "checkpoint '%s': parameter %zu is not finite", path, i);
            goto done;
        }
    if (step)
        *step = (long)s64;
done:
    free(data);
    return st;
}

/* CRC-32 of bytes [from, to) of fp, read in fixed chunks (no allocation). */
static uLong crc_range(FILE *fp, long from, uint64_t to, int *failed)
{
    uint8_t buf[1 << 16];
    uLong crc = crc32(0L, Z_NULL, 0);
    *failed = fseek(fp, from, SEEK_SET) != 0;
    for (uint64_t at = (uint64_t)from; !*failed && at < to;) {
        size_t want = to - at < sizeof buf ? (size_t)(to - at) : sizeof buf;
        size_t got = fread(buf, 1, want, fp);
        *failed = got != want;
        crc = crc32(crc, buf, (uInt)got);
        at += got;
    }
    return crc;
}

int dl_checkpoint_arch(const char *path, char *arch, size_t len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return dl_error(DL_EIO, "cannot open checkpoint '%s': %s", path, strerror(errno));
    char magic[8];
    uint32_t version, alen, crc;
    struct stat sb;
    int ok = !fstat(fileno(fp), &sb) && S_ISREG(sb.st_mode) && sb.st_size >= 16 &&
             fread(magic, 1, 8, fp) == 8 && !memcmp(magic, ckpt_magic, 8);
    if (!ok || (uint64_t)sb.st_size > max_checkpoint_bytes(DL_CHECKPOINT_MAX_PARAMS)) {
        fclose(fp);
        return dl_error(DL_EFORMAT, "'%s' is not a driftlab checkpoint (%s)", path,
                        ok ? "larger than any model's" : "bad header");
    }
    /* The checksum first: nothing is sized from an unverified architecture. */
    int failed;
    uLong sum = crc_range(fp, 8, (uint64_t)sb.st_size - 4, &failed);
    ok = !failed && fread(&crc, 4, 1, fp) == 1 && (uint32_t)sum == crc;
    if (!ok) {
        fclose(fp);
        return dl_error(DL_EFORMAT, "checkpoint '%s' is corrupt or truncated (checksum mismatch)", path);
    }
    ok = fseek(fp, 8, SEEK_SET) == 0 && fread(&version, 4, 1, fp) == 1 &&
         fread(&alen, 4, 1, fp) == 1 && alen < len && fread(arch, 1, alen, fp) == alen &&
         !memchr(arch, '\0', alen);
    fclose(fp);
    if (!ok)
        return dl_error(DL_EFORMAT, "checkpoint '%s': bad architecture record", path);
    arch[alen] = '\0';
    return DL_OK;
}
