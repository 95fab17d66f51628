/* schedule: the kernel bandwidth as a function of simulated time. */
#ifndef DL_SCHEDULE_H
#define DL_SCHEDULE_H

#include <stddef.h>

#include "drift/domain.h"

typedef enum {
    DL_SCHEDULE_CONSTANT,
    DL_SCHEDULE_EXP,
    DL_SCHEDULE_COSINE,
    DL_SCHEDULE_TABLE,   /* --schedule file:PATH */
    DL_SCHEDULE_ADAPTIVE /* sigma = scale x the particles' median distance, set by the caller */
} dl_schedule_kind;

/* A tabulated schedule: rows (t, sigma) with t strictly increasing and sigma
 * positive and finite, interpolated linearly in ln sigma, held at the first
 * value before the first time and at the last after the last. */
#define DL_SCHEDULE_TABLE_MAX 4096
typedef struct {
    size_t n;
    double t[DL_SCHEDULE_TABLE_MAX];
    double log_sigma[DL_SCHEDULE_TABLE_MAX];
} dl_schedule_table;

/* Reads "t sigma" rows ('#' comments and blank lines skipped), every number
 * through the strict parser; an empty file, a missing or extra column, a
 * non-increasing time, a sigma that is not positive and finite, or more than
 * DL_SCHEDULE_TABLE_MAX rows is an error naming the file and line. */
int dl_schedule_table_read(const char *path, dl_schedule_table *table);

typedef struct {
    dl_schedule_kind kind;
    const dl_schedule_table *table; /* DL_SCHEDULE_TABLE: borrowed, outlives the schedule */
    double sigma0;    /* sigma at t = 0 */
    double rate;      /* exp: sigma0 exp(-rate t) */
    double sigma_min; /* floor for exp; end value for cosine */
    double duration;  /* cosine: sigma reaches sigma_min at t = duration */
    double scale;     /* adaptive: sigma = scale x median pairwise distance */
    long adapt_every; /* adaptive: steps between recomputations */
    double current;   /* adaptive: the sigma now in force (dl_schedule_adapt) */
} dl_schedule;

int dl_schedule_kind_parse(const char *name, dl_schedule_kind *kind);
const char *dl_schedule_kind_name(dl_schedule_kind kind);

/* A tabulated schedule over table (sigma0 is its first sigma). */
int dl_schedule_init_table(dl_schedule *s, const dl_schedule_table *table);

/* An adaptive schedule: sigma = scale x the particles' current median pairwise
 * distance, recomputed every `every` steps by whoever steps the particles
 * (dl_schedule_adapt); sigma0 is a placeholder until the first adaptation. */
int dl_schedule_init_adaptive(dl_schedule *s, double scale, long every, double sigma0);
/* Sets the adaptive sigma from the median pairwise distance of a strided
 * subset of at most DL_SCHEDULE_ADAPT_POINTS of the n particles x (strided:
 * a quiet start orders the particles along the domain). */
#define DL_SCHEDULE_ADAPT_POINTS 1000
int dl_schedule_adapt(dl_schedule *s, const dl_domain *dom, const double *x, size_t n);

/* Validates the parameters the kind needs (not DL_SCHEDULE_TABLE). */
int dl_schedule_init(dl_schedule *s, dl_schedule_kind kind, double sigma0, double rate,
                     double sigma_min, double duration);

/*  constant: sigma0
 *  exp:      max(sigma_min, sigma0 exp(-rate t))
 *  cosine:   sigma_min + (sigma0 - sigma_min) (1 + cos(pi min(t, T) / T)) / 2 */
double dl_schedule_sigma(const dl_schedule *s, double t);

#endif
