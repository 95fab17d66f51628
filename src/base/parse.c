#include "base/parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "base/dl_error.h"

int dl_parse_double(const char *what, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return dl_error(DL_EINVAL, "--%s: '%s' is not a finite number", what, text);
    *out = v;
    return DL_OK;
}
