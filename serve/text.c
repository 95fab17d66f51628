#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lab_text_init(lab_text *t, size_t limit)
{
    memset(t, 0, sizeof *t);
    t->limit = limit;
}

void lab_text_free(lab_text *t)
{
    free(t->data);
    lab_text_init(t, t->limit);
}

void lab_text_clear(lab_text *t)
{
    t->len = 0;
    t->overflow = 0;
    if (t->data)
        t->data[0] = '\0';
}

static int reserve(lab_text *t, size_t extra)
{
    if (t->overflow || t->len + extra + 1 > t->limit) {
        t->overflow = 1;
        return 0;
    }
    if (t->len + extra + 1 <= t->cap)
        return 1;
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + extra + 1)
        cap *= 2;
    if (cap > t->limit)
        cap = t->limit;
    char *p = realloc(t->data, cap);
    if (!p) {
        t->overflow = 1;
        return 0;
    }
    t->data = p;
    t->cap = cap;
    return 1;
}

void lab_text_append(lab_text *t, const char *s, size_t n)
{
    if (!reserve(t, n))
        return;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void lab_text_printf(lab_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void lab_text_json_string(lab_text *t, const char *s)
{
    lab_text_append(t, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            lab_text_printf(t, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            lab_text_printf(t, "\\u%04x", c);
        else
            lab_text_append(t, s, 1);
    }
    lab_text_append(t, "\"", 1);
}

void lab_text_json_numbers(lab_text *t, const double *v, size_t n, int digits)
{
    lab_text_append(t, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            lab_text_append(t, ",", 1);
        if (isfinite(v[i]))
            lab_text_printf(t, "%.*g", digits, v[i]);
        else
            lab_text_append(t, "null", 4);
    }
    lab_text_append(t, "]", 1);
}
