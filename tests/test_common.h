/* Minimal test harness: every check is counted, failures are reported with
 * their values, and main returns non-zero if any check failed. */
#ifndef DL_TEST_COMMON_H
#define DL_TEST_COMMON_H

#include <math.h>
#include <stdio.h>

static int tests_passed, tests_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            tests_passed++;                                                                        \
        } else {                                                                                   \
            tests_failed++;                                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

/* |got - want| <= tol, with both values in the message */
#define CHECK_CLOSE(got, want, tol, what)                                                          \
    do {                                                                                           \
        double g_ = (got), w_ = (want), t_ = (tol);                                                \
        CHECK(fabs(g_ - w_) <= t_ && isfinite(g_), "%s: got %.15g, want %.15g (|diff| %.3g > %.3g)", \
              what, g_, w_, fabs(g_ - w_), t_);                                                    \
    } while (0)

#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int st_ = (expr);                                                                          \
        CHECK(st_ == 0, "%s returned %d: %s", #expr, st_, dl_error_message());                     \
    } while (0)

static inline int test_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, tests_passed, tests_failed);
    return tests_failed ? 1 : 0;
}

#endif
