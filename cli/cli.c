#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/dl_error.h"
#include "base/parse.h"

int cli_fail(const char *command)
{
    fprintf(stderr, "driftlab %s: error: %s\n", command, dl_error_message());
    return 1;
}

const char *cli_command_line(int argc, char **argv)
{
    static char line[8192];
    size_t used = 0;
    line[0] = '\0';
    for (int i = 0; i < argc && used < sizeof line - 4; i++) {
        const char *a = argv[i];
        int plain = *a != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789-_=.,:/+@%") == strlen(a);
        used += (size_t)snprintf(line + used, sizeof line - used, plain ? "%s%s" : "%s'%s'",
                                 i ? " " : "", a);
        if (used >= sizeof line)
            used = sizeof line - 1;
    }
    return line;
}

int cli_parse_double(const char *option, const char *text, double *out)
{
    return dl_parse_double(option, text, out);
}

int cli_parse_long(const char *option, const char *text, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return dl_error(DL_EINVAL, "--%s: '%s' is not an integer", option, text);
    *out = v;
    return DL_OK;
}

int cli_parse_long_in(const char *option, const char *text, long lo, long hi, long *out)
{
    int st = cli_parse_long(option, text, out);
    if (!st && (*out < lo || *out > hi))
        st = dl_error(DL_EINVAL, "--%s must be in %ld..%ld, got %ld", option, lo, hi, *out);
    return st;
}

int cli_parse_bool(const char *option, const char *text, int *out)
{
    if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes"))
        *out = 1;
    else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no"))
        *out = 0;
    else
        return dl_error(DL_EINVAL, "--%s: '%s' is not true or false", option, text);
    return DL_OK;
}

int cli_option_value(const char *command, const char *option, const char *value,
                     const char *const *known)
{
    int found = 0;
    for (const char *const *k = known; *k && !found; k++)
        found = !strncmp(option, "--", 2) && !strcmp(option + 2, *k);
    if (!found)
        return dl_error(DL_EINVAL, "unknown option '%s' (see driftlab %s --help)", option, command);
    if (!value)
        return dl_error(DL_EINVAL, "option '%s' needs a value", option);
    return DL_OK;
}

int cli_parse_positive_list(const char *option, const char *text, int max, double *out, int *n)
{
    char item[64];
    int count = 0;
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item)
            return dl_error(DL_EINVAL, "--%s: '%s' is not a comma-separated list of numbers", option,
                            text);
        if (count == max)
            return dl_error(DL_EINVAL, "--%s: at most %d values, got '%s'", option, max, text);
        memcpy(item, p, len);
        item[len] = '\0';
        int st = cli_parse_double(option, item, &out[count]);
        if (st)
            return st;
        if (!(out[count] > 0))
            return dl_error(DL_EINVAL, "--%s: every value must be > 0, got %s", option, item);
        count++;
        p += len;
        if (!*p)
            break;
    }
    *n = count;
    return DL_OK;
}

double cli_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void cli_progress_start(cli_progress *p, int quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->start = cli_wall_seconds();
    p->last_draw = 0;
}

void cli_progress_update(cli_progress *p, size_t done, size_t total, const char *detail)
{
    if (!p->enabled)
        return;
    double now = cli_wall_seconds();
    if (now - p->last_draw < 0.2 && done < total)
        return;
    p->last_draw = now;
    double elapsed = now - p->start, rate = done / fmax(elapsed, 1e-9);
    double eta = rate > 0 ? (total - done) / rate : 0;
    fprintf(stderr, "\r%zu/%zu  %.1f steps/s  ETA %.0fs  %s\033[K", done, total, rate, eta,
            detail ? detail : "");
}

void cli_progress_finish(cli_progress *p)
{
    if (p->enabled)
        fprintf(stderr, "\n");
}

int cli_fit_report(void *ctx, long step, long total, double loss)
{
    cli_fit_progress *fp = ctx;
    const double el = cli_wall_seconds() - fp->t0;
    char detail[96];
    snprintf(detail, sizeof detail, "loss %.4f  %.0f img/s", loss,
             step * (double)fp->batch / (el > 0 ? el : 1e-9));
    cli_progress_update(&fp->bar, (size_t)step, (size_t)total, detail);
    return fp->budget_s > 0 && el > fp->budget_s;
}
