/* driftlab serve: the lab, an interactive page served on loopback. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/dl_error.h"
#include "base/parse.h"
#include "cli.h"
#include "commands.h"
#include "http.h"

static void print_help(void)
{
    printf("usage: driftlab serve [--port P] [--listen ADDR] [--max-connections C] [--timeout S] [--quiet]\n\n"
           "The drifting lab: an interactive page whose runs are the library's own\n"
           "(the same engines, integrator, schedules and theory as driftlab sim).\n"
           "Open the URL it prints; every browser tab is a session of its own.\n\n"
           "  --port P             port (0: any free port; default 8177)\n"
           "  --listen ADDR        the address to serve (default 127.0.0.1, loopback only);\n"
           "                       any other address is explicit, and warned about\n"
           "  --max-connections C  connections at once (default 64)\n"
           "  --timeout S          seconds before an idle connection is closed (default 30)\n"
           "  --quiet              no log on stderr\n\n"
           "SIGINT or SIGTERM ends every stream and exits 0.\n");
}

static int is_loopback(const char *addr)
{
    return !strcmp(addr, "127.0.0.1") || !strcmp(addr, "::1");
}

static int parse_args(int argc, char **argv, lab_server_config *cfg, int *quiet, int *help)
{
    static const char *const known[] = {"port", "listen", "max-connections", "timeout", NULL};
    for (int i = 1; i < argc; i++) {
        long v;
        const char *a = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            *quiet = 1;
            continue;
        }
        int st = cli_option_value("serve", a, value, known);
        if (!st && !strcmp(a, "--port") && !(st = dl_parse_long("port", value, 0, 65535, &v)))
            cfg->port = (int)v;
        else if (!st && !strcmp(a, "--listen"))
            cfg->listen = value;
        else if (!st && !strcmp(a, "--max-connections") &&
                 !(st = dl_parse_long("max-connections", value, 4, 1024, &v)))
            cfg->max_connections = (int)v;
        else if (!st && !strcmp(a, "--timeout") && !(st = dl_parse_long("timeout", value, 1, 3600, &v)))
            cfg->timeout_s = (int)v;
        if (st)
            return st;
        i++;
    }
    return DL_OK;
}

int cmd_serve(int argc, char **argv)
{
    lab_server_config cfg = {"127.0.0.1", 8177, 64, 30};
    int quiet = 0, help = 0;
    if (parse_args(argc, argv, &cfg, &quiet, &help))
        return cli_fail("serve");
    if (help) {
        print_help();
        return 0;
    }
    /* the signals wait for sigwait; the server's threads inherit the mask */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    lab_server *server;
    if (lab_server_start(&server, &cfg))
        return cli_fail("serve");
    if (!is_loopback(cfg.listen))
        fprintf(stderr, "driftlab serve: warning: serving on %s, not loopback: anyone who can reach "
                "this address can run the lab on this machine\n", cfg.listen);
    const int v6 = strchr(cfg.listen, ':') != NULL;
    printf("driftlab serve: http://%s%s%s:%d/\n", v6 ? "[" : "", cfg.listen, v6 ? "]" : "",
           lab_server_port(server));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (!quiet)
        fprintf(stderr, "driftlab serve: %s, ending the streams\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    lab_server_stop(server);
    return 0;
}
