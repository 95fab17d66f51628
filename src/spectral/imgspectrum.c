#include "spectral/imgspectrum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "base/dl_error.h"

struct dl_imgspectrum {
    int rows, cols, half; /* half = cols / 2 + 1 complex columns */
    double *in;           /* rows x cols */
    double *mean_image;   /* rows x cols */
    fftw_complex *out;    /* rows x half */
    fftw_plan plan;
    int *shell;           /* rows x half: the shell of each r2c output */
    double *weight;       /* rows x half: 1 or 2, its count in the full plane */
    int n_shells, count[DL_IMGSPECTRUM_MAX_SHELLS];
};

/* the shell of each half-plane frequency, and how often it stands for itself
 * in the full plane (twice, except the columns r2c does not mirror) */
static void index_shells(dl_imgspectrum *s)
{
    for (int r = 0; r < s->rows; r++)
        for (int c = 0; c < s->half; c++) {
            const int fr = r <= s->rows / 2 ? r : r - s->rows;
            const int k = (int)lround(hypot(fr, c));
            const int mirrored = c > 0 && !(s->cols % 2 == 0 && c == s->cols / 2);
            s->shell[r * s->half + c] = k;
            s->weight[r * s->half + c] = mirrored ? 2.0 : 1.0;
            s->count[k] += mirrored ? 2 : 1;
            if (k + 1 > s->n_shells)
                s->n_shells = k + 1;
        }
}

int dl_imgspectrum_create(dl_imgspectrum **out, int rows, int cols)
{
    *out = NULL;
    if (rows < 2 || cols < 2 || rows > 256 || cols > 256)
        return dl_error(DL_EINVAL, "image spectrum: images of %dx%d pixels (2..256 each way)", rows, cols);
    if ((int)lround(hypot(rows / 2, cols / 2)) >= DL_IMGSPECTRUM_MAX_SHELLS)
        return dl_error(DL_EINVAL, "image spectrum: %dx%d images have more than %d shells", rows,
                        cols, DL_IMGSPECTRUM_MAX_SHELLS);
    dl_imgspectrum *s = calloc(1, sizeof *s);
    if (!s)
        return dl_error(DL_ENOMEM, "image spectrum: out of memory");
    s->rows = rows, s->cols = cols, s->half = cols / 2 + 1;
    const size_t npix = (size_t)rows * cols, nhalf = (size_t)rows * s->half;
    s->in = fftw_malloc(npix * sizeof(double));
    s->mean_image = malloc(npix * sizeof(double));
    s->out = fftw_malloc(nhalf * sizeof(fftw_complex));
    s->shell = malloc(nhalf * sizeof(int));
    s->weight = malloc(nhalf * sizeof(double));
    if (s->in && s->out)
        s->plan = fftw_plan_dft_r2c_2d(rows, cols, s->in, s->out, FFTW_ESTIMATE);
    if (!s->plan || !s->mean_image || !s->shell || !s->weight) {
        dl_imgspectrum_destroy(s);
        return dl_error(DL_ENOMEM, "image spectrum: cannot plan a %dx%d transform", rows, cols);
    }
    index_shells(s);
    *out = s;
    return DL_OK;
}

void dl_imgspectrum_destroy(dl_imgspectrum *s)
{
    if (!s)
        return;
    if (s->plan)
        fftw_destroy_plan(s->plan);
    fftw_free(s->in);
    fftw_free(s->out);
    free(s->mean_image), free(s->shell), free(s->weight);
    free(s);
}

/* transform s->in and add each frequency's weighted |F|^2 to its shell */
static void add_power(dl_imgspectrum *s, double *shell_sum)
{
    fftw_execute(s->plan);
    const size_t nhalf = (size_t)s->rows * s->half;
    for (size_t i = 0; i < nhalf; i++)
        shell_sum[s->shell[i]] += s->weight[i] * (s->out[i][0] * s->out[i][0] + s->out[i][1] * s->out[i][1]);
}

/* image i as doubles into dst: floats as they are, bytes mapped to [-1, 1] */
static void load_image(const float *f, const unsigned char *b, size_t i, size_t npix, double *dst)
{
    for (size_t p = 0; p < npix; p++)
        dst[p] = f ? (double)f[i * npix + p] : b[i * npix + p] / 127.5 - 1.0;
}

static int execute(dl_imgspectrum *s, const float *f, const unsigned char *b, size_t n,
                   dl_imgspectrum_result *r)
{
    memset(r, 0, sizeof *r);
    if (n < 1)
        return dl_error(DL_EINVAL, "image spectrum: no images");
    const size_t npix = (size_t)s->rows * s->cols;
    for (size_t p = 0; p < npix; p++)
        s->mean_image[p] = 0;
    for (size_t i = 0; i < n; i++) {
        load_image(f, b, i, npix, s->in);
        for (size_t p = 0; p < npix; p++) {
            if (!isfinite(s->in[p]))
                return dl_error(DL_EINVAL, "image spectrum: image %zu, pixel %zu is not finite", i, p);
            s->mean_image[p] += s->in[p] / (double)n;
        }
    }
    memcpy(s->in, s->mean_image, npix * sizeof(double));
    add_power(s, r->mean);
    for (size_t i = 0; i < n; i++) {
        load_image(f, b, i, npix, s->in);
        for (size_t p = 0; p < npix; p++)
            s->in[p] -= s->mean_image[p];
        add_power(s, r->centred);
    }
    r->n_shells = s->n_shells, r->n_images = n;
    r->kmax = (s->rows < s->cols ? s->rows : s->cols) / 2;
    for (int k = 0; k < s->n_shells; k++) {
        r->count[k] = s->count[k];
        r->centred[k] /= (double)s->count[k] * (double)n;
        r->mean[k] /= (double)s->count[k];
    }
    return DL_OK;
}

int dl_imgspectrum_execute(dl_imgspectrum *s, const float *images, size_t n, dl_imgspectrum_result *r)
{
    return execute(s, images, NULL, n, r);
}

int dl_imgspectrum_execute_bytes(dl_imgspectrum *s, const unsigned char *pixels, size_t n,
                                 dl_imgspectrum_result *r)
{
    return execute(s, NULL, pixels, n, r);
}

void dl_imgspectrum_write_rows(FILE *fp, double step, int cls, const dl_imgspectrum_result *p,
                               const dl_imgspectrum_result *ref, int pixels, double sigma,
                               const double *model)
{
    for (int k = 1; k <= p->kmax && k < p->n_shells; k++) {
        const double lambda = ref->centred[k] / pixels;
        fprintf(fp, "%.10g %d %d %d %.8e %.8e %.6f %.8e %.8e %.6f %.8e %.8e %.8e\n", step, k, cls,
                p->count[k], p->centred[k], ref->centred[k], log(p->centred[k] / ref->centred[k]),
                p->mean[k], ref->mean[k], log(p->mean[k] / ref->mean[k]), lambda,
                sigma > 0 ? dl_imgspectrum_gaussian_rate(lambda, sigma) : NAN,
                model ? model[k] : NAN);
    }
}

double dl_imgspectrum_gaussian_rate(double lambda, double sigma)
{
    const double u = lambda / (sigma * sigma);
    return 2 * u / ((1 + u) * (1 + u));
}

/* -(1/r) [1/(1 + u0) - 1/(1 + u(t))], u(t) = lambda / (sigma0 e^{-rt})^2 */
static double exp_closed_form(double lambda, double sigma0, double rate, double t)
{
    const double u0 = lambda / (sigma0 * sigma0), ut = u0 * exp(2 * rate * t);
    return -(1 / rate) * (1 / (1 + u0) - 1 / (1 + ut));
}

double dl_imgspectrum_log_gap(double lambda, const dl_schedule *sched, double t)
{
    if (sched->kind == DL_SCHEDULE_CONSTANT)
        return -dl_imgspectrum_gaussian_rate(lambda, sched->sigma0) * t;
    if (sched->kind == DL_SCHEDULE_EXP) { /* closed form until the floor, constant after */
        const double t_floor = log(sched->sigma0 / sched->sigma_min) / sched->rate;
        if (t <= t_floor)
            return exp_closed_form(lambda, sched->sigma0, sched->rate, t);
        return exp_closed_form(lambda, sched->sigma0, sched->rate, t_floor) -
               dl_imgspectrum_gaussian_rate(lambda, sched->sigma_min) * (t - t_floor);
    }
    const int n = 1024; /* composite Simpson over [0, t] */
    double sum = 0;
    for (int i = 0; i <= n; i++) {
        const double w = i == 0 || i == n ? 1 : i % 2 ? 4 : 2;
        sum += w * dl_imgspectrum_gaussian_rate(lambda, dl_schedule_sigma(sched, t * i / n));
    }
    return -sum * t / (3.0 * n);
}

/* d ln s / dt of the Gaussian model at bandwidth sigma */
static double dlns(double lns, double lambda, double sigma)
{
    const double s = exp(lns), v = sigma * sigma;
    return 2 * v * (1 / (s + v) - 1 / (lambda + v));
}

double dl_imgspectrum_gap_ode(double lambda, double s0, const dl_schedule *sched, double t, double h)
{
    const int n = t > 0 ? (int)ceil(t / h) : 0;
    const double dt = n ? t / n : 0;
    double y = log(s0);
    for (int i = 0; i < n; i++) {
        const double a = i * dt, sa = dl_schedule_sigma(sched, a), sm = dl_schedule_sigma(sched, a + dt / 2),
                     sb = dl_schedule_sigma(sched, a + dt);
        const double k1 = dlns(y, lambda, sa), k2 = dlns(y + dt / 2 * k1, lambda, sm),
                     k3 = dlns(y + dt / 2 * k2, lambda, sm), k4 = dlns(y + dt * k3, lambda, sb);
        y += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
    }
    return y - log(lambda);
}
