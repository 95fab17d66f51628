#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <limits.h>
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

/* One argument as bash reads it back: bare when it is plain, '...' otherwise,
 * and $'...' with escapes when it holds a control character, so that the
 * "# command:" header stays one line whatever the arguments hold. */
static size_t quote_argument(const char *a, char *out, size_t cap)
{
    static const char plain_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789-_=.,:/+@%";
    size_t n = strlen(a), used = 0;
    if (n && strspn(a, plain_chars) == n)
        return (size_t)snprintf(out, cap, "%s", a);
    int control = 0;
    for (size_t i = 0; i < n; i++)
        control |= (unsigned char)a[i] < 0x20 || a[i] == 0x7f;
#define EMIT(...) (void)(used < cap ? (used += (size_t)snprintf(out + used, cap - used, __VA_ARGS__)) : 0)
    EMIT(control ? "$'" : "'");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (control && (c < 0x20 || c == 0x7f))
            EMIT(c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\x%02x", c);
        else if (control && (c == '\\' || c == '\''))
            EMIT("\\%c", c);
        else if (c == '\'')
            EMIT("'\\''");
        else
            EMIT("%c", c);
    }
    EMIT("'");
#undef EMIT
    return used;
}

const char *cli_command_line(int argc, char **argv)
{
    static char line[8192];
    size_t used = 0;
    line[0] = '\0';
    for (int i = 0; i < argc && used < sizeof line - 4; i++) {
        if (i)
            line[used++] = ' ', line[used] = '\0';
        used += quote_argument(argv[i], line + used, sizeof line - used);
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
    return dl_parse_long(option, text, LONG_MIN, LONG_MAX, out);
}

int cli_parse_long_in(const char *option, const char *text, long lo, long hi, long *out)
{
    return dl_parse_long(option, text, lo, hi, out);
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

/* Splits text at commas into items of at most 63 characters, none empty,
 * at most max of them, and hands each to parse_item. */
static int split_list(const char *option, const char *text, int max, int *n,
                      int (*parse_item)(const char *item, int index, void *ctx), void *ctx)
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
        int st = parse_item(item, count, ctx);
        if (st)
            return st;
        count++;
        p += len;
        if (!*p)
            break;
    }
    *n = count;
    return DL_OK;
}

typedef struct {
    const char *option;
    double *out;
    long *lout, lo, hi;
} list_ctx;

static int positive_item(const char *item, int index, void *ctx)
{
    list_ctx *c = ctx;
    int st = cli_parse_double(c->option, item, &c->out[index]);
    if (!st && !(c->out[index] > 0))
        st = dl_error(DL_EINVAL, "--%s: every value must be > 0, got %s", c->option, item);
    return st;
}

static int number_item(const char *item, int index, void *ctx)
{
    list_ctx *c = ctx;
    return cli_parse_double(c->option, item, &c->out[index]);
}

static int integer_item(const char *item, int index, void *ctx)
{
    list_ctx *c = ctx;
    return dl_parse_long(c->option, item, c->lo, c->hi, &c->lout[index]);
}

int cli_parse_positive_list(const char *option, const char *text, int max, double *out, int *n)
{
    list_ctx c = {option, out, NULL, 0, 0};
    return split_list(option, text, max, n, positive_item, &c);
}

int cli_parse_number_list(const char *option, const char *text, int max, double *out, int *n)
{
    list_ctx c = {option, out, NULL, 0, 0};
    return split_list(option, text, max, n, number_item, &c);
}

int cli_parse_long_list(const char *option, const char *text, int max, long lo, long hi, long *out,
                        int *n)
{
    list_ctx c = {option, NULL, out, lo, hi};
    return split_list(option, text, max, n, integer_item, &c);
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
