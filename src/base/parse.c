#include "base/parse.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"

/* strtod and strtol skip leading white space (vertical tabs included) and
 * accept a sign; the first character must start the number itself. */
static int starts_number(const char *s, size_t len)
{
    return len > 0 && (s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9') ||
                       s[0] == 'i' || s[0] == 'I' || s[0] == 'n' || s[0] == 'N');
}

/* a NUL-ended copy of the span, so that the parse cannot read past it */
static int copy_span(const char *s, size_t len, char *buf, size_t cap)
{
    if (len == 0 || len >= cap || memchr(s, '\0', len))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

int dl_parse_double_span(const char *s, size_t len, double *out)
{
    char buf[128], *end;
    if (!starts_number(s, len) || copy_span(s, len, buf, sizeof buf))
        return -1;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(v) ||
        (v != 0 && fabs(v) < DBL_MIN))
        return -1;
    *out = v;
    return 0;
}

int dl_parse_long_span(const char *s, size_t len, long lo, long hi, long *out)
{
    char buf[64], *end;
    if (!starts_number(s, len) || s[0] == '.' || copy_span(s, len, buf, sizeof buf))
        return -1;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (end == buf || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int dl_parse_double(const char *what, const char *text, double *out)
{
    if (dl_parse_double_span(text, strlen(text), out))
        return dl_error(DL_EINVAL, "--%s: '%s' is not a finite number", what, text);
    return DL_OK;
}

int dl_parse_long(const char *what, const char *text, long lo, long hi, long *out)
{
    long v;
    if (dl_parse_long_span(text, strlen(text), LONG_MIN, LONG_MAX, &v))
        return dl_error(DL_EINVAL, "--%s: '%s' is not an integer", what, text);
    if (v < lo || v > hi)
        return dl_error(DL_EINVAL, "--%s must be in %ld..%ld, got %ld", what, lo, hi, v);
    *out = v;
    return DL_OK;
}

int dl_parse_field(const char **p, const char *key, long lo, long hi, long *out)
{
    const char *s = *p;
    size_t klen = strlen(key);
    if (s[0] != ' ' || strncmp(s + 1, key, klen) || s[1 + klen] != '=')
        return -1;
    s += klen + 2;
    size_t len = strcspn(s, " ");
    if (len == 0 || s[0] == '-' || s[0] == '+' || dl_parse_long_span(s, len, lo, hi, out))
        return -1;
    *p = s + len;
    return 0;
}

int dl_parse_bool(const char *option, const char *text, int *out)
{
    if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes"))
        *out = 1;
    else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no"))
        *out = 0;
    else
        return dl_error(DL_EINVAL, "--%s: '%s' is not true or false", option, text);
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
    int st = dl_parse_double(c->option, item, &c->out[index]);
    if (!st && !(c->out[index] > 0))
        st = dl_error(DL_EINVAL, "--%s: every value must be > 0, got %s", c->option, item);
    return st;
}

static int number_item(const char *item, int index, void *ctx)
{
    list_ctx *c = ctx;
    return dl_parse_double(c->option, item, &c->out[index]);
}

static int integer_item(const char *item, int index, void *ctx)
{
    list_ctx *c = ctx;
    return dl_parse_long(c->option, item, c->lo, c->hi, &c->lout[index]);
}

int dl_parse_positive_list(const char *option, const char *text, int max, double *out, int *n)
{
    list_ctx c = {option, out, NULL, 0, 0};
    return split_list(option, text, max, n, positive_item, &c);
}

int dl_parse_number_list(const char *option, const char *text, int max, double *out, int *n)
{
    list_ctx c = {option, out, NULL, 0, 0};
    return split_list(option, text, max, n, number_item, &c);
}

int dl_parse_long_list(const char *option, const char *text, int max, long lo, long hi, long *out,
                        int *n)
{
    list_ctx c = {option, NULL, out, lo, hi};
    return split_list(option, text, max, n, integer_item, &c);
}
