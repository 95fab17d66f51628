/* schedule: the kernel bandwidth as a function of simulated time. */
#ifndef DL_SCHEDULE_H
#define DL_SCHEDULE_H

typedef enum { DL_SCHEDULE_CONSTANT, DL_SCHEDULE_EXP, DL_SCHEDULE_COSINE } dl_schedule_kind;

typedef struct {
    dl_schedule_kind kind;
    double sigma0;    /* sigma at t = 0 */
    double rate;      /* exp: sigma0 exp(-rate t) */
    double sigma_min; /* floor for exp; end value for cosine */
    double duration;  /* cosine: sigma reaches sigma_min at t = duration */
} dl_schedule;

int dl_schedule_kind_parse(const char *name, dl_schedule_kind *kind);
const char *dl_schedule_kind_name(dl_schedule_kind kind);

/* Validates the parameters the kind needs. */
int dl_schedule_init(dl_schedule *s, dl_schedule_kind kind, double sigma0, double rate,
                     double sigma_min, double duration);

/*  constant: sigma0
 *  exp:      max(sigma_min, sigma0 exp(-rate t))
 *  cosine:   sigma_min + (sigma0 - sigma_min) (1 + cos(pi min(t, T) / T)) / 2 */
double dl_schedule_sigma(const dl_schedule *s, double t);

#endif
