#include "images/imagegrid.h"

#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "base/dl_error.h"
#include "base/io.h"

int dl_imagegrid_write_png(const char *path, const unsigned char *pixels, size_t count, int rows,
                           int cols, int per_row, int scale)
{
    if (count == 0 || per_row < 1 || scale < 1)
        return dl_error(DL_EINVAL, "image grid: nothing to draw");
    const int gap = 2;
    size_t grid_rows = (count + per_row - 1) / per_row;
    size_t W = (size_t)per_row * (cols * scale + gap) + gap, H = grid_rows * (rows * scale + gap) + gap;
    unsigned char *canvas = malloc(W * H);
    png_bytep *lines = malloc(H * sizeof *lines);
    if (!canvas || !lines) {
        free(canvas), free(lines);
        return dl_error(DL_ENOMEM, "image grid: out of memory");
    }
    memset(canvas, 96, W * H); /* grey gaps */
    for (size_t n = 0; n < count; n++) {
        size_t x0 = gap + (n % per_row) * (cols * scale + gap), y0 = gap + (n / per_row) * (rows * scale + gap);
        for (int i = 0; i < rows * scale; i++)
            for (int j = 0; j < cols * scale; j++)
                canvas[(y0 + i) * W + x0 + j] = pixels[n * rows * cols + (i / scale) * cols + j / scale];
    }
    for (size_t i = 0; i < H; i++)
        lines[i] = canvas + i * W;
    dl_atomic_file f;
    int st = dl_atomic_open(&f, path, "wb");
    if (!st) {
        png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
        png_infop info = png ? png_create_info_struct(png) : NULL;
        if (!png || !info || setjmp(png_jmpbuf(png))) {
            png_destroy_write_struct(&png, &info);
            dl_atomic_abort(&f);
            st = dl_error(DL_EIO, "writing PNG '%s' failed", path);
        } else {
            png_init_io(png, f.fp);
            png_set_IHDR(png, info, (png_uint_32)W, (png_uint_32)H, 8, PNG_COLOR_TYPE_GRAY,
                         PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
            png_write_info(png, info);
            png_write_image(png, lines);
            png_write_end(png, NULL);
            png_destroy_write_struct(&png, &info);
            st = dl_atomic_commit(&f);
        }
    }
    free(canvas), free(lines);
    return st;
}
