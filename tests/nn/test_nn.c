/* Every layer's backward against central finite differences of its forward.
 * The scalar loss is L = sum_i R_i out_i with fixed random R (accumulated in
 * double), so dL/dout = R.  Layers run in float: with h = 1e-2 the central
 * difference is good to ~1e-4 relative on smooth layers, and the checks
 * allow 2e-2 relative (+ 1e-3 absolute); a wrong backward is off by O(1).
 * Inputs of ReLU are kept 0.05 away from its kink. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "drift/dist.h"
#include "nn/nn.h"
#include "test_common.h"

typedef struct layer_case layer_case;
struct layer_case {
    const char *name;
    size_t n_in, n_param, n_out;
    void (*forward)(const layer_case *c, const float *in, const float *param, float *out);
    void (*backward)(const layer_case *c, const float *in, const float *param, const float *dout,
                     float *din, float *dparam);
    int B, C, H, W, OC, K, stride, pad, G;
    dl_nn_conv2d_shape conv;
};

static float scratch[1 << 20];

/* ---- wrappers: (in, param) -> out ---- */
static void linear_f(const layer_case *c, const float *in, const float *p, float *out)
{
    dl_nn_linear_forward(out, in, p, p + c->OC * c->C, c->B, c->C, c->OC);
}
static void linear_b(const layer_case *c, const float *in, const float *p, const float *dout,
                     float *din, float *dp)
{
    dl_nn_linear_backward(din, dp, dp + c->OC * c->C, dout, in, p, c->B, c->C, c->OC);
}
static void conv_f(const layer_case *c, const float *in, const float *p, float *out)
{
    size_t nw = (size_t)c->OC * c->C * c->K * c->K;
    dl_nn_conv2d_forward(out, scratch, in, p, p + nw, &c->conv, c->B);
}
static void conv_b(const layer_case *c, const float *in, const float *p, const float *dout,
                   float *din, float *dp)
{
    size_t nw = (size_t)c->OC * c->C * c->K * c->K;
    dl_nn_conv2d_backward(din, dp, dp + nw, scratch, dout, in, p, &c->conv, c->B);
}
static void up_f(const layer_case *c, const float *in, const float *p, float *out)
{
    (void)p;
    dl_nn_upsample2x_forward(out, in, c->C * c->B, c->H, c->W);
}
static void up_b(const layer_case *c, const float *in, const float *p, const float *dout,
                 float *din, float *dp)
{
    (void)in, (void)p, (void)dp;
    dl_nn_upsample2x_backward(din, dout, c->C * c->B, c->H, c->W);
}
static void pool_f(const layer_case *c, const float *in, const float *p, float *out)
{
    (void)p;
    dl_nn_avgpool_forward(out, in, c->C * c->B, c->H, c->W, c->K);
}
static void pool_b(const layer_case *c, const float *in, const float *p, const float *dout,
                   float *din, float *dp)
{
    (void)in, (void)p, (void)dp;
    dl_nn_avgpool_backward(din, dout, c->C * c->B, c->H, c->W, c->K);
}
#define ELEMENTWISE(name, uses_out)                                                                \
    static void name##_f(const layer_case *c, const float *in, const float *p, float *out)        \
    {                                                                                              \
        (void)p;                                                                                   \
        dl_nn_##name##_forward(out, in, c->n_in);                                                     \
    }                                                                                              \
    static void name##_b(const layer_case *c, const float *in, const float *p, const float *dout, \
                         float *din, float *dp)                                                    \
    {                                                                                              \
        (void)p, (void)dp;                                                                         \
        if (uses_out) {                                                                            \
            dl_nn_##name##_forward(scratch, in, c->n_in);                                             \
            dl_nn_##name##_backward(din, dout, scratch, c->n_in);                                     \
        } else {                                                                                   \
            dl_nn_##name##_backward(din, dout, in, c->n_in);                                          \
        }                                                                                          \
    }
ELEMENTWISE(relu, 0)
ELEMENTWISE(silu, 0)
ELEMENTWISE(tanh, 1)
ELEMENTWISE(sigmoid, 1)
/* residual add: the second operand is the "parameter" */
static void add_f(const layer_case *c, const float *in, const float *p, float *out)
{
    dl_nn_add_forward(out, in, p, c->n_in);
}
static void add_b(const layer_case *c, const float *in, const float *p, const float *dout,
                  float *din, float *dp)
{
    (void)in, (void)p;
    dl_nn_add_backward(din, dp, dout, c->n_in);
}
static float gn_mean[256], gn_rstd[256];
static void gn_f(const layer_case *c, const float *in, const float *p, float *out)
{
    dl_nn_groupnorm_forward(out, gn_mean, gn_rstd, in, p, p + c->C, c->C, c->B, c->H * c->W, c->G);
}
static void gn_b(const layer_case *c, const float *in, const float *p, const float *dout,
                 float *din, float *dp)
{
    float tmp[4096];
    dl_nn_groupnorm_forward(tmp, gn_mean, gn_rstd, in, p, p + c->C, c->C, c->B, c->H * c->W, c->G);
    dl_nn_groupnorm_backward(din, dp, dp + c->C, dout, in, gn_mean, gn_rstd, p, c->C, c->B,
                          c->H * c->W, c->G);
}
static void transpose_f(const layer_case *c, const float *in, const float *p, float *out)
{
    (void)p;
    dl_nn_cbp_to_bcp(out, in, c->C, c->B, c->H * c->W);
}
static void transpose_b(const layer_case *c, const float *in, const float *p, const float *dout,
                        float *din, float *dp)
{
    (void)in, (void)p, (void)dp;
    float tmp[4096];
    dl_nn_bcp_to_cbp(tmp, dout, c->C, c->B, c->H * c->W);
    for (size_t i = 0; i < c->n_in; i++)
        din[i] += tmp[i];
}

static double loss_of(const layer_case *c, const float *in, const float *p, const float *R,
                      float *out)
{
    c->forward(c, in, p, out);
    double L = 0;
    for (size_t i = 0; i < c->n_out; i++)
        L += (double)R[i] * out[i];
    return L;
}

static void check_layer(layer_case *c, gsl_rng *rng)
{
    float *in = calloc(c->n_in, 4), *p = calloc(c->n_param + 1, 4), *R = calloc(c->n_out, 4);
    float *out = calloc(c->n_out, 4), *din = calloc(c->n_in, 4), *dp = calloc(c->n_param + 1, 4);
    for (size_t i = 0; i < c->n_in; i++) {
        float v = (float)gsl_ran_gaussian(rng, 1.0);
        if (fabsf(v) < 0.05f)
            v = v < 0 ? -0.05f - v : 0.05f + v; /* away from the ReLU kink */
        in[i] = v;
    }
    for (size_t i = 0; i < c->n_param; i++)
        p[i] = (float)gsl_ran_gaussian(rng, 0.5) + (strstr(c->name, "groupnorm") && i < (size_t)c->C ? 1.0f : 0.0f);
    for (size_t i = 0; i < c->n_out; i++)
        R[i] = (float)gsl_ran_gaussian(rng, 1.0);
    c->backward(c, in, p, R, din, dp);
    const float h = 1e-2f;
    int bad = 0, checked = 0;
    for (int which = 0; which < 2; which++) {
        float *x = which ? p : in, *g = which ? dp : din;
        size_t n = which ? c->n_param : c->n_in;
        size_t stride = n > 60 ? n / 60 : 1;
        for (size_t i = 0; i < n; i += stride) {
            float save = x[i];
            x[i] = save + h;
            double Lp = loss_of(c, in, p, R, out);
            x[i] = save - h;
            double Lm = loss_of(c, in, p, R, out);
            x[i] = save;
            double num = (Lp - Lm) / (2 * h), ana = g[i];
            checked++;
            if (fabs(num - ana) > 2e-2 * (fabs(num) + fabs(ana)) + 1e-3) {
                if (bad++ < 3)
                    fprintf(stderr, "  %s: d%s[%zu] analytic %.6g numeric %.6g\n", c->name,
                            which ? "param" : "inp", i, ana, num);
            }
        }
    }
    CHECK(bad == 0, "%s: %d of %d gradient entries disagree with finite differences", c->name, bad,
          checked);
    printf("%-28s %4d entries checked, %d off\n", c->name, checked, bad);
    free(in), free(p), free(R), free(out), free(din), free(dp);
}

static void check_xent(gsl_rng *rng)
{
    const int B = 4, K = 10;
    float z[40], probs[40], dz[40] = {0};
    unsigned char labels[4] = {3, 0, 9, 3};
    for (int i = 0; i < B * K; i++)
        z[i] = (float)gsl_ran_gaussian(rng, 2.0);
    dl_nn_softmax_xent_forward(probs, z, labels, B, K);
    dl_nn_softmax_xent_backward(dz, probs, labels, B, K);
    int bad = 0;
    for (int i = 0; i < B * K; i++) {
        float save = z[i], h = 1e-2f;
        z[i] = save + h;
        double Lp = dl_nn_softmax_xent_forward(probs, z, labels, B, K);
        z[i] = save - h;
        double Lm = dl_nn_softmax_xent_forward(probs, z, labels, B, K);
        z[i] = save;
        double num = (Lp - Lm) / (2 * h);
        bad += fabs(num - dz[i]) > 2e-2 * (fabs(num) + fabs(dz[i])) + 1e-3;
    }
    CHECK(bad == 0, "softmax cross-entropy: %d of %d entries off", bad, B * K);
    /* uniform logits: loss = ln K exactly */
    for (int i = 0; i < B * K; i++)
        z[i] = 0.25f;
    CHECK_CLOSE(dl_nn_softmax_xent_forward(probs, z, labels, B, K), log(10.0), 1e-6,
                "uniform logits give ln K");
    printf("%-28s %4d entries checked, %d off\n", "softmax cross-entropy", B * K, bad);
}

/* the forward against the convolution's definition, summed in double */
static void check_conv_reference(const layer_case *c, gsl_rng *rng)
{
    const dl_nn_conv2d_shape *s = &c->conv;
    size_t nw = (size_t)c->OC * c->C * c->K * c->K;
    float *in = malloc(c->n_in * sizeof(float)), *p = malloc(c->n_param * sizeof(float)),
          *out = malloc(c->n_out * sizeof(float));
    for (size_t i = 0; i < c->n_in; i++)
        in[i] = (float)gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < c->n_param; i++)
        p[i] = (float)gsl_ran_gaussian(rng, 1.0);
    dl_nn_conv2d_forward(out, scratch, in, p, p + nw, s, c->B);
    double worst = 0;
    for (int o = 0; o < c->OC; o++)
        for (int b = 0; b < c->B; b++)
            for (int oy = 0; oy < s->OH; oy++)
                for (int ox = 0; ox < s->OW; ox++) {
                    double sum = p[nw + o];
                    for (int ch = 0; ch < c->C; ch++)
                        for (int ky = 0; ky < c->K; ky++)
                            for (int kx = 0; kx < c->K; kx++) {
                                int iy = oy * c->stride + ky - c->pad, ix = ox * c->stride + kx - c->pad;
                                if (iy >= 0 && iy < c->H && ix >= 0 && ix < c->W)
                                    sum += (double)p[((size_t)o * c->C + ch) * c->K * c->K + ky * c->K + kx] *
                                           in[(((size_t)ch * c->B + b) * c->H + iy) * c->W + ix];
                            }
                    float got = out[(((size_t)o * c->B + b) * s->OH + oy) * s->OW + ox];
                    worst = fmax(worst, fabs(got - sum));
                }
    CHECK(worst < 1e-5 * c->C * c->K * c->K, "%s: forward differs from the definition by %.3g",
          c->name, worst);
    free(in), free(p), free(out);
}

int main(void)
{
    gsl_rng *rng = dl_rng_create(5);
    layer_case cases[20];
    int n = 0;
    cases[n++] = (layer_case){.name = "linear", .B = 3, .C = 7, .OC = 5, .n_in = 21,
                              .n_param = 40, .n_out = 15, .forward = linear_f, .backward = linear_b};
    struct { const char *name; int C, H, W, OC, K, stride, pad; } convs[] = {
        {"conv2d 3x3 stride 1 pad 1", 3, 6, 6, 4, 3, 1, 1},
        {"conv2d 3x3 stride 2 pad 1", 3, 7, 7, 5, 3, 2, 1},
        {"conv2d 1x1", 4, 5, 5, 3, 1, 1, 0},
        {"conv2d 3x3 stride 1 pad 0", 2, 5, 6, 3, 3, 1, 0},
        /* one input channel at stride 1: the direct path, not im2col */
        {"conv2d 1 channel 3x3 pad 1", 1, 6, 5, 3, 3, 1, 1},
        {"conv2d 1 channel 5x5 pad 1", 1, 7, 6, 2, 5, 1, 1},
        {"conv2d 1 channel 3x3 stride 2", 1, 7, 7, 2, 3, 2, 1},
    };
    for (int i = 0; i < 7; i++) {
        layer_case c = {.name = convs[i].name, .B = 2, .C = convs[i].C, .H = convs[i].H,
                        .W = convs[i].W, .OC = convs[i].OC, .K = convs[i].K,
                        .stride = convs[i].stride, .pad = convs[i].pad, .forward = conv_f,
                        .backward = conv_b};
        dl_nn_conv2d_setup(&c.conv, c.C, c.H, c.W, c.OC, c.K, c.stride, c.pad);
        c.n_in = (size_t)c.C * c.B * c.H * c.W;
        c.n_param = (size_t)c.OC * c.C * c.K * c.K + c.OC;
        c.n_out = (size_t)c.OC * c.B * c.conv.OH * c.conv.OW;
        cases[n++] = c;
        check_conv_reference(&c, rng);
    }
    cases[n++] = (layer_case){.name = "upsample 2x", .C = 2, .B = 2, .H = 3, .W = 4, .n_in = 48,
                              .n_out = 192, .forward = up_f, .backward = up_b};
    cases[n++] = (layer_case){.name = "avgpool 2x2", .C = 2, .B = 2, .H = 4, .W = 6, .K = 2,
                              .n_in = 96, .n_out = 24, .forward = pool_f, .backward = pool_b};
    cases[n++] = (layer_case){.name = "relu", .n_in = 50, .n_out = 50, .forward = relu_f, .backward = relu_b};
    cases[n++] = (layer_case){.name = "silu", .n_in = 50, .n_out = 50, .forward = silu_f, .backward = silu_b};
    cases[n++] = (layer_case){.name = "tanh", .n_in = 50, .n_out = 50, .forward = tanh_f, .backward = tanh_b};
    cases[n++] = (layer_case){.name = "sigmoid", .n_in = 50, .n_out = 50, .forward = sigmoid_f, .backward = sigmoid_b};
    cases[n++] = (layer_case){.name = "residual add", .n_in = 30, .n_param = 30, .n_out = 30,
                              .forward = add_f, .backward = add_b};
    cases[n++] = (layer_case){.name = "groupnorm (4 ch, 2 groups)", .C = 4, .B = 3, .H = 3, .W = 3,
                              .G = 2, .n_in = 108, .n_param = 8, .n_out = 108, .forward = gn_f,
                              .backward = gn_b};
    cases[n++] = (layer_case){.name = "CBP -> BCP transpose", .C = 3, .B = 2, .H = 2, .W = 2,
                              .n_in = 24, .n_out = 24, .forward = transpose_f, .backward = transpose_b};
    for (int i = 0; i < n; i++)
        check_layer(&cases[i], rng);
    check_xent(rng);
    /* tanh and SiLU go through the vectorised expf: against the double
     * functions over [-12, 12] in steps of 1e-3, to a few float roundings
     * (measured: tanh 1.8e-7 absolute), and the ends and NaN handled */
    {
        enum { NX = 24001 };
        static float x[NX], y[NX];
        for (int i = 0; i < NX; i++)
            x[i] = (float)((i - NX / 2) * 1e-3);
        dl_nn_tanh_forward(y, x, NX);
        double worst_t = 0, worst_s = 0;
        for (int i = 0; i < NX; i++)
            worst_t = fmax(worst_t, fabs(y[i] - tanh((double)x[i])));
        dl_nn_silu_forward(y, x, NX);
        for (int i = 0; i < NX; i++) {
            const double xi = x[i], ref = xi / (1.0 + exp(-xi));
            worst_s = fmax(worst_s, fabs(y[i] - ref) / fmax(1.0, fabs(ref)));
        }
        CHECK(worst_t < 5e-7, "tanh: %.3g from the double tanh", worst_t);
        CHECK(worst_s < 5e-7, "SiLU: %.3g (relative) from the double SiLU", worst_s);
        float ends[3] = {INFINITY, -INFINITY, NAN}, t[3], si[3];
        dl_nn_tanh_forward(t, ends, 3);
        dl_nn_silu_forward(si, ends, 3);
        CHECK(t[0] == 1.0f && t[1] == -1.0f && isnan(t[2]), "tanh(+-inf, nan) = %g %g %g", t[0],
              t[1], t[2]);
        CHECK(si[0] == INFINITY && isnan(si[2]), "silu(inf, nan) = %g %g", si[0], si[2]);
    }
    gsl_rng_free(rng);
    return test_report("test_nn");
}
