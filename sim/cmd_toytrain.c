/* driftlab toytrain: the practical drifting loss on a 2-D toy set with a
 * one-step MLP generator, the small-scale twin of `driftlab train`, so that
 * training and the particle simulation can be set side by side at equal
 * steps (papers/deng2026-drifting-toys). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "cli.h"
#include "commands.h"
#include "drift/dist.h"
#include "base/dl_error.h"
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
        static const char *const with_value[] = {"toy", "out", "kernel", "norm", "steps", "batch",
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
            if (!(st = cli_parse_double("lr", v, &o->lr)) && !(o->lr > 0))
                st = dl_error(DL_EINVAL, "--lr must be positive");
        } else
            st = dl_error(DL_EINVAL, "unknown option '%s' (see driftlab toytrain --help)", a);
    }
    return st;
}

int cmd_toytrain(int argc, char **argv)
{
    toy_options o;
    int help, st = parse(argc, argv, &o, &help);
    if (st)
        return cli_fail("toytrain");
    if (help) {
        printf("usage: driftlab toytrain [--toy NAME] [--steps N] [--batch B] [--every K] [--kernel K]\n"
               "                         [--norm N] [--hidden H] [--zdim Z] [--lr X] [--seed S]\n"
               "                         [--out DIR] [--quiet]\n\n"
               "Trains a one-step MLP generator z -> x in 2-D with the practical drifting loss of\n"
               "`driftlab train` (the field on the points themselves) on a toy set: 8gaussians,\n"
               "checkerboard, swissroll, moons, rings.  Writes DIR/diagnostics.dat (step, energy\n"
               "distance of %d generated against %d target points), target.dat and final.dat.\n",
               TOY_EVAL, TOY_EVAL);
        return 0;
    }
    dl_dist target = {0};
    dl_domain dom;
    dl_domain_init(&dom, DL_DOMAIN_RD, 2, 0);
    if ((st = dl_dist_kind_parse(o.toy, &target.kind)) || (st = dl_dist_validate(&target, &dom, 1)))
        return cli_fail("toytrain");
    const int B = (int)o.batch;
    dl_generator_arch arch = {DL_GENERATOR_MLP, (int)o.zdim, (int)o.hidden, 0, 2, 0, 0};
    dl_generator *g = NULL;
    dl_adamw *opt = NULL;
    gsl_rng *rng = dl_rng_create(o.seed);
    float *z = malloc((size_t)(B > TOY_EVAL ? B : TOY_EVAL) * o.zdim * sizeof(float));
    float *pos = malloc((size_t)B * 2 * sizeof(float)), *V = malloc((size_t)B * 2 * sizeof(float));
    float *dout = malloc((size_t)B * 2 * sizeof(float));
    double *yd = malloc((size_t)(B > TOY_EVAL ? B : TOY_EVAL) * 2 * sizeof(double));
    double *xe = malloc((size_t)TOY_EVAL * 2 * sizeof(double)), *ye = malloc((size_t)TOY_EVAL * 2 * sizeof(double));
    dl_atomic_file log = {0};
    if (!z || !pos || !V || !dout || !yd || !xe || !ye) {
        st = dl_error(DL_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = dl_generator_create(&g, &arch, B > TOY_EVAL ? B : TOY_EVAL)))
        goto done;
    dl_generator_init(g, rng);
    dl_adamw_config cfg = {.lr = (float)o.lr, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
                           .weight_decay = 0.0f, .warmup_steps = 20, .clip_norm = 2.0f, .ema_decay = 0.0f};
    if ((st = dl_adamw_create(&opt, g->n_params, &cfg, g->params)) || (st = dl_mkdir_p(o.out)))
        goto done;
    /* a fixed evaluation sample of the target and of the noise */
    gsl_rng *er = dl_rng_create(o.seed + 101);
    if ((st = dl_dist_sample(&target, &dom, TOY_EVAL, er, ye)))
        goto done;
    float *ze = malloc((size_t)TOY_EVAL * o.zdim * sizeof(float));
    for (size_t i = 0; ze && i < (size_t)TOY_EVAL * o.zdim; i++)
        ze[i] = (float)gsl_ran_gaussian(er, 1.0);
    gsl_rng_free(er);
    if (!ze) {
        st = dl_error(DL_ENOMEM, "out of memory");
        goto done;
    }
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), o.seed};
    char path[4200], line[200];
    snprintf(line, sizeof line, "toy %s; MLP z=%ld h=%ld; batch %d; field kernel %s norm %s; lr %g",
             o.toy, o.zdim, o.hidden, B, o.field.kernel == DL_FIELD_GAUSSIAN ? "gaussian" : "laplacian",
             o.field.norm == DL_FIELD_TWO_SIDED ? "two-sided" : o.field.norm == DL_FIELD_ROWS ? "rows" : "none",
             o.lr);
    const char *extra[] = {line, NULL};
    snprintf(path, sizeof path, "%s/diagnostics.dat", o.out);
    if ((st = dl_dat_open(&log, path, &prov, extra, "step energy_distance")))
        goto done_ze;
    const double yy = dl_mean_self_distance(&dom, ye, TOY_EVAL);
    cli_progress progress;
    cli_progress_start(&progress, o.quiet);
    for (long step = 0;; step++) {
        if (step % o.every == 0 || step == o.steps) {
            dl_generator_forward(g, ze, NULL, NULL, TOY_EVAL);
            for (size_t i = 0; i < (size_t)TOY_EVAL * 2; i++)
                xe[i] = g->out[i];
            double ed = dl_energy_distance(&dom, xe, TOY_EVAL, ye, TOY_EVAL, yy);
            fprintf(log.fp, "%ld %.10g\n", step, ed);
            char detail[64];
            snprintf(detail, sizeof detail, "ED %.3g", ed);
            cli_progress_update(&progress, (size_t)step, (size_t)o.steps, detail);
        }
        if (step == o.steps)
            break;
        for (size_t i = 0; i < (size_t)B * o.zdim; i++)
            z[i] = (float)gsl_ran_gaussian(rng, 1.0);
        if ((st = dl_dist_sample(&target, &dom, (size_t)B, rng, yd)))
            goto done_ze;
        for (size_t i = 0; i < (size_t)B * 2; i++)
            pos[i] = (float)yd[i];
        dl_generator_forward(g, z, NULL, NULL, B);
        double scale;
        if ((st = dl_field_compute(&o.field, g->out, (size_t)B, pos, (size_t)B, 2, V, &scale)))
            goto done_ze;
        const double k2 = -2.0 / ((double)B * 2 * scale); /* -2 V / (numel scale), as in train */
        for (size_t i = 0; i < (size_t)B * 2; i++)
            dout[i] = (float)(k2 * V[i]);
        dl_generator_backward(g, dout, B);
        if (!isfinite(dl_adamw_step(opt, g->params, g->grads))) {
            st = dl_error(DL_ENUMERIC, "toytrain: diverged at step %ld", step);
            goto done_ze;
        }
    }
    cli_progress_finish(&progress);
    if ((st = dl_atomic_commit(&log)))
        goto done_ze;
    /* the final generated points and the target sample, as the simulator writes them */
    const char *names[2] = {"final.dat", "target.dat"};
    for (int k = 0; k < 2 && !st; k++) {
        dl_atomic_file f;
        snprintf(path, sizeof path, "%s/%s", o.out, names[k]);
        const char *none[] = {NULL};
        if ((st = dl_dat_open(&f, path, &prov, none, "x1 x2")))
            break;
        for (int i = 0; i < TOY_EVAL; i++)
            fprintf(f.fp, "%.9g %.9g\n", k ? ye[2 * i] : xe[2 * i], k ? ye[2 * i + 1] : xe[2 * i + 1]);
        st = dl_atomic_commit(&f);
    }
    if (!st && !o.quiet)
        printf("driftlab toytrain: wrote %s/{diagnostics.dat,final.dat,target.dat}\n", o.out);
done_ze:
    free(ze);
done:
    if (log.fp)
        dl_atomic_abort(&log);
    dl_generator_destroy(g);
    dl_adamw_destroy(opt);
    gsl_rng_free(rng);
    free(z), free(pos), free(V), free(dout), free(yd), free(xe), free(ye);
    return st ? cli_fail("toytrain") : 0;
}
