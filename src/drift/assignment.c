#include "drift/assignment.h"

#include <string.h>

#include "base/dl_error.h"

int dl_assignment_parse(const char *name, dl_assignment *a)
{
    if (!strcmp(name, "cic"))
        *a = DL_ASSIGN_CIC;
    else if (!strcmp(name, "tsc"))
        *a = DL_ASSIGN_TSC;
    else
        return dl_error(DL_EINVAL, "unknown assignment '%s' (known: cic, tsc)", name);
    return DL_OK;
}

const char *dl_assignment_name(dl_assignment a) { return a == DL_ASSIGN_CIC ? "cic" : "tsc"; }
