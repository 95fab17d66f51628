/* The checkpoint reader (nn/checkpoint) behind the classifier's and the
 * generators' loaders.  Mode byte: bit 0 recompute the CRC so that inputs
 * reach the records behind it; bit 1 read as a classifier, else a generator
 * (with the optimizer state and RNG record a resume reads). */
#include <zlib.h>

#include "base/rng.h"
#include "nn/checkpoint.h"
#include "nn/classifier.h"
#include "nn/generator.h"
#include "nn/optim.h"
#include "fuzz_common.h"

/* Small models only: the fuzzer is after the reader, not after the allocator. */
static void read_generator(const char *path, const char *arch_text)
{
    dl_generator_arch a;
    if (dl_generator_arch_parse(arch_text, &a) || a.hidden > 64 || a.zdim > 98 || a.classes > 16 ||
        (a.out && a.out > 64))
        return;
    dl_generator *g;
    if (dl_generator_create(&g, &a, 1))
        return;
    dl_adamw_config cfg = {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .ema_decay = 0.99f};
    dl_adamw *opt = NULL;
    gsl_rng *rng = dl_rng_create(1);
    long step;
    if (dl_adamw_create(&opt, g->n_params, &cfg, g->params) == 0)
        dl_checkpoint_read(path, arch_text, &step, g->params, g->n_params, opt, rng);
    dl_adamw_destroy(opt);
    gsl_rng_free(rng);
    dl_generator_destroy(g);
}

static void read_classifier(const char *path, const char *arch_text)
{
    dl_classifier_arch a;
    if (dl_classifier_arch_parse(arch_text, &a) || a.c1 > 8 || a.c2 > 8 || a.c3 > 8 || a.fc > 16)
        return;
    dl_classifier *c;
    if (dl_classifier_load(path, &c, 1) == 0)
        dl_classifier_destroy(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    uint8_t *copy = malloc(size);
    size_t len = size - 1;
    memcpy(copy, data + 1, len);
    if ((data[0] & 1) && len >= 12) {
        uint32_t crc = (uint32_t)crc32(0L, copy + 8, (uInt)(len - 12));
        memcpy(copy + len - 4, &crc, 4);
    }
    const char *path = fuzz_write_file(".ckpt", copy, len);
    free(copy);
    char arch[256];
    if (dl_checkpoint_arch(path, arch, sizeof arch) != 0)
        return 0;
    FUZZ_ASSERT(strlen(arch) < sizeof arch);
    if (data[0] & 2)
        read_classifier(path, arch);
    else
        read_generator(path, arch);
    return 0;
}
