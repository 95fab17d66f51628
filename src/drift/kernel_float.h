/* kernel_float: the kernel table's profiles in the form the float engines
 * (simd, gemm) evaluate in their vector loops, a few operations each:
 *   GAUSS   log k = coef r^2                      coef = -1/(2 sigma^2)
 *   EXPPOLY k = (1 + p1 z + p2 z^2) exp(-z)       Laplacian, Matern 1/2, 3/2, 5/2
 *   SECH    k = 2 e / (1 + e^2), e = exp(-z)
 *   POWER   log k = -beta log1p(z^2)              Student-t, Cauchy
 *   TABLE   log k(z) interpolated from a table    any other Matern nu
 * with z = |r| / sigma.  The table is in log k, over z in [0, z_max] where k
 * falls to 1e-20, and its last segment continues beyond (the tail's log is
 * nearly linear there): a far point keeps a finite log-weight for the gemm
 * engine's row shift.  dl_kernel_float_table_log reads it. */
#ifndef DL_KERNEL_FLOAT_H
#define DL_KERNEL_FLOAT_H

#include "drift/kernel.h"

typedef enum { DL_SHAPE_GAUSS, DL_SHAPE_EXPPOLY, DL_SHAPE_SECH, DL_SHAPE_POWER, DL_SHAPE_TABLE } dl_shape;

#define DL_SHAPE_TABLE_SIZE 16384

typedef struct {
    dl_shape shape;
    float coef;  /* GAUSS: -1/(2 sigma^2); the others: 1/sigma */
    float p1, p2, beta;
    float table_step_inv; /* TABLE: log k at z = i / table_step_inv */
    const dl_kernel *table_kernel; /* what the table holds (in z, so sigma plays no part) */
    int table_dim;
    float table[DL_SHAPE_TABLE_SIZE + 1];
} dl_kernel_float;

/* Whether the kernel has a float form (every smoothing kernel does; Coulomb not). */
int dl_kernel_float_handles(const dl_kernel *k, int dim);
/* Fills f for the kernel at bandwidth sigma in dimension dim; DL_EINVAL if it
 * has no form.  A table already made for this kernel and dimension is kept
 * (zero f before its first use). */
int dl_kernel_float_init(dl_kernel_float *f, const dl_kernel *k, double sigma, int dim);

/* log k at z from the table: linear between nodes, the last segment extended */
static inline float dl_kernel_float_table_log(const dl_kernel_float *k, float z)
{
    const float at = z * k->table_step_inv, last = (float)(DL_SHAPE_TABLE_SIZE - 1);
    int i = (int)(at < last ? at : last); /* no libm call: the loops stay vector loops */
    const float f = at - (float)i;
    return k->table[i] + f * (k->table[i + 1] - k->table[i]);
}

#endif
