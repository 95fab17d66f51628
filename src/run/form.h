/* form: a request body of the lab (application/x-www-form-urlencoded,
 * key=value&key=value) decoded strictly, and applied to run options.
 *
 * Nothing in the body is trusted: its length is checked before a byte is
 * read, a key is an option name's alphabet ([a-z0-9-]) of at most 63
 * characters, a value at most DL_FORM_MAX_VALUE bytes after decoding, every
 * %XX is two hex digits, and no decoded byte is a control character (NUL
 * included).  A key given twice is an error, not a silent override. */
#ifndef DL_RUN_FORM_H
#define DL_RUN_FORM_H

#include <stddef.h>

#include "run/options.h"

#define DL_FORM_MAX_PAIRS 64
#define DL_FORM_MAX_KEY 63
#define DL_FORM_MAX_VALUE 1024
#define DL_FORM_MAX_BODY (DL_FORM_MAX_PAIRS * (DL_FORM_MAX_KEY + 3 * DL_FORM_MAX_VALUE + 2))

typedef struct {
    int count;
    char key[DL_FORM_MAX_PAIRS][DL_FORM_MAX_KEY + 1];
    char value[DL_FORM_MAX_PAIRS][DL_FORM_MAX_VALUE + 1];
} dl_form;

/* DL_OK, or DL_EINVAL with a message that says what and where ("form field
 * 3: ..."). */
int dl_form_decode(const char *body, size_t len, dl_form *f);
/* The value of key, or NULL. */
const char *dl_form_get(const dl_form *f, const char *key);

/* Each pair onto o through dl_run_options_set, as the command line sets
 * them: an unknown key gets the command line's own message.  Keys in
 * `refused` (NULL-ended) are refused with "--KEY is not available here". */
int dl_form_apply(const dl_form *f, dl_run_options *o, const char *const *refused);

#endif
