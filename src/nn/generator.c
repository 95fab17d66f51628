#include "nn/generator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "nn/nn.h"

#define PIXELS 784

/* ================= convolutional generator ================= */

#define CG_GROUPS 4
#define CG_CLASS_CH 8

/* one residual block at c channels and HW pixels: x + conv(SiLU(GN(conv(SiLU(GN(x)))))) */
typedef struct {
    int c, hw;
    dl_nn_conv2d_shape s;
    float *g1, *be1, *w1, *b1, *g2, *be2, *w2, *b2;         /* params */
    float *gg1, *gbe1, *gw1, *gb1, *gg2, *gbe2, *gw2, *gb2; /* grads */
    float *n1, *m1, *r1, *a1, *c1, *n2, *m2, *r2, *a2, *c2; /* activations (x is the caller's) */
} cg_res;

struct dl_convgen {
    int zc, C, in_ch;
    dl_nn_conv2d_shape s_in, s_mid, s_o1, s_o2;
    float *emb, *w_in, *b_in, *w_mid, *b_mid, *w_o1, *b_o1, *g_o, *be_o, *w_o2, *b_o2;
    float *gemb, *gw_in, *gb_in, *gw_mid, *gb_mid, *gw_o1, *gb_o1, *gg_o, *gbe_o, *gw_o2, *gb_o2;
    cg_res r7, r14;
    /* activations, CBHW */
    float *x0, *h0, *u14, *h1, *u28, *h2, *n3, *m3, *r3, *a3, *o;
    float *scratch, *dbuf[2]; /* backward: two ping-pong buffers of the largest map */
    unsigned char *labels;    /* of the last forward */
};

/* Parameters are laid out in the order they are registered; a first pass
 * (params == NULL) only counts. */
typedef struct {
    float *params, *grads;
    size_t n;
} cg_arena;

static void cg_take(cg_arena *a, size_t n, float **p, float **g)
{
    if (a->params)
        *p = a->params + a->n, *g = a->grads + a->n;
    a->n += n;
}

static void cg_res_params(cg_arena *a, cg_res *r)
{
    size_t w = (size_t)r->c * r->c * 9;
    cg_take(a, r->c, &r->g1, &r->gg1), cg_take(a, r->c, &r->be1, &r->gbe1);
    cg_take(a, w, &r->w1, &r->gw1), cg_take(a, r->c, &r->b1, &r->gb1);
    cg_take(a, r->c, &r->g2, &r->gg2), cg_take(a, r->c, &r->be2, &r->gbe2);
    cg_take(a, w, &r->w2, &r->gw2), cg_take(a, r->c, &r->b2, &r->gb2);
}

static void cg_layout(dl_convgen *cg, int classes, cg_arena *a)
{
    const int C = cg->C;
    cg_take(a, (size_t)(classes ? classes : 1) * CG_CLASS_CH * 49, &cg->emb, &cg->gemb);
    cg_take(a, (size_t)2 * C * cg->in_ch * 9, &cg->w_in, &cg->gw_in);
    cg_take(a, (size_t)2 * C, &cg->b_in, &cg->gb_in);
    cg_res_params(a, &cg->r7);
    cg_take(a, (size_t)C * 2 * C * 9, &cg->w_mid, &cg->gw_mid), cg_take(a, C, &cg->b_mid, &cg->gb_mid);
    cg_res_params(a, &cg->r14);
    cg_take(a, (size_t)(C / 2) * C * 9, &cg->w_o1, &cg->gw_o1), cg_take(a, C / 2, &cg->b_o1, &cg->gb_o1);
    cg_take(a, C / 2, &cg->g_o, &cg->gg_o), cg_take(a, C / 2, &cg->be_o, &cg->gbe_o);
    cg_take(a, (size_t)(C / 2) * 9, &cg->w_o2, &cg->gw_o2), cg_take(a, 1, &cg->b_o2, &cg->gb_o2);
}

static int cg_alloc(float **p, size_t n)
{
    return (*p = malloc(n * sizeof(float))) != NULL;
}

static int cg_res_alloc(cg_res *r, int B)
{
    size_t n = (size_t)r->c * B * r->hw, st = (size_t)B * CG_GROUPS;
    return cg_alloc(&r->n1, n) && cg_alloc(&r->m1, st) && cg_alloc(&r->r1, st) &&
           cg_alloc(&r->a1, n) && cg_alloc(&r->c1, n) && cg_alloc(&r->n2, n) &&
           cg_alloc(&r->m2, st) && cg_alloc(&r->r2, st) && cg_alloc(&r->a2, n) && cg_alloc(&r->c2, n);
}

static void cg_res_free(cg_res *r)
{
    float *b[] = {r->n1, r->m1, r->r1, r->a1, r->c1, r->n2, r->m2, r->r2, r->a2, r->c2};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        free(b[i]);
}

static void cg_destroy(dl_convgen *cg)
{
    if (!cg)
        return;
    cg_res_free(&cg->r7), cg_res_free(&cg->r14);
    float *b[] = {cg->x0, cg->h0, cg->u14, cg->h1, cg->u28, cg->h2, cg->n3, cg->m3, cg->r3,
                  cg->a3, cg->o, cg->scratch, cg->dbuf[0], cg->dbuf[1]};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        free(b[i]);
    free(cg->labels);
    free(cg);
}

static int cg_create(dl_generator *g)
{
    const dl_generator_arch *a = &g->arch;
    const int C = a->hidden, B = g->max_batch;
    dl_convgen *cg = calloc(1, sizeof *cg);
    if (!cg)
        return 0;
    g->conv = cg;
    cg->zc = a->zdim / 49, cg->C = C, cg->in_ch = cg->zc + CG_CLASS_CH + (a->guided ? 1 : 0);
    dl_nn_conv2d_setup(&cg->s_in, cg->in_ch, 7, 7, 2 * C, 3, 1, 1);
    dl_nn_conv2d_setup(&cg->r7.s, 2 * C, 7, 7, 2 * C, 3, 1, 1);
    cg->r7.c = 2 * C, cg->r7.hw = 49;
    dl_nn_conv2d_setup(&cg->s_mid, 2 * C, 14, 14, C, 3, 1, 1);
    dl_nn_conv2d_setup(&cg->r14.s, C, 14, 14, C, 3, 1, 1);
    cg->r14.c = C, cg->r14.hw = 196;
    dl_nn_conv2d_setup(&cg->s_o1, C, 28, 28, C / 2, 3, 1, 1);
    dl_nn_conv2d_setup(&cg->s_o2, C / 2, 28, 28, 1, 3, 1, 1);
    cg_arena count = {0};
    cg_layout(cg, a->classes, &count);
    g->n_params = count.n;
    g->params = calloc(g->n_params, sizeof(float));
    g->grads = calloc(g->n_params, sizeof(float));
    if (!g->params || !g->grads)
        return 0;
    cg_arena fill = {g->params, g->grads, 0};
    cg_layout(cg, a->classes, &fill);
    size_t scratch = 0;
    const dl_nn_conv2d_shape *shapes[] = {&cg->s_in, &cg->r7.s, &cg->s_mid, &cg->r14.s, &cg->s_o1, &cg->s_o2};
    for (int i = 0; i < 6; i++)
        if (dl_nn_conv2d_scratch(shapes[i], B) > scratch)
            scratch = dl_nn_conv2d_scratch(shapes[i], B);
    const size_t n7 = (size_t)2 * C * B * 49, n14 = (size_t)C * B * 196, n28 = (size_t)C * B * 784;
    size_t widest = n7 > n14 ? n7 : n14;
    widest = widest > n28 ? widest : n28;
    const size_t half = (size_t)(C / 2) * B * 784;
    return cg_res_alloc(&cg->r7, B) && cg_res_alloc(&cg->r14, B) &&
           cg_alloc(&cg->x0, (size_t)cg->in_ch * B * 49) && cg_alloc(&cg->h0, n7) &&
           cg_alloc(&cg->u14, (size_t)2 * C * B * 196) && cg_alloc(&cg->h1, n14) &&
           cg_alloc(&cg->u28, n28) && cg_alloc(&cg->h2, half) && cg_alloc(&cg->n3, half) &&
           cg_alloc(&cg->m3, (size_t)B * CG_GROUPS) && cg_alloc(&cg->r3, (size_t)B * CG_GROUPS) &&
           cg_alloc(&cg->a3, half) && cg_alloc(&cg->o, (size_t)B * 784) &&
           cg_alloc(&cg->scratch, scratch) && cg_alloc(&cg->dbuf[0], widest * 2) &&
           cg_alloc(&cg->dbuf[1], widest * 2) && (cg->labels = calloc((size_t)B, 1)) != NULL;
}

static void he_fill(float *w, size_t n, int fan_in, double gain, gsl_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        w[i] = (float)gsl_ran_gaussian(rng, gain * sqrt(2.0 / fan_in));
}

static void cg_res_init(cg_res *r, gsl_rng *rng)
{
    for (int i = 0; i < r->c; i++)
        r->g1[i] = r->g2[i] = 1.0f;
    he_fill(r->w1, (size_t)r->c * r->c * 9, r->c * 9, 1.0, rng);
    /* the second conv starts small: every block starts near the identity */
    he_fill(r->w2, (size_t)r->c * r->c * 9, r->c * 9, 0.1, rng);
}

static void cg_init(dl_generator *g, gsl_rng *rng)
{
    dl_convgen *cg = g->conv;
    const int C = cg->C, K = g->arch.classes ? g->arch.classes : 1;
    memset(g->params, 0, g->n_params * sizeof(float));
    for (size_t i = 0; i < (size_t)K * CG_CLASS_CH * 49; i++)
        cg->emb[i] = (float)gsl_ran_gaussian(rng, 1.0);
    he_fill(cg->w_in, (size_t)2 * C * cg->in_ch * 9, cg->in_ch * 9, 1.0, rng);
    cg_res_init(&cg->r7, rng);
    he_fill(cg->w_mid, (size_t)C * 2 * C * 9, 2 * C * 9, 1.0, rng);
    cg_res_init(&cg->r14, rng);
    he_fill(cg->w_o1, (size_t)(C / 2) * C * 9, C * 9, 1.0, rng);
    for (int i = 0; i < C / 2; i++)
        cg->g_o[i] = 1.0f;
    he_fill(cg->w_o2, (size_t)(C / 2) * 9, C / 2 * 9, 0.5, rng);
}

/* x (c,B,hw) -> out (c,B,hw) */
static void cg_res_forward(cg_res *r, float *out, const float *x, float *scratch, int B)
{
    const size_t n = (size_t)r->c * B * r->hw;
    dl_nn_groupnorm_forward(r->n1, r->m1, r->r1, x, r->g1, r->be1, r->c, B, r->hw, CG_GROUPS);
    dl_nn_silu_forward(r->a1, r->n1, n);
    dl_nn_conv2d_forward(r->c1, scratch, r->a1, r->w1, r->b1, &r->s, B);
    dl_nn_groupnorm_forward(r->n2, r->m2, r->r2, r->c1, r->g2, r->be2, r->c, B, r->hw, CG_GROUPS);
    dl_nn_silu_forward(r->a2, r->n2, n);
    dl_nn_conv2d_forward(r->c2, scratch, r->a2, r->w2, r->b2, &r->s, B);
    dl_nn_add_forward(out, x, r->c2, n);
}

/* dout (c,B,hw) -> ADDS into dx; t1, t2 scratch maps of n floats */
static void cg_res_backward(cg_res *r, float *dx, const float *dout, const float *x, float *scratch,
                            float *t1, float *t2, int B)
{
    const size_t n = (size_t)r->c * B * r->hw;
    for (size_t i = 0; i < n; i++)
        dx[i] += dout[i];
    memset(t1, 0, n * sizeof(float));
    dl_nn_conv2d_backward(t1, r->gw2, r->gb2, scratch, dout, r->a2, r->w2, &r->s, B); /* d a2 */
    memset(t2, 0, n * sizeof(float));
    dl_nn_silu_backward(t2, t1, r->n2, n); /* d n2 */
    memset(t1, 0, n * sizeof(float));
    dl_nn_groupnorm_backward(t1, r->gg2, r->gbe2, t2, r->c1, r->m2, r->r2, r->g2, r->c, B, r->hw,
                          CG_GROUPS); /* d c1 */
    memset(t2, 0, n * sizeof(float));
    dl_nn_conv2d_backward(t2, r->gw1, r->gb1, scratch, t1, r->a1, r->w1, &r->s, B); /* d a1 */
    memset(t1, 0, n * sizeof(float));
    dl_nn_silu_backward(t1, t2, r->n1, n); /* d n1 */
    dl_nn_groupnorm_backward(dx, r->gg1, r->gbe1, t1, x, r->m1, r->r1, r->g1, r->c, B, r->hw, CG_GROUPS);
}

static void cg_forward(dl_generator *g, const float *z, const unsigned char *labels,
                       const float *alpha, int B)
{
    dl_convgen *cg = g->conv;
    const int C = cg->C;
    if (labels)
        memcpy(cg->labels, labels, (size_t)B);
    else
        memset(cg->labels, 0, (size_t)B);
    /* z (B, zc*49) batch-major -> channels 0..zc-1; the class map -> the rest */
    dl_nn_bcp_to_cbp(cg->x0, z, cg->zc, B, 49);
    for (int k = 0; k < CG_CLASS_CH; k++)
        for (int b = 0; b < B; b++)
            memcpy(cg->x0 + ((size_t)(cg->zc + k) * B + b) * 49,
                   cg->emb + ((size_t)cg->labels[b] * CG_CLASS_CH + k) * 49,
                   49 * sizeof(float));
    if (g->arch.guided) /* the last channel: alpha - 1, constant over the map */
        for (int b = 0; b < B; b++)
            for (int i = 0; i < 49; i++)
                cg->x0[((size_t)(cg->in_ch - 1) * B + b) * 49 + i] = alpha ? alpha[b] - 1.0f : 0.0f;
    float *t = cg->dbuf[0]; /* forward scratch for block outputs */
    dl_nn_conv2d_forward(cg->h0, cg->scratch, cg->x0, cg->w_in, cg->b_in, &cg->s_in, B);
    cg_res_forward(&cg->r7, t, cg->h0, cg->scratch, B);
    dl_nn_upsample2x_forward(cg->u14, t, 2 * C * B, 7, 7);
    dl_nn_conv2d_forward(cg->h1, cg->scratch, cg->u14, cg->w_mid, cg->b_mid, &cg->s_mid, B);
    cg_res_forward(&cg->r14, t, cg->h1, cg->scratch, B);
    dl_nn_upsample2x_forward(cg->u28, t, C * B, 14, 14);
    dl_nn_conv2d_forward(cg->h2, cg->scratch, cg->u28, cg->w_o1, cg->b_o1, &cg->s_o1, B);
    dl_nn_groupnorm_forward(cg->n3, cg->m3, cg->r3, cg->h2, cg->g_o, cg->be_o, C / 2, B, 784, CG_GROUPS);
    dl_nn_silu_forward(cg->a3, cg->n3, (size_t)(C / 2) * B * 784);
    dl_nn_conv2d_forward(cg->o, cg->scratch, cg->a3, cg->w_o2, cg->b_o2, &cg->s_o2, B);
    /* (1,B,28,28) is (B,784) */
    if (g->arch.linear)
        memcpy(g->out, cg->o, (size_t)B * 784 * sizeof(float));
    else
        dl_nn_tanh_forward(g->out, cg->o, (size_t)B * 784);
}

static void cg_backward(dl_generator *g, const float *dout, int B)
{
    dl_convgen *cg = g->conv;
    const int C = cg->C;
    const size_t half = (size_t)(C / 2) * B * 784, n28 = (size_t)C * B * 784,
                 n14 = (size_t)C * B * 196, n7 = (size_t)2 * C * B * 49;
    float *d0 = cg->dbuf[0], *d1 = cg->dbuf[1];
    float *ta = d0 + n28, *tb = d1 + n28; /* second halves: block scratch */
    memset(g->grads, 0, g->n_params * sizeof(float));
    memset(d0, 0, (size_t)B * 784 * sizeof(float));
    if (g->arch.linear) /* d o */
        memcpy(d0, dout, (size_t)B * 784 * sizeof(float));
    else
        dl_nn_tanh_backward(d0, dout, g->out, (size_t)B * 784);
    memset(d1, 0, half * sizeof(float));
    dl_nn_conv2d_backward(d1, cg->gw_o2, cg->gb_o2, cg->scratch, d0, cg->a3, cg->w_o2, &cg->s_o2, B);
    memset(d0, 0, half * sizeof(float));
    dl_nn_silu_backward(d0, d1, cg->n3, half); /* d n3 */
    memset(d1, 0, half * sizeof(float));
    dl_nn_groupnorm_backward(d1, cg->gg_o, cg->gbe_o, d0, cg->h2, cg->m3, cg->r3, cg->g_o, C / 2, B,
                          784, CG_GROUPS); /* d h2 */
    memset(d0, 0, n28 * sizeof(float));
    dl_nn_conv2d_backward(d0, cg->gw_o1, cg->gb_o1, cg->scratch, d1, cg->u28, cg->w_o1, &cg->s_o1, B);
    memset(d1, 0, n14 * sizeof(float));
    dl_nn_upsample2x_backward(d1, d0, C * B, 14, 14); /* d r14 output */
    memset(d0, 0, n14 * sizeof(float));
    cg_res_backward(&cg->r14, d0, d1, cg->h1, cg->scratch, ta, tb, B); /* d h1 */
    memset(d1, 0, (size_t)2 * C * B * 196 * sizeof(float));
    dl_nn_conv2d_backward(d1, cg->gw_mid, cg->gb_mid, cg->scratch, d0, cg->u14, cg->w_mid, &cg->s_mid, B);
    memset(d0, 0, n7 * sizeof(float));
    dl_nn_upsample2x_backward(d0, d1, 2 * C * B, 7, 7); /* d r7 output */
    memset(d1, 0, n7 * sizeof(float));
    cg_res_backward(&cg->r7, d1, d0, cg->h0, cg->scratch, ta, tb, B); /* d h0 */
    memset(d0, 0, (size_t)cg->in_ch * B * 49 * sizeof(float));
    dl_nn_conv2d_backward(d0, cg->gw_in, cg->gb_in, cg->scratch, d1, cg->x0, cg->w_in, &cg->s_in, B);
    for (int k = 0; k < CG_CLASS_CH; k++)
        for (int b = 0; b < B; b++) {
            float *ge = cg->gemb + ((size_t)cg->labels[b] * CG_CLASS_CH + k) * 49;
            const float *src = d0 + ((size_t)(cg->zc + k) * B + b) * 49;
            for (int i = 0; i < 49; i++)
                ge[i] += src[i];
        }
}

int dl_generator_kind_parse(const char *name, dl_generator_kind *kind)
{
    if (!strcmp(name, "mlp"))
        *kind = DL_GENERATOR_MLP;
    else if (!strcmp(name, "conv"))
        *kind = DL_GENERATOR_CONV;
    else
        return dl_error(DL_EINVAL, "unknown generator '%s' (known: mlp, conv)", name);
    return DL_OK;
}

void dl_generator_arch_string(const dl_generator_arch *a, char *buf, size_t len)
{
    const char *guided = a->guided ? " guided" : "", *linear = a->linear ? " linear" : "";
    if (a->kind == DL_GENERATOR_CONV)
        snprintf(buf, len, "convgen-v1 zc=%d ch=%d classes=%d%s%s", a->zdim / 49, a->hidden,
                 a->classes, linear, guided);
    else if (a->out && a->out != PIXELS)
        snprintf(buf, len, "mlpgen-v1 z=%d h=%d classes=%d out=%d%s", a->zdim, a->hidden,
                 a->classes, a->out, guided);
    else
        snprintf(buf, len, "mlpgen-v1 z=%d h=%d classes=%d%s%s", a->zdim, a->hidden, a->classes,
                 linear, guided);
}

static int out_dim(const dl_generator_arch *a)
{
    return a->kind == DL_GENERATOR_MLP && a->out > 0 ? a->out : PIXELS;
}

/* The limits keep every size product far inside int and size_t. */
static int arch_valid(const dl_generator_arch *a)
{
    if (a->zdim < 1 || a->hidden < 1 || a->classes < 0 || a->classes > 255 || a->out < 0 ||
        a->out > 4096 || a->hidden > 8192 || a->zdim > 999 * 49 ||
        (a->kind == DL_GENERATOR_MLP && a->zdim > 4096) ||
        (a->kind == DL_GENERATOR_CONV && (a->hidden > 1024 || (a->out && a->out != PIXELS))) ||
        (a->guided && !a->classes) || (a->linear && out_dim(a) != PIXELS))
        return 0;
    return a->kind == DL_GENERATOR_MLP || (a->zdim % 49 == 0 && a->hidden % 8 == 0);
}

/* The fields after the tag, each range-checked before it narrows to int. */
static int parse_arch_fields(const char *text, dl_generator_arch *a, const char **rest)
{
    long z, h, classes, out = 0;
    const char *p = text;
    if (!strncmp(p, "mlpgen-v1", 9)) {
        p += 9;
        a->kind = DL_GENERATOR_MLP;
        if (dl_parse_field(&p, "z", 1, 4096, &z) || dl_parse_field(&p, "h", 1, 8192, &h) ||
            dl_parse_field(&p, "classes", 0, 255, &classes) ||
            (!strncmp(p, " out=", 5) && dl_parse_field(&p, "out", 1, 4096, &out)))
            return -1;
    } else if (!strncmp(p, "convgen-v1", 10)) {
        p += 10;
        a->kind = DL_GENERATOR_CONV;
        if (dl_parse_field(&p, "zc", 1, 999, &z) || dl_parse_field(&p, "ch", 8, 1024, &h) ||
            dl_parse_field(&p, "classes", 0, 255, &classes))
            return -1;
        z *= 49;
    } else {
        return -1;
    }
    a->zdim = (int)z, a->hidden = (int)h, a->classes = (int)classes, a->out = (int)out;
    *rest = p;
    return 0;
}

int dl_generator_arch_parse(const char *text, dl_generator_arch *a)
{
    memset(a, 0, sizeof *a);
    const char *p;
    if (parse_arch_fields(text, a, &p))
        return dl_error(DL_EFORMAT, "not a generator architecture: '%.80s'", text);
    /* the tokens come in this order: " linear" then " guided" */
    if (!strncmp(p, " linear", 7))
        a->linear = 1, p += 7;
    if (!strncmp(p, " guided", 7))
        a->guided = 1, p += 7;
    char canonical[128];
    if (!*p && arch_valid(a))
        dl_generator_arch_string(a, canonical, sizeof canonical);
    if (*p || !arch_valid(a) || strcmp(canonical, text))
        return dl_error(DL_EFORMAT, "bad generator architecture: '%.80s'", text);
    return DL_OK;
}

int dl_generator_create(dl_generator **out, const dl_generator_arch *a, int B)
{
    *out = NULL;
    if (!arch_valid(a) || B < 1)
        return dl_error(DL_EINVAL, "generator: bad architecture or batch (the conv generator needs "
                                   "a width that is a multiple of 8)");
    dl_generator *g = calloc(1, sizeof *g);
    if (!g)
        return dl_error(DL_ENOMEM, "generator: out of memory");
    g->arch = *a;
    g->max_batch = B;
    if (a->kind == DL_GENERATOR_CONV) {
        if (!cg_create(g) || !(g->out = malloc((size_t)B * PIXELS * sizeof(float)))) {
            dl_generator_destroy(g);
            return dl_error(DL_ENOMEM, "generator: out of memory for batch %d", B);
        }
        *out = g;
        return DL_OK;
    }
    g->in_dim = a->zdim + a->classes + (a->guided ? 1 : 0);
    const int H = a->hidden, I = g->in_dim, P = out_dim(a);
    size_t sizes[6] = {(size_t)H * I, H, (size_t)H * H, H, (size_t)P * H, (size_t)P};
    for (int i = 0; i < 6; i++)
        g->n_params += sizes[i];
    g->params = calloc(g->n_params, sizeof(float));
    g->grads = calloc(g->n_params, sizeof(float));
    float **v[6] = {&g->w1, &g->b1, &g->w2, &g->b2, &g->w3, &g->b3};
    float **gv[6] = {&g->gw1, &g->gb1, &g->gw2, &g->gb2, &g->gw3, &g->gb3};
    size_t off = 0;
    for (int i = 0; g->params && g->grads && i < 6; i++) {
        *v[i] = g->params + off;
        *gv[i] = g->grads + off;
        off += sizes[i];
    }
    struct { float **p; size_t n; } bufs[] = {
        {&g->in, (size_t)B * I}, {&g->h1, (size_t)B * H}, {&g->s1, (size_t)B * H},
        {&g->h2, (size_t)B * H}, {&g->s2, (size_t)B * H}, {&g->o, (size_t)B * P},
        {&g->out, (size_t)B * P}, {&g->ds1, (size_t)B * H}, {&g->dh1, (size_t)B * H},
        {&g->ds2, (size_t)B * H}, {&g->dh2, (size_t)B * H}, {&g->dout_pre, (size_t)B * P}};
    int ok = g->params && g->grads;
    for (size_t i = 0; ok && i < sizeof bufs / sizeof bufs[0]; i++)
        ok = (*bufs[i].p = malloc(bufs[i].n * sizeof(float))) != NULL;
    if (!ok) {
        dl_generator_destroy(g);
        return dl_error(DL_ENOMEM, "generator: out of memory for batch %d", B);
    }
    *out = g;
    return DL_OK;
}

void dl_generator_destroy(dl_generator *g)
{
    if (!g)
        return;
    float *bufs[] = {g->params, g->grads, g->in, g->h1, g->s1, g->h2, g->s2, g->o, g->out,
                     g->ds1, g->dh1, g->ds2, g->dh2, g->dout_pre};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    cg_destroy(g->conv);
    free(g);
}

void dl_generator_init(dl_generator *g, gsl_rng *rng)
{
    if (g->conv) {
        cg_init(g, rng);
        return;
    }
    const int H = g->arch.hidden, I = g->in_dim;
    memset(g->params, 0, g->n_params * sizeof(float));
    /* He-style for the SiLU layers, small for the output so tanh starts linear */
    for (size_t i = 0; i < (size_t)H * I; i++)
        g->w1[i] = (float)gsl_ran_gaussian(rng, sqrt(2.0 / I));
    for (size_t i = 0; i < (size_t)H * H; i++)
        g->w2[i] = (float)gsl_ran_gaussian(rng, sqrt(2.0 / H));
    for (size_t i = 0; i < (size_t)out_dim(&g->arch) * H; i++)
        g->w3[i] = (float)gsl_ran_gaussian(rng, sqrt(1.0 / H));
}

void dl_generator_forward(dl_generator *g, const float *z, const unsigned char *labels,
                          const float *alpha, int B)
{
    if (g->conv) {
        cg_forward(g, z, labels, alpha, B);
        return;
    }
    const int Z = g->arch.zdim, K = g->arch.classes, I = g->in_dim, H = g->arch.hidden;
    for (int b = 0; b < B; b++) {
        memcpy(g->in + (size_t)b * I, z + (size_t)b * Z, Z * sizeof(float));
        for (int k = 0; k < K; k++)
            g->in[(size_t)b * I + Z + k] = labels && labels[b] == k ? 1.0f : 0.0f;
        if (g->arch.guided)
            g->in[(size_t)b * I + Z + K] = alpha ? alpha[b] - 1.0f : 0.0f;
    }
    dl_nn_linear_forward(g->h1, g->in, g->w1, g->b1, B, I, H);
    dl_nn_silu_forward(g->s1, g->h1, (size_t)B * H);
    dl_nn_linear_forward(g->h2, g->s1, g->w2, g->b2, B, H, H);
    dl_nn_silu_forward(g->s2, g->h2, (size_t)B * H);
    const int P = out_dim(&g->arch);
    dl_nn_linear_forward(g->o, g->s2, g->w3, g->b3, B, H, P);
    if (P == PIXELS && !g->arch.linear)
        dl_nn_tanh_forward(g->out, g->o, (size_t)B * P);
    else /* points, or unsquashed pixels */
        memcpy(g->out, g->o, (size_t)B * P * sizeof(float));
}

void dl_generator_backward(dl_generator *g, const float *dout, int B)
{
    if (g->conv) {
        cg_backward(g, dout, B);
        return;
    }
    const int I = g->in_dim, H = g->arch.hidden, P = out_dim(&g->arch);
    memset(g->grads, 0, g->n_params * sizeof(float));
    memset(g->dout_pre, 0, (size_t)B * P * sizeof(float));
    memset(g->ds2, 0, (size_t)B * H * sizeof(float));
    memset(g->dh2, 0, (size_t)B * H * sizeof(float));
    memset(g->ds1, 0, (size_t)B * H * sizeof(float));
    memset(g->dh1, 0, (size_t)B * H * sizeof(float));
    if (P == PIXELS && !g->arch.linear)
        dl_nn_tanh_backward(g->dout_pre, dout, g->out, (size_t)B * P);
    else
        memcpy(g->dout_pre, dout, (size_t)B * P * sizeof(float));
    dl_nn_linear_backward(g->ds2, g->gw3, g->gb3, g->dout_pre, g->s2, g->w3, B, H, P);
    dl_nn_silu_backward(g->dh2, g->ds2, g->h2, (size_t)B * H);
    dl_nn_linear_backward(g->ds1, g->gw2, g->gb2, g->dh2, g->s1, g->w2, B, H, H);
    dl_nn_silu_backward(g->dh1, g->ds1, g->h1, (size_t)B * H);
    dl_nn_linear_backward(NULL, g->gw1, g->gb1, g->dh1, g->in, g->w1, B, I, H);
}
