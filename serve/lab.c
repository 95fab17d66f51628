#define _POSIX_C_SOURCE 200809L
#include "lab.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "cli.h"
#include "drift/snapshot.h"
#include "frame.h"
#include "lane.h"

#define MAX_PENDING_STEPS 1000
#define MAX_SPEED 100
#define FRAME_WORK_S 0.1 /* stepping a frame holds the session at most about this long */
#define DIAG_PERIOD_S 0.5 /* the energy distance costs O(4000^2): at most twice a second */

struct lab_session {
    char id[40];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lab_lane lanes[LAB_MAX_LANES];
    int n_lanes, playing, speed, dirty, arrows;
    long pending;
    double *target; /* the drawn or uploaded target, m x 2 */
    size_t target_m;
    lab_text target_text;
    double last_diag;
};

/* Sim's options a page may not set: they name files or this process. */
static const char *const refused_keys[] = {"out", "config", "threads", "frames", "classifier",
                                           "data", "quiet", NULL};

int lab_session_create(lab_session **out, const char *id)
{
    lab_session *s = calloc(1, sizeof *s);
    if (!s)
        return dl_error(DL_ENOMEM, "out of memory for a session");
    snprintf(s->id, sizeof s->id, "%s", id);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &attr);
    pthread_condattr_destroy(&attr);
    s->speed = 1;
    lab_text_init(&s->target_text, DL_FORM_MAX_BODY);
    *out = s;
    return DL_OK;
}

void lab_session_destroy(lab_session *s)
{
    if (!s)
        return;
    for (int i = 0; i < LAB_MAX_LANES; i++)
        lab_lane_free(&s->lanes[i]);
    free(s->target);
    lab_text_free(&s->target_text);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

const char *lab_session_id(const lab_session *s) { return s->id; }

/* Every lane from t = 0, one clock for all: those in `fresh` (a bit per
 * lane) drawn anew, the others rewound. */
static int restart_lanes(lab_session *s, unsigned fresh)
{
    int st = DL_OK;
    for (int i = 0; i < s->n_lanes; i++)
        if (s->lanes[i].configured) {
            int lane_st = lab_lane_start(&s->lanes[i], s->target, s->target_m, (fresh >> i) & 1u);
            st = st ? st : lane_st;
        }
    s->pending = 0;
    s->dirty = 1;
    s->last_diag = 0;
    pthread_cond_broadcast(&s->cv);
    return st;
}

int lab_session_configure(lab_session *s, int lane, const dl_form *f)
{
    dl_run_options opts;
    dl_run_options_init(&opts);
    int st = dl_form_apply(f, &opts, refused_keys);
    if (st) {
        dl_run_options_free(&opts);
        return st;
    }
    pthread_mutex_lock(&s->mu);
    if (lane < 0 || lane >= LAB_MAX_LANES || lane > s->n_lanes)
        st = dl_error(DL_EINVAL, "lane %d: lanes are 0..%d, one after another", lane,
                      LAB_MAX_LANES - 1);
    else if ((st = lab_lane_configure(&s->lanes[lane], &opts, s->target_m)) == DL_OK) {
        if (lane == s->n_lanes)
            s->n_lanes++;
        st = restart_lanes(s, 1u << lane);
    }
    pthread_mutex_unlock(&s->mu);
    dl_run_options_free(&opts);
    return st;
}

static int control_locked(lab_session *s, const char *action, const char *count_text)
{
    long count = 1;
    int st = count_text ? dl_parse_long("count", count_text, 1, MAX_PENDING_STEPS, &count) : DL_OK;
    if (st)
        return st;
    if (!strcmp(action, "play"))
        s->playing = 1;
    else if (!strcmp(action, "pause"))
        s->playing = 0;
    else if (!strcmp(action, "step"))
        s->playing = 0, s->pending = s->pending + count > MAX_PENDING_STEPS ? MAX_PENDING_STEPS
                                                                           : s->pending + count;
    else if (!strcmp(action, "reset"))
        return restart_lanes(s, 0);
    else if (!strcmp(action, "speed") && count <= MAX_SPEED)
        s->speed = (int)count;
    else if (!strcmp(action, "lanes") && count <= s->n_lanes) {
        for (int i = (int)count; i < LAB_MAX_LANES; i++)
            lab_lane_free(&s->lanes[i]);
        s->n_lanes = (int)count;
    } else if (!strcmp(action, "arrows") && count <= 2)
        s->arrows = count == 2;
    else
        return dl_error(DL_EINVAL, "control '%s' with count %ld: the controls are play, pause, step "
                        "(count 1..%d), reset, speed (1..%d), lanes (1..lanes configured), arrows "
                        "(1 off, 2 on)", action, count, MAX_PENDING_STEPS, MAX_SPEED);
    s->dirty = 1;
    pthread_cond_broadcast(&s->cv);
    return DL_OK;
}

int lab_session_control(lab_session *s, const dl_form *f)
{
    const char *action = dl_form_get(f, "action"), *count = dl_form_get(f, "count");
    if (!action)
        return dl_error(DL_EINVAL, "a control needs action=...");
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->key[i], "action") && strcmp(f->key[i], "count"))
            return dl_error(DL_EINVAL, "unknown control field '%s' (action, count)", f->key[i]);
    pthread_mutex_lock(&s->mu);
    int st = control_locked(s, action, count);
    pthread_mutex_unlock(&s->mu);
    return st;
}

int lab_session_set_target(lab_session *s, const char *text, size_t len)
{
    if (len == 0)
        return dl_error(DL_EINVAL, "the uploaded target is empty");
    FILE *fp = fmemopen((void *)text, len, "r");
    if (!fp)
        return dl_error(DL_ENOMEM, "cannot read the uploaded target");
    double *x;
    size_t m;
    int st = dl_samples_parse(fp, "the uploaded target", 2, &x, &m);
    fclose(fp);
    if (st)
        return st;
    if (m < 2 || m > LAB_MAX_POINTS) {
        free(x);
        return dl_error(DL_EINVAL, "the uploaded target holds %zu points; the lab takes 2..%d", m,
                        LAB_MAX_POINTS);
    }
    pthread_mutex_lock(&s->mu);
    free(s->target);
    s->target = x, s->target_m = m;
    lab_text_clear(&s->target_text);
    lab_text_append(&s->target_text, text, len);
    unsigned fresh = 0;
    for (int i = 0; i < s->n_lanes; i++)
        fresh |= (unsigned)lab_lane_uses_drawn_target(&s->lanes[i]) << i;
    st = restart_lanes(s, fresh);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* Steps every lane in lockstep, at most steps times and for about
 * FRAME_WORK_S: what is left shows in the next frame, so that a slow run
 * never holds the session (and its controls) for long.  Returns the steps done. */
static long step_lanes(lab_session *s, long steps)
{
    const double start = cli_wall_seconds();
    long k = 0;
    for (; k < steps && (k == 0 || cli_wall_seconds() - start < FRAME_WORK_S); k++)
        for (int i = 0; i < s->n_lanes; i++)
            if (s->lanes[i].run && !s->lanes[i].error[0] && lab_lane_step(&s->lanes[i])) {
                s->playing = 0, s->pending = 0; /* show the stop now */
                return steps;
            }
    return k;
}

static void diagnose_lanes(lab_session *s)
{
    for (int i = 0; i < s->n_lanes; i++) {
        lab_lane *lane = &s->lanes[i];
        lane->have_diag = lane->run && !lane->error[0] && !dl_run_diagnose(lane->run, &lane->diag);
    }
}

static void write_frame(lab_session *s, lab_text *out)
{
    lab_text_printf(out, "event: frame\ndata: {\"playing\":%s,\"speed\":%d,\"lanes\":[",
                    s->playing ? "true" : "false", s->speed);
    for (int i = 0; i < s->n_lanes; i++) {
        if (i)
            lab_text_printf(out, ",");
        lab_frame_lane(out, &s->lanes[i], s->arrows);
    }
    lab_text_printf(out, "]}\n\n");
}

/* Waits for work until the deadline; 1 when there is some. */
static int wait_for_work(lab_session *s, double wait_s, const int *stop)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)wait_s;
    until.tv_nsec += (long)((wait_s - (time_t)wait_s) * 1e9);
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    while (!*stop && !s->dirty && !s->playing && s->pending == 0)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
            break;
    return s->dirty || s->playing || s->pending > 0;
}

int lab_session_next_frame(lab_session *s, lab_text *out, double wait_s, const int *stop)
{
    pthread_mutex_lock(&s->mu);
    const int work = wait_for_work(s, wait_s, stop);
    if (*stop) {
        pthread_mutex_unlock(&s->mu);
        return 1;
    }
    if (!work) {
        lab_text_printf(out, ": ping\n\n"); /* a closed tab shows as a failed write */
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    if (s->playing)
        step_lanes(s, s->speed);
    else if (s->pending > 0) {
        const long done = step_lanes(s, s->pending); /* a stop sets pending to 0 */
        s->pending = s->pending > done ? s->pending - done : 0;
    }
    const double now = cli_wall_seconds();
    if (!s->playing || now - s->last_diag >= DIAG_PERIOD_S) {
        diagnose_lanes(s);
        s->last_diag = now;
    }
    write_frame(s, out);
    s->dirty = s->pending > 0;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void lab_session_wake(lab_session *s)
{
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int lab_session_playing(lab_session *s)
{
    pthread_mutex_lock(&s->mu);
    int playing = s->playing;
    pthread_mutex_unlock(&s->mu);
    return playing;
}

int lab_session_export(lab_session *s, int lane, const char *what, lab_text *out)
{
    pthread_mutex_lock(&s->mu);
    int st = DL_OK;
    if (lane < 0 || lane >= s->n_lanes || !s->lanes[lane].run)
        st = dl_error(DL_EINVAL, "lane %d has no run", lane);
    else if (!strcmp(what, "modes"))
        st = lab_lane_export_modes(&s->lanes[lane], out);
    else if (!strcmp(what, "command"))
        st = lab_lane_export_command(&s->lanes[lane], out);
    else if (!strcmp(what, "target") && s->target_m)
        lab_text_append(out, s->target_text.data, s->target_text.len);
    else
        st = dl_error(DL_EINVAL, "export what=%s: modes, command or target (once one is drawn)", what);
    pthread_mutex_unlock(&s->mu);
    return st;
}
