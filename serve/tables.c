/* tables: the library's own lists as JSON, so that a kernel, operator,
 * schedule or toy added to the library shows in the page's menus unchanged. */
#include <string.h>

#include "drift/dist.h"
#include "drift/engine.h"
#include "drift/kernel.h"
#include "drift/operator.h"
#include "drift/schedule.h"
#include "lab.h"
#include "run/options.h"

static void optional_string(lab_text *t, const char *key, const char *value)
{
    lab_text_printf(t, ",\"%s\":", key);
    if (value)
        lab_text_json_string(t, value);
    else
        lab_text_printf(t, "null");
}

static void kernels(lab_text *t)
{
    lab_text_printf(t, "\"kernels\":[");
    for (size_t i = 0; i < dl_kernel_family_count(); i++) {
        const dl_kernel_family *f = dl_kernel_family_at(i);
        lab_text_printf(t, "%s{\"name\":", i ? "," : "");
        lab_text_json_string(t, f->name);
        optional_string(t, "parameter", f->parameter);
        optional_string(t, "range", f->range);
        optional_string(t, "formula", f->formula);
        optional_string(t, "example", f->example);
        lab_text_printf(t, "}");
    }
    lab_text_printf(t, "]");
}

static void operators(lab_text *t)
{
    lab_text_printf(t, ",\"operators\":[");
    for (size_t i = 0; i < dl_operator_count(); i++) {
        const dl_operator_info *o = dl_operator_at(i);
        lab_text_printf(t, "%s{\"name\":", i ? "," : "");
        lab_text_json_string(t, o->name);
        optional_string(t, "formula", o->formula);
        optional_string(t, "rate", o->rate);
        lab_text_printf(t, "}");
    }
    lab_text_printf(t, "]");
}

/* A list of names from a name-of-index function that answers "?" past the end. */
static void names(lab_text *t, const char *key, const char *(*name_of)(int), const char *skip)
{
    lab_text_printf(t, ",\"%s\":[", key);
    int first = 1;
    for (int i = 0; i < 64; i++) {
        const char *name = name_of(i);
        if (!name || !strcmp(name, "?"))
            break;
        if (skip && !strcmp(name, skip))
            continue;
        lab_text_printf(t, "%s", first ? "" : ",");
        lab_text_json_string(t, name);
        first = 0;
    }
    lab_text_printf(t, "]");
}

static const char *schedule_name(int i) { return dl_schedule_kind_name((dl_schedule_kind)i); }
static const char *dist_name(int i) { return dl_dist_kind_name((dl_dist_kind)i); }
static const char *engine_name(int i) { return dl_engine_name_at((size_t)i); }

static void options(lab_text *t)
{
    lab_text_printf(t, ",\"options\":[");
    const char *fallback, *help;
    for (int i = 0; dl_run_options_describe(i, &fallback, &help); i++) {
        lab_text_printf(t, "%s{\"key\":", i ? "," : "");
        lab_text_json_string(t, dl_run_options_key(i));
        optional_string(t, "default", fallback);
        optional_string(t, "help", help);
        lab_text_printf(t, ",\"flag\":%s}", dl_run_options_is_flag(dl_run_options_key(i)) ? "true" : "false");
    }
    lab_text_printf(t, "]");
}

void lab_tables_json(lab_text *t)
{
    lab_text_printf(t, "{");
    kernels(t);
    operators(t);
    names(t, "schedules", schedule_name, "file");
    names(t, "toys", dist_name, "file");
    names(t, "engines", engine_name, NULL);
    options(t);
    lab_text_printf(t, ",\"limits\":{\"lanes\":%d,\"points\":%d,\"direct_pairs\":%.0f,\"modes\":%d}}",
                    LAB_MAX_LANES, LAB_MAX_POINTS, LAB_MAX_DIRECT_PAIRS, 16);
}
