/* parse: strict number parsing, shared by the CLI and the library's own
 * parsers of option-like text: the whole string must be the number, and it
 * must be finite and in range (no overflow, no underflow to 0 or denormal). */
#ifndef DL_PARSE_H
#define DL_PARSE_H

/* `what` names the option in the message: "--what: 'text' is not a finite number". */
int dl_parse_double(const char *what, const char *text, double *out);

#endif
