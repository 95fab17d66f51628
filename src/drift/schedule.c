#include "drift/schedule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "drift/metrics.h"

static const char *const names[] = {"constant", "exp", "cosine", "file", "adaptive"};

const char *dl_schedule_kind_name(dl_schedule_kind kind)
{
    return (unsigned)kind < 5 ? names[kind] : "?";
}

int dl_schedule_kind_parse(const char *name, dl_schedule_kind *kind)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *kind = (dl_schedule_kind)i;
            return DL_OK;
        }
    return dl_error(DL_EINVAL, "unknown schedule '%s' (known: constant, exp, cosine, file:PATH)",
                    name);
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
    memset(s, 0, sizeof *s);
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
    case DL_SCHEDULE_ADAPTIVE:
        return s->current;
    case DL_SCHEDULE_TABLE: {
        const dl_schedule_table *tab = s->table;
        if (!(t > tab->t[0]))
            return exp(tab->log_sigma[0]);
        if (t >= tab->t[tab->n - 1])
            return exp(tab->log_sigma[tab->n - 1]);
        size_t lo = 0, hi = tab->n - 1; /* t[lo] < t <= t[hi] */
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (tab->t[mid] < t)
                lo = mid;
            else
                hi = mid;
        }
        double w = (t - tab->t[lo]) / (tab->t[hi] - tab->t[lo]);
        return exp(tab->log_sigma[lo] + w * (tab->log_sigma[hi] - tab->log_sigma[lo]));
    }
    default:
        return s->sigma0;
    }
}

int dl_schedule_init_adaptive(dl_schedule *s, double scale, long every, double sigma0)
{
    if (!(scale > 0) || !isfinite(scale))
        return dl_error(DL_EINVAL, "schedule 'adaptive' needs --sigma-scale c > 0, got %g", scale);
    if (every < 1)
        return dl_error(DL_EINVAL, "schedule 'adaptive' needs --adapt-every >= 1, got %ld", every);
    if (!(sigma0 > 0) || !isfinite(sigma0))
        return dl_error(DL_EINVAL, "sigma must be positive and finite, got %g", sigma0);
    memset(s, 0, sizeof *s);
    s->kind = DL_SCHEDULE_ADAPTIVE;
    s->scale = scale;
    s->adapt_every = every;
    s->sigma0 = s->sigma_min = s->current = sigma0;
    return DL_OK;
}

int dl_schedule_adapt(dl_schedule *s, const dl_domain *dom, const double *x, size_t n)
{
    const size_t k = n < DL_SCHEDULE_ADAPT_POINTS ? n : DL_SCHEDULE_ADAPT_POINTS;
    const size_t d = (size_t)dom->dim;
    double *sub = malloc(k * d * sizeof *sub), median = NAN;
    if (!sub)
        return dl_error(DL_ENOMEM, "adaptive schedule: out of memory");
    for (size_t i = 0; i < k; i++)
        memcpy(sub + i * d, x + (i * n / k) * d, d * sizeof *sub);
    int st = dl_median_pairwise_distance(dom, sub, k, &median);
    free(sub);
    if (st)
        return st;
    if (!(median > 0))
        return dl_error(DL_ENUMERIC, "adaptive schedule: the particles' median distance is 0 "
                        "(they have collapsed onto one point)");
    s->current = s->scale * median;
    return DL_OK;
}

int dl_schedule_init_table(dl_schedule *s, const dl_schedule_table *table)
{
    if (!table || table->n < 1)
        return dl_error(DL_EINVAL, "a tabulated schedule needs at least one row");
    memset(s, 0, sizeof *s);
    s->kind = DL_SCHEDULE_TABLE;
    s->table = table;
    s->sigma0 = exp(table->log_sigma[0]);
    s->sigma_min = s->sigma0;
    for (size_t i = 1; i < table->n; i++)
        s->sigma_min = fmin(s->sigma_min, exp(table->log_sigma[i]));
    return DL_OK;
}

/* one row: exactly two numbers separated by blanks */
static int table_row(const char *path, long line_no, const char *line, double *t, double *sigma)
{
    double v[2] = {0, 0};
    const char *p = line;
    for (int c = 0; c < 3; c++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '\n' || *p == '\r') {
            if (c == 2)
                break;
            return dl_error(DL_EFORMAT, "%s:%ld: a row needs two columns, t and sigma", path, line_no);
        }
        if (c == 2)
            return dl_error(DL_EFORMAT, "%s:%ld: more than two columns", path, line_no);
        size_t len = strcspn(p, " \t\r\n");
        if (dl_parse_double_span(p, len, &v[c]))
            return dl_error(DL_EFORMAT, "%s:%ld: '%.*s' is not a number", path, line_no,
                            (int)(len < 40 ? len : 40), p);
        p += len;
    }
    *t = v[0], *sigma = v[1];
    if (!isfinite(*t))
        return dl_error(DL_EFORMAT, "%s:%ld: time %g is not finite", path, line_no, *t);
    if (!(*sigma > 0) || !isfinite(*sigma))
        return dl_error(DL_EFORMAT, "%s:%ld: sigma must be positive and finite, got %g", path,
                        line_no, *sigma);
    return DL_OK;
}

int dl_schedule_table_read(const char *path, dl_schedule_table *table)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return dl_error(DL_EIO, "cannot open schedule file %s", path);
    char line[512];
    long line_no = 0;
    int st = DL_OK;
    table->n = 0;
    while (!st && fgets(line, sizeof line, f)) {
        line_no++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n')
            st = dl_error(DL_EFORMAT, "%s:%ld: line longer than %zu characters", path, line_no,
                          sizeof line - 2);
        const char *p = line + strspn(line, " \t");
        if (st || *p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
            continue;
        double t = 0, sigma = 0;
        if ((st = table_row(path, line_no, line, &t, &sigma)))
            break;
        if (table->n == DL_SCHEDULE_TABLE_MAX)
            st = dl_error(DL_EFORMAT, "%s: more than %d rows", path, DL_SCHEDULE_TABLE_MAX);
        else if (table->n > 0 && !(t > table->t[table->n - 1]))
            st = dl_error(DL_EFORMAT, "%s:%ld: times must increase strictly (%g after %g)", path,
                          line_no, t, table->t[table->n - 1]);
        else {
            table->t[table->n] = t;
            table->log_sigma[table->n] = log(sigma);
            table->n++;
        }
    }
    if (!st && ferror(f))
        st = dl_error(DL_EIO, "error reading schedule file %s", path);
    fclose(f);
    if (!st && table->n == 0)
        st = dl_error(DL_EFORMAT, "schedule file %s holds no (t, sigma) rows", path);
    return st;
}
