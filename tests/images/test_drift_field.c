/* The practical drift field against a slow evaluation typed straight from its
 * definition (plain softmaxes, no log-space tricks) on tiny batches, for every
 * kernel and normalisation; anti-symmetry (V = 0 when the generated set is the
 * positive set, masking off); and the loss gradient -2 V / (numel scale). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "images/drift_field.h"
#include "images/feature_maps.h"
#include "test_common.h"

/* U (Mu rows): the unconditional negatives of guidance, each kernel value times w */
static void slow_field(const dl_field_config *cfg, const float *X, int N, const float *Y, int M,
                       const float *U, int Mu, double w, int D, double *V)
{
    int C = M + N + Mu;
    double d[16][40], mean = 0;
    int cnt = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < C; j++) {
            const float *o = j < M ? Y + j * D : j < M + N ? X + (j - M) * D : U + (j - M - N) * D;
            double s = 0;
            for (int c = 0; c < D; c++)
                s += pow((double)X[i * D + c] - o[c], 2);
            d[i][j] = sqrt(s);
            if (!(cfg->self_mask && j == M + i) && j < M + N)
                mean += d[i][j], cnt++;
        }
    mean /= cnt;
    for (int k = 0; k < N * D; k++)
        V[k] = 0;
    for (int t = 0; t < cfg->n_tau; t++) {
        double e[16][40], row[16] = {0}, col[40] = {0}, A[16][40], F[16][40], ss = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < C; j++) {
                double x = d[i][j] / mean;
                double l = cfg->kernel == DL_FIELD_GAUSSIAN ? -x * x / cfg->tau[t] : -x / cfg->tau[t];
                e[i][j] = cfg->self_mask && j == M + i ? 0 : exp(l) * (j < M + N ? 1.0 : w);
                row[i] += e[i][j];
                col[j] += e[i][j];
            }
        for (int i = 0; i < N && cfg->op == DL_OPERATOR_MMD; i++)
            for (int j = 0; j < C; j++) { /* -k'(x)/x over each side's count */
                double x = d[i][j] / mean, tau = cfg->tau[t];
                double g = e[i][j] == 0 || x == 0 ? 0
                           : cfg->kernel == DL_FIELD_GAUSSIAN ? 2 / tau * exp(-x * x / tau)
                                                              : exp(-x / tau) / (tau * x);
                A[i][j] = g / (j < M ? M : N - (cfg->self_mask ? 1 : 0));
            }
        for (int i = 0; i < N && cfg->op != DL_OPERATOR_MMD; i++)
            for (int j = 0; j < C; j++) {
                double a = cfg->norm == DL_FIELD_TWO_SIDED ? sqrt(e[i][j] / row[i] * e[i][j] / col[j])
                           : cfg->norm == DL_FIELD_ROWS ? e[i][j] / row[i]
                                                        : e[i][j];
                A[i][j] = (cfg->self_mask && j == M + i) || e[i][j] == 0 ? 0 : (a > 1e-6 ? a : 1e-6);
            }
        for (int i = 0; i < N; i++) {
            double sp = 0, sn = 0;
            for (int j = 0; j < M; j++)
                sp += A[i][j];
            for (int j = M; j < C; j++)
                sn += A[i][j];
            if (cfg->op == DL_OPERATOR_MMD)
                sp = sn = 1;
            for (int c = 0; c < D; c++) {
                double f = 0;
                for (int j = 0; j < M; j++)
                    f += A[i][j] * sn * (Y[j * D + c] - X[i * D + c]) / mean;
                for (int k = 0; k < N; k++)
                    f -= A[i][M + k] * sp * (X[k * D + c] - X[i * D + c]) / mean;
                for (int u = 0; u < Mu; u++)
                    f -= A[i][M + N + u] * sp * (U[u * D + c] - X[i * D + c]) / mean;
                F[i][c] = f;
                ss += f * f;
            }
        }
        double rms = sqrt(ss / (N * D));
        for (int i = 0; i < N; i++)
            for (int c = 0; c < D; c++)
                V[i * D + c] += F[i][c] / rms;
    }
}

/* max_i |v_i - w_i|: a field against the slow reference */
static double max_diff(const float *v, const double *w, int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++)
        worst = fmax(worst, fabs(v[i] - w[i]));
    return worst;
}

/* the small case's sizes: generated, positive, unconditional rows; dimension */
enum { N = 6, M = 5, D = 4, Mu = 4 };
static const dl_field_kernel kernels[2] = {DL_FIELD_LAPLACIAN, DL_FIELD_GAUSSIAN};
static const dl_field_norm norms[3] = {DL_FIELD_TWO_SIDED, DL_FIELD_ROWS, DL_FIELD_NONE};

/* every feature map's backward against central differences of its forward
 * (loss sum R.f with fixed random R, float maps, h = 1e-2) */
static void test_feature_backward(gsl_rng *rng)
{
    static float img[2 * 784], dimg[2 * 784], f[2 * 784], R[2 * 784];
    for (int i = 0; i < 2 * 784; i++)
        img[i] = (float)gsl_ran_gaussian(rng, 0.5), R[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int k = 0; k < DL_FEATURE_COUNT; k++) {
        dl_feature_kind kind = (dl_feature_kind)k;
        int D = dl_feature_dim(kind), bad = 0;
        memset(dimg, 0, sizeof dimg);
        dl_feature_backward(kind, img, 2, R, dimg);
        for (int i = 0; i < 2 * 784; i += 37) {
            float save = img[i];
            double Lp = 0, Lm = 0;
            img[i] = save + 1e-2f;
            dl_feature_forward(kind, img, 2, f);
            for (int j = 0; j < 2 * D; j++)
                Lp += (double)R[j] * f[j];
            img[i] = save - 1e-2f;
            dl_feature_forward(kind, img, 2, f);
            for (int j = 0; j < 2 * D; j++)
                Lm += (double)R[j] * f[j];
            img[i] = save;
            double num = (Lp - Lm) / 2e-2;
            bad += fabs(num - dimg[i]) > 2e-2 * (fabs(num) + fabs(dimg[i])) + 1e-4;
        }
        CHECK(bad == 0, "feature map %s: %d gradient entries off", dl_feature_name(kind), bad);
    }
}

/* per-location fields: rows of 4 channels x 3 locations, channel-major;
 * location k's field is the slow field of the rows gathered at k */
static void test_per_location_small(gsl_rng *rng)
{
    enum { PC = 4, PB = 3, PD = PC * PB };
    float px[N * PD], py[M * PD], pu[Mu * PD], pv[N * PD], gx[N * PC], gy[M * PC], gu[Mu * PC];
    double pw[N * PC], scales[PB];
    for (int i = 0; i < N * PD; i++)
        px[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int i = 0; i < M * PD; i++)
        py[i] = (float)(gsl_ran_gaussian(rng, 1.0) + 0.5);
    for (int i = 0; i < Mu * PD; i++)
        pu[i] = (float)(gsl_ran_gaussian(rng, 1.0) - 0.5);
    dl_field_config pc = dl_field_default();
    CHECK_OK(dl_field_compute_per_location(&pc, px, N, py, M, pu, Mu, 0.8, PD, PB, pv, scales));
    for (int k = 0; k < PB; k++) {
        for (int ch = 0; ch < PC; ch++) {
            for (int i = 0; i < N; i++)
                gx[i * PC + ch] = px[i * PD + ch * PB + k];
            for (int j = 0; j < M; j++)
                gy[j * PC + ch] = py[j * PD + ch * PB + k];
            for (int j = 0; j < Mu; j++)
                gu[j * PC + ch] = pu[j * PD + ch * PB + k];
        }
        slow_field(&pc, gx, N, gy, M, gu, Mu, 0.8, PC, pw);
        double worst_l = 0;
        for (int i = 0; i < N; i++)
            for (int ch = 0; ch < PC; ch++)
                worst_l = fmax(worst_l, fabs(pv[i * PD + ch * PB + k] - pw[i * PC + ch]));
        CHECK(worst_l < 1e-4, "per-location, location %d: |V - slow| = %.3g", k, worst_l);
    }
    CHECK(dl_field_compute_per_location(&pc, px, N, py, M, pu, Mu, 0.8, PD, 5, pv, scales) ==
              DL_EINVAL, "12 values split into 5 locations accepted");
}

/* the training's per-location shape (64 generated, 64 positives, 32
 * unconditional negatives, 8 channels): float path against double path */
static void test_per_location_training_shape(gsl_rng *rng)
{
    enum { BN = 64, BM = 64, BU = 32, BD = 8 };
    static float bx[BN * BD], by[BM * BD], bu[BU * BD], bv[BN * BD], bw[BN * BD];
    for (int i = 0; i < BN * BD; i++)
        bx[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int i = 0; i < BM * BD; i++)
        by[i] = (float)(gsl_ran_gaussian(rng, 1.0) + 0.3);
    for (int i = 0; i < BU * BD; i++)
        bu[i] = (float)(gsl_ran_gaussian(rng, 1.0) - 0.5);
    dl_field_config bc = dl_field_default();
    double s1, s2, worst_b = 0, rms_b = 0;
    CHECK_OK(dl_field_compute_float(&bc, bx, BN, by, BM, bu, BU, 1.5, BD, bv, &s1));
    CHECK_OK(dl_field_compute_guided(&bc, bx, BN, by, BM, bu, BU, 1.5, BD, bw, &s2));
    for (int i = 0; i < BN * BD; i++)
        worst_b = fmax(worst_b, fabs(bv[i] - bw[i])), rms_b += (double)bw[i] * bw[i] / (BN * BD);
    CHECK(fabs(s1 - s2) < 1e-5 * s2, "float scale %.9g, double %.9g", s1, s2);
    CHECK(worst_b < 1e-4 * sqrt(rms_b), "float at 64/64/32 x 8: |V - double| = %.3g (RMS %.3g)",
          worst_b, sqrt(rms_b));
    /* one far outlier spreads tau 0.02's logits over ~4000, where one
     * shared shift would underflow float (exp(-88) = 0) */
    for (int c = 0; c < BD; c++)
        by[c] = 300.0f;
    CHECK_OK(dl_field_compute_float(&bc, bx, BN, by, BM, bu, BU, 1.5, BD, bv, &s1));
    CHECK_OK(dl_field_compute_guided(&bc, bx, BN, by, BM, bu, BU, 1.5, BD, bw, &s2));
    worst_b = 0, rms_b = 0;
    for (int i = 0; i < BN * BD; i++)
        worst_b = fmax(worst_b, fabs(bv[i] - bw[i])), rms_b += (double)bw[i] * bw[i] / (BN * BD);
    CHECK(isfinite(worst_b) && worst_b < 1e-4 * sqrt(rms_b),
          "float with an outlier: |V - double| = %.3g (RMS %.3g)", worst_b, sqrt(rms_b));
}

/* the float path's OpenBLAS route (rows of 40 >= FLOAT_BLAS_MIN_D) against
 * the slow field, every kernel and normalisation, guided; and V_{p,p} = 0 */
static void test_float_blas_route(gsl_rng *rng)
{
    enum { LN = 6, LM = 5, LU = 4, LD = 40 };
    static float lx[LN * LD], ly[LM * LD], lu[LU * LD], lv[LN * LD];
    static double lw[LN * LD];
    for (int i = 0; i < LN * LD; i++)
        lx[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int i = 0; i < LM * LD; i++)
        ly[i] = (float)(gsl_ran_gaussian(rng, 1.0) + 0.3);
    for (int i = 0; i < LU * LD; i++)
        lu[i] = (float)(gsl_ran_gaussian(rng, 1.0) - 0.3);
    for (int k = 0; k < 2; k++)
        for (int n = 0; n < 3; n++) {
            dl_field_config lc = dl_field_default();
            lc.kernel = kernels[k];
            lc.norm = norms[n];
            double ls;
            CHECK_OK(dl_field_compute_float(&lc, lx, LN, ly, LM, lu, LU, 0.9, LD, lv, &ls));
            slow_field(&lc, lx, LN, ly, LM, lu, LU, 0.9, LD, lw);
            double worst_l = max_diff(lv, lw, LN * LD);
            CHECK(worst_l < 1e-4, "float, rows of %d, kernel %d norm %d: |V - slow| = %.3g",
                  LD, k, n, worst_l);
        }
    dl_field_config lc = dl_field_default();
    lc.self_mask = 0;
    double ls, worst_l = 0;
    CHECK_OK(dl_field_compute_float(&lc, lx, LN, lx, LN, NULL, 0, 0.0, LD, lv, &ls));
    for (int i = 0; i < LN * LD; i++)
        worst_l = fmax(worst_l, fabs(lv[i]));
    CHECK(worst_l == 0.0, "float, rows of %d: V_{p,p} = %.3g, not 0", LD, worst_l);
}

/* the training's shape for the flattened maps (64 generated, 64 positives,
 * 32 unconditional negatives, 784 pixels): float against double, with
 * the rows offset from 0 as images are (the centring's job) */
static void test_training_shape_flattened(gsl_rng *rng)
{
    enum { BN = 64, BM = 64, BU = 32, BD = 784 };
    static float bx[BN * BD], by[BM * BD], bu[BU * BD], bv[BN * BD], bw[BN * BD];
    for (int i = 0; i < BN * BD; i++)
        bx[i] = (float)(gsl_ran_gaussian(rng, 0.3) - 0.5);
    for (int i = 0; i < BM * BD; i++)
        by[i] = (float)(gsl_ran_gaussian(rng, 0.3) - 0.45);
    for (int i = 0; i < BU * BD; i++)
        bu[i] = (float)(gsl_ran_gaussian(rng, 0.3) - 0.6);
    for (int k = 0; k < 2; k++) {
        dl_field_config bc = dl_field_default();
        bc.kernel = kernels[k];
        double s1, s2, worst_b = 0, rms_b = 0;
        CHECK_OK(dl_field_compute_float(&bc, bx, BN, by, BM, bu, BU, 1.5, BD, bv, &s1));
        CHECK_OK(dl_field_compute_guided(&bc, bx, BN, by, BM, bu, BU, 1.5, BD, bw, &s2));
        for (int i = 0; i < BN * BD; i++)
            worst_b = fmax(worst_b, fabs(bv[i] - bw[i])),
            rms_b += (double)bw[i] * bw[i] / (BN * BD);
        CHECK(fabs(s1 - s2) < 1e-5 * s2, "float scale %.9g, double %.9g (784)", s1, s2);
        CHECK(worst_b < 1e-4 * sqrt(rms_b),
              "float at 64/64/32 x 784, kernel %d: |V - double| = %.3g (RMS %.3g)", k, worst_b,
              sqrt(rms_b));
    }
}

static void test_bad_arguments(void)
{
    /* bad arguments: both paths refuse them, and with one message */
    dl_field_config bc = dl_field_default();
    float x[4 * 2] = {0, 1, 2, 3, 4, 5, 6, 7}, v[4 * 2];
    double s;
    const struct {
        size_t N, M, Mu;
        const float *U;
        double weight;
        int D;
        const char *what;
    } bad[] = {{1, 4, 0, NULL, 0.0, 2, "N = 1"},        {4, 0, 0, NULL, 0.0, 2, "M = 0"},
               {4, 4, 0, NULL, 0.0, 0, "D = 0"},        {4, 4, 2, NULL, 1.0, 2, "no U rows"},
               {4, 4, 2, x, -1.0, 2, "weight -1"},      {4, 4, 2, x, NAN, 2, "weight NaN"},
               {4, 4, 2, x, INFINITY, 2, "weight inf"}};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        char msg[256];
        CHECK(dl_field_compute_guided(&bc, x, bad[b].N, x, bad[b].M, bad[b].U, bad[b].Mu,
                                      bad[b].weight, bad[b].D, v, &s) == DL_EINVAL,
              "double path accepted %s", bad[b].what);
        snprintf(msg, sizeof msg, "%s", dl_error_message());
        CHECK(dl_field_compute_float(&bc, x, bad[b].N, x, bad[b].M, bad[b].U, bad[b].Mu,
                                     bad[b].weight, bad[b].D, v, &s) == DL_EINVAL,
              "float path accepted %s", bad[b].what);
        CHECK(!strcmp(msg, dl_error_message()), "%s: '%s' against '%s'", bad[b].what, msg,
              dl_error_message());
    }
    bc.n_tau = 0;
    CHECK(dl_field_compute_float(&bc, x, 4, x, 4, NULL, 0, 0.0, 2, v, &s) == DL_EINVAL,
          "no temperature accepted");
}

/* The MMD operator against the slow field, and its refusals. */
static void test_mmd(gsl_rng *rng)
{
    float X[N * D], Y[M * D], U[Mu * D], V[N * D];
    double W[N * D], scale;
    for (int trial = 0; trial < 3; trial++) {
        for (int i = 0; i < N * D; i++)
            X[i] = (float)gsl_ran_gaussian(rng, 1.0);
        for (int i = 0; i < M * D; i++)
            Y[i] = (float)(gsl_ran_gaussian(rng, 1.0) + 0.7);
        for (int k = 0; k < 2; k++) {
            dl_field_config cfg = dl_field_default();
            cfg.kernel = kernels[k];
            cfg.op = DL_OPERATOR_MMD;
            cfg.self_mask = trial != 1;
            CHECK_OK(dl_field_compute(&cfg, X, N, Y, M, D, V, &scale));
            slow_field(&cfg, X, N, Y, M, NULL, 0, 0, D, W);
            double worst = max_diff(V, W, N * D);
            CHECK(worst < 1e-5, "mmd kernel %d trial %d: |V - slow| = %.3g", k, trial, worst);
        }
    }
    dl_field_config cfg = dl_field_default();
    cfg.op = DL_OPERATOR_MMD;
    CHECK(dl_field_compute_guided(&cfg, X, N, Y, M, U, Mu, 1.0, D, V, &scale) == DL_EINVAL,
          "mmd with guidance accepted");
    CHECK(dl_field_compute_float(&cfg, X, N, Y, M, NULL, 0, 0.0, D, V, &scale) == DL_EUNSUPPORTED,
          "mmd on the float path accepted");
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(8);
    float X[24], Y[20], U[16], V[24], V0[24];
    double W[24], scale;
    for (int trial = 0; trial < 3; trial++) {
        for (int i = 0; i < N * D; i++)
            X[i] = (float)gsl_ran_gaussian(rng, 1.0);
        for (int i = 0; i < M * D; i++)
            Y[i] = (float)(gsl_ran_gaussian(rng, 1.0) + 0.7);
        for (int k = 0; k < 2; k++)
            for (int n = 0; n < 3; n++) {
                dl_field_config cfg = dl_field_default();
                cfg.kernel = kernels[k];
                cfg.norm = norms[n];
                cfg.tau[2] = trial == 2 ? 1.5 : 0.2; /* a soft temperature too */
                CHECK_OK(dl_field_compute(&cfg, X, N, Y, M, D, V, &scale));
                slow_field(&cfg, X, N, Y, M, NULL, 0, 0, D, W);
                double worst = max_diff(V, W, N * D);
                CHECK(worst < 1e-5, "kernel %d norm %d trial %d: |V - slow| = %.3g", k, n, trial, worst);
                /* guided: unconditional negatives at w = (alpha - 1)(N - 1) / Mu, alpha = 2 */
                for (int i = 0; i < Mu * D; i++)
                    U[i] = (float)(gsl_ran_gaussian(rng, 1.0) - 0.4);
                const double w = (2.0 - 1.0) * (N - 1) / Mu;
                CHECK_OK(dl_field_compute_guided(&cfg, X, N, Y, M, U, Mu, w, D, V, &scale));
                slow_field(&cfg, X, N, Y, M, U, Mu, w, D, W);
                double worst_g = max_diff(V, W, N * D);
                CHECK(worst_g < 1e-5, "guided, kernel %d norm %d trial %d: |V - slow| = %.3g", k, n,
                      trial, worst_g);
                /* weight 0 is the unguided field; the negatives do move it otherwise */
                CHECK_OK(dl_field_compute_guided(&cfg, X, N, Y, M, U, Mu, 0.0, D, V0, &scale));
                slow_field(&cfg, X, N, Y, M, NULL, 0, 0, D, W);
                worst = max_diff(V0, W, N * D);
                double moved = 0;
                for (int i = 0; i < N * D; i++)
                    moved = fmax(moved, fabs(V[i] - V0[i]));
                CHECK(worst < 1e-5, "guided at weight 0, kernel %d norm %d: |V - unguided| = %.3g", k,
                      n, worst);
                CHECK(moved > 1e-2, "guided, kernel %d norm %d: the negatives move V by only %.3g", k,
                      n, moved);
                /* the float path (short rows: its loops) against the same
                 * slow field: V is O(1) (RMS 1 per temperature), float keeps
                 * ~1e-6 of it */
                CHECK_OK(dl_field_compute_float(&cfg, X, N, Y, M, U, Mu, w, D, V, &scale));
                slow_field(&cfg, X, N, Y, M, U, Mu, w, D, W);
                worst = max_diff(V, W, N * D);
                CHECK(worst < 1e-4, "float, kernel %d norm %d trial %d: |V - slow| = %.3g", k, n,
                      trial, worst);
                CHECK_OK(dl_field_compute_float(&cfg, X, N, Y, M, U, Mu, 0.0, D, V, &scale));
                slow_field(&cfg, X, N, Y, M, NULL, 0, 0, D, W);
                worst = max_diff(V, W, N * D);
                CHECK(worst < 1e-4, "float at weight 0, kernel %d norm %d: |V - slow| = %.3g", k,
                      n, worst);
            }
    }
    /* anti-symmetry: the generated set is the positive set */
    dl_field_config cfg = dl_field_default();
    cfg.self_mask = 0;
    CHECK_OK(dl_field_compute(&cfg, X, N, X, N, D, V, &scale));
    double worst = 0;
    for (int i = 0; i < N * D; i++)
        worst = fmax(worst, fabs(V[i]));
    CHECK(worst == 0.0, "V_{p,p} = %.3g, not 0", worst);
    CHECK_OK(dl_field_compute_float(&cfg, X, N, X, N, NULL, 0, 0.0, D, V, &scale));
    worst = 0;
    for (int i = 0; i < N * D; i++)
        worst = fmax(worst, fabs(V[i]));
    CHECK(worst == 0.0, "float: V_{p,p} = %.3g, not 0", worst);
    /* with a positive set that differs, the field is O(1) (RMS 1 per temperature) */
    CHECK_OK(dl_field_compute(&cfg, X, N, Y, M, D, V, &scale));
    double rms = 0;
    for (int i = 0; i < N * D; i++)
        rms += V[i] * V[i] / (N * D);
    CHECK(sqrt(rms) > 0.5, "field RMS %.3g too small", sqrt(rms));

    /* gradient of L(x) = sum (x/s - sg(x0/s + V0))^2 / numel at x0 is -2 V0 / (numel s) */
    cfg = dl_field_default();
    CHECK_OK(dl_field_compute(&cfg, X, N, Y, M, D, V, &scale));
    const int numel = N * D;
    for (int i = 0; i < numel; i += 5) {
        double h = 1e-3, Lp = 0, Lm = 0;
        for (int k = 0; k < numel; k++) {
            double target = X[k] / scale + V[k];
            double xp = (X[k] + (k == i ? h : 0)) / scale, xm = (X[k] - (k == i ? h : 0)) / scale;
            Lp += (xp - target) * (xp - target) / numel;
            Lm += (xm - target) * (xm - target) / numel;
        }
        CHECK_CLOSE((Lp - Lm) / (2 * h), -2.0 * V[i] / (numel * scale), 1e-6,
                    "dL/dx = -2 V / (numel scale)");
    }
    test_feature_backward(rng);
    test_per_location_small(rng);
    test_per_location_training_shape(rng);
    test_float_blas_route(rng);
    test_training_shape_flattened(rng);
    test_bad_arguments();
    dl_field_kernel fk;
    dl_field_norm fn;
    CHECK(dl_field_kernel_parse("cosine", &fk) == DL_EINVAL, "unknown kernel accepted");
    CHECK(dl_field_norm_parse("columns", &fn) == DL_EINVAL, "unknown normalisation accepted");
    gsl_rng_free(rng);
    gsl_rng *mmd_rng = dl_rng_create(30); /* its own stream: the cases above keep theirs */
    test_mmd(mmd_rng);
    gsl_rng_free(mmd_rng);
    return test_report("test_drift_field");
}
