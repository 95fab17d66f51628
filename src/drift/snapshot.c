#define _POSIX_C_SOURCE 200809L
#include "drift/snapshot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "base/dl_error.h"
#include "base/parse.h"

static const char snapshot_magic[8] = {'D', 'L', 'S', 'N', 'A', 'P', '\r', '\n'};

/* ---------------- snapshots ---------------- */

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    return *(const uint8_t *)&probe == 1;
}

#define PUT(fp, v) fwrite(&(v), sizeof(v), 1, fp)

int dl_snapshot_stream_open(dl_snapshot_stream *w, const char *path, const dl_snapshot_header *h,
                            const dl_provenance *prov)
{
    memset(w, 0, sizeof *w);
    if (!host_is_little_endian())
        return dl_error(DL_EUNSUPPORTED, "snapshots are little-endian; this host is not");
    if (h->dim < 1 || h->dim > DL_MAX_DIM || h->count == 0)
        return dl_error(DL_EINVAL, "snapshot '%s': bad dim %u or count %llu", path, h->dim,
                        (unsigned long long)h->count);
    char text[4096];
    dl_provenance_format(text, sizeof text, prov);
    uint32_t text_len = (uint32_t)strlen(text), version = DL_SNAPSHOT_VERSION, crc = 0;
    int st = dl_atomic_open(&w->file, path, "wb");
    if (st)
        return st;
    FILE *fp = w->file.fp;
    fwrite(snapshot_magic, 1, sizeof snapshot_magic, fp);
    PUT(fp, version);
    PUT(fp, h->dim);
    PUT(fp, h->count);
    PUT(fp, h->seed);
    PUT(fp, h->step);
    PUT(fp, h->time);
    PUT(fp, h->sigma);
    PUT(fp, h->domain_kind);
    PUT(fp, h->length);
    PUT(fp, text_len);
    fwrite(text, 1, text_len, fp);
    w->crc_at = ftell(fp);
    PUT(fp, crc); /* a placeholder until the payload's CRC is known */
    w->dim = h->dim, w->expected = h->count;
    w->crc = crc32(0L, Z_NULL, 0);
    return DL_OK;
}

int dl_snapshot_stream_append(dl_snapshot_stream *w, const double *x, size_t count)
{
    if (w->written + count > w->expected) {
        int st = dl_error(DL_EINVAL, "snapshot '%s': %llu points appended to a snapshot of %llu",
                          w->file.path, (unsigned long long)(w->written + count),
                          (unsigned long long)w->expected);
        dl_snapshot_stream_abort(w);
        return st;
    }
    /* zlib's length is an unsigned int: feed the CRC in pieces under 2^30 bytes */
    const unsigned char *bytes = (const unsigned char *)x;
    size_t len = count * w->dim * sizeof(double);
    for (size_t done = 0; done < len;) {
        size_t piece = len - done < ((size_t)1 << 30) ? len - done : (size_t)1 << 30;
        w->crc = crc32(w->crc, bytes + done, (uInt)piece);
        done += piece;
    }
    fwrite(x, sizeof(double), count * w->dim, w->file.fp);
    w->written += count;
    return DL_OK;
}

int dl_snapshot_stream_commit(dl_snapshot_stream *w)
{
    if (w->written != w->expected) {
        int st = dl_error(DL_EINVAL, "snapshot '%s': %llu of %llu points written", w->file.path,
                          (unsigned long long)w->written, (unsigned long long)w->expected);
        dl_snapshot_stream_abort(w);
        return st;
    }
    uint32_t crc = (uint32_t)w->crc;
    if (fseek(w->file.fp, w->crc_at, SEEK_SET) != 0) {
        int st = dl_error(DL_EIO, "snapshot '%s': cannot seek to write the CRC: %s", w->file.path,
                          strerror(errno));
        dl_snapshot_stream_abort(w);
        return st;
    }
    PUT(w->file.fp, crc);
    return dl_atomic_commit(&w->file);
}

void dl_snapshot_stream_abort(dl_snapshot_stream *w)
{
    if (w->file.fp)
        dl_atomic_abort(&w->file);
}

int dl_snapshot_write(const char *path, const dl_snapshot_header *h, const double *x,
                      const dl_provenance *prov)
{
    dl_snapshot_stream w;
    int st = dl_snapshot_stream_open(&w, path, h, prov);
    if (!st)
        st = dl_snapshot_stream_append(&w, x, h->count);
    return st ? st : dl_snapshot_stream_commit(&w);
}

#define GET(fp, v) (fread(&(v), sizeof(v), 1, fp) == 1)

int dl_snapshot_read(const char *path, dl_snapshot_header *h, double **x)
{
    *x = NULL;
    if (!host_is_little_endian())
        return dl_error(DL_EUNSUPPORTED, "snapshots are little-endian; this host is not");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return dl_error(DL_EIO, "cannot open snapshot '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || sb.st_size == 0) {
        fclose(fp);
        return dl_error(DL_EFORMAT, "snapshot '%s' is empty", path);
    }
    char magic[8];
    uint32_t version, text_len, crc;
    int st = DL_OK;
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, snapshot_magic, 8) != 0) {
        st = dl_error(DL_EFORMAT, "'%s' is not a driftlab snapshot (bad magic)", path);
        goto fail;
    }
    if (!GET(fp, version)) {
        st = dl_error(DL_EFORMAT, "snapshot '%s' is truncated after its magic bytes", path);
        goto fail;
    }
    if (version != DL_SNAPSHOT_VERSION) {
        st = dl_error(DL_EFORMAT, "snapshot '%s': unsupported format version %u (expected %u)",
                      path, version, DL_SNAPSHOT_VERSION);
        goto fail;
    }
    if (!GET(fp, h->dim) || !GET(fp, h->count) || !GET(fp, h->seed) || !GET(fp, h->step) ||
        !GET(fp, h->time) || !GET(fp, h->sigma) || !GET(fp, h->domain_kind) ||
        !GET(fp, h->length) || !GET(fp, text_len)) {
        st = dl_error(DL_EFORMAT, "snapshot '%s' is truncated inside its header", path);
        goto fail;
    }
    if (h->dim < 1 || h->dim > DL_MAX_DIM || h->count == 0 || h->domain_kind > 1 ||
        text_len > 65536 || !isfinite(h->time) || !isfinite(h->sigma) ||
        !isfinite(h->length) || (h->domain_kind == DL_DOMAIN_TORUS && !(h->length > 0))) {
        st = dl_error(DL_EFORMAT, "snapshot '%s': header values out of range (dim %u, count %llu)",
                      path, h->dim, (unsigned long long)h->count);
        goto fail;
    }
    if (fseek(fp, text_len, SEEK_CUR) != 0 || !GET(fp, crc)) {
        st = dl_error(DL_EFORMAT, "snapshot '%s' is truncated inside its header", path);
        goto fail;
    }
    long header_end = ftell(fp);
    if (h->count > (uint64_t)(sb.st_size / 8 + 1)) {
        st = dl_error(DL_EFORMAT, "snapshot '%s': header claims %llu points, file has %lld bytes",
                      path, (unsigned long long)h->count, (long long)sb.st_size);
        goto fail;
    }
    size_t n = (size_t)h->count * h->dim;
    if ((unsigned long long)sb.st_size != (unsigned long long)header_end + n * sizeof(double)) {
        st = dl_error(DL_EFORMAT,
                      "snapshot '%s' is %s: expected %zu bytes of positions, found %lld", path,
                      (unsigned long long)sb.st_size < header_end + n * sizeof(double)
                          ? "truncated"
                          : "longer than its header says",
                      n * sizeof(double), (long long)(sb.st_size - header_end));
        goto fail;
    }
    *x = malloc(n * sizeof(double));
    if (!*x) {
        st = dl_error(DL_ENOMEM, "snapshot '%s': out of memory for %zu values", path, n);
        goto fail;
    }
    if (fread(*x, sizeof(double), n, fp) != n) {
        st = dl_error(DL_EIO, "snapshot '%s': read failed", path);
        goto fail;
    }
    if ((uint32_t)crc32(0L, (const Bytef *)*x, (uInt)(n * sizeof(double))) != crc) {
        st = dl_error(DL_EFORMAT, "snapshot '%s' is corrupt (checksum mismatch)", path);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite((*x)[i])) {
            st = dl_error(DL_EFORMAT, "snapshot '%s': value %zu (point %zu) is not finite", path,
                          i, i / h->dim);
            goto fail;
        }
    fclose(fp);
    return DL_OK;
fail:
    fclose(fp);
    free(*x);
    *x = NULL;
    return st;
}

/* ---------------- sample files ---------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* One row of a points table: dim numbers separated by spaces or tabs, then
 * nothing but an optional # comment.  Each number is parsed as strictly as the
 * CLI parses one: "1-2", "3.5.5", "1e-400" and a vertical tab are refused. */
static int parse_sample_row(const char *p, int dim, double *row, const char *path, size_t lineno)
{
    for (int c = 0; c < dim; c++) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t\r\n#");
        if (len == 0)
            return dl_error(DL_EFORMAT, "'%s' line %zu: expected %d numbers per row", path, lineno,
                            dim);
        if (dl_parse_double_span(p, len, &row[c]))
            return dl_error(DL_EFORMAT, "'%s' line %zu: value %d, '%.*s', is not a finite number",
                            path, lineno, c + 1, (int)(len > 40 ? 40 : len), p);
        p += len;
    }
    p += strspn(p, " \t");
    if (p[0] == '\r' && p[1] == '\n')
        p++;
    if (*p != '\0' && *p != '\n' && *p != '#')
        return dl_error(DL_EFORMAT, "'%s' line %zu: more than %d columns or trailing junk", path,
                        lineno, dim);
    return DL_OK;
}

static int read_text_samples(const char *path, int dim, double **x, size_t *count)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return dl_error(DL_EIO, "cannot open samples file '%s': %s", path, strerror(errno));
    int st = dl_samples_parse(fp, path, dim, x, count);
    fclose(fp);
    return st;
}

int dl_samples_parse(FILE *fp, const char *path, int dim, double **x, size_t *count)
{
    size_t cap = 1024, n = 0, lineno = 0;
    double *buf = malloc(cap * dim * sizeof(double));
    char *line = NULL;
    size_t line_cap = 0;
    int st = DL_OK;
    if (!buf) {
        st = dl_error(DL_ENOMEM, "out of memory reading '%s'", path);
        goto done;
    }
    ssize_t got;
    while ((got = getline(&line, &line_cap, fp)) >= 0) {
        lineno++;
        if (memchr(line, '\0', (size_t)got)) {
            st = dl_error(DL_EFORMAT, "'%s' line %zu: holds a NUL byte", path, lineno);
            goto done;
        }
        char *p = line + strspn(line, " \t\r\n");
        if (*p == '#' || *p == '\0')
            continue;
        if (n == cap) {
            double *nb = realloc(buf, 2 * cap * dim * sizeof(double));
            if (!nb) {
                st = dl_error(DL_ENOMEM, "out of memory reading '%s'", path);
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        if ((st = parse_sample_row(p, dim, buf + n * dim, path, lineno)))
            goto done;
        n++;
    }
    if (ferror(fp))
        st = dl_error(DL_EIO, "reading '%s' failed", path);
    else if (n == 0)
        st = dl_error(DL_EFORMAT, "samples file '%s' holds no samples", path);
done:
    free(line);
    if (st) {
        free(buf);
        return st;
    }
    *x = buf;
    *count = n;
    return DL_OK;
}

int dl_samples_read(const char *path, int dim, double **x, size_t *count)
{
    *x = NULL;
    *count = 0;
    if (ends_with(path, ".dat") || ends_with(path, ".txt"))
        return read_text_samples(path, dim, x, count);
    dl_snapshot_header h;
    int st = dl_snapshot_read(path, &h, x);
    if (st)
        return st;
    if ((int)h.dim != dim) {
        free(*x);
        *x = NULL;
        return dl_error(DL_EFORMAT, "samples file '%s' is %u-D but the run is %d-D", path, h.dim,
                        dim);
    }
    *count = (size_t)h.count;
    return DL_OK;
}

