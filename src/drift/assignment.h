/* assignment: the mesh window that spreads a point over grid nodes.
 *
 * CIC (p = 2) and TSC (p = 3) weights; the spectrum's deposit and the
 * particle-mesh engine share them, and the spectrum divides out their Fourier
 * window W(n) = prod_c sinc(pi n_c / G)^p. */
#ifndef DL_ASSIGNMENT_H
#define DL_ASSIGNMENT_H

#include <math.h>

typedef enum { DL_ASSIGN_CIC = 2, DL_ASSIGN_TSC = 3 } dl_assignment;

int dl_assignment_parse(const char *name, dl_assignment *a);
const char *dl_assignment_name(dl_assignment a);
/* The weights of one coordinate u (in grid units, nodes at the integers):
 * the first node's index and the a (= 2 or 3) weights, which sum to 1.  The
 * spectrum's deposit and the particle-mesh engine share them (inline: they run
 * once per point and axis in both). */
static inline int dl_assignment_weights(dl_assignment a, double u, int *first, double *w)
{
    if (a == DL_ASSIGN_CIC) {
        double f = floor(u), t = u - f;
        *first = (int)f;
        w[0] = 1.0 - t;
        w[1] = t;
        return 2;
    }
    double j = nearbyint(u), d = u - j;
    *first = (int)j - 1;
    w[0] = 0.5 * (0.5 - d) * (0.5 - d);
    w[1] = 0.75 - d * d;
    w[2] = 0.5 * (0.5 + d) * (0.5 + d);
    return 3;
}

/* The factor a mesh convolution divides out for deposit and interpolation
 * together: sinc(pi n / G)^(2p) for the signed wave number n on an axis of G. */
static inline double dl_assignment_deconvolution(dl_assignment a, int n, int G)
{
    double arg = M_PI * n / G;
    double sinc = n == 0 ? 1.0 : sin(arg) / arg;
    return pow(sinc, 2 * (double)a);
}

#endif
