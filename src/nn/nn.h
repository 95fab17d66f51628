/* nn: a small neural-network engine in the style of llm.c.
 *
 * Every layer is a forward/backward pair over flat float arrays; shapes are in
 * the comments.  Backward functions ACCUMULATE (+=) into every gradient they
 * touch, so callers zero gradients once per step and residual branches simply
 * add up; a NULL weight gradient skips it (a frozen network backpropagated to
 * its input).  Convolution stacks keep activations channel-major, "CBHW":
 * (channels, batch, height, width), so that a convolution over the whole batch
 * is one im2col and one sgemm (OpenBLAS) with no transposes; dense layers take
 * batch-major (B, features).  Matrix work goes through cblas_sgemm, the rest
 * is OpenMP-parallel over channels or rows, each output written by exactly
 * one thread: results do not depend on the thread count. */
#ifndef DL_NN_H
#define DL_NN_H

#include <stddef.h>

/* ---- dense ---- */
/* inp (B,C), weight (OC,C), bias (OC) or NULL -> out (B,OC) */
void dl_nn_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int B, int C, int OC);
void dl_nn_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int B, int C, int OC);

/* ---- convolution, CBHW ---- */
typedef struct {
    int C, H, W;       /* input channels and size */
    int OC, K;         /* output channels, square kernel size (1 or 3 ...) */
    int stride, pad;
    int OH, OW;        /* derived by dl_nn_conv2d_shape */
} dl_nn_conv2d_shape;

void dl_nn_conv2d_setup(dl_nn_conv2d_shape *s, int C, int H, int W, int OC, int K, int stride, int pad);
/* floats of the im2col scratch for batch B: C*K*K x B*OH*OW */
size_t dl_nn_conv2d_scratch(const dl_nn_conv2d_shape *s, int B);
/* inp (C,B,H,W), weight (OC, C*K*K), bias (OC) -> out (OC,B,OH,OW) */
void dl_nn_conv2d_forward(float *out, float *scratch, const float *inp, const float *weight,
                       const float *bias, const dl_nn_conv2d_shape *s, int B);
void dl_nn_conv2d_backward(float *dinp, float *dweight, float *dbias, float *scratch,
                        const float *dout, const float *inp, const float *weight,
                        const dl_nn_conv2d_shape *s, int B);

/* A one-input-channel, stride-1 convolution, its ReLU and a k x k average,
 * per image in cache, so that the (OC,B,OH,OW) activations never reach
 * memory: inp (B,H,W) -> out (B, OC*(OH/k)*(OW/k)) batch-major, the same
 * numbers as dl_nn_conv2d_forward, dl_nn_relu_forward, dl_nn_avgpool_forward and
 * dl_nn_cbp_to_bcp in turn.  Only where dl_nn_conv_relu_pool_fusable(s, k). */
int dl_nn_conv_relu_pool_fusable(const dl_nn_conv2d_shape *s, int k);
void dl_nn_conv_relu_pool_forward(float *out, const float *inp, const float *weight,
                               const float *bias, const dl_nn_conv2d_shape *s, int B, int k);
/* its backward to the input, recomputing the convolution for the ReLU's
 * mask: dout (B, OC*(OH/k)*(OW/k)); ADDS into dinp (B,H,W) */
void dl_nn_conv_relu_pool_backward(float *dinp, const float *dout, const float *inp,
                                const float *weight, const float *bias, const dl_nn_conv2d_shape *s,
                                int B, int k);

/* ---- resampling, CBHW; N = C*B planes of H x W ---- */
/* (N,H,W) -> (N,2H,2W), nearest neighbour */
void dl_nn_upsample2x_forward(float *out, const float *inp, int N, int H, int W);
void dl_nn_upsample2x_backward(float *dinp, const float *dout, int N, int H, int W);
/* (N,H,W) -> (N,H/k,W/k), mean over k x k blocks (H, W divisible by k) */
void dl_nn_avgpool_forward(float *out, const float *inp, int N, int H, int W, int k);
void dl_nn_avgpool_backward(float *dinp, const float *dout, int N, int H, int W, int k);

/* ---- elementwise, any layout, n values ---- */
void dl_nn_relu_forward(float *out, const float *inp, size_t n);
void dl_nn_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void dl_nn_silu_forward(float *out, const float *inp, size_t n);
void dl_nn_silu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void dl_nn_tanh_forward(float *out, const float *inp, size_t n);
void dl_nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void dl_nn_sigmoid_forward(float *out, const float *inp, size_t n);
void dl_nn_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);
/* out = a + b (residual); backward adds dout into both */
void dl_nn_add_forward(float *out, const float *a, const float *b, size_t n);
void dl_nn_add_backward(float *da, float *db, const float *dout, size_t n);

/* ---- group normalisation, CBHW: G groups of C/G channels, per image ---- */
/* inp (C,B,H*W), gamma/beta (C); mean/rstd (B,G) saved for backward */
void dl_nn_groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *gamma, const float *beta, int C, int B, int HW, int G);
void dl_nn_groupnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *inp, const float *mean, const float *rstd,
                           const float *gamma, int C, int B, int HW, int G);

/* ---- layout ---- */
/* (C,B,P) <-> (B,C,P): to flatten a conv stack for dense layers and back */
void dl_nn_cbp_to_bcp(float *out, const float *inp, int C, int B, int P);
void dl_nn_bcp_to_cbp(float *out, const float *inp, int C, int B, int P);

/* ---- loss ---- */
/* logits (B,K), labels (B) -> probs (B,K); returns the mean cross-entropy */
float dl_nn_softmax_xent_forward(float *probs, const float *logits, const unsigned char *labels,
                              int B, int K);
/* dlogits += (probs - onehot) / B */
void dl_nn_softmax_xent_backward(float *dlogits, const float *probs, const unsigned char *labels,
                              int B, int K);

#endif
