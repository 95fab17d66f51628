/* imagegrid: a PNG contact sheet of greyscale images (libpng), so that
 * samples can be looked at, not just measured. */
#ifndef DL_IMAGEGRID_H
#define DL_IMAGEGRID_H

#include <stddef.h>

/* count images of rows x cols bytes, laid out `per_row` to a row with a
 * 2-pixel gap, each pixel drawn as scale x scale; written atomically. */
int dl_imagegrid_write_png(const char *path, const unsigned char *pixels, size_t count, int rows,
                           int cols, int per_row, int scale);

#endif
