#include "drift/kernel_float.h"

#include <math.h>
#include <string.h>

#include "base/dl_error.h"

/* the kernel's shape and its constants; -1 if it has none */
static int shape_of(const dl_kernel *k, int dim, float *p1, float *p2, float *beta)
{
    *p1 = *p2 = *beta = 0;
    if (!strcmp(k->name, "gaussian"))
        return DL_SHAPE_GAUSS;
    if (!strcmp(k->name, "laplacian") || !strcmp(k->name, "matern:0.5"))
        return DL_SHAPE_EXPPOLY;
    if (!strcmp(k->name, "matern:1.5"))
        return *p1 = 1, DL_SHAPE_EXPPOLY;
    if (!strcmp(k->name, "matern:2.5"))
        return *p1 = 1, *p2 = 1.0f / 3, DL_SHAPE_EXPPOLY;
    if (!strcmp(k->name, "sech"))
        return DL_SHAPE_SECH;
    if (!strcmp(k->name, "cauchy"))
        return *beta = 0.5f * (dim + 1), DL_SHAPE_POWER;
    if (!strncmp(k->name, "student:", 8))
        return *beta = (float)k->param, DL_SHAPE_POWER;
    if (!strncmp(k->name, "matern:", 7))
        return DL_SHAPE_TABLE;
    return -1;
}

int dl_kernel_float_handles(const dl_kernel *k, int dim)
{
    float a, b, c;
    return shape_of(k, dim, &a, &b, &c) >= 0;
}

int dl_kernel_float_init(dl_kernel_float *f, const dl_kernel *k, double sigma, int dim)
{
    const int shape = shape_of(k, dim, &f->p1, &f->p2, &f->beta);
    if (shape < 0)
        return dl_error(DL_EINVAL, "kernel '%s' has no float form", k->name);
    f->shape = (dl_shape)shape;
    f->coef = shape == DL_SHAPE_GAUSS ? (float)(-0.5 / (sigma * sigma)) : (float)(1.0 / sigma);
    if (shape != DL_SHAPE_TABLE || (f->table_kernel == k && f->table_dim == dim))
        return DL_OK;
    f->table_kernel = k, f->table_dim = dim;
    const double z_max = k->cutoff_radius(k, 1.0, dim, 1e-20);
    f->table_step_inv = (float)(DL_SHAPE_TABLE_SIZE / z_max);
    for (int i = 0; i <= DL_SHAPE_TABLE_SIZE; i++) {
        double z = z_max * i / DL_SHAPE_TABLE_SIZE;
        f->table[i] = (float)k->log_value(k, z * z, 1.0, dim);
    }
    return DL_OK;
}
