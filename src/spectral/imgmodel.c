#include "spectral/imgmodel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h> /* declarations only; OpenBLAS provides the symbols */
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>

#include "base/dl_error.h"
#include "spectral/imgspectrum.h"

#define IMGMODEL_MAX_DIM 1024

struct dl_imgmodel {
    int rows, cols, d, shells;
    double *lambda; /* d, descending */
    double *u;      /* d x d, column i the eigenvector of lambda_i (row-major: u[p * d + i]) */
    double *eps;    /* d x shells */
    int count[DL_IMGSPECTRUM_MAX_SHELLS];
};

int dl_imgmodel_dim(const dl_imgmodel *model) { return model->d; }
int dl_imgmodel_shells(const dl_imgmodel *model) { return model->shells; }
const double *dl_imgmodel_lambda(const dl_imgmodel *model) { return model->lambda; }
const double *dl_imgmodel_energy(const dl_imgmodel *model) { return model->eps; }

void dl_imgmodel_destroy(dl_imgmodel *model)
{
    if (!model)
        return;
    free(model->lambda), free(model->u), free(model->eps);
    free(model);
}

/* x (n x d floats) centred on its own mean, as doubles */
static double *centred(const float *x, size_t n, int d)
{
    double *c = malloc(n * (size_t)d * sizeof *c), *mean = calloc((size_t)d, sizeof *mean);
    if (!c || !mean) {
        free(c), free(mean);
        return NULL;
    }
    for (size_t j = 0; j < n; j++)
        for (int p = 0; p < d; p++)
            mean[p] += x[j * d + p];
    for (int p = 0; p < d; p++)
        mean[p] /= (double)n;
    for (size_t j = 0; j < n; j++)
        for (int p = 0; p < d; p++)
            c[j * d + p] = x[j * d + p] - mean[p];
    free(mean);
    return c;
}

/* the covariance (1/m) Yc^T Yc, its eigenpairs in descending order */
static int eigenbasis(dl_imgmodel *model, const float *ref, size_t m)
{
    const int d = model->d;
    double *yc = centred(ref, m, d);
    gsl_matrix *cov = gsl_matrix_calloc((size_t)d, (size_t)d), *evec = gsl_matrix_alloc((size_t)d, (size_t)d);
    gsl_vector *eval = gsl_vector_alloc((size_t)d);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc((size_t)d);
    int st = yc && cov && evec && eval && w ? DL_OK
                                             : dl_error(DL_ENOMEM, "image model: out of memory for d = %d", d);
    if (!st) {
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, (int)m, 1.0 / (double)m, yc, d, 0.0,
                    cov->data, d);
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        if (gsl_eigen_symmv(cov, eval, evec, w) || gsl_eigen_symmv_sort(eval, evec, GSL_EIGEN_SORT_VAL_DESC))
            st = dl_error(DL_ENUMERIC, "image model: the covariance's eigendecomposition failed");
        gsl_set_error_handler(old);
    }
    for (int i = 0; !st && i < d; i++) { /* rounding leaves tiny negative eigenvalues */
        model->lambda[i] = fmax(gsl_vector_get(eval, (size_t)i), 0.0);
        for (int p = 0; p < d; p++)
            model->u[p * d + i] = gsl_matrix_get(evec, (size_t)p, (size_t)i);
    }
    free(yc);
    gsl_matrix_free(cov), gsl_matrix_free(evec), gsl_vector_free(eval);
    gsl_eigen_symmv_free(w);
    return st;
}

/* eps_ik: each eigenvector as an image through the shell analyzer, whose
 * mean-image power per frequency times the shell's count is its energy */
static int shell_energies(dl_imgmodel *model)
{
    const int d = model->d;
    dl_imgspectrum *plan = NULL;
    dl_imgspectrum_result r;
    float *img = malloc((size_t)d * sizeof *img);
    int st = img ? dl_imgspectrum_create(&plan, model->rows, model->cols)
                 : dl_error(DL_ENOMEM, "image model: out of memory");
    for (int i = 0; !st && i < d; i++) {
        for (int p = 0; p < d; p++)
            img[p] = (float)model->u[p * d + i];
        if ((st = dl_imgspectrum_execute(plan, img, 1, &r)))
            break;
        if (i == 0) {
            model->shells = r.n_shells;
            memcpy(model->count, r.count, sizeof model->count);
            if (!(model->eps = malloc((size_t)d * r.n_shells * sizeof *model->eps)))
                st = dl_error(DL_ENOMEM, "image model: out of memory");
        }
        for (int k = 0; !st && k < model->shells; k++)
            model->eps[(size_t)i * model->shells + k] = r.mean[k] * r.count[k];
    }
    free(img);
    dl_imgspectrum_destroy(plan);
    return st;
}

int dl_imgmodel_create(dl_imgmodel **out, const float *ref, size_t m, int rows, int cols)
{
    *out = NULL;
    if (rows < 2 || cols < 2 || rows * cols > IMGMODEL_MAX_DIM)
        return dl_error(DL_EINVAL, "image model: images of %d x %d pixels (need 2..%d pixels, each side >= 2)",
                        rows, cols, IMGMODEL_MAX_DIM);
    if (m < 2)
        return dl_error(DL_EINVAL, "image model: the reference set needs at least 2 images, got %zu", m);
    for (size_t j = 0; j < m * (size_t)rows * cols; j++)
        if (!isfinite(ref[j]))
            return dl_error(DL_EINVAL, "image model: reference pixel %zu is not finite", j);
    dl_imgmodel *model = calloc(1, sizeof *model);
    if (!model)
        return dl_error(DL_ENOMEM, "image model: out of memory");
    model->rows = rows, model->cols = cols, model->d = rows * cols;
    model->lambda = malloc((size_t)model->d * sizeof(double));
    model->u = malloc((size_t)model->d * model->d * sizeof(double));
    int st = model->lambda && model->u ? eigenbasis(model, ref, m)
                                       : dl_error(DL_ENOMEM, "image model: out of memory");
    if (!st)
        st = shell_energies(model);
    if (st)
        dl_imgmodel_destroy(model);
    else
        *out = model;
    return st;
}

int dl_imgmodel_project(const dl_imgmodel *model, const float *x, size_t n, double *s)
{
    const int d = model->d;
    if (n < 2)
        return dl_error(DL_EINVAL, "image model: need at least 2 particles to project, got %zu", n);
    double *xc = centred(x, n, d), *t = malloc(n * (size_t)d * sizeof *t);
    if (!xc || !t) {
        free(xc), free(t);
        return dl_error(DL_ENOMEM, "image model: out of memory for %zu particles", n);
    }
    /* T = Xc U: each particle's coordinates in the eigenbasis */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, d, d, 1.0, xc, d, model->u, d,
                0.0, t, d);
    for (int i = 0; i < d; i++) {
        double sum = 0;
        for (size_t j = 0; j < n; j++)
            sum += t[j * d + i] * t[j * d + i];
        s[i] = sum / (double)n;
    }
    free(xc), free(t);
    return DL_OK;
}

double dl_imgmodel_self_weight(const double *s, int d, double sigma)
{
    const double v = sigma * sigma;
    double sum = 0;
    for (int j = 0; j < d; j++)
        sum += 0.5 * log1p(s[j] / v) + 0.5 * s[j] / (s[j] + v);
    return exp(sum);
}

double dl_imgmodel_kappa(double c, size_t n, int self_mask)
{
    return self_mask ? -1.0 / ((double)n - 1.0) : (c - 1.0) / ((double)n - 1.0 + c);
}

void dl_imgmodel_dlns(const double *s, const double *lambda, int d, double sigma, double kappa,
                      double *out)
{
    const double v = sigma * sigma;
    for (int i = 0; i < d; i++)
        out[i] = 2.0 * v * ((1.0 - kappa) / (s[i] + v) - 1.0 / (lambda[i] + v));
}

/* E_i[ E_j w_ij^2 / (E_j w_ij)^2 ] - 1 for Gaussian particles: per direction,
 * with u = s/sigma^2, E_j over x_j gives (1 + u)/sqrt(1 + 2u) times a factor
 * in x_i^2 whose mean over x_i is sqrt((1 + u)(1 + 2u)/(1 + 3u)) */
double dl_imgmodel_pair_spread(const double *s, int d, double sigma)
{
    const double v = sigma * sigma;
    double sum = 0;
    for (int j = 0; j < d; j++)
        sum += 1.5 * log1p(s[j] / v) - 0.5 * log1p(3 * s[j] / v);
    return expm1(sum);
}

double dl_imgmodel_fluctuation(double spread, size_t n)
{
    const double eps = 2.0 * spread * spread / (double)n;
    return eps < 1 ? eps : INFINITY; /* a second-order term as large as the variance bounds nothing */
}

static double flow_kappa(const dl_imgmodel_flow *f, const double *s, int d, double sigma)
{
    return f->own_term ? dl_imgmodel_kappa(dl_imgmodel_self_weight(s, d, sigma), f->n, f->self_mask) : 0.0;
}

/* one Euler step: the particles move by dt V with V linear, a_i = half of d ln s_i/dt */
static void euler_step(const dl_imgmodel *m, const dl_imgmodel_flow *f, double t, double dt,
                       double *s, double *rate)
{
    const double sigma = dl_schedule_sigma(f->schedule, t);
    dl_imgmodel_dlns(s, m->lambda, m->d, sigma, flow_kappa(f, s, m->d, sigma), rate);
    for (int i = 0; i < m->d; i++) {
        const double g = 1.0 + dt * 0.5 * rate[i];
        s[i] *= g * g;
    }
}

/* one RK4 step of the ODE in ln s */
static void rk4_step(const dl_imgmodel *m, const dl_imgmodel_flow *f, double t, double dt, double *s,
                     double *work)
{
    const int d = m->d;
    double *k = work, *acc = work + d, *y = work + 2 * d, *trial = work + 3 * d;
    static const double at[4] = {0, 0.5, 0.5, 1}, weight[4] = {1, 2, 2, 1};
    for (int i = 0; i < d; i++)
        y[i] = log(s[i]), acc[i] = 0, trial[i] = s[i];
    for (int stage = 0; stage < 4; stage++) {
        const double sigma = dl_schedule_sigma(f->schedule, t + at[stage] * dt);
        dl_imgmodel_dlns(trial, m->lambda, d, sigma, flow_kappa(f, trial, d, sigma), k);
        for (int i = 0; i < d; i++) {
            acc[i] += weight[stage] * k[i];
            if (stage < 3)
                trial[i] = exp(y[i] + at[stage + 1] * dt * k[i]);
        }
    }
    for (int i = 0; i < d; i++)
        s[i] = exp(y[i] + dt / 6.0 * acc[i]);
}

int dl_imgmodel_advance(const dl_imgmodel *model, const dl_imgmodel_flow *flow, double t0,
                        double t1, double *s, double *spread)
{
    if (!(flow->dt > 0) || flow->n < 2 || !(t1 >= t0))
        return dl_error(DL_EINVAL, "image model: need dt > 0, N >= 2 and t1 >= t0");
    for (int i = 0; i < model->d; i++)
        if (!(s[i] > 0) || !isfinite(s[i]))
            return dl_error(DL_EINVAL, "image model: variance %d is %g (must be positive)", i, s[i]);
    /* Euler runs take whole steps (their snapshots fall on them); RK4 divides evenly */
    const double span = (t1 - t0) / flow->dt;
    const long steps = flow->euler ? lround(span) : (long)ceil(span - 1e-9);
    const double h = flow->euler ? flow->dt : (steps ? (t1 - t0) / steps : 0);
    double *work = malloc(4 * (size_t)model->d * sizeof *work);
    if (!work)
        return dl_error(DL_ENOMEM, "image model: out of memory");
    for (long i = 0; i < steps; i++) {
        /* the weights each step sees are those at its start, for RK4 too: an estimate, not a stage */
        if (spread) {
            const double sigma = dl_schedule_sigma(flow->schedule, t0 + i * h);
            *spread += h * sqrt(dl_imgmodel_pair_spread(s, model->d, sigma));
        }
        if (flow->euler)
            euler_step(model, flow, t0 + i * h, h, s, work);
        else
            rk4_step(model, flow, t0 + i * h, h, s, work);
    }
    free(work);
    return DL_OK;
}

int dl_imgmodel_transport(const dl_imgmodel *model, const double *s0, const double *s1,
                          const float *x, size_t n, float *out)
{
    const int d = model->d;
    double *xc = centred(x, n, d), *t = malloc(n * (size_t)d * sizeof *t);
    double *back = malloc(n * (size_t)d * sizeof *back);
    if (!xc || !t || !back) {
        free(xc), free(t), free(back);
        return dl_error(DL_ENOMEM, "image model: out of memory for %zu particles", n);
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, d, d, 1.0, xc, d, model->u, d,
                0.0, t, d);
    for (size_t j = 0; j < n; j++)
        for (int i = 0; i < d; i++)
            t[j * d + i] *= s0[i] > 0 ? sqrt(s1[i] / s0[i]) : 1.0;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, d, d, 1.0, t, d, model->u, d,
                0.0, back, d);
    for (size_t j = 0; j < n; j++)
        for (int p = 0; p < d; p++) /* the mean: x - xc */
            out[j * d + p] = (float)(back[j * d + p] + (x[j * d + p] - xc[j * d + p]));
    free(xc), free(t), free(back);
    return DL_OK;
}

void dl_imgmodel_power(const dl_imgmodel *model, const double *s, double *P)
{
    for (int k = 0; k < model->shells; k++) {
        double sum = 0;
        for (int i = 0; i < model->d; i++)
            sum += s[i] * model->eps[(size_t)i * model->shells + k];
        P[k] = model->count[k] ? sum / model->count[k] : NAN;
    }
}
