#include "run/form.h"

#include <string.h>

#include "base/dl_error.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* s[0..len) percent-decoded into out (cap bytes with the NUL); -1 on a
 * malformed escape, a control byte or overflow. */
static int percent_decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '+')
            c = ' ';
        else if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || used + 1 >= cap)
            return -1;
        out[used++] = (char)c;
    }
    out[used] = '\0';
    return 0;
}

static int key_is_plain(const char *k)
{
    if (!*k)
        return 0;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-'))
            return 0;
    return 1;
}

static int decode_pair(const char *p, size_t len, dl_form *f, int index)
{
    const char *eq = memchr(p, '=', len);
    if (!eq)
        return dl_error(DL_EINVAL, "form field %d has no '='", index + 1);
    const size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
    char *key = f->key[f->count], *value = f->value[f->count];
    if (percent_decode(p, klen, key, DL_FORM_MAX_KEY + 1) || !key_is_plain(key))
        return dl_error(DL_EINVAL, "form field %d: the key is not an option name", index + 1);
    if (percent_decode(eq + 1, vlen, value, DL_FORM_MAX_VALUE + 1))
        return dl_error(DL_EINVAL, "form field %d (%s): the value is malformed, holds a control "
                        "character or is longer than %d bytes", index + 1, key, DL_FORM_MAX_VALUE);
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->key[i], key))
            return dl_error(DL_EINVAL, "form field %d: '%s' is given twice", index + 1, key);
    f->count++;
    return DL_OK;
}

int dl_form_decode(const char *body, size_t len, dl_form *f)
{
    f->count = 0;
    if (len > DL_FORM_MAX_BODY)
        return dl_error(DL_EINVAL, "form body of %zu bytes is over the %d allowed", len,
                        DL_FORM_MAX_BODY);
    if (len == 0)
        return DL_OK;
    for (size_t start = 0, index = 0;; index++) {
        const char *amp = memchr(body + start, '&', len - start);
        const size_t end = amp ? (size_t)(amp - body) : len;
        if (f->count == DL_FORM_MAX_PAIRS)
            return dl_error(DL_EINVAL, "form holds more than %d fields", DL_FORM_MAX_PAIRS);
        int st = decode_pair(body + start, end - start, f, (int)index);
        if (st)
            return st;
        if (!amp)
            return DL_OK;
        start = end + 1;
    }
}

const char *dl_form_get(const dl_form *f, const char *key)
{
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->key[i], key))
            return f->value[i];
    return NULL;
}

int dl_form_apply(const dl_form *f, dl_run_options *o, const char *const *refused)
{
    for (int i = 0; i < f->count; i++) {
        for (const char *const *r = refused; r && *r; r++)
            if (!strcmp(*r, f->key[i]))
                return dl_error(DL_EINVAL, "--%s is not available here", f->key[i]);
        int st = dl_run_options_set(o, f->key[i], f->value[i]);
        if (st)
            return st;
    }
    return DL_OK;
}
