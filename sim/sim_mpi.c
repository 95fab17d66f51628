/* driftlab sim under mpirun: the particles and the targets in blocks across
 * ranks, the drift from the distributed mesh (parallel/engine_pm_mpi.h).
 *
 * Each rank draws its block of the same points the single-process run draws
 * (dl_dist_sample_block), steps it with the same integrator, and rank 0
 * writes the same files: snapshots gathered rank by rank in index order
 * (byte-compatible: only the positions' last bits can differ), and the
 * diagnostics from sums over ranks and the same strided energy-distance
 * subsets.  Every failure is agreed, so all ranks stop together. */
#include "sim_mpi.h"

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "base/dl_error.h"
#include "cli.h"
#include "drift/dist.h"
#include "drift/integrator.h"
#include "drift/metrics.h"
#include "drift/snapshot.h"
#include "parallel/collective.h"
#include "parallel/engine_pm_mpi.h"
#include "run/outputs.h"
#include "run/run.h"

#define GATHER_PIECE 65536

typedef struct {
    const dl_run_config *c;
    const dl_provenance *prov;
    MPI_Comm comm;
    int rank, size;
    size_t xb, xe, yb, ye; /* this rank's blocks of the particles and targets */
    double *x, *y;
    dl_run_outputs out;
} dist_run;

static int refuse_unsupported(const dl_run_config *c, int size)
{
    const char *why = c->domain.kind != DL_DOMAIN_TORUS ? "R^d (the distributed mesh is the torus's)"
                      : c->target_file || c->init_file ? "--target/--init from files or images"
                      : *c->classifier               ? "--classifier"
                      : c->frames                    ? "--frames"
                      : c->sigma_median              ? "--sigma-units median"
                      : c->no_stop_gradient          ? "--no-stop-gradient"
                      : c->schedule.kind == DL_SCHEDULE_ADAPTIVE ? "--schedule adaptive"
                      : c->field != DL_OPERATOR_MEANSHIFT ? "--field mmd"
                                                     : NULL;
    if (why)
        return dl_error(DL_EUNSUPPORTED, "under mpirun, sim --engine pm does not take %s; run it "
                        "as one process", why);
    if (c->n < (size_t)size || c->m < (size_t)size)
        return dl_error(DL_EINVAL, "under mpirun -np %d: need at least one particle and one target "
                        "per rank (n = %zu, m = %zu)", size, c->n, c->m);
    return DL_OK;
}

/* targets first, then particles: the single-process run's order of draws */
static int draw_blocks(dist_run *r)
{
    const dl_run_config *c = r->c;
    const int dim = c->domain.dim;
    dl_mpi_block(c->m, r->rank, r->size, &r->yb, &r->ye);
    dl_mpi_block(c->n, r->rank, r->size, &r->xb, &r->xe);
    r->y = malloc((r->ye - r->yb) * dim * sizeof(double));
    r->x = malloc((r->xe - r->xb) * dim * sizeof(double));
    gsl_rng *rng = dl_rng_create(c->seed);
    int st = r->x && r->y && rng ? DL_OK : dl_error(DL_ENOMEM, "out of memory for this rank's points");
    if (!st)
        st = dl_dist_sample_block(&c->target, &c->domain, c->m, r->yb, r->ye, rng, r->y);
    if (!st)
        st = dl_dist_sample_block(&c->init, &c->domain, c->n, r->xb, r->xe, rng, r->x);
    if (rng)
        gsl_rng_free(rng);
    return dl_mpi_agree(r->comm, st);
}

static int sink_snapshot(void *ctx, const double *pts, size_t count)
{
    return dl_snapshot_stream_append(ctx, pts, count);
}

/* a snapshot of every rank's block, written by rank 0 */
static int write_snapshot(dist_run *r, const char *path, const dl_snapshot_header *h, const double *local,
                          size_t count)
{
    dl_snapshot_stream w;
    int st = r->rank == 0 ? dl_snapshot_stream_open(&w, path, h, r->prov) : DL_OK;
    if ((st = dl_mpi_agree(r->comm, st)))
        return st;
    st = dl_mpi_gather_blocks(r->comm, local, count, r->c->domain.dim, GATHER_PIECE, sink_snapshot, &w);
    if (r->rank == 0)
        st = st ? (dl_snapshot_stream_abort(&w), st) : dl_snapshot_stream_commit(&w);
    return dl_mpi_agree(r->comm, st);
}

typedef struct {
    FILE *fp;
    int dim;
} text_sink;

static int sink_text(void *ctx, const double *pts, size_t count)
{
    const text_sink *t = ctx;
    for (size_t i = 0; i < count; i++)
        for (int d = 0; d < t->dim; d++)
            fprintf(t->fp, "%.17g%c", pts[i * t->dim + d], d + 1 < t->dim ? ' ' : '\n');
    return DL_OK;
}

/* target.dat / final.dat, as cmd_sim.c writes them */
static int write_points(dist_run *r, const char *name, const double *local, size_t count, double t)
{
    const int dim = r->c->domain.dim;
    char path[4200], line[64], cols[64] = "";
    snprintf(path, sizeof path, "%s/%s", r->c->out, name);
    snprintf(line, sizeof line, "t = %.10g", t);
    for (int d = 0; d < dim; d++)
        snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%sx%d", d ? " " : "", d + 1);
    const char *extra[] = {line, NULL};
    dl_atomic_file f = {0};
    int st = r->rank == 0 ? dl_dat_open(&f, path, r->prov, extra, cols) : DL_OK;
    if ((st = dl_mpi_agree(r->comm, st)))
        return st;
    text_sink sink = {f.fp, dim};
    st = dl_mpi_gather_blocks(r->comm, local, count, dim, GATHER_PIECE, sink_text, &sink);
    if (r->rank == 0)
        st = st ? (dl_atomic_abort(&f), st) : dl_atomic_commit(&f);
    return dl_mpi_agree(r->comm, st);
}

/* The strided subset k n / ed_n, k < ed_n, of the points, on every rank in
 * index order: the single-process run's energy-distance points. */
static int strided_subset(dist_run *r, const double *local, size_t n, size_t b, size_t e, size_t ed,
                          double *all)
{
    const int dim = r->c->domain.dim;
    int *counts = malloc((size_t)r->size * sizeof(int)), *offs = malloc((size_t)r->size * sizeof(int));
    double *mine = malloc((ed + 1) * dim * sizeof(double));
    int st = counts && offs && mine ? DL_OK : dl_error(DL_ENOMEM, "out of memory");
    if (!(st = dl_mpi_agree(r->comm, st))) {
        int have = 0;
        for (size_t k = 0; k < ed; k++) {
            size_t i = k * n / ed;
            if (i >= b && i < e)
                memcpy(mine + (size_t)have++ * dim, local + (i - b) * dim, dim * sizeof(double));
        }
        int len = have * dim;
        MPI_Allgather(&len, 1, MPI_INT, counts, 1, MPI_INT, r->comm);
        for (int q = 0, at = 0; q < r->size; q++)
            offs[q] = at, at += counts[q];
        MPI_Allgatherv(mine, len, MPI_DOUBLE, all, counts, offs, MPI_DOUBLE, r->comm);
    }
    free(counts), free(offs), free(mine);
    return st;
}

static double rms_over_ranks(MPI_Comm comm, const double *v, size_t n_local, size_t n, int dim)
{
    double s = 0, all;
    for (size_t i = 0; i < n_local * (size_t)dim; i++)
        s += v[i] * v[i];
    MPI_Allreduce(&s, &all, 1, MPI_DOUBLE, MPI_SUM, comm);
    return sqrt(all / (double)n);
}

/* modes.dat's coefficients: each rank's partial sums, added over ranks */
static void record_modes(dist_run *r, double t, double sigma)
{
    const dl_run_config *c = r->c;
    double part[2 * DL_MAX_MODES] = {0}, sum[2 * DL_MAX_MODES];
    for (int k = 0; k < c->n_record; k++) {
        double complex z = dl_fourier_coefficient(&c->domain, r->x, r->xe - r->xb, c->record[k]);
        z *= (double)(r->xe - r->xb) / (double)c->n; /* the coefficient is a mean */
        part[2 * k] = creal(z), part[2 * k + 1] = cimag(z);
    }
    MPI_Reduce(part, sum, 2 * c->n_record, MPI_DOUBLE, MPI_SUM, 0, r->comm);
    double complex z[DL_MAX_MODES];
    for (int k = 0; k < c->n_record; k++)
        z[k] = sum[2 * k] + I * sum[2 * k + 1];
    if (r->rank == 0 && r->out.have_modes)
        dl_run_outputs_modes(c, r->out.modes.fp, t, sigma, z);
}

static int diagnostics(dist_run *r, dl_integrator *it, long step, const double *ey, size_t ed_m,
                       double yy, double *ex, size_t ed_n, cli_progress *progress)
{
    const dl_run_config *c = r->c;
    const int dim = c->domain.dim;
    const double t = step * c->dt, sigma = dl_schedule_sigma(&c->schedule, t);
    const double *v, *vp, *vm;
    int st = dl_mpi_agree(r->comm, dl_integrator_field(it, r->x, t, &v, &vp, &vm));
    if (st || (st = strided_subset(r, r->x, c->n, r->xb, r->xe, ed_n, ex)))
        return st;
    const size_t nl = r->xe - r->xb;
    double rv = rms_over_ranks(r->comm, v, nl, c->n, dim), rp = rms_over_ranks(r->comm, vp, nl, c->n, dim);
    double rm = rms_over_ranks(r->comm, vm, nl, c->n, dim);
    record_modes(r, t, sigma);
    if (r->rank == 0) {
        double ed = dl_energy_distance(&c->domain, ex, ed_n, ey, ed_m, yy);
        fprintf(r->out.diagnostics.fp, "%ld %.10g %.10g %.10g %.10g %.10g %.10g\n", step, t, sigma, rv, rp,
                rm, ed);
        char detail[128];
        snprintf(detail, sizeof detail, "t=%.3g sigma=%.3g ED=%.3g", t, sigma, ed);
        cli_progress_update(progress, (size_t)step, (size_t)c->steps, detail);
    }
    return DL_OK;
}

static int snapshot(dist_run *r, long step)
{
    const dl_run_config *c = r->c;
    const double t = step * c->dt;
    char path[4300];
    snprintf(path, sizeof path, "%s/snapshots/snap-%08ld.dlsnap", c->out, step);
    dl_snapshot_header h = {.dim = (uint32_t)c->domain.dim, .count = c->n, .seed = c->seed,
                            .step = (uint64_t)step, .time = t,
                            .sigma = dl_schedule_sigma(&c->schedule, t),
                            .domain_kind = (uint32_t)c->domain.kind, .length = c->domain.length};
    return write_snapshot(r, path, &h, r->x, r->xe - r->xb);
}

static int simulate(dist_run *r, dl_engine *engine, dl_integrator *it)
{
    const dl_run_config *c = r->c;
    const int dim = c->domain.dim;
    const size_t ed_n = c->n < DL_RUN_ED_POINTS ? c->n : DL_RUN_ED_POINTS, ed_m = c->m < DL_RUN_ED_POINTS ? c->m : DL_RUN_ED_POINTS;
    double *ex = malloc(ed_n * dim * sizeof(double)), *ey = malloc(ed_m * dim * sizeof(double));
    int st = dl_mpi_agree(r->comm, ex && ey ? DL_OK : dl_error(DL_ENOMEM, "sim: out of memory"));
    if (!st)
        st = strided_subset(r, r->y, c->m, r->yb, r->ye, ed_m, ey);
    if (!st && r->rank == 0 && (ed_n < c->n || ed_m < c->m)) {
        char line[160];
        snprintf(line, sizeof line, "energy distance on strided subsets: %zu of %zu particles, %zu of "
                 "%zu targets", ed_n, c->n, ed_m, c->m);
        dl_run_outputs_log(c, &r->out, "diagnostics", line);
    }
    const double yy = st ? 0 : dl_mean_self_distance(&c->domain, ey, ed_m);
    cli_progress progress;
    cli_progress_start(&progress, c->quiet || r->rank != 0);
    long last_snapshot = 0;
    double stepping = 0;
    for (long step = 0; !st; step++) {
        double t = step * c->dt;
        if ((step % c->every == 0 || step == c->steps) &&
            (st = diagnostics(r, it, step, ey, ed_m, yy, ex, ed_n, &progress)))
            break;
        if (step % c->snapshot_every == 0 || step == c->steps) {
            if ((st = snapshot(r, step)))
                break;
            last_snapshot = step;
        }
        if (step == c->steps)
            break;
        double mark = MPI_Wtime();
        st = dl_mpi_agree(r->comm, dl_integrator_step(it, r->x, t, c->dt));
        stepping += MPI_Wtime() - mark;
        if (st) {
            char why[512];
            snprintf(why, sizeof why, "%s", dl_error_message());
            st = dl_error(st, "step %ld (t = %g): %s; stopped, the last good snapshot is "
                          "snapshots/snap-%08ld.dlsnap", step + 1, t + c->dt, why, last_snapshot);
        }
        if (!st && engine->note_changed && r->rank == 0) {
            engine->note_changed = 0;
            dl_run_outputs_engine_log(c, &r->out, engine->note);
        }
    }
    if (!st)
        cli_progress_finish(&progress);
    if (!st && r->rank == 0 && c->steps > 0) {
        char line[160];
        snprintf(line, sizeof line, "%ld steps in %.3f s of stepping: %.4g steps/s (%d ranks)", c->steps,
                 stepping, c->steps / stepping, r->size);
        dl_run_outputs_measured(c, &r->out, "rate", line);
    }
    free(ex), free(ey);
    return st;
}

/* this process's peak resident memory (Linux), in MiB; 0 if unknown */
static double peak_rss_mib(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    double kib = 0;
    while (fp && fgets(line, sizeof line, fp))
        if (!strncmp(line, "VmHWM:", 6))
            kib = strtod(line + 6, NULL);
    if (fp)
        fclose(fp);
    return kib / 1024.0;
}

/* Each rank's peak memory and its mesh's share, on stderr: the
 * measurement behind "memory per rank falls as 1/R". */
static void log_memory(dist_run *r, dl_engine *engine)
{
    double mine[2] = {peak_rss_mib(), (double)dl_engine_pm_mpi_bytes(engine) / 1048576.0};
    double *all = r->rank == 0 ? malloc(2 * (size_t)r->size * sizeof(double)) : NULL;
    MPI_Gather(mine, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, 0, r->comm);
    if (r->rank == 0 && all) {
        char line[1024];
        int at = snprintf(line, sizeof line, "peak resident MiB per rank (mesh and routes):");
        for (int q = 0; q < r->size && at < (int)sizeof line - 40; q++)
            at += snprintf(line + at, sizeof line - at, " %.1f (%.1f)", all[2 * q], all[2 * q + 1]);
        dl_run_outputs_measured(r->c, &r->out, "memory", line);
    }
    free(all);
}

static int run(dist_run *r, const dl_run_options *opts)
{
    const dl_run_config *c = r->c;
    int st = dl_mpi_agree(r->comm, refuse_unsupported(c, r->size));
    if (st || (st = draw_blocks(r)))
        return st;
    char snapdir[4200];
    snprintf(snapdir, sizeof snapdir, "%s/snapshots", c->out);
    r->out.log = cli_log_line, r->out.log_ctx = (void *)"sim";
    if (r->rank == 0 && !(st = dl_mkdir_p(c->out)) && !(st = dl_mkdir_p(snapdir)) &&
        !(st = dl_run_write_ini(opts, c, r->prov)))
        st = dl_run_outputs_open(c, r->prov, &r->out);
    if ((st = dl_mpi_agree(r->comm, st)))
        return st;
    dl_snapshot_header th = {.dim = (uint32_t)c->domain.dim, .count = c->m, .seed = c->seed,
                             .sigma = c->schedule.sigma0, .domain_kind = (uint32_t)c->domain.kind,
                             .length = c->domain.length};
    char tpath[4200];
    snprintf(tpath, sizeof tpath, "%s/target.dlsnap", c->out);
    if ((st = write_points(r, "target.dat", r->y, r->ye - r->yb, 0.0)) ||
        (st = write_snapshot(r, tpath, &th, r->y, r->ye - r->yb)))
        return st;
    dl_engine *engine = NULL;
    dl_integrator *it = NULL;
    st = dl_engine_pm_mpi_create(&engine, &c->engine_opts.pm, r->comm);
    if (!st) /* the targets never move: their deposit is made once per grid */
        dl_engine_fix_targets(engine, r->y, r->ye - r->yb);
    dl_integrator_config icfg = {.kind = c->integrator, .engine = engine, .domain = &c->domain,
                                 .kernel = c->kernel, .schedule = &c->schedule, .target = r->y,
                                 .m = r->ye - r->yb, .n = r->xe - r->xb, .self_mask = c->self_mask};
    if (!st)
        st = dl_mpi_agree(r->comm, dl_integrator_create(&it, &icfg));
    if (!st && !(st = simulate(r, engine, it))) {
        log_memory(r, engine);
        st = write_points(r, "final.dat", r->x, r->xe - r->xb, c->steps * c->dt);
    }
    dl_integrator_destroy(it);
    dl_engine_destroy(engine);
    if (!st && r->rank == 0 && !(st = dl_atomic_commit(&r->out.diagnostics)) && r->out.have_modes)
        st = dl_atomic_commit(&r->out.modes);
    return dl_mpi_agree(r->comm, st);
}

int sim_mpi_wanted(const dl_run_config *c, int *refuse, int *quiet_rank)
{
    const char *size = getenv("OMPI_COMM_WORLD_SIZE"), *rank = getenv("OMPI_COMM_WORLD_RANK");
    *refuse = 0;
    *quiet_rank = rank && strcmp(rank, "0");
    int inside;
    MPI_Initialized(&inside);
    if (!dl_mpi_launched() || inside)
        return 0;
    if (!strcmp(c->engine, "pm"))
        return 1;
    if (size && strcmp(size, "1")) {
        *refuse = 1;
        dl_error(DL_EINVAL, "under mpirun with %s ranks, sim needs --engine pm (the distributed "
                 "mesh); other engines run as one process", size);
    }
    return 0;
}

int sim_mpi_main(const dl_run_options *opts, const dl_run_config *c, const dl_provenance *prov)
{
    int was_up;
    MPI_Initialized(&was_up);
    if (!was_up)
        MPI_Init(NULL, NULL);
    dist_run r = {.c = c, .prov = prov, .comm = MPI_COMM_WORLD};
    MPI_Comm_rank(r.comm, &r.rank);
    MPI_Comm_size(r.comm, &r.size);
    int st = run(&r, opts);
    if (st && r.rank == 0) {
        if (r.out.diagnostics.fp)
            dl_atomic_abort(&r.out.diagnostics);
        if (r.out.modes.fp)
            dl_atomic_abort(&r.out.modes);
    }
    if (!st && r.rank == 0 && !c->quiet)
        fprintf(stderr, "driftlab sim: %d ranks wrote %s/{diagnostics.dat%s,target.dat,target.dlsnap,"
                "final.dat,run.ini,snapshots/}\n", r.size, c->out, r.out.have_modes ? ",modes.dat" : "");
    free(r.x), free(r.y);
    int code = !st ? 0 : r.rank == 0 ? cli_fail("sim") : 1;
    if (!was_up)
        MPI_Finalize();
    return code;
}
