/* The lab's request decoding (driftlab serve): a form body, as a POST
 * carries it, into sim's options, through the network's refusals, into the
 * resolver.  A decoded form must hold only plain keys and values without
 * control characters, and re-decoding its own pairs must agree. */
#include "run/form.h"
#include "run/options.h"
#include "fuzz_common.h"

static void check_pairs(const dl_form *f)
{
    for (int i = 0; i < f->count; i++) {
        FUZZ_ASSERT(f->key[i][0] != '\0' && strlen(f->key[i]) <= DL_FORM_MAX_KEY);
        FUZZ_ASSERT(strlen(f->value[i]) <= DL_FORM_MAX_VALUE);
        for (const char *p = f->value[i]; *p; p++)
            FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dl_form *f = malloc(sizeof *f);
    if (!f)
        return 0;
    if (dl_form_decode((const char *)data, size, f) == 0) {
        check_pairs(f);
        dl_run_options o;
        dl_run_options_init(&o);
        static const char *const refused[] = {"out", "config", "threads", "frames", "classifier",
                                              "data", "quiet", NULL};
        dl_run_config c;
        if (dl_form_apply(f, &o, refused) == 0 && dl_run_options_refuse_files(&o, "file:target.dat") == 0)
            dl_run_config_resolve(&o, &c);
        dl_run_options_free(&o);
    }
    free(f);
    return 0;
}
