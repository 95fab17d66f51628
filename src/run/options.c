#include "run/options.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "images/image_points.h"
#include "base/dl_error.h"
#include "base/parse.h"

typedef struct {
    const char *key;
    const char *fallback; /* default, as text */
    int flag;             /* takes no value on the command line */
    const char *help;
} option_spec;

/* Order here is the order of --help and of run.ini. */
static const option_spec specs[] = {
    {"domain", "rd", 0, "rd | torus"},
    {"dim", "2", 0, "dimension d (R^d: 1..1024, torus: 1..8; image targets set it)"},
    {"length", "6.283185307179586", 0, "torus period L"},
    {"target", "8gaussians", 0, "target p: uniform | modes | normal | gmm | 8gaussians | checkerboard | swissroll | moons | rings | file:PATH | idx:IMAGES[:CLASS]"},
    {"m", "2000", 0, "target sample count (0 with file: all samples in the file; idx: a seeded random subset)"},
    {"target-sampling", "lattice", 0, "torus target: lattice (quiet) | iid"},
    {"target-modes", "", 0, "modes of a 'modes' target (see --modes)"},
    {"target-amp", "0", 0, "amplitude(s) of the target modes"},
    {"target-mixture", "", 0, "gmm target: w@m1,..,md/std;w@..."},
    {"target-std", "1", 0, "std of a normal target"},
    {"init", "normal", 0, "initial q, same names as --target"},
    {"n", "2000", 0, "particle count"},
    {"modes", "", 0, "init modes: 1,2,3 in 1-D; 1:0,0:1 in 2-D (k = 2 pi n / L)"},
    {"amp", "0.01", 0, "init mode amplitude(s): one value or one per mode"},
    {"quiet-start", "false", 1, "torus init by inverse CDF on a lattice instead of iid"},
    {"init-mixture", "", 0, "gmm init: w@m1,..,md/std;w@..."},
    {"init-std", "1", 0, "std of a normal init"},
    {"kernel", "gaussian", 0, "a kernel of the list below; a parameter is part of the name (matern:1.5)"},
    {"field", "meanshift", 0, "the drift operator: meanshift | mmd (list below)"},
    {"sigma", "0.5", 0, "bandwidth (initial bandwidth when annealed)"},
    {"classifier", "", 0, "image runs: an evaluation classifier (driftlab classify train); diagnostics.dat then adds FD-FMNIST of the particles against the test split"},
    {"data", "/usr/share/datasets/fashion-mnist", 0, "image runs: the IDX files of the test split FD-FMNIST uses"},
    {"sigma-units", "absolute", 0, "absolute (pixel units for images) | median: sigma and sigma-min times the target's median pairwise distance"},
    {"schedule", "constant", 0, "constant | exp | cosine | file:PATH (rows t sigma, linear in ln sigma) | adaptive"},
    {"sigma-scale", "0", 0, "adaptive: sigma = this x the particles' current median pairwise distance"},
    {"adapt-every", "1", 0, "adaptive: steps between recomputations of sigma"},
    {"rate", "0", 0, "exp schedule: sigma(t) = sigma exp(-rate t)"},
    {"sigma-min", "0", 0, "floor of exp, end value of cosine"},
    {"anneal-time", "0", 0, "cosine: time to reach sigma-min (0: t-end)"},
    {"integrator", "euler", 0, "euler (frozen field, the JKO step) | heun"},
    {"dt", "0.05", 0, "time step"},
    {"t-end", "10", 0, "simulated time to run"},
    {"every", "10", 0, "steps between outputs (diagnostics, modes)"},
    {"snapshot-every", "0", 0, "steps between snapshots (0: every output)"},
    {"frames", "false", 1, "also write each snapshot as text, frames/frame-STEP.dat (for animations)"},
    {"record-modes", "", 0, "torus modes for modes.dat (default: the init modes, else 1..8 on axis 1)"},
    {"self-mask", "false", 1, "V- at x_i leaves out particle i"},
    {"stop-gradient", "true", 0, "false: the ablation, descend (1/2) sum |V|^2 through V itself (needs --self-mask)"},
    {"engine", "direct", 0, "direct (double reference) | simd | pm | gemm | sinkhorn | auto"},
    {"sinkhorn-iters", "500", 0, "sinkhorn: iteration cap per solve (warm-started each step)"},
    {"sinkhorn-tol", "1e-6", 0, "sinkhorn: stop at this L1 error of the plan's marginals"},
    {"pm-cells-per-sigma", "0", 0, "pm grid spacing sigma / this (0: the per-kernel default meeting 1e-3)"},
    {"pm-grid", "0", 0, "pm cells per axis, fixed (0: from sigma)"},
    {"pm-assign", "tsc", 0, "pm deposit and interpolation: cic | tsc"},
    {"pm-max-cells", "4194304", 0, "pm switches to the direct engine beyond this many cells"},
    {"threads", "0", 0, "OpenMP threads (0: OpenMP's default); results do not depend on it"},
    {"seed", "1", 0, "RNG seed"},
    {"out", "runs/sim", 0, "output directory"},
    {"quiet", "false", 1, "no progress line"},
};
#define N_SPECS ((int)(sizeof specs / sizeof specs[0]))

static int find_spec(const char *key)
{
    for (int i = 0; i < N_SPECS; i++)
        if (strcmp(specs[i].key, key) == 0)
            return i;
    return -1;
}

void dl_run_options_init(dl_run_options *o) { memset(o, 0, sizeof *o); }

void dl_run_options_free(dl_run_options *o)
{
    for (int i = 0; i < N_SPECS; i++)
        free((char *)o->values[i]);
    memset(o, 0, sizeof *o);
}

int dl_run_options_is_flag(const char *key)
{
    int i = find_spec(key);
    return i >= 0 && specs[i].flag;
}

int dl_run_options_set(dl_run_options *o, const char *key, const char *value)
{
    int i = find_spec(key);
    if (i < 0)
        return dl_error(DL_EINVAL, "unknown option '--%s' (see driftlab sim --help)", key);
    char *copy = strdup(value);
    if (!copy)
        return dl_error(DL_ENOMEM, "out of memory");
    free((char *)o->values[i]);
    o->values[i] = copy;
    return DL_OK;
}

static const char *get(const dl_run_options *o, const char *key)
{
    int i = find_spec(key);
    return o->values[i] ? o->values[i] : specs[i].fallback;
}

/* ---------------- INI text: quoting, bounded reading ---------------- */

/* A value reads back through inih unchanged when it has no control
 * character, no ';' (an inline comment after a blank), no blank at either
 * end (inih strips them) and does not start with '"'.  Others are written
 * as "..." with C-style escapes, ';' as \x3b. */
static int needs_quotes(const char *v)
{
    size_t n = strlen(v);
    if (n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t' || v[0] == '"'))
        return 1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f || v[i] == ';')
            return 1;
    return 0;
}

size_t dl_run_ini_quote(const char *v, char *out, size_t cap)
{
    if (!needs_quotes(v))
        return (size_t)snprintf(out, cap, "%s", v);
    size_t used = 0;
#define EMIT(...) (void)(used < cap ? (used += (size_t)snprintf(out + used, cap - used, __VA_ARGS__)) : (used += 4))
    EMIT("\"");
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c == '\\' || *c == '"')
            EMIT("\\%c", *c);
        else if (*c == '\n' || *c == '\t' || *c == '\r')
            EMIT("\\%c", *c == '\n' ? 'n' : *c == '\t' ? 't' : 'r');
        else if (*c < 0x20 || *c == 0x7f || *c == ';')
            EMIT("\\x%02x", *c);
        else
            EMIT("%c", *c);
    }
    EMIT("\"");
#undef EMIT
    return used;
}

static int hex_digit(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int dl_run_ini_unquote(const char *v, char *out, size_t cap)
{
    size_t n = strlen(v), used = 0;
    if (n == 0 || v[0] != '"')
        return snprintf(out, cap, "%s", v) < (int)cap ? 0 : -1;
    if (n < 2 || v[n - 1] != '"')
        return -1;
    for (size_t i = 1; i + 1 < n; i++) {
        char c = v[i];
        if (c == '"' || used + 1 >= cap)
            return -1;
        if (c == '\\') {
            c = v[++i];
            if (i + 1 >= n)
                return -1; /* the escape took the closing quote */
            if (c == 'n' || c == 't' || c == 'r')
                c = c == 'n' ? '\n' : c == 't' ? '\t' : '\r';
            else if (c == 'x' && i + 3 < n && hex_digit(v[i + 1]) >= 0 && hex_digit(v[i + 2]) >= 0) {
                c = (char)(hex_digit(v[i + 1]) * 16 + hex_digit(v[i + 2]));
                i += 2;
            } else if (c != '\\' && c != '"')
                return -1;
            if (c == '\0')
                return -1;
        }
        out[used++] = c;
    }
    out[used] = '\0';
    return 0;
}

const char *dl_run_options_get(const dl_run_options *o, const char *key)
{
    return find_spec(key) < 0 ? NULL : get(o, key);
}

typedef struct {
    dl_run_options *o;
    int status;
} ini_ctx;

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx *ctx = user;
    char plain[DL_RUN_INI_MAX_LINE + 1];
    if (ctx->status)
        return 0;
    if (*section && strcmp(section, "sim") != 0)
        ctx->status = dl_error(DL_EINVAL, "unknown section [%s] (expected [sim])", section);
    else if (!strcmp(name, "config"))
        ctx->status = dl_error(DL_EINVAL, "a config file cannot include another ('config' key)");
    else if (dl_run_ini_unquote(value, plain, sizeof plain))
        ctx->status = dl_error(DL_EFORMAT, "%s: bad quoted value %s", name, value);
    else
        ctx->status = dl_run_options_set(ctx->o, name, plain);
    return ctx->status == DL_OK;
}

/* The config's text, refused unread past DL_RUN_CONFIG_MAX_BYTES (so /dev/zero
 * ends), with a NUL byte, or with a line longer than inih reads whole: inih
 * would split it and read its tail as a line of its own. */
int dl_run_config_read_text(const char *path, char **text)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return dl_error(DL_EIO, "cannot open config '%s': %s", path, strerror(errno));
    char *buf = malloc(DL_RUN_CONFIG_MAX_BYTES + 1);
    size_t len = buf ? fread(buf, 1, DL_RUN_CONFIG_MAX_BYTES + 1, fp) : 0;
    int err = ferror(fp);
    fclose(fp);
    int st = !buf ? dl_error(DL_ENOMEM, "out of memory reading config '%s'", path)
             : err ? dl_error(DL_EIO, "reading config '%s' failed", path)
             : len > DL_RUN_CONFIG_MAX_BYTES
                 ? dl_error(DL_EFORMAT, "config '%s' is larger than %d bytes", path, DL_RUN_CONFIG_MAX_BYTES)
                 : DL_OK;
    size_t line = 1, line_start = 0;
    for (size_t i = 0; !st && i <= len; i++) {
        if (i < len && buf[i] == '\0')
            st = dl_error(DL_EFORMAT, "config '%s' line %zu: holds a NUL byte", path, line);
        else if (i == len || buf[i] == '\n') {
            size_t width = i - line_start - (i > line_start && buf[i - 1] == '\r');
            if (width > DL_RUN_INI_MAX_LINE)
                st = dl_error(DL_EFORMAT, "config '%s' line %zu: longer than %d characters", path,
                              line, DL_RUN_INI_MAX_LINE);
            line++, line_start = i + 1;
        }
    }
    if (st) {
        free(buf);
        return st;
    }
    buf[len] = '\0';
    *text = buf;
    return DL_OK;
}

int dl_run_options_load_ini(dl_run_options *o, const char *path)
{
    char *text = NULL;
    int st = dl_run_config_read_text(path, &text);
    if (st)
        return st;
    ini_ctx ctx = {o, DL_OK};
    int line = ini_parse_string(text, on_ini_entry, &ctx);
    free(text);
    if (line != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ctx.status ? dl_error_message() : "syntax error");
        return dl_error(ctx.status ? ctx.status : DL_EFORMAT, "config '%s' line %d: %s", path,
                        line, msg);
    }
    return DL_OK;
}

int dl_run_options_parse_args(dl_run_options *o, int argc, char **argv, int *want_help)
{
    *want_help = 0;
    /* The config file first, so that flags override it wherever they stand. */
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc)
                return dl_error(DL_EINVAL, "--config needs a file");
            int st = dl_run_options_load_ini(o, argv[i + 1]);
            if (st)
                return st;
        } else if (!strncmp(argv[i], "--config=", 9)) {
            int st = dl_run_options_load_ini(o, argv[i] + 9);
            if (st)
                return st;
        }
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *want_help = 1;
            return DL_OK;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2])
            return dl_error(DL_EINVAL, "unexpected argument '%s'", a);
        char key[64];
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (len >= sizeof key)
            return dl_error(DL_EINVAL, "unknown option '%s'", a);
        memcpy(key, a + 2, len);
        key[len] = '\0';
        if (!strcmp(key, "config")) {
            i += eq ? 0 : 1;
            continue;
        }
        if (find_spec(key) < 0)
            return dl_error(DL_EINVAL, "unknown option '--%s' (see driftlab sim --help)", key);
        const char *value;
        if (eq)
            value = eq + 1;
        else if (dl_run_options_is_flag(key))
            value = "true";
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return dl_error(DL_EINVAL, "option '--%s' needs a value", key);
        int st = dl_run_options_set(o, key, value);
        if (st)
            return st;
    }
    return DL_OK;
}

/* ---------------- resolution ---------------- */

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        int st_ = (expr);                                                                          \
        if (st_)                                                                                   \
            return st_;                                                                            \
    } while (0)

static int get_double(const dl_run_options *o, const char *key, double *v)
{
    return dl_parse_double(key, get(o, key), v);
}

static int get_long(const dl_run_options *o, const char *key, long *v)
{
    return dl_parse_long(key, get(o, key), LONG_MIN, LONG_MAX, v);
}

static int get_bool(const dl_run_options *o, const char *key, int *v)
{
    return dl_parse_bool(key, get(o, key), v);
}

static int get_count(const dl_run_options *o, const char *key, long min, size_t *v)
{
    long x;
    TRY(get_long(o, key, &x));
    if (x < min || x > 100000000L)
        return dl_error(DL_EINVAL, "--%s must be between %ld and 1e8, got %ld", key, min, x);
    *v = (size_t)x;
    return DL_OK;
}

/* name, its prefix-specific options (mixture, std, modes, amp) -> dist */
static int resolve_dist(const dl_run_options *o, const char *which, const char *name, dl_dist *d,
                        const char **file, const dl_domain *dom)
{
    memset(d, 0, sizeof *d);
    *file = NULL;
    if (dl_image_points_is_spec(name)) { /* read by cmd_sim through image_points */
        d->kind = DL_DIST_FILE;
        *file = name;
        return DL_OK;
    }
    if (!strncmp(name, "file:", 5)) {
        d->kind = DL_DIST_FILE;
        *file = name + 5;
        if (!**file)
            return dl_error(DL_EINVAL, "--%s file: needs a path", which);
        return DL_OK;
    }
    int st = dl_dist_kind_parse(name, &d->kind);
    if (st)
        return dl_error(st, "--%s: %s", which, dl_error_message());
    if (d->kind == DL_DIST_FILE)
        return dl_error(DL_EINVAL, "--%s: write file:PATH", which);
    int is_target = !strcmp(which, "target");
    if (d->kind == DL_DIST_MODES) {
        const char *modes = get(o, is_target ? "target-modes" : "modes");
        const char *amps = get(o, is_target ? "target-amp" : "amp");
        if (!*modes)
            return dl_error(DL_EINVAL, "--%s modes needs --%s", which,
                            is_target ? "target-modes" : "modes");
        st = dl_dist_set_modes(d, dom->dim, modes, amps);
        if (st)
            return dl_error(st, "--%s: %s", is_target ? "target-modes" : "modes",
                            dl_error_message());
    }
    if (d->kind == DL_DIST_GMM) {
        const char *key = is_target ? "target-mixture" : "init-mixture";
        st = dl_dist_set_gmm(d, dom->dim, get(o, key));
        if (st)
            return dl_error(st, "--%s: %s", key, dl_error_message());
    }
    if (d->kind == DL_DIST_NORMAL)
        TRY(get_double(o, is_target ? "target-std" : "init-std", &d->std));
    if (is_target) {
        const char *s = get(o, "target-sampling");
        if (strcmp(s, "lattice") && strcmp(s, "iid"))
            return dl_error(DL_EINVAL, "--target-sampling: '%s' is not lattice or iid", s);
        d->quiet = !strcmp(s, "lattice");
    } else {
        TRY(get_bool(o, "quiet-start", &d->quiet));
    }
    return DL_OK;
}

/* Image targets or inits set the dimension, rows x cols (both must agree);
 * and the image runs' own options: sigma units, the FD classifier. */
static int resolve_images(const dl_run_options *o, dl_run_config *c, dl_domain_kind dk, long *dim)
{
    const char *roles[2] = {"target", "init"};
    for (int r = 0; r < 2; r++) {
        const char *spec = get(o, roles[r]);
        int rows, cols;
        if (!dl_image_points_is_spec(spec))
            continue;
        int st = dl_image_points_size(spec, &rows, &cols);
        if (st)
            return dl_error(st, "--%s: %s", roles[r], dl_error_message());
        if (dk != DL_DOMAIN_RD)
            return dl_error(DL_EINVAL, "--%s %s: image particles live in R^d (--domain rd)", roles[r], spec);
        if (c->image_rows && (rows != c->image_rows || cols != c->image_cols))
            return dl_error(DL_EINVAL, "--init images are %dx%d, the target's %dx%d", rows, cols,
                            c->image_rows, c->image_cols);
        c->image_rows = rows, c->image_cols = cols;
        *dim = (long)rows * cols;
    }
    const char *units = get(o, "sigma-units");
    if (strcmp(units, "absolute") && strcmp(units, "median"))
        return dl_error(DL_EINVAL, "--sigma-units: unknown '%s' (absolute, median)", units);
    c->sigma_median = !strcmp(units, "median");
    c->classifier = get(o, "classifier"), c->data = get(o, "data");
    if (*c->classifier && !c->image_rows)
        return dl_error(DL_EINVAL, "--classifier scores image runs (--target idx:...)");
    return DL_OK;
}

/* The domain, kernel, bandwidth schedule, integrator and time steps;
 * *sigma and *sigma_min are the bandwidths the run spans. */
static int resolve_dynamics(const dl_run_options *o, dl_run_config *c, double *sigma, double *sigma_min,
                            dl_schedule_kind *sk)
{
    dl_domain_kind dk;
    long dim;
    double length;
    TRY(dl_domain_kind_parse(get(o, "domain"), &dk));
    TRY(get_long(o, "dim", &dim));
    TRY(get_double(o, "length", &length));
    TRY(resolve_images(o, c, dk, &dim));
    if (dim < 1 || dim > DL_MAX_DIM)
        return dl_error(DL_EINVAL, "--dim must be between 1 and %d, got %ld", DL_MAX_DIM, dim);
    TRY(dl_domain_init(&c->domain, dk, (int)dim, length));

    if (!(c->kernel = dl_kernel_find(get(o, "kernel"))))
        return dl_error(DL_EINVAL, "--kernel: %s", dl_error_message());
    TRY(dl_kernel_check_dim(c->kernel, (int)dim));
    TRY(dl_operator_parse(get(o, "field"), &c->field));
    TRY(dl_operator_check(c->field, c->kernel, dk == DL_DOMAIN_TORUS));

    double rate, anneal;
    TRY(get_double(o, "sigma", sigma));
    TRY(get_double(o, "rate", &rate));
    TRY(get_double(o, "sigma-min", sigma_min));
    TRY(get_double(o, "anneal-time", &anneal));
    TRY(get_double(o, "dt", &c->dt));
    TRY(get_double(o, "t-end", &c->t_end));
    if (!(c->dt > 0))
        return dl_error(DL_EINVAL, "--dt must be positive, got %g", c->dt);
    if (!(c->t_end > 0))
        return dl_error(DL_EINVAL, "--t-end must be positive, got %g", c->t_end);
    if (!(*sigma > 0))
        return dl_error(DL_EINVAL, "--sigma must be positive, got %g", *sigma);
    const char *sched = get(o, "schedule");
    double scale;
    long adapt_every;
    TRY(get_double(o, "sigma-scale", &scale));
    TRY(get_long(o, "adapt-every", &adapt_every));
    /* checked when the schedule is not adaptive too (dl_schedule_init_adaptive
     * checks them when it is): run.ini records them */
    if (strcmp(sched, "adaptive") && scale < 0)
        return dl_error(DL_EINVAL, "--sigma-scale must be >= 0 (0: unset), got %g", scale);
    if (strcmp(sched, "adaptive") && adapt_every < 1)
        return dl_error(DL_EINVAL, "--adapt-every >= 1 is needed (steps between adaptations), got %ld",
                        adapt_every);
    if (!strcmp(sched, "adaptive")) {
        *sk = DL_SCHEDULE_ADAPTIVE;
        TRY(dl_schedule_init_adaptive(&c->schedule, scale, adapt_every, *sigma));
        *sigma_min = *sigma;
    } else if (!strncmp(sched, "file:", 5)) {
        *sk = DL_SCHEDULE_TABLE;
        TRY(dl_schedule_table_read(sched + 5, &c->schedule_table));
        TRY(dl_schedule_init_table(&c->schedule, &c->schedule_table));
        *sigma = c->schedule.sigma0, *sigma_min = c->schedule.sigma_min;
    } else {
        TRY(dl_schedule_kind_parse(sched, sk));
        TRY(dl_schedule_init(&c->schedule, *sk, *sigma, rate, *sigma_min,
                             anneal > 0 ? anneal : c->t_end));
    }
    TRY(dl_integrator_kind_parse(get(o, "integrator"), &c->integrator));

    double steps = ceil(c->t_end / c->dt - 1e-9);
    if (steps > 1e9)
        return dl_error(DL_EINVAL, "t-end / dt = %g steps is too many", steps);
    c->steps = (long)steps;
    TRY(get_long(o, "every", &c->every));
    TRY(get_long(o, "snapshot-every", &c->snapshot_every));
    if (c->every < 1)
        return dl_error(DL_EINVAL, "--every must be at least 1, got %ld", c->every);
    if (c->snapshot_every < 0)
        return dl_error(DL_EINVAL, "--snapshot-every must be >= 0, got %ld", c->snapshot_every);
    if (c->snapshot_every == 0)
        c->snapshot_every = c->every;
    return DL_OK;
}

/* Every distribution option is checked whether or not the chosen target and
 * init use it: run.ini records them all, and a NaN there would replay. */
static int check_dist_options(const dl_run_options *o, const dl_domain *dom)
{
    static const char *const stds[] = {"target-std", "init-std"};
    static const char *const mixtures[] = {"target-mixture", "init-mixture"};
    static const char *const modes[][2] = {{"target-modes", "target-amp"}, {"modes", "amp"}};
    dl_dist scratch;
    for (int i = 0; i < 2; i++) {
        double std;
        TRY(get_double(o, stds[i], &std));
        if (!(std > 0))
            return dl_error(DL_EINVAL, "--%s must be positive, got %g", stds[i], std);
        memset(&scratch, 0, sizeof scratch);
        if (*get(o, mixtures[i]) && dl_dist_set_gmm(&scratch, dom->dim, get(o, mixtures[i])))
            return dl_error(DL_EINVAL, "--%s: %s", mixtures[i], dl_error_message());
        const char *m = get(o, modes[i][0]), *amps = get(o, modes[i][1]);
        if (*m && dl_dist_set_modes(&scratch, dom->dim, m, amps))
            return dl_error(DL_EINVAL, "--%s/--%s: %s", modes[i][0], modes[i][1], dl_error_message());
        double amp[DL_MAX_MODES];
        int n_amp;
        if (!*m && dl_parse_number_list(modes[i][1], amps, DL_MAX_MODES, amp, &n_amp))
            return DL_EINVAL; /* amplitudes alone: finite numbers */
    }
    return DL_OK;
}

/* The particles, the target, and the run's switches, threads and seed. */
static int resolve_particles(const dl_run_options *o, dl_run_config *c)
{
    TRY(get_count(o, "n", 1, &c->n));
    TRY(get_count(o, "m", 0, &c->m));
    TRY(resolve_dist(o, "target", get(o, "target"), &c->target, &c->target_file, &c->domain));
    TRY(resolve_dist(o, "init", get(o, "init"), &c->init, &c->init_file, &c->domain));
    TRY(check_dist_options(o, &c->domain));
    if (!c->target_file) {
        if (c->m == 0)
            return dl_error(DL_EINVAL, "--m must be positive for a sampled target");
        TRY(dl_dist_validate(&c->target, &c->domain, c->m));
    }
    if (!c->init_file)
        TRY(dl_dist_validate(&c->init, &c->domain, c->n));

    TRY(get_bool(o, "self-mask", &c->self_mask));
    TRY(get_bool(o, "frames", &c->frames));
    int stop_gradient;
    TRY(get_bool(o, "stop-gradient", &stop_gradient));
    c->no_stop_gradient = !stop_gradient;
    TRY(get_bool(o, "quiet", &c->quiet));
    long threads, seed;
    TRY(get_long(o, "threads", &threads));
    if (threads < 0 || threads > 1024)
        return dl_error(DL_EINVAL, "--threads must be between 0 and 1024, got %ld", threads);
    c->threads = (int)threads;
    TRY(get_long(o, "seed", &seed));
    if (seed < 0)
        return dl_error(DL_EINVAL, "--seed must be non-negative, got %ld", seed);
    c->seed = (unsigned long)seed;
    return DL_OK;
}

/* The drift engine and its options, checked before any output exists. */
static int resolve_engine(const dl_run_options *o, dl_run_config *c)
{
    c->engine = get(o, "engine");
    static const char *const engines[] = {"direct", "simd", "pm", "gemm", "sinkhorn", "coulomb",
                                          "auto"};
    int known = 0;
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
        known |= !strcmp(c->engine, engines[i]);
    if (!known)
        return dl_error(DL_EINVAL, "unknown --engine '%s' (direct, simd, pm, gemm, sinkhorn, "
                        "coulomb, auto)",
                        c->engine);
    c->engine_opts = dl_engine_options_default();
    dl_pm_config *pm = &c->engine_opts.pm;
    long iters;
    TRY(get_long(o, "sinkhorn-iters", &iters));
    if (iters < 1 || iters > 1000000)
        return dl_error(DL_EINVAL, "--sinkhorn-iters must be between 1 and 1e6, got %ld", iters);
    c->engine_opts.sinkhorn.max_iter = (int)iters;
    TRY(get_double(o, "sinkhorn-tol", &c->engine_opts.sinkhorn.tol));
    if (!(c->engine_opts.sinkhorn.tol > 0) || !isfinite(c->engine_opts.sinkhorn.tol))
        return dl_error(DL_EINVAL, "--sinkhorn-tol must be positive and finite, got %s",
                        get(o, "sinkhorn-tol"));
    /* the engines' own limits, checked before any output exists */
    /* the Coulomb field's exact evaluation is its own engine: the reference
     * (direct, the default) means it */
    if ((c->kernel->flags & DL_KERNEL_COULOMB) && !strcmp(c->engine, "direct"))
        c->engine = c->domain.dim == 1 ? "coulomb" : "pm";
    if (strcmp(c->engine, "auto"))
        TRY(dl_engine_check(c->engine, &c->domain, c->kernel, c->field));
    else if (c->kernel->flags & DL_KERNEL_COULOMB)
        TRY(dl_engine_check("coulomb", &c->domain, c->kernel, c->field));
    if (c->no_stop_gradient && !c->self_mask)
        return dl_error(DL_EINVAL, "--stop-gradient false needs --self-mask (the ablation's V^- "
                        "leaves each particle out)");
    if (c->no_stop_gradient && c->integrator != DL_INTEGRATOR_EULER)
        return dl_error(DL_EINVAL, "--stop-gradient false steps with --integrator euler only");
    long pm_grid, pm_max;
    TRY(get_double(o, "pm-cells-per-sigma", &pm->cells_per_sigma));
    if (!(pm->cells_per_sigma >= 0) || pm->cells_per_sigma > 1e4)
        return dl_error(DL_EINVAL, "--pm-cells-per-sigma must be in [0, 1e4], got %s",
                        get(o, "pm-cells-per-sigma"));
    TRY(get_long(o, "pm-grid", &pm_grid));
    if (pm_grid != 0 && (pm_grid < 8 || pm_grid > 1 << 16))
        return dl_error(DL_EINVAL, "--pm-grid must be 0 or between 8 and 65536, got %ld", pm_grid);
    pm->grid = (int)pm_grid;
    TRY(dl_assignment_parse(get(o, "pm-assign"), &pm->assign));
    TRY(get_long(o, "pm-max-cells", &pm_max));
    if (pm_max < 64)
        return dl_error(DL_EINVAL, "--pm-max-cells must be at least 64, got %ld", pm_max);
    pm->max_cells = (size_t)pm_max;
    return DL_OK;
}

/* The modes modes.dat records on the torus: --record-modes, the seeded
 * modes, or 1..8. */
static int resolve_record_modes(const dl_run_options *o, dl_run_config *c)
{
    if (c->domain.kind != DL_DOMAIN_TORUS)
        return DL_OK;
    const char *rec = get(o, "record-modes");
    dl_dist tmp;
    memset(&tmp, 0, sizeof tmp);
    if (*rec) {
        int st = dl_dist_set_modes(&tmp, c->domain.dim, rec, "0");
        if (st)
            return dl_error(st, "--record-modes: %s", dl_error_message());
    } else if (c->init.kind == DL_DIST_MODES) {
        tmp = c->init;
    } else {
        tmp.n_modes = 8;
        for (int k = 0; k < 8; k++)
            tmp.mode[k][0] = k + 1;
    }
    c->n_record = tmp.n_modes;
    memcpy(c->record, tmp.mode, sizeof c->record);
    return DL_OK;
}

int dl_run_options_check_lines(const dl_run_options *o)
{
    char quoted[2 * DL_RUN_INI_MAX_LINE];
    for (int i = 0; i < N_SPECS; i++)
        if (strlen(specs[i].key) + dl_run_ini_quote(get(o, specs[i].key), quoted, sizeof quoted) + 3 >
            DL_RUN_INI_MAX_LINE)
            return dl_error(DL_EINVAL, "--%s: value longer than a run.ini line can hold (%d)",
                            specs[i].key, DL_RUN_INI_MAX_LINE);
    return DL_OK;
}

const char *dl_run_options_key(int i) { return i >= 0 && i < N_SPECS ? specs[i].key : NULL; }

int dl_run_options_describe(int i, const char **fallback, const char **help)
{
    if (i < 0 || i >= N_SPECS)
        return 0;
    *fallback = specs[i].fallback;
    *help = specs[i].help;
    return 1;
}

int dl_run_config_resolve(const dl_run_options *o, dl_run_config *c)
{
    memset(c, 0, sizeof *c);
    TRY(dl_run_options_check_lines(o));
    double sigma, sigma_min;
    dl_schedule_kind sk;
    TRY(resolve_dynamics(o, c, &sigma, &sigma_min, &sk));
    TRY(resolve_particles(o, c));
    TRY(resolve_engine(o, c));
    c->out = get(o, "out");
    if (!*c->out)
        return dl_error(DL_EINVAL, "--out must name a directory");
    TRY(resolve_record_modes(o, c));
    /* The kernel must be usable on this domain at every bandwidth the run
     * reaches (the Coulomb field has no bandwidth). */
    if (c->kernel->flags & DL_KERNEL_COULOMB)
        return DL_OK;
    dl_pair_kernel pk;
    TRY(dl_pair_kernel_init(&pk, c->kernel, sigma, &c->domain));
    if (sk != DL_SCHEDULE_CONSTANT)
        TRY(dl_pair_kernel_init(&pk, c->kernel, sigma_min, &c->domain));
    return DL_OK;
}

void dl_run_options_write_ini(const dl_run_options *o, FILE *fp)
{
    fprintf(fp, "# replay with: driftlab sim --config run.ini\n[sim]\n");
    for (int i = 0; i < N_SPECS; i++)
        if (strcmp(specs[i].key, "quiet")) { /* how a run reports is not what it computes */
            char quoted[2 * DL_RUN_INI_MAX_LINE];
            dl_run_ini_quote(get(o, specs[i].key), quoted, sizeof quoted);
            fprintf(fp, "%s = %s\n", specs[i].key, quoted);
        }
}

void dl_run_options_print_help(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab sim [--config FILE] [--key value ...]\n\n"
            "Simulates dx/dt = V_{p,q}(x) = V_p^+(x) - V_q^-(x) for n particles against m\n"
            "target samples and writes diagnostics.dat, modes.dat (torus), run.ini and\n"
            "snapshots/ into --out.  Every key also works in an INI file (section [sim]).\n"
            "The mathematics, kernel by kernel and operator by operator: docs/THEORY.md.\n\n"
            "options (default in brackets):\n");
    for (int i = 0; i < N_SPECS; i++)
        fprintf(fp, "  --%-16s %s%s [%s]\n", specs[i].key, specs[i].flag ? "(flag) " : "",
                specs[i].help, specs[i].fallback);
    fprintf(fp, "  --%-16s %s\n", "config FILE", "read options from an INI file first");
    fprintf(fp, "\nkernels (--kernel):\n");
    for (size_t i = 0; i < dl_kernel_family_count(); i++) {
        const dl_kernel_family *f = dl_kernel_family_at(i);
        char name[40];
        snprintf(name, sizeof name, "%s%s%s", f->name, f->parameter ? ":" : "",
                 f->parameter ? f->parameter : "");
        fprintf(fp, "  %-16s %s%s%s%s\n", name, f->formula, f->range ? "; " : "",
                f->range ? f->range : "", "");
    }
    fprintf(fp, "\ndrift operators (--field):\n");
    for (size_t i = 0; i < dl_operator_count(); i++)
        fprintf(fp, "  %-16s %s\n", dl_operator_at(i)->name, dl_operator_at(i)->formula);
}

static int starts_with(const char *s, const char *prefix)
{
    return s && !strncmp(s, prefix, strlen(prefix));
}

int dl_run_options_refuse_files(const dl_run_options *o, const char *allowed_target)
{
    const char *target = get(o, "target"), *init = get(o, "init");
    if (starts_with(target, "idx") || starts_with(init, "idx"))
        return dl_error(DL_EINVAL, "image targets are not available here; run driftlab sim");
    if (starts_with(target, "file:") && (!allowed_target || strcmp(target, allowed_target)))
        return dl_error(DL_EINVAL, "no files are read here: draw or upload a target%s%s",
                        allowed_target ? ", which --target names as " : "",
                        allowed_target ? allowed_target : "");
    if (starts_with(init, "file:"))
        return dl_error(DL_EINVAL, "no files are read here: --init must be a distribution");
    if (starts_with(get(o, "schedule"), "file:"))
        return dl_error(DL_EINVAL, "no files are read here: --schedule file: is not available");
    if (*get(o, "classifier"))
        return dl_error(DL_EINVAL, "no files are read here: --classifier is not available");
    return DL_OK;
}

/* The options that decide the first particles and the targets. */
static const char *const point_keys[] = {"domain", "dim", "length", "target", "m", "target-sampling",
                                         "target-modes", "target-amp", "target-mixture", "target-std",
                                         "init", "n", "modes", "amp", "quiet-start", "init-mixture",
                                         "init-std", "seed", NULL};

int dl_run_options_same_points(const dl_run_options *a, const dl_run_options *b)
{
    for (const char *const *k = point_keys; *k; k++)
        if (strcmp(get(a, *k), get(b, *k)))
            return 0;
    return 1;
}
