/* driftlab train: parses the options, fits or loads the encoder, and runs
 * the trainer (src/train/trainer.h) under a step count or a time budget,
 * writing train.dat, samples-<step>.png and generator.ckpt into --out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "base/io.h"
#include "cli.h"
#include "commands.h"
#include "images/idx.h"
#include "train/trainer.h"
#include "train_mpi.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"
#define FIT_ENCODER "fit"

typedef struct {
    const char *data, *out, *classifier, *encoder, *resume;
    int quiet;
    long steps, eval_every, checkpoint_every, eval_n;
    long stop_at; /* > 0: end this invocation at that step; the schedules still span --steps */
    double time_budget_min;
    double lr_decay; /* the run's last fraction: lr decays to 0 over it (cosine) */
    double alpha;    /* guidance scale of the evaluations and grids */
    int cfg_explicit, tau_explicit;
    /* --tau-schedule KIND --tau-start S0 --tau-rate R | --tau-end E --tau-min M */
    dl_schedule_kind tau_kind;
    double tau_start, tau_rate, tau_end, tau_min;
    int tau_rate_set, tau_end_set, tau_min_set;
    dl_trainer_config cfg;
    train_mpi mpi; /* under mpirun: this rank; rank 0 is the writer */
    int writer;    /* evaluates and writes the files (the only process, or rank 0) */
} train_options;

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: driftlab train [options]\n\n"
            "Trains a one-step generator x = f(z, class) on Fashion-MNIST with the drifting loss\n"
            "(one drift field per class and feature map, under stop-gradient).  Writes into --out:\n"
            "generator.ckpt, train.dat (FD-FMNIST, KID, precision, recall, label accuracy at\n"
            "every evaluation; needs --classifier) and samples-<step>.png (one row per class).\n"
            "The drifting loss itself stays near constant by design (the field is RMS-normalised):\n"
            "it is no progress signal, the evaluation is.\n\n"
            "options:\n"
            "  --data DIR            IDX files (default " DEFAULT_DATA ")\n"
            "  --out DIR             (default runs/train)\n"
            "  --classifier CKPT     evaluation classifier (driftlab classify train)\n"
            "  --features LIST       of pixels, pool14, pool7, meanstd, patchstd, grad, edges and the\n"
            "                        encoder's enc1..enc3 (conv layers pooled to 7x7) and encfc\n"
            "                        (penultimate features); each map its own field and loss,\n"
            "                        NAME:W weighs that loss by W (default 1); encN-loc: that\n"
            "                        layer as one field per 7x7 location over its channels (49\n"
            "                        small fields, Deng et al.), each 1/49 of the map's loss\n"
            "                        (default " "pixels,enc1" ")\n"
            "  --encoder CKPT|fit    the frozen encoder of the enc* maps: a classifier checkpoint,\n"
            "                        best not the evaluation one (a loss in the metric's own\n"
            "                        features trains toward it), or fit (default): train a small one\n"
            "                        first (widths 16,16,32,64, 2 epochs, 25-35 s, inside the time\n"
            "                        budget) into OUT/encoder.ckpt, which --resume reuses\n"
            "  --no-channel-scale    the encoder maps as they come (default: each channel scaled\n"
            "                        to unit RMS over the training split)\n"
            "  --kernel K            laplacian (default) | gaussian\n"
            "  --norm N              two-sided (default) | rows | none\n"
            "  --tau LIST            the practical field's temperatures, in units of the batch's\n"
            "                        mean distance; each one's force is RMS-normalised, then\n"
            "                        summed (default 0.02,0.05,0.2; at most 8)\n"
            "  --tau-schedule S      constant (default) | exp | cosine: every temperature scaled as a\n"
            "                        length by s(progress), progress = step / end step in [0, 1]\n"
            "                        (--steps, or under --time-budget the fitted end): tau s for\n"
            "                        the Laplacian, tau s^2 for the Gaussian; train.dat records s\n"
            "  --tau-start S0        s at progress 0 (default 1)\n"
            "  --tau-rate R          exp: s = max(M, S0 exp(-R progress))\n"
            "  --tau-end E           exp: the rate that reaches E at progress 1 (instead of --tau-rate)\n"
            "  --tau-min M           exp: the floor; cosine: the end value (0 < M <= S0)\n"
            "  --field F             practical (default: Deng et al., three temperatures, two-sided,\n"
            "                        RMS-normalised) | meanshift (V+ - V-, rows, tau 0.2, no RMS)\n"
            "                        | sinkhorn (T_qp - T_qq, eps 0.05 in units of the mean distance)\n"
            "  --no-stop-gradient    the ablation: descend |V|^2 through V (needs --field meanshift)\n"
            "  --gen-per-class N     generated images per class per step (default 64)\n"
            "  --pos-per-class N     real positives per class per step (default 64)\n"
            "  --generator G         mlp (default) | conv (upsampling convs, GroupNorm, SiLU,\n"
            "                        residual blocks; image-shaped noise and a class embedding)\n"
            "  --zdim N --hidden N   MLP noise and width (default 64, 512)\n"
            "  --noise-channels N    conv: 7x7 noise channels (default 4)\n"
            "  --width N             conv: base channels, a multiple of 8 (default 16)\n"
            "  --unconditional       one class for everything\n"
            "  --cfg-alpha-max A     classifier-free guidance (Deng et al. A.7): > 1 trains a\n"
            "                        generator conditioned on alpha, drawn per class and step from\n"
            "                        p(alpha) ~ alpha^-3 on [1, A]; the negatives then include\n"
            "                        --cfg-uncond real images of random classes, each weighted\n"
            "                        (alpha - 1)(N_gen - 1) / N_uncond (default 3; 1: off, the\n"
            "                        default with --unconditional or another --field)\n"
            "  --cfg-uncond N        unconditional negatives per class per step (default 32)\n"
            "  --alpha A             guidance scale of the evaluations and sample grids (default\n"
            "                        1: none; needs --cfg-alpha-max >= A)\n"
            "  --lr X                AdamW (0.9, 0.95) peak rate (default 3e-3, warmup 100)\n"
            "  --lr-decay F          the rate falls to 0 over the run's last fraction F (cosine;\n"
            "                        default 1; 0: constant): of --steps, or with --time-budget of\n"
            "                        the budget, ending where the step rate so far says the budget\n"
            "                        will (after at least 200 steps); train.dat records both steps\n"
            "  --weight-decay X      AdamW's decoupled weight decay (default 0)\n"
            "  --ema X               decay of the weights' moving average that samples (default 0.999)\n"
            "  --output O            tanh (default) | linear: the generator's last layer unsquashed,\n"
            "                        its images clamped to [-1, 1] where written\n"
            "  --steps N             (default 100000; --time-budget usually ends it first)\n"
            "  --time-budget MIN     stop after MIN minutes of training\n"
            "  --stop-at STEP        end this run at STEP (with a checkpoint); the lr and tau\n"
            "                        schedules still span --steps, so --resume finishes the run\n"
            "  --eval-every N        steps between evaluations (default 2500; they count in --time-budget)\n"
            "  --eval-n N            images per evaluation (default 2000)\n"
            "  --checkpoint-every N  (default 1000)\n"
            "  --resume CKPT         continue from a generator checkpoint\n"
            "  --seed N              (default 1)\n"
            "  --quiet\n");
}


static int parse_flag(const char *a, train_options *o)
{
    if (!strcmp(a, "--quiet"))
        o->quiet = 1;
    else if (!strcmp(a, "--no-channel-scale"))
        o->cfg.no_channel_scale = 1;
    else if (!strcmp(a, "--unconditional"))
        o->cfg.unconditional = 1;
    else if (!strcmp(a, "--no-stop-gradient"))
        o->cfg.no_stop_gradient = 1;
    else
        return 0;
    return 1;
}

/* a double option that must satisfy ok, or the message (with the value) */
static int parse_checked(const char *name, const char *v, double *out, int (*ok)(double),
                         const char *message)
{
    int st = dl_parse_double(name, v, out);
    if (!st && !ok(*out))
        st = dl_error(DL_EINVAL, message, v);
    return st;
}
static int positive(double x) { return x > 0; }
static int unit_interval_open(double x) { return x >= 0 && x < 1; }
static int fraction(double x) { return x >= 0 && x <= 1; }
static int guidance_range(double x) { return x >= 1 && x <= 100; }

static int parse_field(const char *v, dl_trainer_field *kind)
{
    static const char *const names[] = {"practical", "meanshift", "sinkhorn"};
    for (int k = 0; k < 3; k++)
        if (!strcmp(v, names[k])) {
            *kind = (dl_trainer_field)k;
            return DL_OK;
        }
    return dl_error(DL_EINVAL, "unknown --field '%s' (practical, meanshift, sinkhorn)", v);
}

/* The options that take an integer: name, where it goes, its range. */
static int parse_integer(const char *name, const char *v, train_options *o, int *matched)
{
    dl_trainer_config *c = &o->cfg;
    struct { const char *name; int *i; long *l; long lo, hi; } table[] = {
        {"gen-per-class", &c->gen_per_class, NULL, 2, 4096},
        {"pos-per-class", &c->pos_per_class, NULL, 1, 4096},
        {"zdim", &c->zdim, NULL, 1, 4096},
        {"hidden", &c->hidden, NULL, 1, 8192},
        {"noise-channels", &c->noise_channels, NULL, 1, 64},
        {"width", &c->width, NULL, 8, 1024},
        {"cfg-uncond", &c->cfg_uncond, NULL, 1, 4096},
        {"steps", NULL, &o->steps, 1, 100000000},
        {"eval-every", NULL, &o->eval_every, 1, 100000000},
        {"eval-n", NULL, &o->eval_n, 100, 100000},
        {"checkpoint-every", NULL, &o->checkpoint_every, 1, 100000000},
        {"stop-at", NULL, &o->stop_at, 1, 100000000},
    };
    *matched = 1;
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) {
        if (strcmp(name, table[k].name))
            continue;
        long lv;
        int st = cli_parse_long_in(name, v, table[k].lo, table[k].hi, &lv);
        if (!st && table[k].i)
            *table[k].i = (int)lv;
        else if (!st)
            *table[k].l = lv;
        return st;
    }
    if (!strcmp(name, "seed")) {
        long lv;
        int st = cli_parse_long_in("seed", v, 0, 2147483647L, &lv);
        c->seed = (unsigned long)lv;
        return st;
    }
    *matched = 0;
    return DL_OK;
}

static int parse_real(const char *name, const char *v, train_options *o, int *matched)
{
    dl_trainer_config *c = &o->cfg;
    *matched = 1;
    if (!strcmp(name, "lr"))
        return parse_checked(name, v, &c->lr, positive, "--lr must be positive");
    if (!strcmp(name, "weight-decay"))
        return parse_checked(name, v, &c->weight_decay, unit_interval_open,
                             "--weight-decay must lie in [0, 1), got %s");
    if (!strcmp(name, "ema"))
        return parse_checked(name, v, &c->ema, unit_interval_open, "--ema must lie in [0, 1), got %s");
    if (!strcmp(name, "cfg-alpha-max"))
        return o->cfg_explicit = 1, parse_checked(name, v, &c->cfg_alpha_max, guidance_range,
                                                  "--cfg-alpha-max must lie in [1, 100], got %s");
    if (!strcmp(name, "alpha"))
        return parse_checked(name, v, &o->alpha, guidance_range,
                             "--alpha (the guidance scale) must lie in [1, 100], got %s");
    if (!strcmp(name, "lr-decay"))
        return parse_checked(name, v, &o->lr_decay, fraction,
                             "--lr-decay (a fraction of the run) must lie in [0, 1], got %s");
    if (!strcmp(name, "time-budget"))
        return parse_checked(name, v, &o->time_budget_min, positive,
                             "--time-budget must be positive (minutes)");
    *matched = 0;
    return DL_OK;
}

static int parse_tau_schedule(const char *name, const char *v, train_options *o, int *matched)
{
    *matched = 1;
    int st = DL_OK;
    if (!strcmp(name, "tau-schedule")) {
        if ((st = dl_schedule_kind_parse(v, &o->tau_kind)))
            st = dl_error(DL_EINVAL, "--tau-schedule: unknown schedule '%s' (constant, exp, cosine)", v);
    } else if (!strcmp(name, "tau-start"))
        st = parse_checked(name, v, &o->tau_start, positive, "--tau-start must be positive, got %s");
    else if (!strcmp(name, "tau-rate"))
        o->tau_rate_set = 1,
        st = parse_checked(name, v, &o->tau_rate, positive, "--tau-rate must be positive, got %s");
    else if (!strcmp(name, "tau-end"))
        o->tau_end_set = 1,
        st = parse_checked(name, v, &o->tau_end, positive, "--tau-end must be positive, got %s");
    else if (!strcmp(name, "tau-min"))
        o->tau_min_set = 1,
        st = parse_checked(name, v, &o->tau_min, positive, "--tau-min must be positive, got %s");
    else
        *matched = 0;
    return st;
}

/* The schedule from its options, each checked against the kind it serves. */
static int finish_tau_schedule(train_options *o)
{
    const int annealed = o->tau_kind != DL_SCHEDULE_CONSTANT;
    if (!annealed && (o->tau_rate_set || o->tau_end_set || o->tau_min_set))
        return dl_error(DL_EINVAL, "--tau-rate, --tau-end and --tau-min shape an annealed "
                        "--tau-schedule (exp, cosine), not the constant one");
    if (annealed && !o->tau_min_set)
        return dl_error(DL_EINVAL, "--tau-schedule %s needs --tau-min (its floor or end value)",
                        dl_schedule_kind_name(o->tau_kind));
    if (annealed && o->tau_min > o->tau_start)
        return dl_error(DL_EINVAL, "--tau-min %g lies above --tau-start %g", o->tau_min, o->tau_start);
    if (o->tau_kind == DL_SCHEDULE_COSINE && (o->tau_rate_set || o->tau_end_set))
        return dl_error(DL_EINVAL, "--tau-schedule cosine runs from --tau-start to --tau-min; "
                        "--tau-rate and --tau-end are for exp");
    if (o->tau_kind == DL_SCHEDULE_EXP) {
        if (o->tau_rate_set == o->tau_end_set)
            return dl_error(DL_EINVAL, "--tau-schedule exp needs one of --tau-rate and --tau-end");
        if (o->tau_end_set && !(o->tau_end < o->tau_start && o->tau_end >= o->tau_min))
            return dl_error(DL_EINVAL, "--tau-end %g must lie in [--tau-min %g, --tau-start %g)",
                            o->tau_end, o->tau_min, o->tau_start);
        if (o->tau_end_set)
            o->tau_rate = log(o->tau_start / o->tau_end);
    }
    return dl_schedule_init(&o->cfg.tau_schedule, o->tau_kind, o->tau_start, o->tau_rate,
                            annealed ? o->tau_min : 0, 1.0);
}

static int parse_value(const char *a, const char *v, train_options *o)
{
    dl_trainer_config *c = &o->cfg;
    const char *name = a + 2;
    int matched, st;
    if ((st = parse_integer(name, v, o, &matched)) || matched)
        return st;
    if ((st = parse_real(name, v, o, &matched)) || matched)
        return st;
    if ((st = parse_tau_schedule(name, v, o, &matched)) || matched)
        return st;
    if (!strcmp(name, "data"))
        o->data = v;
    else if (!strcmp(name, "out"))
        o->out = v;
    else if (!strcmp(name, "classifier"))
        o->classifier = v;
    else if (!strcmp(name, "encoder")) {
        o->encoder = v;
        if (!*v)
            return dl_error(DL_EINVAL, "--encoder needs a checkpoint path or 'fit'");
    } else if (!strcmp(name, "resume"))
        o->resume = v;
    else if (!strcmp(name, "features"))
        return dl_trainer_features_parse(v, c);
    else if (!strcmp(name, "generator"))
        return dl_generator_kind_parse(v, &c->generator);
    else if (!strcmp(name, "kernel"))
        return dl_field_kernel_parse(v, &c->field.kernel);
    else if (!strcmp(name, "field"))
        return parse_field(v, &c->field_kind);
    else if (!strcmp(name, "norm"))
        return dl_field_norm_parse(v, &c->field.norm);
    else if (!strcmp(name, "tau"))
        return o->tau_explicit = 1,
               dl_parse_positive_list("tau", v, (int)(sizeof c->field.tau / sizeof c->field.tau[0]),
                                       c->field.tau, &c->field.n_tau);
    else if (!strcmp(name, "output")) {
        if (strcmp(v, "tanh") && strcmp(v, "linear"))
            return dl_error(DL_EINVAL, "unknown --output '%s' (tanh, linear)", v);
        c->linear_output = !strcmp(v, "linear");
    } else
        return dl_error(DL_EINVAL, "unknown option '%s' (see driftlab train --help)", a);
    return DL_OK;
}

/* What the options say together. */
static int finish_options(train_options *o)
{
    dl_trainer_config *c = &o->cfg;
    const int other_field = c->field_kind != DL_TRAINER_PRACTICAL;
    if (o->tau_explicit && other_field)
        return dl_error(DL_EINVAL, "--tau sets the practical field's temperatures (--field meanshift "
                        "uses tau 0.2, sinkhorn its own eps)");
    if (!o->cfg_explicit && (c->unconditional || other_field))
        c->cfg_alpha_max = 1; /* the default guidance is the practical field's, with classes */
    int st = finish_tau_schedule(o);
    c->tau_end_step = o->steps;
    if (!st)
        st = dl_trainer_config_check(c);
    if (!st && o->alpha > c->cfg_alpha_max)
        st = dl_error(DL_EINVAL, "--alpha %g lies outside the trained range [1, %g] (--cfg-alpha-max)",
                      o->alpha, c->cfg_alpha_max);
    return st;
}

static int parse_args(int argc, char **argv, train_options *o, int *help)
{
    static const char *const with_value[] = {
        "data", "out", "classifier", "encoder", "resume", "features", "generator", "kernel",
        "field", "norm", "tau", "gen-per-class", "pos-per-class", "zdim", "hidden",
        "noise-channels", "width", "steps", "eval-every", "eval-n", "checkpoint-every",
        "cfg-uncond", "seed", "lr", "weight-decay", "ema", "output", "cfg-alpha-max", "alpha",
        "lr-decay", "time-budget", "stop-at", "tau-schedule", "tau-start", "tau-rate", "tau-end", "tau-min",
        NULL};
    memset(o, 0, sizeof *o);
    o->data = DEFAULT_DATA, o->out = "runs/train", o->encoder = FIT_ENCODER;
    o->steps = 100000, o->eval_every = 2500, o->checkpoint_every = 1000, o->eval_n = 2000;
    o->alpha = 1, o->lr_decay = 1, o->tau_start = 1;
    o->cfg = dl_trainer_config_default();
    *help = 0;
    int st = DL_OK;
    for (int i = 1; i < argc && !st; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = 1;
            return DL_OK;
        }
        if (parse_flag(a, o))
            continue;
        if (strncmp(a, "--", 2))
            return dl_error(DL_EINVAL, "unexpected argument '%s'", a);
        if ((st = cli_option_value("train", a, v, with_value)))
            return st;
        i++;
        st = parse_value(a, v, o);
    }
    return st ? st : finish_options(o);
}

/* The run's clocks and counters, for the time budget and the report. */
typedef struct {
    double t0, t_loop, t_setup, t_eval, last_fd;
    long step0;
    int n_evals, decay_planned;
    cli_progress progress;
    FILE *spectrum; /* imgspectrum.dat, with --classifier */
} train_clock;

/* The step at which this run's time budget will run out, from its rate so far:
 * steps per second of stepping, with the evaluations still to come at their
 * measured cost, 2% short so that the rate reaches 0 inside the budget; at
 * most --steps.  -1 before 200 steps (too few to measure the rate on). */
static long budget_end_step(const train_options *o, long step, const train_clock *k)
{
    if (step - k->step0 < 200)
        return o->steps - k->step0 > 200 ? -1 : o->steps;
    const double now = cli_wall_seconds(), stepping = now - k->t_loop - k->t_eval;
    const double left = 60 * o->time_budget_min - (now - k->t0);
    const double rate = (step - k->step0) / stepping, per_eval = k->n_evals ? k->t_eval / k->n_evals : 0;
    /* n steps take n / rate + (n / eval_every + 1) per_eval seconds */
    const double n = 0.98 * (left - per_eval) / (1 / rate + per_eval / o->eval_every);
    if (!(stepping > 0) || n >= (double)(o->steps - step))
        return o->steps;
    return step + (n > 1 ? (long)n : 1);
}

/* The late decay of --lr-decay F.  Without a time budget it is the last
 * fraction F of --steps, counted from step 0, so that a resumed run follows
 * the schedule of the uninterrupted one.  With a budget it begins where 1 - F
 * of this run's budget (or of its steps) has passed, and its end is fitted to
 * the budget then and again at every evaluation step: a refit keeps the
 * fraction of the decay already done, so the rate stays continuous and only
 * its slope changes (the first 200 steps alone misjudged the rate by 10%).
 * Returns 1 when it has set cfg's decay_start and total_steps. */
static int plan_lr_decay(const train_options *o, long step, const train_clock *k, dl_adamw_config *cfg)
{
    if (!(o->time_budget_min > 0)) {
        if (k->decay_planned)
            return 0;
        cfg->decay_start = (long)ceil((double)o->steps * (1 - o->lr_decay)), cfg->total_steps = o->steps;
        return 1;
    }
    if (!k->decay_planned) {
        const long by_steps = k->step0 + (long)ceil((double)(o->steps - k->step0) * (1 - o->lr_decay));
        if (step < by_steps && cli_wall_seconds() - k->t0 < (1 - o->lr_decay) * 60 * o->time_budget_min)
            return 0;
        const long end = budget_end_step(o, step, k);
        if (end < 0)
            return 0;
        cfg->decay_start = step, cfg->total_steps = end;
        return 1;
    }
    if (step % o->eval_every || step <= cfg->decay_start || step >= cfg->total_steps)
        return 0;
    const long end = budget_end_step(o, step, k);
    if (end == cfg->total_steps)
        return 0;
    const double done = (double)(step - cfg->decay_start) / (double)(cfg->total_steps - cfg->decay_start);
    cfg->decay_start = lround((double)end - (double)(end - step) / (1 - done));
    cfg->total_steps = end;
    return 1;
}

static void log_decay(const train_options *o, const dl_adamw_config *cfg, long step, train_clock *k,
                      FILE *log)
{
    if (!log) /* not the writing rank */
        return;
    fprintf(log, "# lr decay: cosine from %g at step %ld to 0 at step %ld (%s at step %ld, "
            "minute %.2f)\n", o->cfg.lr, cfg->decay_start, cfg->total_steps,
            k->decay_planned ? "refitted to the time budget" : o->time_budget_min > 0 ?
            "fitted to the time budget" : "planned", step, (cli_wall_seconds() - k->t0) / 60);
    fflush(log);
    if (!o->quiet && !k->decay_planned)
        fprintf(stderr, "\nlr decay: cosine from step %ld to 0 at step %ld\n", cfg->decay_start,
                cfg->total_steps);
    k->decay_planned = 1;
}

/* One evaluation: a train.dat row and a sample grid. */
static int evaluate(const train_options *o, dl_trainer *t, const dl_trainer_eval_set *es,
                    train_clock *k, FILE *log)
{
    const double mark = cli_wall_seconds();
    dl_trainer_eval e;
    int st = dl_trainer_evaluate(t, es, (float)o->alpha, o->cfg.seed + 17, &e);
    if (st)
        return st;
    const double el = cli_wall_seconds() - k->t0;
    fprintf(log, "%ld %.1f %.1f %.4f %.5g %.5g %.4f %.4f %.4f %.6g\n", t->step, el,
            (t->step - k->step0) * (double)t->batch / (el > 0 ? el : 1), t->drift_rms, e.fd, e.kid,
            e.precision, e.recall, e.label_acc, dl_trainer_tau_scale(&t->cfg, t->step, t->cfg.tau_end_step));
    fflush(log);
    dl_imgspectrum_write_rows(k->spectrum, (double)t->step, -1, &e.spectrum, &es->real_spectrum, 784, 0,
                              NULL);
    fflush(k->spectrum);
    k->last_fd = e.fd;
    char path[4200];
    snprintf(path, sizeof path, "%s/samples-%08ld.png", o->out, t->step);
    st = dl_trainer_write_grid(t, (float)o->alpha, o->cfg.seed + 29, path);
    k->t_eval += cli_wall_seconds() - mark;
    k->n_evals++;
    return st;
}

static void show_progress(const train_options *o, const dl_trainer *t, train_clock *k)
{
    const double el = cli_wall_seconds() - k->t0;
    char detail[128];
    snprintf(detail, sizeof detail, "step %ld  %.0f img/s  FD %.4g", t->step,
             (t->step - k->step0) * (double)t->batch / (el > 0 ? el : 1), k->last_fd);
    const dl_adamw_config *cfg = &t->opt->cfg;
    long total = k->decay_planned && cfg->total_steps < o->steps ? cfg->total_steps : o->steps;
    if (o->time_budget_min > 0 && el > 1) {
        long by_time = k->step0 + (long)((t->step - k->step0) * 60 * o->time_budget_min / el);
        total = by_time < total ? by_time : total;
    }
    cli_progress_update(&k->progress, (size_t)t->step, (size_t)(total > t->step ? total : t->step), detail);
}

/* The step where the temperatures' schedule reaches progress 1: --steps, or
 * under --time-budget the end the lr decay fitted to the budget (before that
 * fit, the end the step rate so far points to). */
static void update_tau_end(const train_options *o, dl_trainer *t, const train_clock *k)
{
    if (!(o->time_budget_min > 0)) {
        t->cfg.tau_end_step = o->steps;
        return;
    }
    if (k->decay_planned) {
        t->cfg.tau_end_step = t->opt->cfg.total_steps;
        return;
    }
    const double el = cli_wall_seconds() - k->t0;
    const double by_time = k->step0 + (t->step - k->step0 + 1) * 60 * o->time_budget_min / (el > 1e-3 ? el : 1e-3);
    t->cfg.tau_end_step = by_time < (double)o->steps ? (long)by_time + 1 : o->steps;
}

/* Steps until --steps, the planned decay's end or the time budget; evaluates
 * at the start, every --eval-every and at the end; checkpoints every
 * --checkpoint-every and at the end. */
static int train_loop(const train_options *o, dl_trainer *t, const dl_trainer_eval_set *es,
                      const dl_provenance *prov, train_clock *k, FILE *log)
{
    int st = DL_OK;
    long last_checkpoint = -1;
    for (;;) {
        const long step = t->step;
        const int stop = step >= o->steps || (o->stop_at > 0 && step >= o->stop_at) ||
                         (k->decay_planned && step >= t->opt->cfg.total_steps) ||
                         (o->time_budget_min > 0 && cli_wall_seconds() - k->t0 > 60 * o->time_budget_min);
        if (es && (stop || step == k->step0 || step % o->eval_every == 0))
            st = evaluate(o, t, es, k, log);
        if (o->writer && step > k->step0 && (stop || step % o->checkpoint_every == 0)) {
            char path[4200];
            snprintf(path, sizeof path, "%s/generator.ckpt", o->out);
            st = dl_trainer_checkpoint(t, path, prov);
            last_checkpoint = step;
        }
        if ((st = train_mpi_agree(&o->mpi, st))) /* rank 0's evaluation and checkpoint */
            return st;
        if (stop)
            return DL_OK;
        if (o->lr_decay > 0 && plan_lr_decay(o, step, k, &t->opt->cfg))
            log_decay(o, &t->opt->cfg, step, k, log);
        update_tau_end(o, t, k);
        if ((st = dl_trainer_step(t))) {
            char why[512], kept[128] = "no checkpoint was written yet";
            snprintf(why, sizeof why, "%s", dl_error_message());
            if (last_checkpoint >= 0)
                snprintf(kept, sizeof kept, "generator.ckpt holds step %ld", last_checkpoint);
            else if (k->step0 > 0)
                snprintf(kept, sizeof kept, "the checkpoint it resumed from (step %ld) is untouched", k->step0);
            return dl_error(st, "%s; stopped, %s", why, kept);
        }
        show_progress(o, t, k);
    }
}

/* The encoder of the enc* maps: --encoder CKPT, or fitted into OUT/encoder.ckpt
 * (which --resume reuses).  path receives the checkpoint to load, or "". */
static int prepare_encoder(const train_options *o, const dl_image_set *train,
                           const dl_provenance *prov, char *path, size_t len)
{
    path[0] = '\0';
    if (!dl_trainer_needs_encoder(&o->cfg))
        return DL_OK; /* no enc* map: nothing to fit or load */
    if (strcmp(o->encoder, FIT_ENCODER)) {
        snprintf(path, len, "%s", o->encoder);
        return DL_OK;
    }
    snprintf(path, len, "%s/encoder.ckpt", o->out);
    if (o->resume && access(path, R_OK) == 0)
        return DL_OK;
    int st = dl_mkdir_p(o->out);
    cli_fit_progress fp = {.t0 = cli_wall_seconds(), .batch = 128};
    long steps = 0;
    if (!st) {
        cli_progress_start(&fp.bar, o->quiet);
        st = dl_trainer_fit_encoder(train, o->cfg.seed + 101, path, prov, cli_fit_report, &fp, &steps);
        cli_progress_finish(&fp.bar);
    }
    if (!st && !o->quiet)
        fprintf(stderr, "fitted the encoder (c16,16,32,64, %ld steps) in %.1f s: %s\n", steps,
                cli_wall_seconds() - fp.t0, path);
    return st;
}

/* Ranks other than 0 load the encoder rank 0 prepared. */
static int prepare_encoder_path(const train_options *o, char *path, size_t len)
{
    path[0] = '\0';
    if (dl_trainer_needs_encoder(&o->cfg) && strcmp(o->encoder, FIT_ENCODER))
        snprintf(path, len, "%s", o->encoder);
    else if (dl_trainer_needs_encoder(&o->cfg))
        snprintf(path, len, "%s/encoder.ckpt", o->out);
    return DL_OK;
}

static int load_evaluation(const train_options *o, dl_trainer_eval_set *es)
{
    dl_image_set test = {0};
    dl_classifier *cls = NULL;
    int st = dl_idx_read_split(o->data, "t10k", &test);
    if (!st && (size_t)o->eval_n > test.count)
        st = dl_error(DL_EINVAL, "--eval-n %ld exceeds the test split's %zu images", o->eval_n, test.count);
    if (!st)
        st = dl_classifier_load(o->classifier, &cls, 500);
    if (!st)
        st = dl_trainer_eval_set_create(es, cls, &test, (size_t)o->eval_n);
    else
        dl_classifier_destroy(cls);
    dl_image_set_free(&test);
    return st;
}

static void report(const train_options *o, const dl_trainer *t, const train_clock *k, int evaluated)
{
    const double total_s = cli_wall_seconds() - k->t0;
    const dl_trainer_profile *p = &t->profile;
    printf("trained %ld steps in %.1f s; wrote %s/{generator.ckpt,train.dat,samples-*.png}%s\n",
           t->step, total_s, o->out, evaluated ? "" : " (no --classifier: no evaluation)");
    printf("time: setup (encoder, its maps) %.1f%%, generator forward %.1f%%, feature maps "
           "%.1f%%, drift fields %.1f%%, generator backward + AdamW %.1f%%, evaluation %.1f%%, "
           "other %.1f%%\n",
           100 * k->t_setup / total_s, 100 * p->gen_forward / total_s, 100 * p->features / total_s,
           100 * p->fields / total_s, 100 * p->gen_backward / total_s, 100 * k->t_eval / total_s,
           100 * (total_s - k->t_setup - p->gen_forward - p->features - p->fields - p->gen_backward -
                  k->t_eval) / total_s);
}

/* Opens train.dat and runs the loop; commits the log when the run ends well. */
static int run(const train_options *o, dl_trainer *t, const dl_trainer_eval_set *es,
               const dl_provenance *prov, train_clock *k)
{
    char path[4200], cfg_line[800];
    dl_trainer_describe(t, (float)o->alpha, cfg_line, sizeof cfg_line);
    const char *extra[] = {cfg_line, NULL};
    snprintf(path, sizeof path, "%s/train.dat", o->out);
    dl_atomic_file log = {0}, spectrum = {0};
    int st = o->writer ? dl_mkdir_p(o->out) : DL_OK;
    if (!st && o->writer)
        st = dl_dat_open(&log, path, prov, extra,
                         "step seconds images_per_s drift_rms fd_fmnist kid precision recall "
                         "label_accuracy tau_scale");
    /* the generated images' power per frequency shell against the evaluation's real ones */
    const char *spec_extra[] = {"the evaluation's images against its real test images, pixels in [-1, 1]", NULL};
    snprintf(path, sizeof path, "%s/imgspectrum.dat", o->out);
    if (!st && es)
        st = dl_dat_open(&spectrum, path, prov, spec_extra, DL_IMGSPECTRUM_COLUMNS);
    st = train_mpi_agree(&o->mpi, st);
    if (st) {
        if (log.fp)
            dl_atomic_abort(&log);
        return st;
    }
    k->spectrum = spectrum.fp;
    cli_progress_start(&k->progress, o->quiet);
    k->t_setup = cli_wall_seconds() - k->t0, k->last_fd = NAN, k->step0 = t->step;
    k->t_loop = cli_wall_seconds();
    st = train_loop(o, t, es, prov, k, log.fp);
    cli_progress_finish(&k->progress);
    if (!st && log.fp && !(st = dl_atomic_commit(&log)) && spectrum.fp)
        st = dl_atomic_commit(&spectrum);
    st = train_mpi_agree(&o->mpi, st);
    if (log.fp)
        dl_atomic_abort(&log);
    if (spectrum.fp)
        dl_atomic_abort(&spectrum);
    return st;
}

int cmd_train(int argc, char **argv)
{
    train_options o;
    int help;
    int st = parse_args(argc, argv, &o, &help);
    train_mpi_start(&o.mpi);
    o.writer = !o.mpi.active || o.mpi.rank == 0;
    o.quiet |= !o.writer;
    if (!st && help) {
        if (o.writer)
            usage(stdout);
        train_mpi_finish(&o.mpi);
        return 0;
    }
    if (!st && o.mpi.active && o.time_budget_min > 0)
        st = dl_error(DL_EINVAL, "under mpirun, train runs a fixed --steps: a --time-budget would "
                      "end the ranks at different steps");
    dl_image_set train = {0};
    dl_trainer_eval_set es = {0};
    dl_trainer *t = NULL;
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), o.cfg.seed};
    train_clock k = {0};
    char encoder_path[4200];
    struct stat before;
    const int out_existed = stat(o.out, &before) == 0;
    if (!st)
        st = dl_idx_read_split(o.data, "train", &train);
    if (!st && o.resume) /* a bad checkpoint is refused before the encoder is fitted */
        st = dl_trainer_resume_check(&o.cfg, o.resume);
    if (!st && o.classifier && o.writer) /* evaluation is rank 0's */
        st = load_evaluation(&o, &es);
    /* the budget counts from here: fitting the encoder and caching its maps are in it */
    k.t0 = cli_wall_seconds();
    if (!st && o.writer) /* rank 0 fits the encoder; the others then load it */
        st = prepare_encoder(&o, &train, &prov, encoder_path, sizeof encoder_path);
    if ((st = train_mpi_agree(&o.mpi, st)) == DL_OK && !o.writer)
        st = prepare_encoder_path(&o, encoder_path, sizeof encoder_path);
    if (!st)
        st = dl_trainer_create(&t, &o.cfg, &train, *encoder_path ? encoder_path : NULL);
    if (!st && o.resume)
        st = dl_trainer_resume(t, o.resume);
    if ((st = train_mpi_agree(&o.mpi, st)) == DL_OK)
        st = train_mpi_shard(&o.mpi, t);
    if (!st)
        st = run(&o, t, o.classifier && o.writer ? &es : NULL, &prov, &k);
    if (!st && !o.quiet)
        report(&o, t, &k, o.classifier != NULL);
    dl_trainer_destroy(t);
    dl_trainer_eval_set_free(&es);
    dl_image_set_free(&train);
    if (st && !out_existed && o.writer)
        rmdir(o.out); /* a failed run leaves no directory of its own behind (only if empty) */
    int code = !st ? 0 : o.writer ? cli_fail("train") : 1;
    train_mpi_finish(&o.mpi);
    return code;
}
