/* driftlab: git-style dispatch to the subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fftw3.h>
#include <gsl/gsl_version.h>
#include <zlib.h>

#include "commands.h"
#include "base/io.h"
#include "drift/kernel.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const command commands[] = {
    {"sim", cmd_sim, "simulate particles moving by the drift field V_{p,q}"},
    {"train", cmd_train, "train a one-step image generator with the drifting loss"},
    {"sample", cmd_sample, "draw images from a trained generator (PNG grid and IDX)"},
    {"toytrain", cmd_toytrain, "train a one-step MLP generator on a 2-D toy set with the drifting loss"},
    {"spectrum", cmd_spectrum, "Fourier spectrum of a torus run, decay rate per mode, theory beside"},
    {"theory", cmd_theory, "linear theory: gamma(k), annealed amplitudes, damping times T_eps(K)"},
    {"classify", cmd_classify, "train / test the Fashion-MNIST evaluation classifier"},
    {"eval", cmd_eval, "FD-FMNIST, KID, precision/recall, class and memorisation figures of images"},
    {"sweep", cmd_sweep, "a grid of sim runs, each analysed, gathered into sweep.dat (resumable)"},
    {"serve", cmd_serve, "the drifting lab: an interactive page on the library's own runs"},
    {"bench", cmd_bench, "drift engines timed against their rooflines: pairs/s, slopes, PM accuracy"},
    {"version", cmd_version, "print the driftlab version and the library versions"},
    {"help", cmd_help, "this overview"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* OpenBLAS chooses its kernels once, when it is loaded, from the CPU model.
 * Where a virtual machine reports a model it does not know, it falls back to
 * its SSE3 "Prescott" kernels although AVX2 or AVX-512 work: sgemm then runs
 * at a fifth of its speed (27 against 138 GFLOP/s on one core of this
 * project's machine).  When the user has not chosen (OPENBLAS_CORETYPE unset),
 * OpenBLAS fell back that way and the CPU has the instructions, driftlab runs
 * itself again with the matching core named.  Results stay deterministic: the
 * kernels only depend on the machine, as before. */
static void choose_blas_kernels(char **argv)
{
    const char *now = dl_blas_core();
    if (!now || getenv("OPENBLAS_CORETYPE"))
        return;
    static const char *const fallbacks[] = {"prescott", "core2", "penryn", "dunnington", "nehalem",
                                            "unknown"};
    int fell_back = 0;
    for (size_t i = 0; now && i < sizeof fallbacks / sizeof fallbacks[0]; i++)
        fell_back |= !strcasecmp(now, fallbacks[i]);
    if (!fell_back)
        return;
    __builtin_cpu_init();
    const char *core = NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        core = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        core = "Haswell";
    if (!core || setenv("OPENBLAS_CORETYPE", core, 0))
        return;
    execv("/proc/self/exe", argv); /* returns only on failure: go on as we are */
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("driftlab %s (git %s)\n", dl_version_string(), dl_git_hash());
    printf("  FFTW   %s\n", fftw_version);
    printf("  GSL    %s\n", gsl_version);
    printf("  zlib   %s\n", zlibVersion());
    if (dl_blas_core())
        printf("  OpenBLAS kernels: %s%s\n", dl_blas_core(),
               getenv("OPENBLAS_CORETYPE") ? " (OPENBLAS_CORETYPE)" : "");
#ifdef _OPENMP
    printf("  OpenMP %d\n", _OPENMP);
#endif
    printf("  inih   (Debian libinih, INI parser)\n");
    printf("  kernels: %s\n", dl_kernel_names());
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: driftlab <command> [options]\n\n"
           "driftlab simulates and analyses generative drifting: particles pulled toward a\n"
           "target and pushed apart by a kernel drift field.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].summary);
    printf("\n'driftlab <command> --help' describes a command's options.\n");
    return 0;
}

int main(int argc, char **argv)
{
    choose_blas_kernels(argv);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return cmd_help(argc, argv);
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc, argv);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "driftlab: error: unknown command '%s' (see driftlab --help)\n", argv[1]);
    return 2;
}
