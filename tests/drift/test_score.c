/* docs/THEORY.md section 2: for the Gaussian kernel the drift is a score difference,
 *     V_{p,q}(x) = sigma^2 (grad log p_sigma(x) - grad log q_sigma(x)),
 * checked for 2-D three-component mixtures p and q.  The left side is the
 * population mean shift computed by 1-D quadratures (the Gaussian kernel and
 * isotropic components factor per coordinate); the right side is the
 * closed-form score of the smoothed mixture.  Then the empirical drift from M
 * samples must converge to it at the 1/sqrt(M) rate. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_integration.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "drift/engine.h"
#include "test_common.h"

typedef struct {
    double mu, s, x, sigma;
    int moment; /* 0: int N k dy, 1: int N k (y - x) dy */
} q1d;

static double q1d_integrand(double y, void *p)
{
    q1d *c = p;
    double z = (y - c->mu) / c->s;
    double v = exp(-0.5 * z * z - 0.5 * (y - c->x) * (y - c->x) / (c->sigma * c->sigma)) /
               (c->s * sqrt(2 * M_PI));
    return c->moment ? v * (y - c->x) : v;
}

static double integrate_1d(double mu, double s, double x, double sigma, int moment,
                           gsl_integration_workspace *w)
{
    q1d c = {mu, s, x, sigma, moment};
    gsl_function f = {q1d_integrand, &c};
    double r, e;
    gsl_integration_qagi(&f, 1e-16, 1e-13, 2000, w, &r, &e);
    return r;
}

/* Population V^+ of a 2-D isotropic mixture by quadrature. */
static void population_mean_shift(const dl_dist *p, double sigma, const double *x, double *v,
                                  gsl_integration_workspace *w)
{
    double K = 0, M[2] = {0, 0};
    for (int c = 0; c < p->n_components; c++) {
        const dl_gmm_component *cp = &p->component[c];
        double i0[2], i1[2];
        for (int d = 0; d < 2; d++) {
            i0[d] = integrate_1d(cp->mean[d], cp->std, x[d], sigma, 0, w);
            i1[d] = integrate_1d(cp->mean[d], cp->std, x[d], sigma, 1, w);
        }
        K += cp->weight * i0[0] * i0[1];
        M[0] += cp->weight * i1[0] * i0[1];
        M[1] += cp->weight * i0[0] * i1[1];
    }
    v[0] = M[0] / K;
    v[1] = M[1] / K;
}

int main(void)
{
    gsl_set_error_handler_off();
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    dl_dist p = {0}, q = {0};
    p.kind = q.kind = DL_DIST_GMM;
    CHECK_OK(dl_dist_set_gmm(&p, 2, "0.5@-1,0/0.4;0.3@1.5,1/0.7;0.2@0,-2/0.3"));
    CHECK_OK(dl_dist_set_gmm(&q, 2, "0.6@0,0/1.0;0.4@2,2/0.5;0.1@-2,1/0.2"));

    const double sigmas[] = {0.3, 0.8, 1.5};
    for (int si = 0; si < 3; si++) {
        double sigma = sigmas[si];
        for (double a = -2.5; a <= 2.5; a += 1.25)
            for (double b = -2.5; b <= 2.5; b += 1.25) {
                double x[2] = {a, b}, vp[2], vq[2], sp[2], sq[2];
                population_mean_shift(&p, sigma, x, vp, w);
                population_mean_shift(&q, sigma, x, vq, w);
                CHECK_OK(dl_gmm_smoothed_score(&p, 2, sigma, x, sp));
                CHECK_OK(dl_gmm_smoothed_score(&q, 2, sigma, x, sq));
                for (int d = 0; d < 2; d++) {
                    char what[128];
                    snprintf(what, sizeof what, "V_pq = sigma^2 (score_p - score_q), sigma=%g x=(%g,%g)[%d]",
                             sigma, a, b, d);
                    CHECK_CLOSE(vp[d] - vq[d], sigma * sigma * (sp[d] - sq[d]), 1e-10, what);
                }
            }
    }

    /* Empirical V^+ from M samples of p at fixed points: RMS error over
     * repetitions should scale like M^(-1/2).  Slope tolerance +-0.1 covers the
     * fit's sampling spread with 40 repetitions at each of 4 sizes. */
    dl_engine *eng;
    CHECK_OK(dl_engine_create("direct", &eng));
    dl_domain dom;
    CHECK_OK(dl_domain_init(&dom, DL_DOMAIN_RD, 2, 0));
    const double sigma = 0.8;
    double pts[2 * 9], truth[2 * 9];
    for (int i = 0; i < 9; i++) {
        pts[2 * i] = -1.5 + 1.5 * (i % 3);
        pts[2 * i + 1] = -1.5 + 1.5 * (i / 3);
        double s[2];
        dl_gmm_smoothed_score(&p, 2, sigma, pts + 2 * i, s);
        truth[2 * i] = sigma * sigma * s[0];
        truth[2 * i + 1] = sigma * sigma * s[1];
    }
    const size_t sizes[] = {250, 1000, 4000, 16000};
    double logm[4], logerr[4];
    double *y = malloc(16000 * 2 * sizeof(double)), v[18];
    for (int si = 0; si < 4; si++) {
        double sq = 0;
        int reps = 40;
        for (int r = 0; r < reps; r++) {
            gsl_rng *rng = dl_rng_create(1000 + 17 * si + r);
            CHECK_OK(dl_dist_sample(&p, &dom, sizes[si], rng, y));
            dl_drift_request req = {&dom, dl_kernel_find("gaussian"), sigma, pts, 9, y, sizes[si],
                                    NULL, 0, 0, DL_OPERATOR_MEANSHIFT};
            CHECK_OK(dl_engine_drift(eng, &req, v, NULL));
            for (int i = 0; i < 18; i++)
                sq += (v[i] - truth[i]) * (v[i] - truth[i]);
            gsl_rng_free(rng);
        }
        logm[si] = log((double)sizes[si]);
        logerr[si] = 0.5 * log(sq / (reps * 18));
    }
    double c0, c1, cov00, cov01, cov11, ss;
    gsl_fit_linear(logm, 1, logerr, 1, 4, &c0, &c1, &cov00, &cov01, &cov11, &ss);
    printf("empirical drift error: slope %.3f in log M (errors %.3g .. %.3g)\n", c1,
           exp(logerr[0]), exp(logerr[3]));
    CHECK_CLOSE(c1, -0.5, 0.1, "empirical drift converges at the 1/sqrt(M) rate");
    free(y);
    dl_engine_destroy(eng);
    gsl_integration_workspace_free(w);
    return test_report("test_score");
}
