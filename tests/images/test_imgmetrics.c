/* Feature-space metrics on constructed cases with known answers:
 *  - Frechet distance of exact Gaussians against the closed form for
 *    commuting covariances, |mu1-mu2|^2 + sum (sqrt(l1) - sqrt(l2))^2, in a
 *    rotated basis; of samples of one Gaussian falling toward 0 like d(d+1)/n;
 *  - KID: zero within 3 standard errors for one distribution, clearly
 *    positive for a shifted one;
 *  - precision/recall: identical sets give 1 and 1, far-apart sets 0 and 0,
 *    a fake set covering one of two real modes gives precision ~1, recall ~1/2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "images/imgmetrics.h"
#include "test_common.h"

static void gaussian_rows(gsl_rng *r, float *x, size_t n, int d, double shift, double sd)
{
    for (size_t i = 0; i < n * d; i++)
        x[i] = (float)(shift + gsl_ran_gaussian(r, sd));
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(17);
    /* exact covariances: S = Q diag(l) Q^T with a shared random rotation Q */
    {
        const int d = 6;
        double Q[36], S1[36], S2[36], mu1[6], mu2[6], l1[6], l2[6], want = 0;
        /* Gram-Schmidt on random vectors */
        for (int i = 0; i < d * d; i++)
            Q[i] = gsl_ran_gaussian(rng, 1);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                double dot = 0;
                for (int k = 0; k < d; k++)
                    dot += Q[i * d + k] * Q[j * d + k];
                for (int k = 0; k < d; k++)
                    Q[i * d + k] -= dot * Q[j * d + k];
            }
            double nrm = 0;
            for (int k = 0; k < d; k++)
                nrm += Q[i * d + k] * Q[i * d + k];
            for (int k = 0; k < d; k++)
                Q[i * d + k] /= sqrt(nrm);
        }
        for (int i = 0; i < d; i++) {
            l1[i] = 0.5 + i, l2[i] = 2.0 / (1 + i);
            mu1[i] = 0.1 * i, mu2[i] = -0.2 * i;
            want += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + pow(sqrt(l1[i]) - sqrt(l2[i]), 2);
        }
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                S1[i * d + j] = S2[i * d + j] = 0;
                for (int k = 0; k < d; k++) {
                    S1[i * d + j] += Q[k * d + i] * l1[k] * Q[k * d + j];
                    S2[i * d + j] += Q[k * d + i] * l2[k] * Q[k * d + j];
                }
            }
        double fd;
        CHECK_OK(dl_frechet_gaussians(mu1, S1, mu2, S2, d, &fd));
        CHECK_CLOSE(fd, want, 1e-10 * want, "Frechet distance of commuting Gaussians");
        CHECK_OK(dl_frechet_gaussians(mu1, S1, mu1, S1, d, &fd));
        CHECK_CLOSE(fd, 0.0, 1e-10, "Frechet distance of a Gaussian to itself");
    }
    /* samples of one Gaussian: FD ~ d(d+1)/(2n)-ish, falling like 1/n */
    {
        const int d = 8;
        double fds[3];
        size_t ns[3] = {500, 2000, 8000};
        float *a = malloc(8000 * d * sizeof(float)), *b = malloc(8000 * d * sizeof(float));
        for (int t = 0; t < 3; t++) {
            gaussian_rows(rng, a, ns[t], d, 0, 1);
            gaussian_rows(rng, b, ns[t], d, 0, 1);
            CHECK_OK(dl_frechet_distance(a, ns[t], b, ns[t], d, &fds[t]));
        }
        printf("FD between two samples of N(0, I_8): %.4g (n=500) %.4g (2000) %.4g (8000)\n",
               fds[0], fds[1], fds[2]);
        CHECK(fds[2] < fds[1] && fds[1] < fds[0], "FD does not fall with n");
        CHECK(fds[2] < 0.02, "FD at n = 8000 is %g, not near 0", fds[2]);
        /* shifted by 1 in every coordinate: FD -> d = 8 */
        gaussian_rows(rng, a, 8000, d, 0, 1);
        gaussian_rows(rng, b, 8000, d, 1, 1);
        double fd;
        CHECK_OK(dl_frechet_distance(a, 8000, b, 8000, d, &fd));
        CHECK_CLOSE(fd, 8.0, 0.25, "FD of unit-shifted Gaussians = |shift|^2 = 8");

        double mean, se;
        gaussian_rows(rng, b, 4000, d, 0, 1);
        CHECK_OK(dl_kid(a, 4000, b, 4000, d, 20, 500, rng, &mean, &se));
        printf("KID same distribution: %.3g +- %.2g\n", mean, se);
        CHECK(fabs(mean) < 3 * se + 1e-4, "KID of one distribution %g +- %g not ~0", mean, se);
        gaussian_rows(rng, b, 4000, d, 0.5, 1);
        double m2, se2;
        CHECK_OK(dl_kid(a, 4000, b, 4000, d, 20, 500, rng, &m2, &se2));
        printf("KID shifted by 0.5: %.3g +- %.2g\n", m2, se2);
        CHECK(m2 > 10 * se2 && m2 > 0.05, "KID of shifted distributions %g +- %g not positive", m2, se2);
        free(a), free(b);
    }
    /* precision / recall */
    {
        const int d = 4, n = 1000;
        float *real = malloc(2 * n * d * sizeof(float)), *fake = malloc(2 * n * d * sizeof(float));
        gaussian_rows(rng, real, n, d, 0, 1);
        gaussian_rows(rng, real + (size_t)n * d, n, d, 20, 1); /* second real mode far away */
        double p, r;
        CHECK_OK(dl_precision_recall(real, 2 * n, real, 2 * n, d, 3, &p, &r));
        CHECK(p == 1.0 && r == 1.0, "identical sets: precision %g recall %g", p, r);
        gaussian_rows(rng, fake, n, d, 100, 1);
        CHECK_OK(dl_precision_recall(real, 2 * n, fake, n, d, 3, &p, &r));
        CHECK(p == 0.0 && r == 0.0, "disjoint sets: precision %g recall %g", p, r);
        gaussian_rows(rng, fake, n, d, 0, 1); /* covers the first mode only */
        CHECK_OK(dl_precision_recall(real, 2 * n, fake, n, d, 3, &p, &r));
        printf("one of two modes: precision %.3f recall %.3f\n", p, r);
        CHECK(p > 0.9, "mode-dropping fake: precision %g should be near 1", p);
        CHECK(r > 0.4 && r < 0.55, "mode-dropping fake: recall %g should be near 1/2", r);
        double nn[3];
        float q[3 * 4] = {0, 0, 0, 0, 20, 20, 20, 20, 3, 4, 0, 0};
        float ref[2 * 4] = {0, 0, 0, 0, 20, 20, 20, 21};
        CHECK_OK(dl_nearest_distances(q, 3, ref, 2, d, nn));
        CHECK_CLOSE(nn[0], 0.0, 1e-3, "nearest distance 0");
        CHECK_CLOSE(nn[1], 1.0, 1e-3, "nearest distance 1");
        CHECK_CLOSE(nn[2], 5.0, 1e-3, "nearest distance 5");
        free(real), free(fake);
    }
    gsl_rng_free(rng);
    return test_report("test_imgmetrics");
}
