/* Both generators' parameter gradients against central finite differences of
 * their forward.  L = sum <R, out> with fixed random R, accumulated in double.
 * The networks are smooth (SiLU, GroupNorm, tanh, no ReLU kinks), so with
 * h = 1e-2 in float the difference quotient is good to ~1e-3 relative; the
 * check is the relative L2 error over 200 sampled parameters, <= 1e-2.  A wrong
 * backward (a dropped residual branch, a mis-indexed class embedding) is off
 * by O(1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "drift/dist.h"
#include "base/dl_error.h"
#include "nn/generator.h"
#include "test_common.h"

#define B 3

static const float alpha[B] = {1.0f, 2.5f, 1.25f};

static double loss(dl_generator *g, const float *z, const unsigned char *lab, const float *R)
{
    dl_generator_forward(g, z, lab, alpha, B);
    double L = 0;
    const int P = g->arch.out ? g->arch.out : 784;
    for (int i = 0; i < B * P; i++)
        L += (double)R[i] * g->out[i];
    return L;
}

static void check(const dl_generator_arch *arch, const char *what)
{
    gsl_rng *rng = dl_rng_create(5);
    dl_generator *g;
    CHECK_OK(dl_generator_create(&g, arch, B));
    dl_generator_init(g, rng);
    for (size_t i = 0; i < g->n_params; i++) /* away from the zero init of biases */
        g->params[i] += (float)gsl_ran_gaussian(rng, 0.05);
    float *z = malloc((size_t)B * arch->zdim * sizeof(float)), R[B * 784];
    unsigned char lab[B] = {2, 0, 2};
    for (int i = 0; i < B * arch->zdim; i++)
        z[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (int i = 0; i < B * 784; i++)
        R[i] = (float)gsl_ran_gaussian(rng, 1.0);
    loss(g, z, lab, R);
    dl_generator_backward(g, R, B);
    double num = 0, den = 0;
    const float h = 1e-2f;
    for (int t = 0; t < 200; t++) {
        size_t i = gsl_rng_uniform_int(rng, g->n_params);
        float keep = g->params[i];
        g->params[i] = keep + h;
        double lp = loss(g, z, lab, R);
        g->params[i] = keep - h;
        double lm = loss(g, z, lab, R);
        g->params[i] = keep;
        double fd = (lp - lm) / (2 * h);
        num += (fd - g->grads[i]) * (fd - g->grads[i]);
        den += fd * fd;
    }
    double rel = sqrt(num / den);
    printf("%s: %zu parameters, relative gradient error %.2e\n", what, g->n_params, rel);
    CHECK(den > 0 && rel <= 1e-2, "%s: relative gradient error %.3g > 1e-2", what, rel);
    /* the class input matters: another label changes the image */
    if (!arch->classes) {
        free(z);
        dl_generator_destroy(g);
        gsl_rng_free(rng);
        return;
    }
    dl_generator_forward(g, z, lab, alpha, B);
    float first = g->out[0];
    unsigned char other[B] = {1, 0, 2};
    dl_generator_forward(g, z, other, alpha, B);
    CHECK(g->out[0] != first, "%s: the class does not reach the output", what);
    /* the guidance scale reaches the output, and NULL means alpha = 1 */
    const float other_alpha[B] = {3.0f, 2.5f, 1.25f};
    dl_generator_forward(g, z, lab, other_alpha, B);
    CHECK((g->out[0] != first) == (arch->guided != 0), "%s: alpha %s the output", what,
          arch->guided ? "does not change" : "changes");
    dl_generator_forward(g, z, lab, NULL, B);
    CHECK(g->out[0] == first, "%s: NULL alpha is not alpha = 1", what);
    free(z);
    dl_generator_destroy(g);
    gsl_rng_free(rng);
}

/* The same weights with and without the tanh: tanh(linear output) = tanh output. */
static void check_linear_is_unsquashed(const dl_generator_arch *squashed,
                                       const dl_generator_arch *linear, const char *what)
{
    dl_generator *gs, *gl;
    CHECK_OK(dl_generator_create(&gs, squashed, B));
    CHECK_OK(dl_generator_create(&gl, linear, B));
    gsl_rng *rng = dl_rng_create(9);
    dl_generator_init(gs, rng);
    CHECK(gs->n_params == gl->n_params, "%s: the linear output changes the parameter count", what);
    for (size_t i = 0; i < gs->n_params; i++) /* large enough to leave tanh's linear range */
        gs->params[i] = gl->params[i] = gs->params[i] * 4 + (float)gsl_ran_gaussian(rng, 0.3);
    float z[B * 2 * 49];
    unsigned char lab[B] = {1, 2, 0};
    for (int i = 0; i < B * squashed->zdim; i++)
        z[i] = (float)gsl_ran_gaussian(rng, 1.0);
    dl_generator_forward(gs, z, lab, alpha, B);
    dl_generator_forward(gl, z, lab, alpha, B);
    double worst = 0, beyond = 0;
    for (int i = 0; i < B * 784; i++) {
        worst = fmax(worst, fabs(tanh((double)gl->out[i]) - gs->out[i]));
        beyond = fmax(beyond, fabs(gl->out[i]));
    }
    CHECK(worst < 1e-5, "%s: tanh(linear output) differs from the tanh output by %.3g", what, worst);
    CHECK(beyond > 1, "%s: the linear output never leaves [-1, 1] (max |x| %.3g)", what, beyond);
    dl_generator_destroy(gs);
    dl_generator_destroy(gl);
    gsl_rng_free(rng);
}

int main(void)
{
    /* kind, zdim, hidden, classes, out, guided, linear */
    dl_generator_arch mlp = {DL_GENERATOR_MLP, 6, 10, 3, 0, 0, 0};
    dl_generator_arch toy = {DL_GENERATOR_MLP, 4, 12, 0, 2, 0, 0};
    dl_generator_arch conv = {DL_GENERATOR_CONV, 2 * 49, 8, 3, 0, 0, 0};
    dl_generator_arch mlp_guided = {DL_GENERATOR_MLP, 6, 10, 3, 0, 1, 0};
    dl_generator_arch conv_guided = {DL_GENERATOR_CONV, 2 * 49, 8, 3, 0, 1, 0};
    dl_generator_arch mlp_linear = {DL_GENERATOR_MLP, 6, 10, 3, 0, 1, 1};
    dl_generator_arch conv_linear = {DL_GENERATOR_CONV, 2 * 49, 8, 3, 0, 0, 1};
    check(&mlp, "mlp");
    check(&conv, "conv");
    check(&mlp_guided, "mlp, guided");
    check(&conv_guided, "conv, guided");
    check(&mlp_linear, "mlp, guided, linear output");
    check(&conv_linear, "conv, linear output");
    check(&toy, "mlp, 2-D output");
    check_linear_is_unsquashed(&mlp_guided, &mlp_linear, "mlp");
    check_linear_is_unsquashed(&conv, &conv_linear, "conv");
    /* architecture strings round-trip */
    char s[128];
    dl_generator_arch back;
    dl_generator_arch_string(&conv, s, sizeof s);
    CHECK_OK(dl_generator_arch_parse(s, &back));
    CHECK(back.kind == conv.kind && back.zdim == conv.zdim && back.hidden == conv.hidden &&
          back.classes == conv.classes, "round trip of '%s'", s);
    dl_generator_arch_string(&mlp_guided, s, sizeof s);
    CHECK_OK(dl_generator_arch_parse(s, &back));
    CHECK(back.kind == DL_GENERATOR_MLP && back.guided == 1 && back.classes == 3, "round trip of '%s'", s);
    dl_generator_arch_string(&mlp, s, sizeof s);
    CHECK_OK(dl_generator_arch_parse(s, &back));
    CHECK(back.guided == 0 && back.linear == 0, "round trip of '%s'", s);
    dl_generator_arch_string(&mlp_linear, s, sizeof s);
    CHECK_OK(dl_generator_arch_parse(s, &back));
    CHECK(back.guided == 1 && back.linear == 1, "round trip of '%s'", s);
    dl_generator_arch_string(&conv_linear, s, sizeof s);
    CHECK_OK(dl_generator_arch_parse(s, &back));
    CHECK(back.kind == DL_GENERATOR_CONV && back.guided == 0 && back.linear == 1,
          "round trip of '%s'", s);
    /* a linear output would be ignored on a toy's points: refused, not dropped */
    CHECK(dl_generator_arch_parse("mlpgen-v1 z=4 h=12 classes=0 out=2 linear", &back) != 0,
          "a linear token on a non-image generator is refused");
    CHECK(dl_generator_arch_parse("mlpgen-v1 z=6 h=10 classes=0 guided", &back) != 0,
          "guidance without classes is refused");
    CHECK(dl_generator_arch_parse("convgen-v1 zc=2 ch=12 classes=3", &back) != 0,
          "a width that is not a multiple of 8 is refused");
    return test_report("test_generator");
}
