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

void cli_command_line_into(int argc, char **argv, char *line, size_t cap)
{
    size_t used = 0;
    line[0] = '\0';
    for (int i = 0; i < argc && used + 4 < cap; i++) {
        if (i)
            line[used++] = ' ', line[used] = '\0';
        used += quote_argument(argv[i], line + used, cap - used);
        if (used >= cap)
            used = cap - 1;
    }
}

const char *cli_command_line(int argc, char **argv)
{
    static char line[8192];
    cli_command_line_into(argc, argv, line, sizeof line);
    return line;
}

int cli_parse_long(const char *option, const char *text, long *out)
{
    return dl_parse_long(option, text, LONG_MIN, LONG_MAX, out);
}

int cli_parse_long_in(const char *option, const char *text, long lo, long hi, long *out)
{
    return dl_parse_long(option, text, lo, hi, out);
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

void cli_progress_hook(void *progress, long step, long steps, const char *detail)
{
    cli_progress_update(progress, (size_t)step, (size_t)steps, detail);
}

void cli_log_line(void *command, const char *topic, const char *line)
{
    fprintf(stderr, "%s: %s: %s\n", (const char *)command, topic, line);
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
