#define _POSIX_C_SOURCE 200809L
#include "images/idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "base/dl_error.h"
#include "base/io.h"

/* ---- a byte source over a plain or a gzip file ----
 * gzip is inflated through zlib's own stream API rather than gzread, so that
 * the trailer's CRC-32 and length are verified, a stream cut short anywhere
 * (its trailer included) is an error, and nothing may follow the stream. */
typedef struct {
    FILE *fp;
    const char *path;
    int gz, ended;
    z_stream zs;
    uint8_t in[1 << 16];
} source;

static int source_open(source *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    if (!(s->fp = fopen(path, "rb")))
        return dl_error(DL_EIO, "cannot open '%s': %s", path, strerror(errno));
    int c0 = getc(s->fp), c1 = c0 == EOF ? EOF : getc(s->fp);
    s->gz = c0 == 0x1f && c1 == 0x8b;
    rewind(s->fp);
    if (s->gz && inflateInit2(&s->zs, 15 + 16) != Z_OK) { /* 16: the gzip wrapper only */
        fclose(s->fp);
        return dl_error(DL_ENOMEM, "'%s': cannot start zlib", path);
    }
    return DL_OK;
}

static void source_close(source *s)
{
    if (s->gz)
        inflateEnd(&s->zs);
    if (s->fp)
        fclose(s->fp);
    s->fp = NULL;
}

static int refill(source *s)
{
    s->zs.next_in = s->in;
    s->zs.avail_in = (uInt)fread(s->in, 1, sizeof s->in, s->fp);
    if (ferror(s->fp))
        return dl_error(DL_EIO, "reading '%s' failed: %s", s->path, strerror(errno));
    return DL_OK;
}

/* Up to want bytes into out; *got < want only where the data ends. */
static int source_read(source *s, uint8_t *out, size_t want, size_t *got)
{
    *got = 0;
    if (!s->gz) {
        *got = fread(out, 1, want, s->fp);
        return ferror(s->fp) ? dl_error(DL_EIO, "reading '%s' failed: %s", s->path, strerror(errno))
                             : DL_OK;
    }
    while (*got < want && !s->ended) {
        int st;
        if (s->zs.avail_in == 0 && (st = refill(s)))
            return st;
        if (s->zs.avail_in == 0)
            return dl_error(DL_EFORMAT, "'%s' is truncated: its gzip stream ends early", s->path);
        size_t chunk = want - *got > (1u << 30) ? (1u << 30) : want - *got;
        s->zs.next_out = out + *got;
        s->zs.avail_out = (uInt)chunk;
        int ret = inflate(&s->zs, Z_NO_FLUSH);
        *got += chunk - s->zs.avail_out;
        if (ret == Z_STREAM_END)
            s->ended = 1;
        else if (ret != Z_OK && ret != Z_BUF_ERROR)
            return dl_error(DL_EFORMAT, "'%s' is corrupt: %s", s->path,
                            s->zs.msg ? s->zs.msg : "bad gzip data");
    }
    return DL_OK;
}

/* After the payload: the data must end here, and a gzip stream must have
 * ended (trailer verified) with no bytes after it. */
static int source_finish(source *s, const char *what)
{
    uint8_t extra;
    size_t got;
    int st = source_read(s, &extra, 1, &got);
    if (st)
        return st;
    if (got)
        return dl_error(DL_EFORMAT, "'%s' is longer than its header: %s", s->path, what);
    if (s->gz && (s->zs.avail_in > 0 || fread(&extra, 1, 1, s->fp) == 1))
        return dl_error(DL_EFORMAT, "'%s': data after the end of its gzip stream", s->path);
    return DL_OK;
}

/* Exactly len bytes into a buffer that grows only as data arrives, so that
 * memory stays within what the (checked) header promised and what the file
 * really holds, whichever is less. */
static int source_read_exact(source *s, size_t len, uint8_t **data, const char *what)
{
    size_t cap = len < (1u << 20) ? len : (1u << 20), have = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        return dl_error(DL_ENOMEM, "out of memory reading '%s'", s->path);
    while (have < len) {
        if (have == cap) {
            size_t ncap = cap > len / 2 ? len : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return dl_error(DL_ENOMEM, "out of memory reading '%s' (%zu bytes)", s->path, len);
            }
            buf = nb, cap = ncap;
        }
        size_t got;
        int st = source_read(s, buf + have, cap - have, &got);
        have += got;
        if (!st && got == 0)
            st = dl_error(DL_EFORMAT, "'%s' is truncated: %s, file has %zu", s->path, what, have);
        if (st) {
            free(buf);
            return st;
        }
    }
    int st = source_finish(s, what);
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    return DL_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The 16-byte image header, checked before anything is sized from it. */
static int read_image_header(source *s, size_t *count, int *rows, int *cols)
{
    uint8_t h[16];
    size_t got;
    int st = source_read(s, h, sizeof h, &got);
    if (st)
        return st;
    if (got != sizeof h || be32(h) != 0x00000803u)
        return dl_error(DL_EFORMAT, "'%s' is not an IDX image file (%s)", s->path,
                        got != sizeof h ? "shorter than its header" : "bad magic, want 0x00000803");
    const uint32_t n = be32(h + 4), r = be32(h + 8), c = be32(h + 12);
    if (n == 0 || r == 0 || c == 0 || r > 4096 || c > 4096)
        return dl_error(DL_EFORMAT, "'%s': implausible dimensions %u x %u x %u", s->path, n, r, c);
    if ((uint64_t)n * r * c > DL_IDX_MAX_BYTES)
        return dl_error(DL_EFORMAT, "'%s': header promises %u images of %ux%u, over the %llu-byte limit",
                        s->path, n, r, c, (unsigned long long)DL_IDX_MAX_BYTES);
    *count = n, *rows = (int)r, *cols = (int)c;
    return DL_OK;
}

int dl_idx_peek(const char *images_path, size_t *count, int *rows, int *cols)
{
    source s;
    int st = source_open(&s, images_path);
    if (st)
        return st;
    st = read_image_header(&s, count, rows, cols);
    source_close(&s);
    return st;
}

/* A label file for `count` images: header, exact length, values 0..9. */
static int read_labels(const char *path, size_t count, const char *images_path, uint8_t **labels)
{
    source s;
    int st = source_open(&s, path);
    if (st)
        return st;
    uint8_t h[8], *data = NULL;
    size_t got;
    char what[96];
    snprintf(what, sizeof what, "%zu labels need %zu bytes", count, count);
    if (!(st = source_read(&s, h, sizeof h, &got))) {
        if (got != sizeof h || be32(h) != 0x00000801u)
            st = dl_error(DL_EFORMAT, "'%s' is not an IDX label file (%s)", path,
                          got != sizeof h ? "shorter than its header" : "bad magic, want 0x00000801");
        else if (be32(h + 4) != count)
            st = dl_error(DL_EFORMAT, "'%s' holds %u labels for %zu images in '%s'", path,
                          be32(h + 4), count, images_path);
        else
            st = source_read_exact(&s, count, &data, what);
    }
    source_close(&s);
    for (size_t i = 0; !st && i < count; i++)
        if (data[i] > 9)
            st = dl_error(DL_EFORMAT, "'%s': label %zu is %u, outside 0..9", path, i, data[i]);
    if (st)
        free(data);
    else
        *labels = data;
    return st;
}

int dl_idx_read(const char *images_path, const char *labels_path, dl_image_set *set)
{
    memset(set, 0, sizeof *set);
    source s;
    int st = source_open(&s, images_path);
    if (st)
        return st;
    if (!(st = read_image_header(&s, &set->count, &set->rows, &set->cols))) {
        size_t len = set->count * (size_t)set->rows * set->cols;
        char what[160];
        snprintf(what, sizeof what, "header says %zu images of %dx%d (%zu bytes)", set->count,
                 set->rows, set->cols, len);
        st = source_read_exact(&s, len, &set->pixels, what);
    }
    source_close(&s);
    if (!st && labels_path)
        st = read_labels(labels_path, set->count, images_path, &set->labels);
    if (st)
        dl_image_set_free(set);
    return st;
}

int dl_idx_read_split(const char *dir, const char *split, dl_image_set *set)
{
    char img[4096], lab[4096];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, split);
    snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, split);
    FILE *probe = fopen(img, "rb");
    if (probe)
        fclose(probe);
    else {
        /* the uncompressed names, as some copies ship them */
        snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte", dir, split);
        snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte", dir, split);
    }
    return dl_idx_read(img, lab, set);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static int write_blob(const char *path, const uint8_t *head, size_t head_len, const uint8_t *body,
                      size_t body_len)
{
    size_t n = strlen(path);
    int gz = n > 3 && !strcmp(path + n - 3, ".gz");
    dl_atomic_file f;
    int st = dl_atomic_open(&f, path, "wb");
    if (st)
        return st;
    if (gz) {
        /* gzip through zlib onto the temporary file's descriptor */
        fflush(f.fp);
        gzFile g = gzdopen(dup(fileno(f.fp)), "wb6");
        int ok = g && gzwrite(g, head, (unsigned)head_len) == (int)head_len;
        for (size_t at = 0; ok && at < body_len; at += 1u << 30) {
            unsigned chunk = (unsigned)(body_len - at < (1u << 30) ? body_len - at : (1u << 30));
            ok = gzwrite(g, body + at, chunk) == (int)chunk;
        }
        if (!g || gzclose(g) != Z_OK || !ok) {
            dl_atomic_abort(&f);
            return dl_error(DL_EIO, "writing '%s' failed", path);
        }
    } else {
        fwrite(head, 1, head_len, f.fp);
        fwrite(body, 1, body_len, f.fp);
    }
    return dl_atomic_commit(&f);
}

int dl_idx_write(const char *images_path, const char *labels_path, const dl_image_set *set)
{
    uint8_t head[16];
    put_be32(head, 0x00000803u);
    put_be32(head + 4, (uint32_t)set->count);
    put_be32(head + 8, (uint32_t)set->rows);
    put_be32(head + 12, (uint32_t)set->cols);
    int st = write_blob(images_path, head, 16, set->pixels,
                        set->count * (size_t)set->rows * set->cols);
    if (st || !labels_path || !set->labels)
        return st;
    put_be32(head, 0x00000801u);
    put_be32(head + 4, (uint32_t)set->count);
    return write_blob(labels_path, head, 8, set->labels, set->count);
}

void dl_image_set_free(dl_image_set *set)
{
    free(set->pixels);
    free(set->labels);
    memset(set, 0, sizeof *set);
}
