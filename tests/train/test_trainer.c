/* The trainer's configuration, without the data set (the end-to-end runs are
 * tests/commands' train_*):
 *  - the temperatures' scale at step s equals the closed form of its schedule
 *    (exp with its floor, cosine), and is 1 exactly under the default;
 *  - progress stops at 1 past the end step;
 *  - the feature list parses names, weights and -loc, and refuses the rest;
 *  - an annealed schedule with the Sinkhorn field is refused. */
#include <math.h>
#include <string.h>

#include "base/dl_error.h"
#include "train/trainer.h"
#include "test_common.h"

static void test_tau_scale(void)
{
    dl_trainer_config c = dl_trainer_config_default();
    for (long s = 0; s <= 1000; s += 125)
        CHECK(dl_trainer_tau_scale(&c, s, 1000) == 1.0, "default scale at step %ld is not 1", s);
    CHECK_OK(dl_schedule_init(&c.tau_schedule, DL_SCHEDULE_EXP, 1.5, 3.0, 0.1, 1.0));
    for (long s = 0; s <= 2000; s += 100) {
        const double p = s < 1000 ? s / 1000.0 : 1.0;
        const double want = fmax(0.1, 1.5 * exp(-3.0 * p));
        CHECK_CLOSE(dl_trainer_tau_scale(&c, s, 1000), want, 1e-15, "exp scale");
    }
    CHECK_CLOSE(dl_trainer_tau_scale(&c, 999999, 1000), fmax(0.1, 1.5 * exp(-3.0)), 1e-15,
                "exp scale past the end");
    CHECK_OK(dl_schedule_init(&c.tau_schedule, DL_SCHEDULE_EXP, 1.0, 5.0, 0.05, 1.0));
    CHECK_CLOSE(dl_trainer_tau_scale(&c, 1000, 1000), 0.05, 1e-15, "exp scale held at its floor");
    CHECK_OK(dl_schedule_init(&c.tau_schedule, DL_SCHEDULE_COSINE, 2.0, 0, 0.5, 1.0));
    for (long s = 0; s <= 800; s += 50) {
        const double want = 0.5 + 1.5 * 0.5 * (1 + cos(M_PI * s / 800.0));
        CHECK_CLOSE(dl_trainer_tau_scale(&c, s, 800), want, 1e-15, "cosine scale");
    }
}

static void test_features(void)
{
    dl_trainer_config c = dl_trainer_config_default();
    CHECK(c.n_features == 2 && c.features[1].encoder_layer == 1, "default maps: pixels, enc1");
    CHECK_OK(dl_trainer_features_parse("pixels:2,pool7,enc1-loc:0.5,encfc", &c));
    CHECK(c.n_features == 4 && c.features[0].weight == 2 && c.features[2].per_location &&
              c.features[2].weight == 0.5 && c.features[3].encoder_layer == 4,
          "parsed maps");
    const char *bad[] = {"", "pixels,wavelets", "pixels:0", "pixels:nan", "pool7-loc", "pixels:1e999",
                         "a,b,c,d,e,f,g,h,i"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(dl_trainer_features_parse(bad[i], &c) == DL_EINVAL, "'%s' accepted", bad[i]);
}

static void test_config_check(void)
{
    dl_trainer_config c = dl_trainer_config_default();
    CHECK_OK(dl_trainer_config_check(&c));
    c.field_kind = DL_TRAINER_SINKHORN, c.cfg_alpha_max = 1;
    CHECK_OK(dl_trainer_config_check(&c));
    CHECK_OK(dl_schedule_init(&c.tau_schedule, DL_SCHEDULE_EXP, 1.0, 1.0, 0.1, 1.0));
    CHECK(dl_trainer_config_check(&c) == DL_EINVAL, "annealed Sinkhorn field accepted");
    CHECK(strstr(dl_error_message(), "--tau-schedule") != NULL, "message: %s", dl_error_message());
    c = dl_trainer_config_default();
    c.tau_end_step = 0;
    CHECK(dl_trainer_config_check(&c) == DL_EINVAL, "an end step of 0 accepted");
}

int main(void)
{
    test_tau_scale();
    test_features();
    test_config_check();
    return test_report("test_trainer");
}
