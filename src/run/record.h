/* record: a run stepped to its end with its files written, what `driftlab
 * sim` does in one process and what `driftlab sweep` does at each point:
 * run.ini, diagnostics.dat, modes.dat (torus), target.dat, target.dlsnap,
 * snapshots/, frames/ and final.dat under c->out, each written to a
 * temporary name and renamed into place. */
#ifndef DL_RUN_RECORD_H
#define DL_RUN_RECORD_H

#include "base/io.h"
#include "run/options.h"

typedef struct {
    /* a decision or a measurement, unless the run is quiet (NULL: dropped) */
    void (*log)(void *ctx, const char *topic, const char *line);
    void *log_ctx;
    /* at every output step (NULL: none) */
    void (*progress)(void *ctx, long step, long steps, const char *detail);
    void *progress_ctx;
} dl_run_hooks;

int dl_run_record(const dl_run_options *o, const dl_run_config *c, const dl_provenance *prov,
                  const dl_run_hooks *hooks);

#endif
