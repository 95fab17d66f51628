#include "drift/field_energy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "base/dl_error.h"

/* Weights of one row, w_j = k(u_j) / sum k (log-shifted so no row underflows;
 * skip: the masked index), and the mean shift V = sum_j w_j u_j; u is scratch (dim). */
static void row_weights(const dl_domain *dom, const dl_kernel *k, double sigma, const double *xi,
                        const double *pts, size_t count, size_t skip, double *w, double *V, double *u)
{
    const int d = dom->dim;
    double lmax = -INFINITY;
    for (size_t j = 0; j < count; j++) {
        if (j == skip) {
            w[j] = -INFINITY;
            continue;
        }
        dl_domain_displacement(dom, xi, pts + j * d, u);
        double r2 = 0;
        for (int c = 0; c < d; c++)
            r2 += u[c] * u[c];
        w[j] = k->log_value(k, r2, sigma, d);
        lmax = fmax(lmax, w[j]);
    }
    double sum = 0;
    for (size_t j = 0; j < count; j++)
        sum += (w[j] = j == skip ? 0.0 : exp(w[j] - lmax));
    for (int c = 0; c < d; c++)
        V[c] = 0;
    for (size_t j = 0; j < count; j++) {
        w[j] /= sum;
        if (j == skip || w[j] == 0)
            continue;
        dl_domain_displacement(dom, xi, pts + j * d, u);
        for (int c = 0; c < d; c++)
            V[c] += w[j] * u[c];
    }
}

/* ADDS Cov_w(u, -g)^T a = sum_j w_j s_j u_j (u_j . a) - E_w[s u] (E_w[u] . a) into out,
 * with -g(u) = s u the negated kernel score; Eu is E_w[u] (the mean shift) */
static void cov_transpose_apply(const dl_domain *dom, const dl_kernel *k, double sigma,
                                const double *xi, const double *pts, size_t count, const double *w,
                                const double *Eu, const double *a, double sign, double *out,
                                double *u, double *Es)
{
    const int d = dom->dim;
    double eua = 0;
    for (int c = 0; c < d; c++)
        Es[c] = 0, eua += Eu[c] * a[c];
    for (size_t j = 0; j < count; j++) {
        if (w[j] == 0)
            continue;
        dl_domain_displacement(dom, xi, pts + j * d, u);
        double r2 = 0, ua = 0;
        for (int c = 0; c < d; c++)
            r2 += u[c] * u[c], ua += u[c] * a[c];
        const double s = -2.0 * k->log_slope(k, r2, sigma, d);
        for (int c = 0; c < d; c++) {
            out[c] += sign * w[j] * s * u[c] * ua;
            Es[c] += w[j] * s * u[c];
        }
    }
    for (int c = 0; c < d; c++)
        out[c] -= sign * Es[c] * eua;
}

int dl_field_energy(const dl_domain *dom, const dl_kernel *kernel, double sigma, const double *x,
                    size_t n, const double *y, size_t m, double *V_out, double *grad, double *energy)
{
    const int d = dom->dim;
    if (n < 2 || m < 1)
        return dl_error(DL_EINVAL, "field energy: need n >= 2 particles and m >= 1 targets");
    if (!kernel->log_slope)
        return dl_error(DL_EINVAL, "field energy: kernel '%s' has no score", kernel->name);
    if (dom->kind == DL_DOMAIN_TORUS &&
        kernel->log_value(kernel, 0.25 * dom->length * dom->length, sigma, d) > log(1e-8))
        return dl_error(DL_EINVAL, "field energy: sigma %g is too wide for the nearest-image sums on "
                        "a torus of length %g (k(L/2) > 1e-8 k(0))", sigma, dom->length);
    const size_t nd = n * (size_t)d;
    double *V = malloc(nd * sizeof(double)), *Vm = malloc(nd * sizeof(double));
    double *Wp = malloc(n * m * sizeof(double)), *Wm = malloc(n * n * sizeof(double));
    double *G = calloc(nd, sizeof(double));
    /* per-thread scratch: the V^+ row, a displacement, E_w[s u] */
    double *scratch = malloc((size_t)omp_get_max_threads() * 3 * d * sizeof(double));
    if (!V || !Vm || !Wp || !Wm || !G || !scratch) {
        free(V), free(Vm), free(Wp), free(Wm), free(G), free(scratch);
        return dl_error(DL_ENOMEM, "field energy: out of memory for %zu particles", n);
    }
    /* pass 1: weights and V; pass 2: the diagonal terms (dV_i/dx_i)^T V_i */
#pragma omp parallel
    {
        double *vp = scratch + (size_t)omp_get_thread_num() * 3 * d, *u = vp + d, *Es = vp + 2 * d;
#pragma omp for schedule(static)
        for (long i = 0; i < (long)n; i++) {
            const double *xi = x + (size_t)i * d;
            row_weights(dom, kernel, sigma, xi, y, m, (size_t)-1, Wp + (size_t)i * m, vp, u);
            row_weights(dom, kernel, sigma, xi, x, n, (size_t)i, Wm + (size_t)i * n, Vm + (size_t)i * d, u);
            for (int c = 0; c < d; c++)
                V[(size_t)i * d + c] = vp[c] - Vm[(size_t)i * d + c];
            cov_transpose_apply(dom, kernel, sigma, xi, y, m, Wp + (size_t)i * m, vp,
                                V + (size_t)i * d, 1.0, G + (size_t)i * d, u, Es);
            cov_transpose_apply(dom, kernel, sigma, xi, x, n, Wm + (size_t)i * n, Vm + (size_t)i * d,
                                V + (size_t)i * d, -1.0, G + (size_t)i * d, u, Es);
        }
    }
    if (energy) {
        double e = 0;
        for (size_t k = 0; k < nd; k++)
            e += 0.5 * V[k] * V[k];
        *energy = e;
    }
    if (grad) {
        /* the coupling: particle l as a sample of every other particle's V^- */
#pragma omp parallel
        {
            double *u = scratch + (size_t)omp_get_thread_num() * 3 * d;
#pragma omp for schedule(static)
            for (long l = 0; l < (long)n; l++) {
                double *gl = G + (size_t)l * d;
                for (size_t i = 0; i < n; i++) {
                    const double w = Wm[i * n + (size_t)l];
                    if (i == (size_t)l || w == 0)
                        continue;
                    /* -w [V_i + g(u_il) ((u_il - V^-_i) . V_i)], u_il = x_l - x_i */
                    dl_domain_displacement(dom, x + i * d, x + (size_t)l * d, u);
                    double r2 = 0, dot = 0;
                    for (int c = 0; c < d; c++)
                        r2 += u[c] * u[c], dot += (u[c] - Vm[i * d + c]) * V[i * d + c];
                    const double gs = 2.0 * kernel->log_slope(kernel, r2, sigma, d);
                    for (int c = 0; c < d; c++)
                        gl[c] -= w * (V[i * d + c] + gs * u[c] * dot);
                }
            }
        }
        memcpy(grad, G, nd * sizeof(double));
    }
    if (V_out)
        memcpy(V_out, V, nd * sizeof(double));
    free(V), free(Vm), free(Wp), free(Wm), free(G), free(scratch);
    return DL_OK;
}
