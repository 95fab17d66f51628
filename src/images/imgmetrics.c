#include "images/imgmetrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* GSL's CBLAS declarations (same ABI as OpenBLAS's cblas.h, which clashes with
 * gsl_matrix.h); the symbols resolve to OpenBLAS, linked first. */
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>

#include "base/dl_error.h"

/* ---------------- Frechet ---------------- */

int dl_frechet_gaussians(const double *mu1, const double *S1, const double *mu2, const double *S2,
                         int d, double *fd)
{
    gsl_matrix *A = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d), *R = gsl_matrix_alloc(d, d),
               *T = gsl_matrix_alloc(d, d);
    gsl_vector *lam = gsl_vector_alloc(d);
    gsl_eigen_symmv_workspace *wv = gsl_eigen_symmv_alloc(d);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(d);
    int st = DL_OK;
    if (!A || !V || !R || !T || !lam || !wv || !w) {
        st = dl_error(DL_ENOMEM, "frechet: out of memory for d = %d", d);
        goto done;
    }
    /* R = S1^1/2 = V diag(sqrt(max(lambda, 0))) V^T */
    memcpy(A->data, S1, sizeof(double) * d * d);
    gsl_eigen_symmv(A, lam, V, wv);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++)
                s += gsl_matrix_get(V, i, k) * sqrt(fmax(gsl_vector_get(lam, k), 0.0)) *
                     gsl_matrix_get(V, j, k);
            gsl_matrix_set(R, i, j, s);
        }
    /* A = R S2 R, symmetric positive semi-definite */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, R->data, d, S2, d, 0.0,
                T->data, d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, T->data, d, R->data, d, 0.0,
                A->data, d);
    for (int i = 0; i < d; i++) /* symmetrise away rounding */
        for (int j = 0; j < i; j++) {
            double s = 0.5 * (gsl_matrix_get(A, i, j) + gsl_matrix_get(A, j, i));
            gsl_matrix_set(A, i, j, s);
            gsl_matrix_set(A, j, i, s);
        }
    gsl_eigen_symm(A, lam, w);
    double tr_sqrt = 0, tr1 = 0, tr2 = 0, dmu = 0;
    for (int i = 0; i < d; i++) {
        tr_sqrt += sqrt(fmax(gsl_vector_get(lam, i), 0.0));
        tr1 += S1[i * d + i];
        tr2 += S2[i * d + i];
        dmu += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
    }
    *fd = dmu + tr1 + tr2 - 2.0 * tr_sqrt;
done:
    gsl_matrix_free(A), gsl_matrix_free(V), gsl_matrix_free(R), gsl_matrix_free(T);
    gsl_vector_free(lam);
    gsl_eigen_symmv_free(wv);
    gsl_eigen_symm_free(w);
    return st;
}

static int moments(const float *x, size_t n, int d, double *mu, double *S)
{
    if (n < 2)
        return dl_error(DL_EINVAL, "frechet: need at least two rows, got %zu", n);
    double *c = malloc(n * d * sizeof(double));
    if (!c)
        return dl_error(DL_ENOMEM, "frechet: out of memory");
    memset(mu, 0, d * sizeof(double));
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mu[j] += x[i * d + j];
    for (int j = 0; j < d; j++)
        mu[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            c[i * d + j] = x[i * d + j] - mu[j];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, (int)n, 1.0 / (double)(n - 1), c, d,
                c, d, 0.0, S, d);
    free(c);
    return DL_OK;
}

int dl_frechet_distance(const float *a, size_t na, const float *b, size_t nb, int d, double *fd)
{
    double *mu1 = malloc(d * sizeof(double)), *mu2 = malloc(d * sizeof(double));
    double *S1 = malloc((size_t)d * d * sizeof(double)), *S2 = malloc((size_t)d * d * sizeof(double));
    int st = !mu1 || !mu2 || !S1 || !S2 ? dl_error(DL_ENOMEM, "frechet: out of memory") : DL_OK;
    if (!st)
        st = moments(a, na, d, mu1, S1);
    if (!st)
        st = moments(b, nb, d, mu2, S2);
    if (!st)
        st = dl_frechet_gaussians(mu1, S1, mu2, S2, d, fd);
    free(mu1), free(mu2), free(S1), free(S2);
    return st;
}

/* ---------------- KID ---------------- */

static double poly_kernel(const float *x, const float *y, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        s += (double)x[i] * y[i];
    double v = s / d + 1.0;
    return v * v * v;
}

int dl_kid(const float *a, size_t na, const float *b, size_t nb, int d, int subsets, size_t size,
           gsl_rng *rng, double *mean, double *stderr)
{
    size_t m = size;
    if (m > na)
        m = na;
    if (m > nb)
        m = nb;
    if (m < 2 || subsets < 1)
        return dl_error(DL_EINVAL, "kid: need subsets >= 1 of at least 2 rows");
    /* disjoint subsets, so that they are independent and std / sqrt(count)
     * is an honest standard error of their mean */
    size_t fit = (na < nb ? na : nb) / m;
    if ((size_t)subsets > fit)
        subsets = (int)fit;
    size_t *ia = malloc(na * sizeof *ia), *ib = malloc(nb * sizeof *ib);
    double *vals = malloc(subsets * sizeof(double));
    if (!ia || !ib || !vals) {
        free(ia), free(ib), free(vals);
        return dl_error(DL_ENOMEM, "kid: out of memory");
    }
    for (size_t i = 0; i < na; i++)
        ia[i] = i;
    for (size_t i = 0; i < nb; i++)
        ib[i] = i;
    gsl_ran_shuffle(rng, ia, na, sizeof *ia);
    gsl_ran_shuffle(rng, ib, nb, sizeof *ib);
    for (int s = 0; s < subsets; s++) {
        const size_t *sa = ia + (size_t)s * m, *sb = ib + (size_t)s * m;
        double kxx = 0, kyy = 0, kxy = 0;
#pragma omp parallel for reduction(+ : kxx, kyy, kxy) schedule(static)
        for (long i = 0; i < (long)m; i++)
            for (size_t j = 0; j < m; j++) {
                const float *xi = a + sa[i] * d, *yi = b + sb[i] * d;
                if ((size_t)i != j) {
                    kxx += poly_kernel(xi, a + sa[j] * d, d);
                    kyy += poly_kernel(yi, b + sb[j] * d, d);
                }
                kxy += poly_kernel(xi, b + sb[j] * d, d);
            }
        vals[s] = (kxx + kyy) / ((double)m * (m - 1)) - 2.0 * kxy / ((double)m * m);
    }
    double mu = 0, var = 0;
    for (int s = 0; s < subsets; s++)
        mu += vals[s] / subsets;
    for (int s = 0; s < subsets; s++)
        var += (vals[s] - mu) * (vals[s] - mu);
    *mean = mu;
    *stderr = subsets > 1 ? sqrt(var / (subsets - 1) / subsets) : NAN;
    free(ia), free(ib), free(vals);
    return DL_OK;
}

/* ---------------- distances by blocked GEMM ---------------- */

#define BLOCK 512

/* |x_i|^2 for every row, accumulated in double */
static void row_norms(const float *x, size_t n, int d, float *out)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++)
            s += (double)x[i * d + j] * x[i * d + j];
        out[i] = (float)s;
    }
}

/* Every squared distance |q_i - r_j|^2, block by block through sgemm; visit()
 * sees one query row's distances to a block of reference rows.  Rows are
 * handed out to threads, so a visitor may write what belongs to its row. */
typedef void (*row_visitor)(void *ctx, size_t i, size_t j0, const float *dd, int bj);

static int for_each_distance(const float *q, size_t nq, const float *r, size_t nr, int d,
                             row_visitor visit, void *ctx)
{
    float *qn = malloc(nq * sizeof(float)), *rn = malloc(nr * sizeof(float));
    float *dot = malloc((size_t)BLOCK * BLOCK * sizeof(float));
    if (!qn || !rn || !dot) {
        free(qn), free(rn), free(dot);
        return dl_error(DL_ENOMEM, "distances: out of memory");
    }
    row_norms(q, nq, d, qn);
    row_norms(r, nr, d, rn);
    for (size_t i0 = 0; i0 < nq; i0 += BLOCK) {
        int bi = (int)(nq - i0 < BLOCK ? nq - i0 : BLOCK);
        for (size_t j0 = 0; j0 < nr; j0 += BLOCK) {
            int bj = (int)(nr - j0 < BLOCK ? nr - j0 : BLOCK);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, d, 1.0f, q + i0 * d, d,
                        r + j0 * d, d, 0.0f, dot, bj);
#pragma omp parallel for schedule(static)
            for (int i = 0; i < bi; i++) {
                float *dd = dot + (size_t)i * bj;
                for (int j = 0; j < bj; j++) {
                    float v = qn[i0 + i] + rn[j0 + j] - 2.0f * dd[j];
                    dd[j] = v < 0 ? 0 : v;
                }
                visit(ctx, i0 + i, j0, dd, bj);
            }
        }
    }
    free(qn), free(rn), free(dot);
    return DL_OK;
}

typedef struct {
    float *best; /* nq x k1, ascending */
    int k1;
} knn_ctx;

static void keep_smallest(void *p, size_t i, size_t j0, const float *dd, int bj)
{
    const knn_ctx *c = p;
    float *bst = c->best + i * c->k1;
    (void)j0;
    for (int j = 0; j < bj; j++)
        if (dd[j] < bst[c->k1 - 1]) {
            int k = c->k1 - 1;
            while (k > 0 && bst[k - 1] > dd[j]) {
                bst[k] = bst[k - 1];
                k--;
            }
            bst[k] = dd[j];
        }
}

/* For each query row, the k1 smallest squared distances to ref rows, sorted
 * ascending, into best (nq x k1). */
static int knn_sq(const float *q, size_t nq, const float *r, size_t nr, int d, int k1, float *best)
{
    for (size_t i = 0; i < nq * (size_t)k1; i++)
        best[i] = INFINITY;
    knn_ctx c = {best, k1};
    return for_each_distance(q, nq, r, nr, d, keep_smallest, &c);
}

int dl_nearest_distances(const float *query, size_t nq, const float *ref, size_t nr, int d,
                         double *out)
{
    float *best = malloc(nq * sizeof(float));
    if (!best)
        return dl_error(DL_ENOMEM, "distances: out of memory");
    int st = knn_sq(query, nq, ref, nr, d, 1, best);
    for (size_t i = 0; !st && i < nq; i++)
        out[i] = sqrt(best[i]);
    free(best);
    return st;
}

/* Radius of each row's ball: distance to its k-th nearest other row. */
static int knn_radii(const float *x, size_t n, int d, int k, float *radius_sq)
{
    float *best = malloc(n * (size_t)(k + 1) * sizeof(float));
    if (!best)
        return dl_error(DL_ENOMEM, "precision/recall: out of memory");
    int st = knn_sq(x, n, x, n, d, k + 1, best); /* the row itself comes first, at 0 */
    for (size_t i = 0; !st && i < n; i++)
        radius_sq[i] = best[i * (k + 1) + k];
    free(best);
    return st;
}

typedef struct {
    const float *rad;
    unsigned char *inside;
} cover_ctx;

static void mark_covered(void *p, size_t i, size_t j0, const float *dd, int bj)
{
    const cover_ctx *c = p;
    for (int j = 0; j < bj && !c->inside[i]; j++)
        if (dd[j] <= c->rad[j0 + j])
            c->inside[i] = 1;
}

/* Share of query rows inside some ball (centre ref row j, radius^2 rad[j]). */
static int coverage(const float *q, size_t nq, const float *r, size_t nr, const float *rad, int d,
                    double *share)
{
    cover_ctx c = {rad, calloc(nq, 1)};
    if (!c.inside)
        return dl_error(DL_ENOMEM, "precision/recall: out of memory");
    int st = for_each_distance(q, nq, r, nr, d, mark_covered, &c);
    size_t count = 0;
    for (size_t i = 0; i < nq; i++)
        count += c.inside[i];
    *share = (double)count / (double)nq;
    free(c.inside);
    return st;
}

int dl_precision_recall(const float *real, size_t nr, const float *fake, size_t nf, int d, int k,
                        double *precision, double *recall)
{
    if (k < 1 || nr <= (size_t)k || nf <= (size_t)k)
        return dl_error(DL_EINVAL, "precision/recall: need more than k = %d rows on each side", k);
    float *rr = malloc(nr * sizeof(float)), *rf = malloc(nf * sizeof(float));
    int st = !rr || !rf ? dl_error(DL_ENOMEM, "precision/recall: out of memory") : DL_OK;
    if (!st)
        st = knn_radii(real, nr, d, k, rr);
    if (!st)
        st = knn_radii(fake, nf, d, k, rf);
    if (!st)
        st = coverage(fake, nf, real, nr, rr, d, precision);
    if (!st)
        st = coverage(real, nr, fake, nf, rf, d, recall);
    free(rr), free(rf);
    return st;
}

double dl_mean_pairwise_distance(const float *x, size_t n, int d)
{
    if (n < 2)
        return NAN;
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(dynamic, 8)
    for (long i = 0; i < (long)n; i++)
        for (size_t j = (size_t)i + 1; j < n; j++) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                double t = (double)x[i * d + c] - x[j * d + c];
                s += t * t;
            }
            total += sqrt(s);
        }
    return total / ((double)n * (n - 1) / 2);
}
