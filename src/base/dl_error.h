/* dl_error: status codes and the message that goes with them.
 *
 * Library functions return DL_OK (0) or a negative dl_status and record a
 * message saying what failed and where.  Nothing here prints or exits: the
 * CLI decides how to report.  A replaceable handler (GSL style) is called on
 * every error; the default handler does nothing. */
#ifndef DL_ERROR_H
#define DL_ERROR_H

typedef enum {
    DL_OK = 0,
    DL_EINVAL = -1,   /* bad argument or option value */
    DL_ENOMEM = -2,   /* allocation failed */
    DL_EIO = -3,      /* file could not be opened, read or written */
    DL_EFORMAT = -4,  /* file exists but its content is malformed */
    DL_ENUMERIC = -5, /* NaN/Inf appeared or a computation did not converge */
    DL_EUNSUPPORTED = -6 /* valid request that this build cannot do */
} dl_status;

typedef void (*dl_error_handler)(int status, const char *message);

/* Record an error; returns status so callers can `return dl_error(...)`. */
int dl_error(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none). */
const char *dl_error_message(void);
const char *dl_status_name(int status);
void dl_error_clear(void);

/* Returns the previous handler; NULL restores the silent default. */
dl_error_handler dl_error_set_handler(dl_error_handler handler);

#endif
