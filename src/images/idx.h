/* idx: the IDX files of MNIST and Fashion-MNIST, plain or gzip-compressed
 * (zlib inflates the latter).  Every header is checked before anything is
 * sized from it: magic, rank, dimensions and a size limit.  The payload must be
 * exactly count x rows x cols bytes; a gzip stream must end with a valid
 * trailer (CRC-32 and length) and nothing after it.  Memory stays within what
 * the header promises. */
#ifndef DL_IDX_H
#define DL_IDX_H

#include <stddef.h>
#include <stdint.h>

/* The largest payload a header may promise (count x rows x cols bytes). */
#define DL_IDX_MAX_BYTES (1ull << 32)

typedef struct {
    size_t count;
    int rows, cols;
    uint8_t *pixels; /* count x rows x cols, row-major, 0 = background */
    uint8_t *labels; /* count, or NULL when read without labels */
} dl_image_set;

/* images: magic 0x00000803 (ubyte, rank 3); labels: 0x00000801 (rank 1),
 * values 0..9, the same count as the images.  labels_path may be NULL. */
int dl_idx_read(const char *images_path, const char *labels_path, dl_image_set *set);

/* An image file's header alone: the count and image size, checked as
 * dl_idx_read checks them (the payload is not read). */
int dl_idx_peek(const char *images_path, size_t *count, int *rows, int *cols);

/* DIR/train-images-idx3-ubyte.gz and friends; split is "train" or "t10k". */
int dl_idx_read_split(const char *dir, const char *split, dl_image_set *set);

/* Writes an IDX pair (gzip when the name ends in .gz), atomically. */
int dl_idx_write(const char *images_path, const char *labels_path, const dl_image_set *set);

void dl_image_set_free(dl_image_set *set);

#endif
