/* lab: the sessions of `driftlab serve`.  A session is one browser tab: up
 * to LAB_MAX_LANES runs in lockstep on one clock, each a dl_run built from
 * sim's own options by sim's own resolver.  Its stream (http.c) steps the
 * lanes and turns them into frames; controls change what the stream does.
 *
 * Every session is bounded: lanes, particles and targets per lane, the pair
 * work per step of the direct engines, and the modes.dat it keeps for export. */
#ifndef DL_SERVE_LAB_H
#define DL_SERVE_LAB_H

#include <stddef.h>

#include "run/form.h"
#include "text.h"

#define LAB_MAX_LANES 3
#define LAB_MAX_POINTS 50000          /* n and m, each, per lane */
#define LAB_MAX_DIRECT_PAIRS 2.5e7    /* n x m per step where the engine sums pairs */
#define LAB_MAX_MODES_BYTES (4 << 20) /* the modes.dat a lane keeps for export */
#define LAB_MAX_SESSIONS 32

typedef struct lab_session lab_session;

int lab_session_create(lab_session **out, const char *id);
void lab_session_destroy(lab_session *s);
const char *lab_session_id(const lab_session *s);

/* Lane `lane` (0-based) from a form of sim's option names; every lane starts
 * again at t = 0 from its seed (one clock).  DL_EINVAL with the resolver's
 * message on a bad value. */
int lab_session_configure(lab_session *s, int lane, const dl_form *f);
/* action=play | pause | step (count=K) | reset | lanes (count=K) | speed (count=K) */
int lab_session_control(lab_session *s, const dl_form *f);
/* The target a lane names as file:target.dat: a points table (sim's text
 * format, 2-D), at most LAB_MAX_POINTS points. */
int lab_session_set_target(lab_session *s, const char *text, size_t len);

/* Waits until there is something to show (at most wait_s seconds), steps
 * the lanes if playing, and appends one SSE frame ("event: frame") to out;
 * a ping comment when nothing changed.  Returns 1 when stop was set. */
int lab_session_next_frame(lab_session *s, lab_text *out, double wait_s, const int *stop);
/* Wakes a stream that waits (shutdown). */
void lab_session_wake(lab_session *s);
int lab_session_playing(lab_session *s);

/* what = modes: lane's modes.dat up to now; command: the `driftlab sim`
 * command line that writes the same modes.dat; target: the drawn target. */
int lab_session_export(lab_session *s, int lane, const char *what, lab_text *out);

/* The library's tables as JSON: kernels, operators, schedules, toys, engines
 * and sim's options with their defaults, for the page's menus. */
void lab_tables_json(lab_text *out);

#endif
