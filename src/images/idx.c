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

/* Read the whole (decompressed) file; gzread passes plain files through. */
static int slurp(const char *path, uint8_t **data, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return dl_error(DL_EIO, "cannot open '%s': %s", path, strerror(errno ? errno : ENOENT));
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    int st = buf ? DL_OK : dl_error(DL_ENOMEM, "out of memory reading '%s'", path);
    while (!st) {
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                st = dl_error(DL_ENOMEM, "out of memory reading '%s'", path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        int got = gzread(f, buf + n, (unsigned)(cap - n > (1u << 30) ? (1u << 30) : cap - n));
        if (got < 0) {
            int err;
            const char *msg = gzerror(f, &err);
            st = dl_error(DL_EFORMAT, "'%s' is corrupt: %s", path, msg);
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    gzclose(f);
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return DL_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int dl_idx_peek(const char *images_path, size_t *count, int *rows, int *cols)
{
    gzFile f = gzopen(images_path, "rb");
    if (!f)
        return dl_error(DL_EIO, "cannot open '%s': %s", images_path, strerror(errno ? errno : ENOENT));
    uint8_t h[16];
    int got = gzread(f, h, sizeof h);
    gzclose(f);
    if (got != (int)sizeof h || be32(h) != 0x00000803u)
        return dl_error(DL_EFORMAT, "'%s' is not an IDX image file (%s)", images_path,
                        got != (int)sizeof h ? "shorter than its header" : "bad magic, want 0x00000803");
    const uint32_t n = be32(h + 4), r = be32(h + 8), c = be32(h + 12);
    if (n == 0 || r == 0 || c == 0 || r > 4096 || c > 4096)
        return dl_error(DL_EFORMAT, "'%s': implausible dimensions %u x %u x %u", images_path, n, r, c);
    *count = n, *rows = (int)r, *cols = (int)c;
    return DL_OK;
}

int dl_idx_read(const char *images_path, const char *labels_path, dl_image_set *set)
{
    memset(set, 0, sizeof *set);
    uint8_t *data = NULL;
    size_t len = 0;
    int st = slurp(images_path, &data, &len);
    if (st)
        return st;
    if (len < 16 || be32(data) != 0x00000803u) {
        st = dl_error(DL_EFORMAT, "'%s' is not an IDX image file (%s)", images_path,
                      len < 16 ? "shorter than its header" : "bad magic, want 0x00000803");
        goto fail;
    }
    uint32_t count = be32(data + 4), rows = be32(data + 8), cols = be32(data + 12);
    if (count == 0 || rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
        st = dl_error(DL_EFORMAT, "'%s': implausible dimensions %u x %u x %u", images_path, count,
                      rows, cols);
        goto fail;
    }
    size_t want = 16 + (size_t)count * rows * cols;
    if (len != want) {
        st = dl_error(DL_EFORMAT, "'%s' is %s: header says %u images of %ux%u (%zu bytes), file has %zu",
                      images_path, len < want ? "truncated" : "longer than its header", count, rows,
                      cols, want, len);
        goto fail;
    }
    set->count = count;
    set->rows = (int)rows;
    set->cols = (int)cols;
    memmove(data, data + 16, len - 16);
    set->pixels = data;
    data = NULL;
    if (labels_path) {
        if ((st = slurp(labels_path, &data, &len)))
            goto fail;
        if (len < 8 || be32(data) != 0x00000801u) {
            st = dl_error(DL_EFORMAT, "'%s' is not an IDX label file (%s)", labels_path,
                          len < 8 ? "shorter than its header" : "bad magic, want 0x00000801");
            goto fail;
        }
        if (be32(data + 4) != count) {
            st = dl_error(DL_EFORMAT, "'%s' holds %u labels for %u images in '%s'", labels_path,
                          be32(data + 4), count, images_path);
            goto fail;
        }
        if (len != 8 + (size_t)count) {
            st = dl_error(DL_EFORMAT, "'%s' is %s: %u labels need %zu bytes, file has %zu",
                          labels_path, len < 8 + (size_t)count ? "truncated" : "too long", count,
                          8 + (size_t)count, len);
            goto fail;
        }
        for (size_t i = 0; i < count; i++)
            if (data[8 + i] > 9) {
                st = dl_error(DL_EFORMAT, "'%s': label %zu is %u, outside 0..9", labels_path, i,
                              data[8 + i]);
                goto fail;
            }
        memmove(data, data + 8, count);
        set->labels = data;
        data = NULL;
    }
    return DL_OK;
fail:
    free(data);
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
