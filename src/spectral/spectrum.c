#include "spectral/spectrum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "base/dl_error.h"

struct dl_spectrum {
    dl_domain dom;
    int grid;
    dl_assignment assign;
    size_t cells, half_cells;
    double *density;
    fftw_complex *out;
    fftw_plan plan;
};

int dl_spectrum_create(dl_spectrum **out, const dl_domain *dom, int grid, dl_assignment a)
{
    *out = NULL;
    if (dom->kind != DL_DOMAIN_TORUS || dom->dim > 3)
        return dl_error(DL_EINVAL, "spectrum: needs a torus of dimension 1..3");
    if (grid < 8 || grid % 2 || grid > (dom->dim == 1 ? (1 << 24) : dom->dim == 2 ? 8192 : 512))
        return dl_error(DL_EINVAL, "spectrum: grid %d must be even, >= 8 and fit in memory", grid);
    dl_spectrum *s = calloc(1, sizeof *s);
    if (!s)
        return dl_error(DL_ENOMEM, "spectrum: out of memory");
    s->dom = *dom;
    s->grid = grid;
    s->assign = a;
    s->cells = 1;
    for (int c = 0; c < dom->dim; c++)
        s->cells *= (size_t)grid;
    s->half_cells = s->cells / grid * (grid / 2 + 1);
    s->density = fftw_malloc(s->cells * sizeof(double));
    s->out = fftw_malloc(s->half_cells * sizeof(fftw_complex));
    int dims[3] = {grid, grid, grid};
    if (s->density && s->out)
        s->plan = fftw_plan_dft_r2c(dom->dim, dims, s->density, s->out, FFTW_ESTIMATE);
    if (!s->plan) {
        dl_spectrum_destroy(s);
        return dl_error(DL_ENOMEM, "spectrum: cannot allocate a %d^%d grid", grid, dom->dim);
    }
    *out = s;
    return DL_OK;
}

void dl_spectrum_destroy(dl_spectrum *s)
{
    if (!s)
        return;
    if (s->plan)
        fftw_destroy_plan(s->plan);
    fftw_free(s->density);
    fftw_free(s->out);
    free(s);
}

static int wrap(int i, int g)
{
    i %= g;
    return i < 0 ? i + g : i;
}

int dl_spectrum_execute(dl_spectrum *s, const double *x, size_t n)
{
    if (n == 0)
        return dl_error(DL_EINVAL, "spectrum: no particles");
    const int dim = s->dom.dim, g = s->grid;
    const double scale = g / s->dom.length, mass = 1.0 / (double)n;
    memset(s->density, 0, s->cells * sizeof(double));
    /* Serial on purpose: a scatter in a fixed order keeps results bitwise reproducible. */
    for (size_t i = 0; i < n; i++) {
        int first[3] = {0, 0, 0}, count[3] = {1, 1, 1};
        double w[3][3] = {{1, 0, 0}, {1, 0, 0}, {1, 0, 0}};
        for (int c = 0; c < dim; c++) {
            double v = x[i * dim + c];
            if (!isfinite(v))
                return dl_error(DL_EINVAL, "spectrum: particle %zu is not finite", i);
            count[c] = dl_assignment_weights(s->assign, v * scale, &first[c], w[c]);
        }
        for (int a = 0; a < count[0]; a++) {
            size_t ia = (size_t)wrap(first[0] + a, g);
            for (int b = 0; b < count[1]; b++) {
                size_t ib = dim > 1 ? ia * g + (size_t)wrap(first[1] + b, g) : ia;
                for (int c = 0; c < count[2]; c++) {
                    size_t ic = dim > 2 ? ib * g + (size_t)wrap(first[2] + c, g) : ib;
                    s->density[ic] += mass * w[0][a] * w[1][b] * w[2][c];
                }
            }
        }
    }
    fftw_execute(s->plan);
    return DL_OK;
}

int dl_spectrum_coefficient(const dl_spectrum *s, const int *mode, double complex *c)
{
    const int dim = s->dom.dim, g = s->grid;
    int m[3] = {0, 0, 0};
    double window = 1.0;
    for (int a = 0; a < dim; a++) {
        if (abs(mode[a]) >= g / 2)
            return dl_error(DL_EINVAL, "spectrum: mode %d beyond the grid's Nyquist limit %d",
                            mode[a], g / 2 - 1);
        m[a] = mode[a];
        double arg = M_PI * mode[a] / g;
        double sinc = arg == 0 ? 1.0 : sin(arg) / arg;
        window *= pow(sinc, (int)s->assign);
    }
    /* r2c keeps the last axis' non-negative half; the rest is the conjugate */
    int mirrored = m[dim - 1] < 0;
    if (mirrored)
        for (int a = 0; a < dim; a++)
            m[a] = -m[a];
    size_t idx = 0;
    for (int a = 0; a + 1 < dim; a++)
        idx = idx * g + (size_t)wrap(m[a], g);
    idx = idx * (g / 2 + 1) + (size_t)m[dim - 1];
    double complex v = s->out[idx];
    *c = (mirrored ? conj(v) : v) / window;
    return DL_OK;
}

const double *dl_spectrum_density(const dl_spectrum *s) { return s->density; }
int dl_spectrum_grid(const dl_spectrum *s) { return s->grid; }
