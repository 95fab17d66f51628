/* The classifier, its optimizer and its checkpoints, on real Fashion-MNIST
 * (skipped, exit 77, when the data set is not installed):
 *  - a tiny CNN trained on 2000 training images for 150 steps with seed 3
 *    reaches at least 70% on the first 2000 test images (measured: see the
 *    printout; chance is 10%);
 *  - the same seed gives bit-identical parameters;
 *  - 60 steps straight equal 30 steps, checkpoint, read into a fresh model and
 *    optimizer, 30 more steps: bit for bit, parameters, moments and EMA;
 *  - damaged checkpoints are refused: flipped byte, truncation, another
 *    architecture, another parameter count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/checkpoint.h"
#include "nn/classifier.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "images/idx.h"
#include "nn/optim.h"
#include "test_common.h"

static const dl_classifier_arch ARCH = {8, 16, 16, 32};
static const int BATCH = 64;

static void batch_for_step(const dl_image_set *s, size_t n, long step, unsigned char *pix,
                           unsigned char *lab)
{
    for (int b = 0; b < BATCH; b++) {
        size_t idx = ((size_t)step * BATCH + b) * 7919 % n; /* a fixed walk over the subset */
        memcpy(pix + (size_t)b * 784, s->pixels + idx * 784, 784);
        lab[b] = s->labels[idx];
    }
}

static void train_steps(dl_classifier *c, dl_adamw *opt, const dl_image_set *s, size_t n, long from,
                        long to)
{
    unsigned char pix[64 * 784], lab[64];
    float *x = malloc(sizeof(float) * 64 * 784);
    for (long step = from; step < to; step++) {
        batch_for_step(s, n, step, pix, lab);
        dl_classifier_prepare(x, pix, BATCH, NULL);
        dl_classifier_forward(c, x, BATCH);
        dl_classifier_backward(c, x, lab, BATCH);
        dl_adamw_step(opt, c->params, c->grads);
    }
    free(x);
}

static dl_adamw_config config(void)
{
    return (dl_adamw_config){.lr = 3e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                             .weight_decay = 1e-4f, .warmup_steps = 20, .clip_norm = 5.0f,
                             .ema_decay = 0.99f};
}

static void fresh(dl_classifier **c, dl_adamw **opt, unsigned long seed)
{
    gsl_rng *rng = dl_rng_create(seed);
    dl_classifier_create(c, &ARCH, BATCH);
    dl_classifier_init(*c, rng);
    dl_adamw_config cfg = config();
    dl_adamw_create(opt, (*c)->n_params, &cfg, (*c)->params);
    gsl_rng_free(rng);
}

/* The learning-rate schedule against its closed form: linear warmup to the
 * peak, then lr (1 + cos(pi f)) / 2 over the rest, 0 from total_steps on. */
static void check_schedule(void)
{
    dl_adamw_config c = {.lr = 2e-3f, .warmup_steps = 100, .total_steps = 1100};
    CHECK_CLOSE(dl_adamw_lr(&c, 0), 2e-3 / 100, 1e-9, "first warmup step");
    CHECK_CLOSE(dl_adamw_lr(&c, 99), 2e-3, 1e-9, "end of warmup");
    CHECK_CLOSE(dl_adamw_lr(&c, 100), 2e-3, 1e-9, "start of the cosine");
    CHECK_CLOSE(dl_adamw_lr(&c, 600), 1e-3, 1e-9, "cosine midpoint");
    CHECK_CLOSE(dl_adamw_lr(&c, 850), 1e-3 * (1 + cos(M_PI * 0.75)), 1e-9, "cosine at 3/4");
    CHECK(dl_adamw_lr(&c, 1100) == 0.0f && dl_adamw_lr(&c, 5000) == 0.0f, "0 from total_steps on");
    c.total_steps = 0;
    CHECK_CLOSE(dl_adamw_lr(&c, 5000), 2e-3, 1e-9, "constant without total_steps");
    /* a late decay: constant to decay_start, the same cosine over [decay_start, total_steps] */
    c.total_steps = 3000, c.decay_start = 2000;
    CHECK_CLOSE(dl_adamw_lr(&c, 1999), 2e-3, 1e-9, "constant before decay_start");
    CHECK_CLOSE(dl_adamw_lr(&c, 2000), 2e-3, 1e-9, "start of the late cosine");
    CHECK_CLOSE(dl_adamw_lr(&c, 2500), 1e-3, 1e-9, "late cosine midpoint");
    CHECK_CLOSE(dl_adamw_lr(&c, 2750), 1e-3 * (1 + cos(M_PI * 0.75)), 1e-9, "late cosine at 3/4");
    CHECK(dl_adamw_lr(&c, 3000) == 0.0f, "0 at total_steps after a late decay");
    c.decay_start = 50; /* inside the warmup: the cosine still starts after it */
    CHECK_CLOSE(dl_adamw_lr(&c, 99), 2e-3, 1e-9, "warmup ends before an early decay_start");
    CHECK_CLOSE(dl_adamw_lr(&c, 1550), 1e-3, 1e-9, "cosine from the warmup's end");
}

int main(void)
{
    check_schedule();
    const char *data = getenv("DRIFTLAB_DATA") ? getenv("DRIFTLAB_DATA") : "/usr/share/datasets/fashion-mnist";
    dl_image_set train = {0}, test = {0};
    if (dl_idx_read_split(data, "train", &train) || dl_idx_read_split(data, "t10k", &test)) {
        printf("Fashion-MNIST not found in %s (%s): skipping\n", data, dl_error_message());
        return 77;
    }
    dl_classifier *a, *b;
    dl_adamw *oa, *ob;
    fresh(&a, &oa, 3);
    train_steps(a, oa, &train, 2000, 0, 150);
    dl_classifier *eval;
    CHECK_OK(dl_classifier_create(&eval, &ARCH, 500));
    memcpy(eval->params, oa->ema, a->n_params * sizeof(float));
    double acc;
    CHECK_OK(dl_classifier_run(eval, test.pixels, 2000, test.labels, &acc, NULL, NULL));
    printf("tiny classifier, 150 steps of 64 on 2000 images: %.2f%% on 2000 test images\n", 100 * acc);
    CHECK(acc >= 0.70, "accuracy %.3f below the stated 0.70", acc);

    fresh(&b, &ob, 3);
    train_steps(b, ob, &train, 2000, 0, 150);
    CHECK(!memcmp(a->params, b->params, a->n_params * sizeof(float)), "same seed, different weights");
    dl_classifier_destroy(a), dl_classifier_destroy(b), dl_adamw_destroy(oa), dl_adamw_destroy(ob);

    /* resume equals uninterrupted */
    char path[] = "/tmp/driftlab-test-ckpt-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char arch[128];
    dl_classifier_arch_string(&ARCH, arch, sizeof arch);
    fresh(&a, &oa, 4);
    train_steps(a, oa, &train, 2000, 0, 60);
    fresh(&b, &ob, 4);
    train_steps(b, ob, &train, 2000, 0, 30);
    gsl_rng *r1 = dl_rng_create(99), *r2 = dl_rng_create(1);
    gsl_rng_uniform(r1);
    CHECK_OK(dl_checkpoint_write(path, arch, 30, b->params, b->n_params, ob, r1, NULL));
    dl_classifier_destroy(b), dl_adamw_destroy(ob);
    fresh(&b, &ob, 12345); /* different initial weights, all overwritten */
    long step;
    CHECK_OK(dl_checkpoint_read(path, arch, &step, b->params, b->n_params, ob, r2));
    CHECK(step == 30 && ob->step == 30, "resumed at step %ld / %ld", step, ob->step);
    CHECK(gsl_rng_get(r1) == gsl_rng_get(r2), "RNG state not restored");
    train_steps(b, ob, &train, 2000, 30, 60);
    size_t bytes = a->n_params * sizeof(float);
    CHECK(!memcmp(a->params, b->params, bytes) && !memcmp(oa->m, ob->m, bytes) &&
              !memcmp(oa->v, ob->v, bytes) && !memcmp(oa->ema, ob->ema, bytes),
          "resumed training differs from uninterrupted training");

    /* damaged checkpoints */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *buf = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size, "read checkpoint");
    fclose(f);
    buf[size / 2] ^= 1;
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)size, f);
    fclose(f);
    CHECK(dl_checkpoint_read(path, arch, &step, b->params, b->n_params, ob, NULL) == DL_EFORMAT,
          "flipped byte accepted");
    buf[size / 2] ^= 1;
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)size - 100, f);
    fclose(f);
    CHECK(dl_checkpoint_read(path, arch, &step, b->params, b->n_params, ob, NULL) == DL_EFORMAT,
          "truncated checkpoint accepted");
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)size, f);
    fclose(f);
    CHECK(dl_checkpoint_read(path, "classifier-v1 c1=9 c2=16 c3=16 fc=32", &step, b->params,
                             b->n_params, ob, NULL) == DL_EFORMAT, "other architecture accepted");
    CHECK(dl_checkpoint_read(path, arch, &step, b->params, b->n_params - 1, NULL, NULL) == DL_EFORMAT,
          "other parameter count accepted");
    CHECK_OK(dl_checkpoint_read(path, arch, &step, b->params, b->n_params, NULL, NULL));
    buf[0] = 'X';
    f = fopen(path, "wb");
    fwrite(buf, 1, (size_t)size, f);
    fclose(f);
    CHECK(dl_checkpoint_read(path, arch, &step, b->params, b->n_params, NULL, NULL) == DL_EFORMAT,
          "wrong magic accepted");
    unlink(path);
    free(buf);
    gsl_rng_free(r1), gsl_rng_free(r2);
    dl_classifier_destroy(a), dl_classifier_destroy(b), dl_classifier_destroy(eval);
    dl_adamw_destroy(oa), dl_adamw_destroy(ob);
    dl_image_set_free(&train), dl_image_set_free(&test);
    return test_report("test_training");
}
