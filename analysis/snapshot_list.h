/* snapshot_list: a run's snapshots/snap-*.dlsnap in time order (their
 * zero-padded step numbers sort by name), for the analyses over time. */
#ifndef DL_SNAPSHOT_LIST_H
#define DL_SNAPSHOT_LIST_H

#include <stddef.h>

typedef struct {
    char **paths;
    size_t count;
    double *t, *sigma;
    long *step;
} snapshot_list;

/* At least two snapshots, or an error; t, sigma and step are allocated
 * (zeroed) for the caller to fill as it reads them. */
int snapshot_list_read(const char *run, snapshot_list *l);
void snapshot_list_free(snapshot_list *l);

#endif
