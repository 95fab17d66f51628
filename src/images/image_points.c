#include "images/image_points.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "base/dl_error.h"
#include "drift/metrics.h"
#include "images/idx.h"
#include "images/imgmetrics.h"
#include "nn/classifier.h"
#include "images/imagegrid.h"

#define PREFIX "idx:"
#define GAUSS_PREFIX "idxgauss:"
#define MAX_PATH 4096

static int is_gauss(const char *spec) { return !strncmp(spec, GAUSS_PREFIX, strlen(GAUSS_PREFIX)); }

int dl_image_points_is_spec(const char *spec)
{
    return !strncmp(spec, PREFIX, strlen(PREFIX)) || is_gauss(spec);
}

/* "idx:PATH[:CLASS]" -> path and class (-1: every class) */
static int parse_spec(const char *spec, char *path, int *cls)
{
    const char *p = spec + strlen(is_gauss(spec) ? GAUSS_PREFIX : PREFIX);
    const char *colon = strrchr(p, ':');
    *cls = -1;
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    if (colon) {
        char *end;
        long c = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || *end)
            len = strlen(p); /* not a class: part of the path */
        else if (c < 0 || c > 9)
            return dl_error(DL_EINVAL, "'%s': class %ld out of range 0..9", spec, c);
        else
            *cls = (int)c;
    }
    if (len == 0 || len >= MAX_PATH)
        return dl_error(DL_EINVAL, "'%s': needs idx:PATH[:CLASS]", spec);
    memcpy(path, p, len);
    path[len] = '\0';
    return DL_OK;
}

int dl_image_points_size(const char *spec, int *rows, int *cols)
{
    char path[MAX_PATH];
    int cls;
    size_t count;
    int st = parse_spec(spec, path, &cls);
    return st ? st : dl_idx_peek(path, &count, rows, cols);
}

/* the labels file of an images file, by the data set's naming */
static int labels_path(const char *images, char *out)
{
    const char *at = strstr(images, "images-idx3");
    if (!at)
        return dl_error(DL_EINVAL, "'%s': a class needs labels, and the name has no "
                        "'images-idx3' to find them by", images);
    snprintf(out, MAX_PATH, "%.*slabels-idx1%s", (int)(at - images), images, at + strlen("images-idx3"));
    return DL_OK;
}

/* the chosen images' indices: class cls (or all), then a seeded partial shuffle */
static int pick(const dl_image_set *s, int cls, size_t want, gsl_rng *rng, size_t **idx, size_t *n)
{
    size_t have = 0;
    size_t *all = malloc(s->count * sizeof(size_t));
    if (!all)
        return dl_error(DL_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->count; i++)
        if (cls < 0 || s->labels[i] == cls)
            all[have++] = i;
    if (!have || want > have) {
        free(all);
        return dl_error(DL_EINVAL, "%zu images were asked for, the file holds %zu%s", want, have,
                        cls >= 0 ? " of that class" : "");
    }
    *n = want ? want : have;
    for (size_t i = 0; i < *n && want; i++) { /* Fisher-Yates, the first n places */
        size_t j = i + (size_t)gsl_rng_uniform_int(rng, have - i), t = all[i];
        all[i] = all[j], all[j] = t;
    }
    *idx = all;
    return DL_OK;
}

/* Mean and covariance of n images (n x d doubles), then want samples of
 * N(mu, Sigma + jitter I) into out (want x d). */
static int gaussian_model(const double *img, size_t n, size_t d, size_t want, gsl_rng *rng, double *out)
{
    double *mu = calloc(d, sizeof(double)), *S = calloc(d * d, sizeof(double));
    double *c = malloc(n * d * sizeof(double)), *z = malloc(d * sizeof(double));
    int st = mu && S && c && z ? DL_OK : dl_error(DL_ENOMEM, "out of memory for a %zu-d covariance", d);
    for (size_t i = 0; !st && i < n; i++)
        for (size_t p = 0; p < d; p++)
            mu[p] += img[i * d + p] / (double)n;
    for (size_t i = 0; !st && i < n * d; i++)
        c[i] = img[i] - mu[i % d];
    if (!st) /* S = c^T c / (n - 1), lower triangle */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)d, (int)n, 1.0 / (double)(n - 1), c,
                    (int)d, 0.0, S, (int)d);
    double trace = 0;
    for (size_t p = 0; !st && p < d; p++)
        trace += S[p * d + p];
    for (size_t p = 0; !st && p < d; p++)
        S[p * d + p] += 1e-6 * trace / (double)d;
    gsl_matrix_view L = gsl_matrix_view_array(S, d, d);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    if (!st && gsl_linalg_cholesky_decomp1(&L.matrix))
        st = dl_error(DL_ENUMERIC, "the images' covariance is not positive definite");
    gsl_set_error_handler(old);
    for (size_t i = 0; !st && i < want; i++) { /* x = mu + L z */
        for (size_t p = 0; p < d; p++)
            z[p] = gsl_ran_gaussian(rng, 1.0);
        for (size_t p = 0; p < d; p++) {
            double v = mu[p];
            for (size_t q = 0; q <= p; q++)
                v += S[p * d + q] * z[q];
            out[i * d + p] = v;
        }
    }
    free(mu), free(S), free(c), free(z);
    return st;
}

int dl_image_points_load(const char *spec, size_t want, gsl_rng *rng, double **x, size_t *count)
{
    char path[MAX_PATH], lpath[MAX_PATH];
    int cls;
    dl_image_set s = {0};
    size_t *idx = NULL, n = 0;
    int st = parse_spec(spec, path, &cls);
    if (!st && cls >= 0)
        st = labels_path(path, lpath);
    if (!st)
        st = dl_idx_read(path, cls >= 0 ? lpath : NULL, &s);
    const int gauss = is_gauss(spec);
    if (!st) /* the Gaussian model is fitted to every image of the class */
        st = pick(&s, cls, gauss ? 0 : want, rng, &idx, &n);
    const size_t d = (size_t)s.rows * s.cols;
    if (!st && !(*x = malloc(n * d * sizeof(double))))
        st = dl_error(DL_ENOMEM, "out of memory for %zu images", n);
    for (size_t i = 0; !st && i < n; i++)
        for (size_t p = 0; p < d; p++)
            (*x)[i * d + p] = s.pixels[idx[i] * d + p] / 127.5 - 1.0;
    if (!st && gauss) {
        const size_t m = want ? want : n;
        double *g = malloc(m * d * sizeof(double));
        st = g ? gaussian_model(*x, n, d, m, rng, g) : dl_error(DL_ENOMEM, "out of memory");
        free(*x);
        *x = st ? (free(g), NULL) : g, n = m;
    }
    if (!st)
        *count = n;
    free(idx);
    dl_image_set_free(&s);
    return st;
}

/* [-1, 1] back to bytes, clamped and rounded */
static void to_bytes(const double *x, size_t n, unsigned char *b)
{
    for (size_t i = 0; i < n; i++) {
        const double v = (x[i] + 1.0) * 127.5;
        b[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : lrint(v));
    }
}

int dl_image_points_snapshot(const char *dir, long step, const double *x, size_t n, int rows, int cols)
{
    const size_t d = (size_t)rows * cols;
    dl_image_set s = {.count = n, .rows = rows, .cols = cols, .pixels = malloc(n * d)};
    if (!s.pixels)
        return dl_error(DL_ENOMEM, "out of memory for the snapshot's images");
    to_bytes(x, n * d, s.pixels);
    char path[MAX_PATH + 64];
    snprintf(path, sizeof path, "%s/snap-%08ld-images.idx.gz", dir, step);
    int st = dl_idx_write(path, NULL, &s);
    snprintf(path, sizeof path, "%s/snap-%08ld.png", dir, step);
    if (!st)
        st = dl_imagegrid_write_png(path, s.pixels, n < 100 ? n : 100, rows, cols, 10, 2);
    free(s.pixels);
    return st;
}

double dl_median_distance(const double *y, size_t m, int d)
{
    dl_domain dom;
    double median = NAN;
    if (dl_domain_init(&dom, DL_DOMAIN_RD, d, 0) ||
        dl_median_pairwise_distance(&dom, y, m < 1000 ? m : 1000, &median))
        return NAN;
    return median;
}

struct dl_image_fd {
    dl_classifier *cls;
    size_t n;
    float *real;        /* (n, fc) test features */
    float *fake;        /* (n, fc) */
    unsigned char *pix; /* (n, 784) */
};

int dl_image_fd_create(dl_image_fd **out, const char *classifier, const char *data_dir, size_t n)
{
    *out = NULL;
    dl_image_fd *f = calloc(1, sizeof *f);
    dl_image_set test = {0};
    int st = f ? dl_classifier_load(classifier, &f->cls, 500) : dl_error(DL_ENOMEM, "out of memory");
    if (!st)
        st = dl_idx_read_split(data_dir, "t10k", &test);
    if (!st && (test.rows != 28 || test.cols != 28))
        st = dl_error(DL_EFORMAT, "--classifier: the test split holds %dx%d images, the classifier 28x28",
                      test.rows, test.cols);
    if (!st) {
        f->n = n < test.count ? n : test.count;
        f->real = malloc(f->n * f->cls->arch.fc * sizeof(float));
        f->fake = malloc(f->n * f->cls->arch.fc * sizeof(float));
        f->pix = malloc(f->n * 784);
        if (!f->real || !f->fake || !f->pix)
            st = dl_error(DL_ENOMEM, "out of memory for the FD features");
    }
    if (!st)
        st = dl_classifier_run(f->cls, test.pixels, f->n, NULL, NULL, f->real, NULL);
    dl_image_set_free(&test);
    if (st) {
        dl_image_fd_destroy(f);
        return st;
    }
    *out = f;
    return DL_OK;
}

int dl_image_fd_compute(dl_image_fd *f, const double *x, size_t count, double *fd)
{
    const size_t n = count < f->n ? count : f->n;
    if (n < 10)
        return dl_error(DL_EINVAL, "FD-FMNIST needs at least 10 particles, the run has %zu", count);
    to_bytes(x, n * 784, f->pix);
    int st = dl_classifier_run(f->cls, f->pix, n, NULL, NULL, f->fake, NULL);
    return st ? st : dl_frechet_distance(f->fake, n, f->real, f->n, f->cls->arch.fc, fd);
}

void dl_image_fd_destroy(dl_image_fd *f)
{
    if (!f)
        return;
    dl_classifier_destroy(f->cls);
    free(f->real), free(f->fake), free(f->pix);
    free(f);
}
