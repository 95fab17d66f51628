/* driftlab sim: the McKean-Vlasov particle simulator. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"
#include "commands.h"
#include "base/dl_error.h"
#include "base/io.h"
#include "run/options.h"
#include "run/record.h"
#ifdef DRIFTLAB_HAVE_MPI
#include "sim_mpi.h"
#endif


int cmd_sim(int argc, char **argv)
{
    dl_run_options opts;
    dl_run_config c;
    int help = 0, st;
    dl_run_options_init(&opts);
    dl_provenance prov = {cli_command_line(argc + 1, argv - 1), 0};

    /* Everything that can be checked is checked before anything is written. */
    if ((st = dl_run_options_parse_args(&opts, argc - 1, argv + 1, &help)))
        goto fail;
    if (help) {
        dl_run_options_print_help(stdout);
        dl_run_options_free(&opts);
        return 0;
    }
    if ((st = dl_run_config_resolve(&opts, &c)))
        goto fail;
    prov.seed = c.seed;
#ifdef DRIFTLAB_HAVE_MPI
    int refuse, quiet_rank;
    if (sim_mpi_wanted(&c, &refuse, &quiet_rank)) {
        st = sim_mpi_main(&opts, &c, &prov);
        dl_run_options_free(&opts);
        return st;
    }
    if (refuse && quiet_rank) {
        dl_run_options_free(&opts);
        return 1;
    }
    if (refuse)
        goto fail;
#endif
#ifdef _OPENMP
    if (c.threads > 0)
        omp_set_num_threads(c.threads);
#endif
    double gmax;
    if (dl_kernel_rate_max(c.kernel, c.domain.dim, &gmax) == DL_OK && c.dt > 2.0 / gmax)
        fprintf(stderr,
                "driftlab sim: warning: dt = %g exceeds the linear Euler stability bound "
                "2 / max gamma = %.4g for the %s kernel in %d-D; expect growing modes\n",
                c.dt, 2.0 / gmax, c.kernel->name, c.domain.dim);
    cli_progress progress;
    cli_progress_start(&progress, c.quiet);
    dl_run_hooks hooks = {cli_log_line, (void *)"sim", cli_progress_hook, &progress};
    if ((st = dl_run_record(&opts, &c, &prov, &hooks)))
        goto fail;
    cli_progress_finish(&progress);
    if (!c.quiet)
        fprintf(stderr, "driftlab sim: wrote %s/{diagnostics.dat%s,target.dat,target.dlsnap,final.dat,"
                "run.ini,snapshots/}\n", c.out, c.domain.kind == DL_DOMAIN_TORUS ? ",modes.dat" : "");
    dl_run_options_free(&opts);
    return 0;
fail:
    dl_run_options_free(&opts);
    return cli_fail("sim");
}
