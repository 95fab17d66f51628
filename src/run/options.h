/* options: the option table of a run and its resolution.  One table serves the command
 * line (--key value), the INI file (key = value, section [sim] or none) and
 * the run.ini that replays a run, and the lab's control requests (driftlab serve),
 * so they can never drift apart.  sim, sweep, spectrum, theory and serve all
 * resolve through it. */
#ifndef DL_RUN_OPTIONS_H
#define DL_RUN_OPTIONS_H

#include <stdio.h>

#include "drift/dist.h"
#include "drift/domain.h"
#include "drift/engine.h"
#include "drift/integrator.h"
#include "drift/kernel.h"
#include "drift/schedule.h"

typedef struct {
    const char *values[64]; /* one per table entry, owned strings */
} dl_run_options;

/* Everything resolved and validated. */
typedef struct {
    dl_domain domain;
    const dl_kernel *kernel;
    dl_operator field;               /* --field: mean shift or the MMD flow */
    dl_schedule schedule;
    dl_schedule_table schedule_table; /* --schedule file:PATH (schedule.table points here) */
    dl_integrator_kind integrator;
    dl_dist target, init;
    const char *target_file, *init_file; /* for kind == DL_DIST_FILE (idx:... for images) */
    int image_rows, image_cols;          /* > 0: an image run in R^(rows x cols) */
    const char *classifier, *data;       /* image runs: FD-FMNIST of the particles ("" none) */
    int sigma_median;                    /* --sigma-units median: sigma in units of the target's
                                            median pairwise distance (cmd_sim rescales) */
    size_t m, n;
    double dt, t_end;
    long every, snapshot_every, steps;
    int self_mask, no_stop_gradient, frames, quiet, threads;
    unsigned long seed;
    const char *engine;
    dl_engine_options engine_opts;
    const char *out;
    int n_record;                     /* modes written to modes.dat (torus) */
    int record[DL_MAX_MODES][DL_MAX_DIM];
} dl_run_config;

void dl_run_options_init(dl_run_options *o);
void dl_run_options_free(dl_run_options *o);
/* Set one option by its long name (no dashes). */
int dl_run_options_set(dl_run_options *o, const char *key, const char *value);
int dl_run_options_is_flag(const char *key);
/* The value a key resolves to (set, or its default); NULL for an unknown key. */
const char *dl_run_options_get(const dl_run_options *o, const char *key);
int dl_run_options_load_ini(dl_run_options *o, const char *path);
/* A config file's text (malloc'ed), read as the INI reader reads it: at most
 * DL_RUN_CONFIG_MAX_BYTES, no NUL, no line over DL_RUN_INI_MAX_LINE characters. */
int dl_run_config_read_text(const char *path, char **text);
/* Parse argv (after the subcommand); --config is applied first, then flags. */
int dl_run_options_parse_args(dl_run_options *o, int argc, char **argv, int *want_help);
int dl_run_config_resolve(const dl_run_options *o, dl_run_config *c);
/* The INI that replays the run: every option, defaults included.  Resolving
 * refuses values that would not fit an INI line (inih reads 200 characters). */
#define DL_RUN_INI_MAX_LINE 190
/* The largest config file read (a run.ini is a few kB). */
#define DL_RUN_CONFIG_MAX_BYTES (1 << 20)
/* A value as run.ini holds it, quoted and escaped where inih would not read
 * it back unchanged (returns the length it needs, as snprintf does), and its
 * inverse (0, or -1 for a malformed quoted value or one over cap). */
size_t dl_run_ini_quote(const char *v, char *out, size_t cap);
int dl_run_ini_unquote(const char *v, char *out, size_t cap);
void dl_run_options_write_ini(const dl_run_options *o, FILE *fp);
/* DL_OK when every value fits a run.ini line once quoted. */
int dl_run_options_check_lines(const dl_run_options *o);
/* The i-th option's name (the index of o->values), NULL past the last. */
const char *dl_run_options_key(int i);
void dl_run_options_print_help(FILE *fp);
/* Refuses every value that would make resolving or running read a file (a
 * request from the network): idx: images, file: targets other than
 * allowed_target (NULL: none), file: inits and schedules, a classifier. */
int dl_run_options_refuse_files(const dl_run_options *o, const char *allowed_target);
/* 1 when a and b draw the same targets and first particles (the same
 * values for every option that decides them, the seed included). */
int dl_run_options_same_points(const dl_run_options *a, const dl_run_options *b);
/* The i-th option's default (as text) and help line; 0 past the last. */
int dl_run_options_describe(int i, const char **fallback, const char **help);

#endif
