#define _POSIX_C_SOURCE 200809L
#include "snapshot_list.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void snapshot_list_free(snapshot_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
    free(l->t);
    free(l->sigma);
    free(l->step);
    memset(l, 0, sizeof *l);
}

int snapshot_list_read(const char *run, snapshot_list *l)
{
    memset(l, 0, sizeof *l);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/snapshots", run);
    DIR *d = opendir(dir);
    if (!d)
        return dl_error(DL_EIO, "run '%s' has no snapshots/ directory", run);
    size_t cap = 0;
    struct dirent *e;
    int st = DL_OK;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "snap-", 5) || len < 12 || strcmp(e->d_name + len - 7, ".dlsnap"))
            continue;
        if (l->count == cap) {
            cap = cap ? 2 * cap : 64;
            char **np = realloc(l->paths, cap * sizeof *np);
            if (!np) {
                st = dl_error(DL_ENOMEM, "out of memory listing snapshots");
                break;
            }
            l->paths = np;
        }
        size_t need = strlen(dir) + len + 2;
        if (!(l->paths[l->count] = malloc(need))) {
            st = dl_error(DL_ENOMEM, "out of memory listing snapshots");
            break;
        }
        snprintf(l->paths[l->count++], need, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (st)
        return st;
    if (l->count < 2)
        return dl_error(DL_EINVAL,
                        "run '%s' has %zu snapshot(s); a spectrum over time needs at least two "
                        "output times",
                        run, l->count);
    /* zero-padded step numbers: name order is time order */
    qsort(l->paths, l->count, sizeof *l->paths, compare_strings);
    l->t = calloc(l->count, sizeof *l->t);
    l->sigma = calloc(l->count, sizeof *l->sigma);
    l->step = calloc(l->count, sizeof *l->step);
    if (!l->t || !l->sigma || !l->step)
        return dl_error(DL_ENOMEM, "out of memory");
    return DL_OK;
}
