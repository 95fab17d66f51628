/* The INI config reader of `driftlab sim` (sim/dl_run_config), and the run.ini
 * round trip: whatever a config sets, written back as run.ini and read
 * again, must give the very same values. */
#include "run/options.h"
#include "fuzz_common.h"

static char *write_ini(const dl_run_options *o, size_t *len)
{
    char *text = NULL;
    FILE *fp = open_memstream(&text, len);
    if (!fp)
        abort();
    dl_run_options_write_ini(o, fp);
    fclose(fp);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16))
        return 0;
    const char *path = fuzz_write_file(".ini", data, size);
    dl_run_options o;
    dl_run_options_init(&o);
    if (dl_run_options_load_ini(&o, path) == 0 && dl_run_options_check_lines(&o) == 0) {
        size_t len;
        char *text = write_ini(&o, &len);
        const char *again = fuzz_write_file(".ini", (const uint8_t *)text, len);
        dl_run_options back;
        dl_run_options_init(&back);
        FUZZ_ASSERT(dl_run_options_load_ini(&back, again) == 0);
        for (int i = 0; dl_run_options_key(i); i++)
            if (o.values[i] && strcmp(dl_run_options_key(i), "quiet"))
                FUZZ_ASSERT(back.values[i] && !strcmp(o.values[i], back.values[i]));
        size_t len2;
        char *text2 = write_ini(&back, &len2);
        FUZZ_ASSERT(len == len2 && !memcmp(text, text2, len));
        free(text), free(text2);
        dl_run_options_free(&back);
    }
    dl_run_options_free(&o);
    return 0;
}
