#include "drift/schedule.h"

#include <math.h>
#include <string.h>

#include "base/dl_error.h"

static const char *const names[] = {"constant", "exp", "cosine"};

const char *dl_schedule_kind_name(dl_schedule_kind kind)
{
    return (unsigned)kind < 3 ? names[kind] : "?";
}

int dl_schedule_kind_parse(const char *name, dl_schedule_kind *kind)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *kind = (dl_schedule_kind)i;
            return DL_OK;
        }
    return dl_error(DL_EINVAL, "unknown schedule '%s' (known: constant, exp, cosine)", name);
}

int dl_schedule_init(dl_schedule *s, dl_schedule_kind kind, double sigma0, double rate,
                     double sigma_min, double duration)
{
    if (!(sigma0 > 0) || !isfinite(sigma0))
        return dl_error(DL_EINVAL, "sigma must be positive and finite, got %g", sigma0);
    if (kind != DL_SCHEDULE_CONSTANT) {
        if (!(sigma_min > 0) || !isfinite(sigma_min))
            return dl_error(DL_EINVAL, "schedule '%s' needs sigma-min > 0, got %g",
                            dl_schedule_kind_name(kind), sigma_min);
        if (sigma_min > sigma0)
            return dl_error(DL_EINVAL, "sigma-min %g is above the initial sigma %g", sigma_min,
                            sigma0);
    }
    if (kind == DL_SCHEDULE_EXP && (!(rate > 0) || !isfinite(rate)))
        return dl_error(DL_EINVAL, "schedule 'exp' needs rate > 0, got %g", rate);
    if (kind == DL_SCHEDULE_COSINE && (!(duration > 0) || !isfinite(duration)))
        return dl_error(DL_EINVAL, "schedule 'cosine' needs a duration > 0, got %g", duration);
    s->kind = kind;
    s->sigma0 = sigma0;
    s->rate = rate;
    s->sigma_min = sigma_min;
    s->duration = duration;
    return DL_OK;
}

double dl_schedule_sigma(const dl_schedule *s, double t)
{
    switch (s->kind) {
    case DL_SCHEDULE_EXP:
        return fmax(s->sigma_min, s->sigma0 * exp(-s->rate * t));
    case DL_SCHEDULE_COSINE: {
        double tau = fmin(fmax(t, 0.0), s->duration) / s->duration;
        return s->sigma_min + (s->sigma0 - s->sigma_min) * 0.5 * (1.0 + cos(M_PI * tau));
    }
    default:
        return s->sigma0;
    }
}
