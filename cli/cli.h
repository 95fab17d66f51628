/* cli: what every driftlab subcommand shares: the one-line error report, the
 * command line for provenance headers, strict number parsing and the progress
 * line.  Only the CLI prints; the library returns statuses. */
#ifndef DL_CLI_H
#define DL_CLI_H

#include <stddef.h>

/* "driftlab <cmd>: error: <library message>" on stderr; returns 1 (the exit code). */
int cli_fail(const char *command);

/* The full invocation, shell-quoted where needed (static storage). */
const char *cli_command_line(int argc, char **argv);
/* The same into the caller's buffer (threads: the lab's exports). */
void cli_command_line_into(int argc, char **argv, char *line, size_t cap);

/* Whole-string parsing; record a dl_error naming the option on failure. */
int cli_parse_long(const char *option, const char *text, long *out);
/* An integer in [lo, hi], with a message that names the option and the range. */
int cli_parse_long_in(const char *option, const char *text, long lo, long hi, long *out);
/* OPTION VALUE of a command whose value-taking options are `known` (without
 * their "--", NULL-ended): an option outside the list is unknown wherever it
 * stands, and a known one in last place has no value.  DL_OK when both hold. */
int cli_option_value(const char *command, const char *option, const char *value,
                     const char *const *known);
/* A rate-and-ETA line on stderr, redrawn in place; silent unless stderr is a
 * terminal and quiet is 0. */
typedef struct {
    int enabled;
    double start;
    double last_draw;
} cli_progress;

void cli_progress_start(cli_progress *p, int quiet);
void cli_progress_update(cli_progress *p, size_t done, size_t total, const char *detail);
void cli_progress_finish(cli_progress *p);
/* The library's hooks (run/record.h): progress is a cli_progress, and the
 * log line goes to stderr as "COMMAND: topic: line" (command: a string). */
void cli_progress_hook(void *progress, long step, long steps, const char *detail);
void cli_log_line(void *command, const char *topic, const char *line);

/* dl_classifier_fit's progress callback: the progress line (loss, images/s)
 * and a time budget (budget_s > 0 stops the fit after it) */
typedef struct {
    cli_progress bar;
    double t0, budget_s;
    int batch;
} cli_fit_progress;
int cli_fit_report(void *ctx, long step, long total, double loss);

double cli_wall_seconds(void);

#endif
