#include "base/dl_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Per-thread so that an OpenMP worker's error cannot overwrite another's. */
static _Thread_local char last_message[1024];
static dl_error_handler current_handler = NULL;

int dl_error(int status, const char *fmt, ...)
{
    /* through a copy: callers often wrap the last message in a new one */
    char text[sizeof last_message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    memcpy(last_message, text, sizeof text);
    if (current_handler)
        current_handler(status, last_message);
    return status;
}

const char *dl_error_message(void) { return last_message; }

void dl_error_clear(void) { last_message[0] = '\0'; }

const char *dl_status_name(int status)
{
    switch (status) {
    case DL_OK: return "ok";
    case DL_EINVAL: return "invalid argument";
    case DL_ENOMEM: return "out of memory";
    case DL_EIO: return "i/o error";
    case DL_EFORMAT: return "bad file format";
    case DL_ENUMERIC: return "numerical failure";
    case DL_EUNSUPPORTED: return "unsupported";
    default: return "unknown status";
    }
}

dl_error_handler dl_error_set_handler(dl_error_handler handler)
{
    dl_error_handler old = current_handler;
    current_handler = handler;
    return old;
}
