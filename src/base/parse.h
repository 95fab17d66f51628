/* parse: strict number parsing, shared by the CLI, the config reader, the
 * points tables and the library's own parsers of option-like text.  The whole
 * text (or span) must be the number: no leading or trailing blanks, no glued
 * second number; doubles must be finite and in range (no overflow, no
 * underflow to 0 or a denormal); integers must lie in [lo, hi], checked before
 * any narrowing, so a width of 4294967297 is refused, not read as 1. */
#ifndef DL_PARSE_H
#define DL_PARSE_H

#include <stddef.h>

/* `what` names the option in the message: "--what: 'text' is not a finite number". */
int dl_parse_double(const char *what, const char *text, double *out);
/* "--what: 'text' is not an integer" / "--what must be in lo..hi, got v". */
int dl_parse_long(const char *what, const char *text, long lo, long hi, long *out);

/* The same rules over s[0..len), without a message: 0 on success, -1 otherwise. */
int dl_parse_double_span(const char *s, size_t len, double *out);
int dl_parse_long_span(const char *s, size_t len, long lo, long hi, long *out);

/* One " key=INTEGER" field of a record such as "mlpgen-v1 z=64 h=512": at *p
 * a space, key, '=', then digits up to the next space or the end, in
 * [lo, hi].  Advances *p past it; 0 on success, -1 otherwise. */
int dl_parse_field(const char **p, const char *key, long lo, long hi, long *out);

/* true | 1 | yes, false | 0 | no; anything else is refused, naming the option. */
int dl_parse_bool(const char *what, const char *text, int *out);
/* A comma-separated list of 1..max finite numbers, each > 0 (no empty items). */
int dl_parse_positive_list(const char *option, const char *text, int max, double *out, int *n);
/* A comma-separated list of 1..max finite numbers (no empty items). */
int dl_parse_number_list(const char *option, const char *text, int max, double *out, int *n);
/* A comma-separated list of 1..max integers, each in [lo, hi]. */
int dl_parse_long_list(const char *option, const char *text, int max, long lo, long hi, long *out,
                        int *n);

#endif
