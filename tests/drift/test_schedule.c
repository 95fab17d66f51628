/* Bandwidth schedules against their defining formulas. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/dl_error.h"
#include "drift/schedule.h"
#include "test_common.h"

static const char *write_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/dl_test_schedule_%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* A table of the exp schedule's ends reproduces it: ln sigma is linear in t,
 * and the table holds its last value as the floor does. */
static void test_table(void)
{
    static dl_schedule_table tab;
    dl_schedule ex, s;
    CHECK_OK(dl_schedule_init(&ex, DL_SCHEDULE_EXP, 2.0, 0.25, 0.005, 0));
    char text[256];
    snprintf(text, sizeof text, "# t sigma\n0 2\n\n%.17g 0.005\n", log(2.0 / 0.005) / 0.25);
    CHECK_OK(dl_schedule_table_read(write_file(text), &tab));
    CHECK_OK(dl_schedule_init_table(&s, &tab));
    double worst = 0;
    for (double t = 0; t < 40; t += 0.013)
        worst = fmax(worst, fabs(dl_schedule_sigma(&s, t) / dl_schedule_sigma(&ex, t) - 1));
    CHECK(worst < 1e-12, "table of the exp schedule: relative error %.3g", worst);
    CHECK_CLOSE(dl_schedule_sigma(&s, -1), 2.0, 0, "table before its first time");

    const char *bad[] = {"", "# only a comment\n", "0 1\n1 0.5\n1 0.4\n", "0 1\n2 0.5\n1 0.4\n",
                         "0 -1\n", "0 nan\n", "nan 1\n", "0\n", "0 1 2\n", "0 1e-400\n",
                         "0 1,5\n", "0 inf\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = dl_schedule_table_read(write_file(bad[i]), &tab);
        CHECK(st == DL_EFORMAT, "bad schedule file %zu ('%s') gave %d", i, bad[i], st);
        CHECK(strstr(dl_error_message(), "dl_test_schedule") != NULL, "message names no file: %s",
              dl_error_message());
    }
    CHECK(dl_schedule_table_read("/nonexistent/schedule", &tab) == DL_EIO, "missing file");
    remove(write_file(""));
}

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
    test_table();
    return test_report("test_schedule");
}
