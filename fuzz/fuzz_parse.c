/* The option parsers: numbers, integer ranges, lists, mode and mixture
 * specifications, architecture strings, and `driftlab sim`'s command line
 * (the input split at NUL bytes into argv).  Mode byte picks the parser. */
#include <float.h>
#include <math.h>

#include "base/parse.h"
#include "drift/dist.h"
#include "nn/classifier.h"
#include "nn/generator.h"
#include "run/options.h"
#include "fuzz_common.h"

static void parse_sim_args(char *text, size_t len)
{
    char *argv[64];
    int argc = 0;
    for (size_t at = 0; at < len && argc < 64; at += strlen(text + at) + 1) {
        if (strstr(text + at, "config")) /* --config reads files: the config harness's part */
            return;
        argv[argc++] = text + at;
    }
    dl_run_options o;
    dl_run_options_init(&o);
    int help;
    dl_run_config c;
    if (dl_run_options_parse_args(&o, argc, argv, &help) == 0 && !help)
        dl_run_config_resolve(&o, &c);
    dl_run_options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    double d, list[8];
    long l, longs[8];
    int n;
    dl_dist dist;
    dl_generator_arch ga;
    dl_classifier_arch ca;
    switch (data[0] % 8) {
    case 0:
        if (dl_parse_double("x", text, &d) == 0)
            FUZZ_ASSERT(isfinite(d) && (d == 0 || fabs(d) >= DBL_MIN));
        break;
    case 1:
        if (dl_parse_long("x", text, -1000, 1000, &l) == 0)
            FUZZ_ASSERT(l >= -1000 && l <= 1000);
        break;
    case 2:
        if (dl_parse_positive_list("x", text, 8, list, &n) == 0)
            for (int i = 0; i < n; i++)
                FUZZ_ASSERT(list[i] > 0 && isfinite(list[i]));
        if (dl_parse_long_list("x", text, 8, 1, 1024, longs, &n) == 0)
            for (int i = 0; i < n; i++)
                FUZZ_ASSERT(longs[i] >= 1 && longs[i] <= 1024);
        break;
    case 3:
        memset(&dist, 0, sizeof dist);
        dl_dist_set_modes(&dist, 1 + (int)(size % 3), text, "0.01");
        break;
    case 4:
        memset(&dist, 0, sizeof dist);
        if (dl_dist_set_gmm(&dist, 1 + (int)(size % 3), text) == 0) {
            double total = 0;
            for (int i = 0; i < dist.n_components; i++)
                total += dist.component[i].weight;
            FUZZ_ASSERT(fabs(total - 1) < 1e-9);
        }
        break;
    case 5:
        if (dl_generator_arch_parse(text, &ga) == 0) {
            char back[128];
            dl_generator_arch_string(&ga, back, sizeof back);
            FUZZ_ASSERT(!strcmp(back, text));
        }
        break;
    case 6:
        if (dl_classifier_arch_parse(text, &ca) == 0) {
            char back[128];
            dl_classifier_arch_string(&ca, back, sizeof back);
            FUZZ_ASSERT(!strcmp(back, text));
        }
        break;
    default:
        parse_sim_args(text, size - 1);
    }
    free(text);
    return 0;
}
