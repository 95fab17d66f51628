/* driftlab sweep SPEC.ini: a grid of `driftlab sim` runs, each analysed by
 * `driftlab spectrum` where it can be (1-D and 2-D torus runs), gathered into
 * OUT/sweep.dat.  The spec:
 *     [sweep]   out = DIR
 *     [sim]     options every point shares (any `driftlab sim` key)
 *     [grid]    KEY = V1 | V2 | ...   or   KEY = range(START, STOP, STEP)
 * Points are the grid's product, the last key varying fastest.  Each point
 * runs in OUT/point-NNNN/ and, once analysed, writes OUT/point-NNNN/done.dat
 * (its sweep.dat row) atomically: a rerun skips the points that have one. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ini.h>
#ifdef DRIFTLAB_HAVE_MPI
#include <mpi.h>

#include "parallel/collective.h"
#endif

#include "base/dl_error.h"
#include "base/io.h"
#include "base/parse.h"
#include "cli.h"
#include "commands.h"
#include "run/options.h"
#include "run/record.h"

#define SWEEP_MAX_AXES 8
#define SWEEP_MAX_VALUES 1000
#define SWEEP_MAX_POINTS 100000

typedef struct {
    char key[64];
    int n;
    char *values[SWEEP_MAX_VALUES];
} sweep_axis;

typedef struct {
    char out[2048];
    dl_run_options fixed;
    sweep_axis axes[SWEEP_MAX_AXES];
    int n_axes;
    size_t n_points;
    int quiet, status;
    long jobs; /* --jobs: points run at once in child processes (1: in this one) */
} sweep_spec;

static void sweep_spec_free(sweep_spec *s)
{
    for (int a = 0; a < s->n_axes; a++)
        for (int i = 0; i < s->axes[a].n; i++)
            free(s->axes[a].values[i]);
    dl_run_options_free(&s->fixed);
}

static int add_value(sweep_axis *ax, const char *text, size_t len)
{
    while (len && (*text == ' ' || *text == '\t'))
        text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len == 0)
        return dl_error(DL_EINVAL, "grid key '%s': an empty value", ax->key);
    if (memchr(text, ' ', len) || memchr(text, '\t', len)) /* a sweep.dat column each */
        return dl_error(DL_EINVAL, "grid key '%s': value '%.*s' holds a blank", ax->key, (int)len, text);
    if (ax->n == SWEEP_MAX_VALUES)
        return dl_error(DL_EINVAL, "grid key '%s': more than %d values", ax->key, SWEEP_MAX_VALUES);
    if (!(ax->values[ax->n] = strndup(text, len)))
        return dl_error(DL_ENOMEM, "out of memory");
    ax->n++;
    return DL_OK;
}

/* range(START, STOP, STEP): START, START + STEP, ... up to STOP (inclusive,
 * to a millionth of a step), STEP > 0. */
static int parse_range(sweep_axis *ax, const char *v)
{
    const size_t n = strlen(v);
    double x[3];
    const char *p = v + 6, *end = v + n - 1; /* inside "range(" ... ")" */
    for (int i = 0; i < 3; i++) {
        const char *stop = i < 2 ? memchr(p, ',', (size_t)(end - p)) : end;
        const char *a = p, *b = stop ? stop : end;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (!stop || dl_parse_double_span(a, (size_t)(b - a), &x[i]))
            return dl_error(DL_EINVAL, "grid key '%s': malformed range '%s' (want range(START, STOP, STEP))",
                            ax->key, v);
        p = stop + 1;
    }
    if (!(x[2] > 0) || x[1] < x[0] || (x[1] - x[0]) / x[2] >= SWEEP_MAX_VALUES)
        return dl_error(DL_EINVAL, "grid key '%s': range '%s' needs STEP > 0, STOP >= START and at most %d values",
                        ax->key, v, SWEEP_MAX_VALUES);
    for (long i = 0; x[0] + i * x[2] <= x[1] + 1e-6 * x[2]; i++) {
        char text[64];
        snprintf(text, sizeof text, "%.12g", x[0] + i * x[2]);
        int st = add_value(ax, text, strlen(text));
        if (st)
            return st;
    }
    return DL_OK;
}

static int add_axis(sweep_spec *s, const char *key, const char *v)
{
    for (int a = 0; a < s->n_axes; a++)
        if (!strcmp(s->axes[a].key, key))
            return dl_error(DL_EINVAL, "grid key '%s' given twice", key);
    if (s->n_axes == SWEEP_MAX_AXES || strlen(key) >= sizeof s->axes[0].key)
        return dl_error(DL_EINVAL, "grid key '%s': at most %d keys", key, SWEEP_MAX_AXES);
    /* unknown keys are refused here, before anything runs */
    dl_run_options probe;
    dl_run_options_init(&probe);
    int st = dl_run_options_set(&probe, key, "0");
    dl_run_options_free(&probe);
    if (st || !strcmp(key, "out") || !strcmp(key, "config"))
        return dl_error(DL_EINVAL, "grid key '%s' is not a driftlab sim option", key);
    sweep_axis *ax = &s->axes[s->n_axes++];
    snprintf(ax->key, sizeof ax->key, "%s", key);
    if (!strncmp(v, "range(", 6) && v[strlen(v) - 1] == ')')
        return parse_range(ax, v);
    for (const char *p = v;; ) {
        size_t len = strcspn(p, "|");
        if ((st = add_value(ax, p, len)))
            return st;
        if (!p[len])
            return DL_OK;
        p += len + 1;
    }
}

static int on_spec_entry(void *user, const char *section, const char *name, const char *value)
{
    sweep_spec *s = user;
    char plain[DL_RUN_INI_MAX_LINE + 1];
    if (s->status)
        return 0;
    if (dl_run_ini_unquote(value, plain, sizeof plain))
        s->status = dl_error(DL_EFORMAT, "%s: bad quoted value %s", name, value);
    else if (!strcmp(section, "grid"))
        s->status = add_axis(s, name, plain);
    else if (!strcmp(section, "sim"))
        s->status = !strcmp(name, "out") || !strcmp(name, "config")
                        ? dl_error(DL_EINVAL, "[sim] %s: the sweep names each point's directory", name)
                        : dl_run_options_set(&s->fixed, name, plain);
    else if (!strcmp(section, "sweep") && !strcmp(name, "out"))
        snprintf(s->out, sizeof s->out, "%s", plain);
    else
        s->status = dl_error(DL_EINVAL, "unknown key '%s' in [%s] (sections: sweep, sim, grid)", name, section);
    return s->status == DL_OK;
}

static int sweep_spec_load(sweep_spec *s, const char *path)
{
    char *text = NULL;
    int st = dl_run_config_read_text(path, &text);
    if (st)
        return st;
    int line = ini_parse_string(text, on_spec_entry, s);
    free(text);
    if (line) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", s->status ? dl_error_message() : "syntax error");
        return dl_error(s->status ? s->status : DL_EFORMAT, "spec '%s' line %d: %s", path, line, msg);
    }
    if (s->n_axes == 0)
        return dl_error(DL_EINVAL, "spec '%s': the [grid] is empty", path);
    s->n_points = 1;
    for (int a = 0; a < s->n_axes; a++)
        if ((s->n_points *= (size_t)s->axes[a].n) > SWEEP_MAX_POINTS)
            return dl_error(DL_EINVAL, "spec '%s': more than %d points", path, SWEEP_MAX_POINTS);
    return DL_OK;
}

/* Point p's options: the fixed ones, then its grid values (last key fastest). */
static int point_options(const sweep_spec *s, size_t p, dl_run_options *o, char *dir, size_t len)
{
    dl_run_options_init(o);
    int st = DL_OK;
    for (int i = 0; !st && dl_run_options_key(i); i++)
        if (s->fixed.values[i])
            st = dl_run_options_set(o, dl_run_options_key(i), s->fixed.values[i]);
    size_t rest = p;
    for (int a = s->n_axes - 1; !st && a >= 0; a--) {
        const sweep_axis *ax = &s->axes[a];
        st = dl_run_options_set(o, ax->key, ax->values[rest % (size_t)ax->n]);
        rest /= (size_t)ax->n;
    }
    snprintf(dir, len, "%s/point-%04zu", s->out, p);
    if (!st)
        st = dl_run_options_set(o, "out", dir);
    return st;
}

/* Every point resolves as `driftlab sim` would resolve it, before any runs. */
static int sweep_check(const sweep_spec *s)
{
    for (size_t p = 0; p < s->n_points; p++) {
        dl_run_options o;
        dl_run_config c;
        char dir[2200];
        int st = point_options(s, p, &o, dir, sizeof dir);
        if (!st)
            st = dl_run_config_resolve(&o, &c);
        dl_run_options_free(&o);
        if (st) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", dl_error_message());
            return dl_error(st, "point %zu: %s", p, msg);
        }
    }
    return DL_OK;
}

/* The last data row's column col (1-based) of a table, NAN when absent. */
static double last_value(const char *path, int col)
{
    FILE *fp = fopen(path, "r");
    double v = NAN;
    char line[4096];
    while (fp && fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        char *p = line;
        for (int c = 1; c < col && *p; c++)
            p += strcspn(p, " \t"), p += strspn(p, " \t");
        v = strtod(p, NULL);
    }
    if (fp)
        fclose(fp);
    return v;
}

/* Runs a command in-process, as `driftlab NAME ARGS...` would: argv is that
 * whole line, and a command sees it from NAME on (argv[-1] names the tool). */
static int run_command(int (*cmd)(int, char **), char **argv, int argc)
{
    return cmd(argc - 1, argv + 1) ? DL_EIO : DL_OK;
}

/* One point: sim, spectrum where it applies, then the done.dat marker that
 * holds its sweep.dat row. */
static int sweep_run_point(const sweep_spec *s, size_t p)
{
    dl_run_options o;
    dl_run_config c;
    memset(&c, 0, sizeof c);
    char dir[2200], ini[2300], marker[2300], path[2300];
    int st = point_options(s, p, &o, dir, sizeof dir);
    snprintf(marker, sizeof marker, "%s/done.dat", dir);
    struct stat sb;
    if (st || stat(marker, &sb) == 0) { /* done in an earlier run */
        dl_run_options_free(&o);
        return st;
    }
    snprintf(ini, sizeof ini, "%s/point.ini", dir);
    dl_atomic_file f;
    if (!(st = dl_run_config_resolve(&o, &c)) && !(st = dl_mkdir_p(dir)) && !(st = dl_atomic_open(&f, ini, "w"))) {
        dl_run_options_write_ini(&o, f.fp);
        st = dl_atomic_commit(&f);
    }
    const double t0 = cli_wall_seconds();
    /* recorded as `driftlab sim --config point.ini --quiet` would record it */
    char *sim_argv[] = {"driftlab", "sim", "--config", ini, "--quiet", NULL};
    char *spec_argv[] = {"driftlab", "spectrum", dir, "--quiet", NULL};
    int analysable = c.domain.kind == DL_DOMAIN_TORUS && c.domain.dim <= 2;
    dl_provenance prov = {cli_command_line(5, sim_argv), c.seed};
    dl_run_hooks quiet = {0};
    if (!st && !(st = dl_run_options_set(&o, "quiet", "true")) && !(st = dl_run_config_resolve(&o, &c)))
        st = dl_run_record(&o, &c, &prov, &quiet);
    if (!st && analysable)
        st = run_command(cmd_spectrum, spec_argv, 4);
    const double wall = cli_wall_seconds() - t0;
    if (!st) {
        snprintf(path, sizeof path, "%s/diagnostics.dat", dir);
        const double ed = last_value(path, 7);
        st = dl_atomic_open(&f, marker, "w");
        if (!st) {
            fprintf(f.fp, "%zu", p);
            for (int a = 0; a < s->n_axes; a++)
                fprintf(f.fp, " %s", dl_run_options_get(&o, s->axes[a].key));
            fprintf(f.fp, " %.10g %.4f", ed, wall);
            snprintf(path, sizeof path, "%s/rates.dat", dir);
            FILE *r = analysable ? fopen(path, "r") : NULL;
            char line[4096];
            while (r && fgets(line, sizeof line, r))
                if (line[0] != '#') { /* k gamma ... seeded (column 9): the seeded modes */
                    double v[9];
                    if (sscanf(line, "%lf %lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3],
                               &v[4], &v[5], &v[6], &v[7], &v[8]) == 9 && v[8] != 0)
                        fprintf(f.fp, " %.6g", v[1]);
                }
            if (r)
                fclose(r);
            fputc('\n', f.fp);
            st = dl_atomic_commit(&f);
        }
    }
    dl_run_options_free(&o);
    return st;
}

#ifdef DRIFTLAB_HAVE_MPI
/* A point's cost, for handing out the longest first: pair evaluations. */
static double point_cost(const sweep_spec *s, size_t p)
{
    dl_run_options o;
    dl_run_config c;
    char dir[2200];
    double cost = 0;
    if (!point_options(s, p, &o, dir, sizeof dir) && !dl_run_config_resolve(&o, &c))
        cost = (double)c.n * (double)(c.m + c.n) * (double)c.steps;
    dl_run_options_free(&o);
    return cost;
}

static const double *sort_costs; /* qsort has no context argument */
static int by_cost_descending(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const double ci = sort_costs[i], cj = sort_costs[j];
    return ci < cj ? 1 : ci > cj ? -1 : (i > j) - (i < j);
}

enum { TAG_ASK = 1, TAG_POINT = 2 };

/* Rank 0 hands the points out one at a time, longest first, to whichever
 * rank asks; each rank reports its last point's status when it asks again. */
static int sweep_dispatch(const sweep_spec *s, int ranks)
{
    size_t *order = malloc(s->n_points * sizeof *order);
    double *costs = malloc(s->n_points * sizeof *costs);
    if (!order || !costs) {
        free(order), free(costs);
        return dl_error(DL_ENOMEM, "out of memory");
    }
    for (size_t p = 0; p < s->n_points; p++)
        order[p] = p, costs[p] = point_cost(s, p);
    sort_costs = costs;
    qsort(order, s->n_points, sizeof *order, by_cost_descending);
    free(costs);
    int failed = 0;
    long next = 0, stopped = 0;
    while (stopped < ranks - 1) {
        long report[2]; /* status of the last point, the point (-1: none) */
        MPI_Status info;
        MPI_Recv(report, 2, MPI_LONG, MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD, &info);
        if (report[0] && !failed)
            failed = 1 + (int)report[1];
        long give = !failed && next < (long)s->n_points ? (long)order[next++] : -1;
        MPI_Send(&give, 1, MPI_LONG, info.MPI_SOURCE, TAG_POINT, MPI_COMM_WORLD);
        stopped += give < 0;
    }
    free(order);
    return failed ? dl_error(DL_EIO, "sweep: point %d failed (its error is above)", failed - 1) : DL_OK;
}

static void sweep_work(const sweep_spec *s)
{
    long report[2] = {0, -1}, point;
    for (;;) {
        MPI_Send(report, 2, MPI_LONG, 0, TAG_ASK, MPI_COMM_WORLD);
        MPI_Recv(&point, 1, MPI_LONG, 0, TAG_POINT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (point < 0)
            return;
        report[0] = sweep_run_point(s, (size_t)point);
        report[1] = point;
    }
}

/* Under mpirun with more than one rank: rank 0 dispatches, the others run
 * points.  *handled is 0 where the points are to run here, one by one. */
static int sweep_run_mpi(const sweep_spec *s, int *handled, int *rank)
{
    *handled = 0, *rank = 0;
    if (!dl_mpi_launched())
        return DL_OK;
    int ranks;
    MPI_Init(NULL, NULL);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    int st = DL_OK;
    if (ranks > 1) {
        *handled = 1;
        if (*rank == 0)
            st = sweep_dispatch(s, ranks);
        else
            sweep_work(s);
    } else {
        *handled = 0;
    }
    return st;
}
#endif

/* --jobs N: each point in a child process of its own, N at a time; a
 * failed point lets the running ones finish and starts no more. */
static int sweep_run_jobs(const sweep_spec *s)
{
    long running = 0;
    int failed = -1;
    size_t next = 0;
    while (running > 0 || (failed < 0 && next < s->n_points)) {
        if (failed < 0 && next < s->n_points && running < s->jobs) {
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0)
                return dl_error(DL_EIO, "sweep: cannot start a process: %s", strerror(errno));
            if (pid == 0)
                _exit(sweep_run_point(s, next) ? 1 : 0);
            running++, next++;
            continue;
        }
        int status;
        if (wait(&status) < 0)
            return dl_error(DL_EIO, "sweep: waiting for a point failed: %s", strerror(errno));
        running--;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && failed < 0)
            failed = 1;
    }
    return failed < 0 ? DL_OK : dl_error(DL_EIO, "sweep: a point failed (its error is above)");
}

/* sweep.dat: the done.dat rows of every point, in point order. */
static int sweep_write_table(const sweep_spec *s, const dl_provenance *prov)
{
    char path[2300], columns[1024] = "point";
    for (int a = 0; a < s->n_axes; a++)
        snprintf(columns + strlen(columns), sizeof columns - strlen(columns), " %s", s->axes[a].key);
    snprintf(columns + strlen(columns), sizeof columns - strlen(columns),
             " energy_distance wall_s, then the fitted gamma of each seeded mode (rates.dat, k ascending)");
    snprintf(path, sizeof path, "%s/sweep.dat", s->out);
    dl_atomic_file f;
    int st = dl_dat_open(&f, path, prov, NULL, columns);
    for (size_t p = 0; !st && p < s->n_points; p++) {
        snprintf(path, sizeof path, "%s/point-%04zu/done.dat", s->out, p);
        FILE *fp = fopen(path, "r");
        char line[8192];
        if (!fp || !fgets(line, sizeof line, fp))
            st = dl_error(DL_EIO, "sweep: point %zu has no done.dat", p);
        else
            fputs(line, f.fp);
        if (fp)
            fclose(fp);
    }
    if (st) {
        dl_atomic_abort(&f);
        return st;
    }
    return dl_atomic_commit(&f);
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab sweep SPEC.ini [--jobs N] [--quiet]\n\n"
            "Runs the grid of `driftlab sim` points SPEC.ini describes, analyses each 1-D or 2-D\n"
            "torus point with `driftlab spectrum`, and writes OUT/sweep.dat (one row per point:\n"
            "its grid values, the final energy distance, the wall time, the fitted gamma(k)).\n"
            "A rerun skips the points already done (OUT/point-NNNN/done.dat).  --jobs N runs N\n"
            "points at once in processes of their own; under mpirun rank 0 hands points out.\n\n"
            "  [sweep]  out = DIR                      (default runs/sweep)\n"
            "  [sim]    KEY = VALUE                    options every point shares\n"
            "  [grid]   KEY = V1 | V2 | ...            a list\n"
            "           KEY = range(START, STOP, STEP) STOP included\n");
}

int cmd_sweep(int argc, char **argv)
{
    sweep_spec *s = calloc(1, sizeof *s);
    const char *spec = NULL;
    int st = s ? DL_OK : dl_error(DL_ENOMEM, "out of memory");
    if (s)
        s->jobs = 1;
    for (int i = 1; !st && i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free(s);
            return 0;
        } else if (!strcmp(argv[i], "--quiet"))
            s->quiet = 1;
        else if (!strcmp(argv[i], "--jobs"))
            st = i + 1 < argc ? cli_parse_long_in("jobs", argv[++i], 1, 1024, &s->jobs)
                              : dl_error(DL_EINVAL, "--jobs needs a number");
        else if (argv[i][0] == '-' || spec)
            st = dl_error(DL_EINVAL, "unexpected argument '%s' (see driftlab sweep --help)", argv[i]);
        else
            spec = argv[i];
    }
    if (!st && !spec)
        st = dl_error(DL_EINVAL, "sweep needs a SPEC.ini (see driftlab sweep --help)");
    if (!st) {
        snprintf(s->out, sizeof s->out, "runs/sweep");
        dl_run_options_init(&s->fixed);
        st = sweep_spec_load(s, spec);
    }
    if (!st)
        st = sweep_check(s);
    if (!st)
        st = dl_mkdir_p(s->out);
    /* a copy: the points' own commands reuse cli_command_line's buffer */
    char *command_line = strdup(cli_command_line(argc + 1, argv - 1));
    dl_provenance prov = {command_line ? command_line : "driftlab sweep", 0};
    int handled = 0, rank = 0;
#ifdef DRIFTLAB_HAVE_MPI
    int mpi_status = st ? st : sweep_run_mpi(s, &handled, &rank);
    if (!st)
        st = mpi_status;
#endif
    if (!st && !handled && s->jobs > 1)
        st = sweep_run_jobs(s), handled = 1;
    cli_progress bar;
    cli_progress_start(&bar, s ? s->quiet : 1);
    for (size_t p = 0; !st && !handled && p < s->n_points; p++) {
        st = sweep_run_point(s, p);
        cli_progress_update(&bar, p + 1, s->n_points, "points");
    }
    cli_progress_finish(&bar);
    if (!st && rank == 0)
        st = sweep_write_table(s, &prov);
    if (!st && !s->quiet && rank == 0)
        printf("driftlab sweep: %zu points; wrote %s/sweep.dat\n", s->n_points, s->out);
#ifdef DRIFTLAB_HAVE_MPI
    int mpi_on = 0;
    MPI_Initialized(&mpi_on);
    if (mpi_on)
        MPI_Finalize();
#endif
    if (s)
        sweep_spec_free(s);
    free(s);
    free(command_line);
    return st ? cli_fail("sweep") : 0;
}
