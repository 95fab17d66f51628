/* driftlab toytrain: the practical drifting loss on a 2-D toy set with a
 * one-step MLP generator, the small-scale twin of `driftlab train`, so that
 * training and the particle simulation can be set side by side at equal
 * steps (papers/deng2026-drifting-toys). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "cli.h"
#include "commands.h"
#include "drift/dist.h"
#include "base/dl_error.h"
#include "base/parse.h"
#include "images/drift_field.h"
#include "nn/generator.h"
#include "base/io.h"
#include "drift/metrics.h"
#include "nn/optim.h"

#define TOY_EVAL 1000 /* generated and target points behind each energy distance */

typedef struct {
    const char *toy, *out;
    long steps, batch, every, hidden, zdim;
    double lr;
    unsigned long seed;
    int quiet;
    dl_field_config field;
} toy_options;

static int parse(int argc, char **argv, toy_options *o, int *help)
{
    memset(o, 0, sizeof *o);
    o->toy = "8gaussians", o->out = "runs/toytrain";
    o->steps = 300, o->batch = 256, o->every = 10, o->hidden = 128, o->zdim = 8;
    o->lr = 2e-3, o->seed = 1;
    o->field = dl_field_default();
    *help = 0;
    int st = DL_OK;
    for (int i = 1; i < argc && !st; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long lv;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = 1;
            return DL_OK;
        }
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        static const char *const with_value[] = {"toy", "out", "kernel", "norm", "field", "steps", "batch",
                                                 "every", "hidden", "zdim", "seed", "lr", NULL};
        if ((st = cli_option_value("toytrain", a, v, with_value)))
            return st;
        i++;
        if (!strcmp(a, "--toy"))
            o->toy = v;
        else if (!strcmp(a, "--out"))
            o->out = v;
        else if (!strcmp(a, "--kernel"))
            st = dl_field_kernel_parse(v, &o->field.kernel);
        else if (!strcmp(a, "--norm"))
            st = dl_field_norm_parse(v, &o->field.norm);
        else if (!strcmp(a, "--field"))
            st = dl_operator_parse(v, &o->field.op);
        else if (!strcmp(a, "--steps"))
            st = cli_parse_long_in("steps", v, 1, 10000000, &o->steps);
        else if (!strcmp(a, "--batch"))
            st = cli_parse_long_in("batch", v, 2, 100000, &o->batch);
        else if (!strcmp(a, "--every"))
            st = cli_parse_long_in("every", v, 1, 10000000, &o->every);
        else if (!strcmp(a, "--hidden"))
            st = cli_parse_long_in("hidden", v, 1, 8192, &o->hidden);
        else if (!strcmp(a, "--zdim"))
            st = cli_parse_long_in("zdim", v, 1, 4096, &o->zdim);
        else if (!strcmp(a, "--seed")) {
            st = cli_parse_long_in("seed", v, 0, 2147483647L, &lv);
            o->seed = (unsigned long)lv;
        } else if (!strcmp(a, "--lr")) {
            if (!(st = dl_parse_double("lr", v, &o->lr)) && !(o->lr > 0))
                st = dl_error(DL_EINVAL, "--lr must be positive");
        } else
            st = dl_error(DL_EINVAL, "unknown option '%s' (see driftlab toytrain --help)", a);
    }
    return st;
}

/* One toy run: the generator, its optimiser, the batch buffers and the fixed
 * evaluation sample (ze noise, ye target, xe generated). */
typedef struct {
    toy_options o;
    dl_dist target;
    dl_domain dom;
    int B;
    dl_generator *g;
    dl_adamw *opt;
    gsl_rng *rng;
    float *z, *pos, *V, *dout, *ze;
    double *yd, *xe, *ye;
    double yy; /* the target sample's mean self-distance */
} toy_run;

static int toy_setup(toy_run *r)
{
    const toy_options *o = &r->o;
    const int B = r->B = (int)o->batch, big = B > TOY_EVAL ? B : TOY_EVAL;
    dl_generator_arch arch = {DL_GENERATOR_MLP, (int)o->zdim, (int)o->hidden, 0, 2, 0, 0};
    r->rng = dl_rng_create(o->seed);
    r->z = malloc((size_t)big * o->zdim * sizeof(float));
    r->pos = malloc((size_t)B * 2 * sizeof(float)), r->V = malloc((size_t)B * 2 * sizeof(float));
    r->dout = malloc((size_t)B * 2 * sizeof(float));
    r->yd = malloc((size_t)big * 2 * sizeof(double));
    r->xe = malloc((size_t)TOY_EVAL * 2 * sizeof(double)), r->ye = malloc((size_t)TOY_EVAL * 2 * sizeof(double));
    r->ze = malloc((size_t)TOY_EVAL * o->zdim * sizeof(float));
    if (!r->rng || !r->z || !r->pos || !r->V || !r->dout || !r->yd || !r->xe || !r->ye || !r->ze)
        return dl_error(DL_ENOMEM, "out of memory");
    int st = dl_generator_create(&r->g, &arch, big);
    if (st)
        return st;
    dl_generator_init(r->g, r->rng);
    dl_adamw_config cfg = {.lr = (float)o->lr, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
                           .weight_decay = 0.0f, .warmup_steps = 20, .clip_norm = 2.0f, .ema_decay = 0.0f};
    if ((st = dl_adamw_create(&r->opt, r->g->n_params, &cfg, r->g->params)) || (st = dl_mkdir_p(o->out)))
        return st;
    /* a fixed evaluation sample of the target and of the noise */
    gsl_rng *er = dl_rng_create(o->seed + 101);
    st = dl_dist_sample(&r->target, &r->dom, TOY_EVAL, er, r->ye);
    for (size_t i = 0; !st && i < (size_t)TOY_EVAL * o->zdim; i++)
        r->ze[i] = (float)gsl_ran_gaussian(er, 1.0);
    gsl_rng_free(er);
    r->yy = st ? 0 : dl_mean_self_distance(&r->dom, r->ye, TOY_EVAL);
    return st;
}

/* the energy distance of the fixed noise's images to the target sample */
static double toy_evaluate(toy_run *r)
{
    dl_generator_forward(r->g, r->ze, NULL, NULL, TOY_EVAL);
    for (size_t i = 0; i < (size_t)TOY_EVAL * 2; i++)
        r->xe[i] = r->g->out[i];
    return dl_energy_distance(&r->dom, r->xe, TOY_EVAL, r->ye, TOY_EVAL, r->yy);
}

/* one step: a batch of noise and of the target, the field on the points, AdamW */
static int toy_step(toy_run *r, long step)
{
    const int B = r->B;
    for (size_t i = 0; i < (size_t)B * r->o.zdim; i++)
        r->z[i] = (float)gsl_ran_gaussian(r->rng, 1.0);
    int st = dl_dist_sample(&r->target, &r->dom, (size_t)B, r->rng, r->yd);
    if (st)
        return st;
    for (size_t i = 0; i < (size_t)B * 2; i++)
        r->pos[i] = (float)r->yd[i];
    dl_generator_forward(r->g, r->z, NULL, NULL, B);
    double scale;
    if ((st = dl_field_compute(&r->o.field, r->g->out, (size_t)B, r->pos, (size_t)B, 2, r->V, &scale)))
        return st;
    const double k2 = -2.0 / ((double)B * 2 * scale); /* -2 V / (numel scale), as in train */
    for (size_t i = 0; i < (size_t)B * 2; i++)
        r->dout[i] = (float)(k2 * r->V[i]);
    dl_generator_backward(r->g, r->dout, B);
    if (!isfinite(dl_adamw_step(r->opt, r->g->params, r->g->grads)))
        return dl_error(DL_ENUMERIC, "toytrain: diverged at step %ld", step);
    return DL_OK;
}

static int toy_loop(toy_run *r, FILE *log)
{
    cli_progress progress;
    cli_progress_start(&progress, r->o.quiet);
    int st = DL_OK;
    for (long step = 0; !st; step++) {
        if (step % r->o.every == 0 || step == r->o.steps) {
            double ed = toy_evaluate(r);
            fprintf(log, "%ld %.10g\n", step, ed);
            char detail[64];
            snprintf(detail, sizeof detail, "ED %.3g", ed);
            cli_progress_update(&progress, (size_t)step, (size_t)r->o.steps, detail);
        }
        if (step == r->o.steps)
            break;
        st = toy_step(r, step);
    }
    cli_progress_finish(&progress);
    return st;
}

/* the final generated points and the target sample, as the simulator writes them */
static int toy_write_points(const toy_run *r, const dl_provenance *prov)
{
    const char *names[2] = {"final.dat", "target.dat"};
    int st = DL_OK;
    for (int k = 0; k < 2 && !st; k++) {
        dl_atomic_file f;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", r->o.out, names[k]);
        const char *none[] = {NULL};
        if ((st = dl_dat_open(&f, path, prov, none, "x1 x2")))
            break;
        const double *p = k ? r->ye : r->xe;
        for (int i = 0; i < TOY_EVAL; i++)
            fprintf(f.fp, "%.9g %.9g\n", p[2 * i], p[2 * i + 1]);
        st = dl_atomic_commit(&f);
    }
    return st;
}

static int toy_run_all(toy_run *r, const dl_provenance *prov)
{
    const toy_options *o = &r->o;
    int st = toy_setup(r);
    if (st)
        return st;
    char path[4200], line[200];
    snprintf(line, sizeof line, "toy %s; MLP z=%ld h=%ld; batch %d; field %s kernel %s norm %s; lr %g",
             o->toy, o->zdim, o->hidden, r->B, dl_operator_name(o->field.op),
             o->field.kernel == DL_FIELD_GAUSSIAN ? "gaussian" : "laplacian",
             o->field.op == DL_OPERATOR_MMD ? "none (mmd)"
             : o->field.norm == DL_FIELD_TWO_SIDED ? "two-sided" : o->field.norm == DL_FIELD_ROWS ? "rows" : "none",
             o->lr);
    const char *extra[] = {line, NULL};
    snprintf(path, sizeof path, "%s/diagnostics.dat", o->out);
    dl_atomic_file log = {0};
    if ((st = dl_dat_open(&log, path, prov, extra, "step energy_distance")))
        return st;
    if ((st = toy_loop(r, log.fp))) {
        dl_atomic_abort(&log);
        return st;
    }
    if ((st = dl_atomic_commit(&log)))
        return st;
    return toy_write_points(r, prov);
}

int cmd_toytrain(int argc, char **argv)
{
    toy_run r;
    memset(&r, 0, sizeof r);
    int help, st = parse(argc, argv, &r.o, &help);
    if (st)
        return cli_fail("toytrain");
    if (help) {
        printf("usage: driftlab toytrain [--toy NAME] [--steps N] [--batch B] [--every K] [--kernel K]\n"
               "                         [--norm N] [--field meanshift|mmd] [--hidden H] [--zdim Z]\n"
               "                         [--lr X] [--seed S]\n"
               "                         [--out DIR] [--quiet]\n\n"
               "Trains a one-step MLP generator z -> x in 2-D with the practical drifting loss of\n"
               "`driftlab train` (the field on the points themselves) on a toy set: 8gaussians,\n"
               "checkerboard, swissroll, moons, rings.  Writes DIR/diagnostics.dat (step, energy\n"
               "distance of %d generated against %d target points), target.dat and final.dat.\n",
               TOY_EVAL, TOY_EVAL);
        return 0;
    }
    dl_domain_init(&r.dom, DL_DOMAIN_RD, 2, 0);
    if ((st = dl_dist_kind_parse(r.o.toy, &r.target.kind)) || (st = dl_dist_validate(&r.target, &r.dom, 1)))
        return cli_fail("toytrain");
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), r.o.seed};
    struct stat before;
    int out_existed = stat(r.o.out, &before) == 0;
    st = toy_run_all(&r, &prov);
    if (st && !out_existed)
        rmdir(r.o.out); /* a failed run leaves no directory of its own behind (only if empty) */
    if (!st && !r.o.quiet)
        printf("driftlab toytrain: wrote %s/{diagnostics.dat,final.dat,target.dat}\n", r.o.out);
    dl_generator_destroy(r.g);
    dl_adamw_destroy(r.opt);
    if (r.rng)
        gsl_rng_free(r.rng);
    free(r.z), free(r.pos), free(r.V), free(r.dout), free(r.yd), free(r.xe), free(r.ye), free(r.ze);
    return st ? cli_fail("toytrain") : 0;
}
