/* Bandwidth schedules against their defining formulas. */
#include <math.h>

#include "base/dl_error.h"
#include "drift/schedule.h"
#include "test_common.h"

int main(void)
{
    dl_schedule s;
    CHECK_OK(dl_schedule_init(&s, DL_SCHEDULE_CONSTANT, 0.5, 0, 0, 0));
    CHECK_CLOSE(dl_schedule_sigma(&s, 0), 0.5, 0, "constant at 0");
    CHECK_CLOSE(dl_schedule_sigma(&s, 1e6), 0.5, 0, "constant late");

    CHECK_OK(dl_schedule_init(&s, DL_SCHEDULE_EXP, 2.0, 0.25, 0.005, 0));
    for (double t = 0; t < 23.9; t += 0.7)
        CHECK_CLOSE(dl_schedule_sigma(&s, t), 2.0 * exp(-0.25 * t), 1e-15, "exp schedule");
    /* floor reached at t = ln(2 / 0.005) / 0.25 = 23.966 */
    CHECK_CLOSE(dl_schedule_sigma(&s, 24.0), 0.005, 0, "exp floor");
    CHECK_CLOSE(dl_schedule_sigma(&s, 100.0), 0.005, 0, "exp floor late");

    CHECK_OK(dl_schedule_init(&s, DL_SCHEDULE_COSINE, 1.0, 0, 0.1, 10));
    CHECK_CLOSE(dl_schedule_sigma(&s, 0), 1.0, 1e-15, "cosine start");
    CHECK_CLOSE(dl_schedule_sigma(&s, 5), 0.55, 1e-15, "cosine midpoint");
    CHECK_CLOSE(dl_schedule_sigma(&s, 10), 0.1, 1e-15, "cosine end");
    CHECK_CLOSE(dl_schedule_sigma(&s, 50), 0.1, 1e-15, "cosine after end");
    double prev = 2;
    for (double t = 0; t <= 10; t += 0.1) {
        double v = dl_schedule_sigma(&s, t);
        CHECK(v <= prev, "cosine not monotone at t=%g", t);
        prev = v;
    }

    CHECK(dl_schedule_init(&s, DL_SCHEDULE_CONSTANT, -1, 0, 0, 0) == DL_EINVAL, "negative sigma");
    CHECK(dl_schedule_init(&s, DL_SCHEDULE_CONSTANT, 0, 0, 0, 0) == DL_EINVAL, "zero sigma");
    CHECK(dl_schedule_init(&s, DL_SCHEDULE_CONSTANT, NAN, 0, 0, 0) == DL_EINVAL, "NaN sigma");
    CHECK(dl_schedule_init(&s, DL_SCHEDULE_EXP, 1, 0, 0.1, 0) == DL_EINVAL, "exp without rate");
    CHECK(dl_schedule_init(&s, DL_SCHEDULE_EXP, 1, 1, 0, 0) == DL_EINVAL, "exp without floor");
    CHECK(dl_schedule_init(&s, DL_SCHEDULE_EXP, 1, 1, 2, 0) == DL_EINVAL, "floor above start");
    CHECK(dl_schedule_init(&s, DL_SCHEDULE_COSINE, 1, 0, 0.1, 0) == DL_EINVAL, "cosine no time");
    dl_schedule_kind k;
    CHECK(dl_schedule_kind_parse("linear", &k) == DL_EINVAL, "unknown schedule accepted");
    return test_report("test_schedule");
}
