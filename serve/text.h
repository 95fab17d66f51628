/* text: a growable text buffer with a hard cap, for frames, JSON and
 * exports.  Past the cap it stops growing and says so (overflow), so no
 * request can make the server allocate without bound. */
#ifndef DL_SERVE_TEXT_H
#define DL_SERVE_TEXT_H

#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap, limit;
    int overflow;
} lab_text;

void lab_text_init(lab_text *t, size_t limit);
void lab_text_free(lab_text *t);
void lab_text_clear(lab_text *t);
void lab_text_append(lab_text *t, const char *s, size_t n);
void lab_text_printf(lab_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal, quotes included. */
void lab_text_json_string(lab_text *t, const char *s);
/* n numbers as a JSON array, %.*g with digits significant ones; a
 * non-finite number becomes null. */
void lab_text_json_numbers(lab_text *t, const double *v, size_t n, int digits);

#endif
