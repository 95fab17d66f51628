/* Files: snapshot round trip, header validation (magic, version, truncation,
 * corruption, NaN), text samples, atomic writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dl_error.h"
#include "base/io.h"
#include "drift/snapshot.h"
#include "test_common.h"

static char dir[] = "/tmp/driftlab-test-io-XXXXXX";

static const char *path_in(const char *name)
{
    static char buf[4][256];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", dir, name);
    return buf[slot];
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void copy_prefix(const char *from, const char *to, long bytes)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    for (long i = 0; i < bytes; i++)
        fputc(fgetc(a), b);
    fclose(a);
    fclose(b);
}

static void write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static int count_files(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

/* unsupported version */
static void test_future_version(const char *snap, long full)
{
    dl_snapshot_header r;
    double *back = NULL;
    const char *t = path_in("version.dlsnap");
    copy_prefix(snap, t, full);
    FILE *f = fopen(t, "r+b");
    fseek(f, 8, SEEK_SET);
    fputc(9, f);
    fclose(f);
    CHECK(dl_snapshot_read(t, &r, &back) == DL_EFORMAT, "future version accepted");
}

/* flipped payload byte: checksum */
static void test_flipped_byte(const char *snap, long full)
{
    dl_snapshot_header r;
    double *back = NULL;
    const char *t = path_in("flip.dlsnap");
    copy_prefix(snap, t, full);
    FILE *f = fopen(t, "r+b");
    fseek(f, full - 100, SEEK_SET);
    int c = fgetc(f);
    fseek(f, full - 100, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
    CHECK(dl_snapshot_read(t, &r, &back) == DL_EFORMAT, "corrupt payload accepted");
}

/* wrong magic */
static void test_wrong_magic(const char *snap, long full)
{
    dl_snapshot_header r;
    double *back = NULL;
    const char *t = path_in("magic.dlsnap");
    copy_prefix(snap, t, full);
    FILE *f = fopen(t, "r+b");
    fputc('X', f);
    fclose(f);
    CHECK(dl_snapshot_read(t, &r, &back) == DL_EFORMAT, "wrong magic accepted");
    CHECK(strstr(dl_error_message(), "magic") != NULL, "message does not name the magic");
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

/* The streamed writer is the same file as one dl_snapshot_write, piece by
 * piece; a wrong count is refused and leaves nothing behind. */
static void test_stream(const char *snap, const dl_snapshot_header *h, const double *x,
                        const dl_provenance *prov)
{
    dl_snapshot_stream w;
    const char *streamed = path_in("streamed.dlsnap");
    CHECK_OK(dl_snapshot_stream_open(&w, streamed, h, prov));
    const size_t cuts[] = {0, 1, 1, 400, 999, h->count}; /* an empty piece, a single point */
    for (int k = 0; k + 1 < 6; k++)
        CHECK_OK(dl_snapshot_stream_append(&w, x + cuts[k] * h->dim, cuts[k + 1] - cuts[k]));
    CHECK_OK(dl_snapshot_stream_commit(&w));
    CHECK(same_bytes(snap, streamed), "streamed snapshot differs from dl_snapshot_write's");
    const char *short_one = path_in("short.dlsnap");
    CHECK_OK(dl_snapshot_stream_open(&w, short_one, h, prov));
    CHECK_OK(dl_snapshot_stream_append(&w, x, h->count - 1));
    CHECK(dl_snapshot_stream_commit(&w) == DL_EINVAL, "a snapshot one point short was committed");
    CHECK(access(short_one, F_OK) != 0, "a refused snapshot was left behind");
    CHECK_OK(dl_snapshot_stream_open(&w, short_one, h, prov));
    CHECK(dl_snapshot_stream_append(&w, x, h->count + 1) == DL_EINVAL, "an extra point accepted");
    CHECK(access(short_one, F_OK) != 0, "an overfull snapshot was left behind");
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    dl_provenance prov = {"driftlab test --seed 5", 5};
    const size_t n = 1000;
    double *x = malloc(n * 2 * sizeof(double)), *back = NULL;
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = sin(1.0 + i) * 1e3 + 1e-9 * i;
    dl_snapshot_header h = {.dim = 2, .count = n, .seed = 5, .step = 80, .time = 4.0,
                            .sigma = 0.25, .domain_kind = 1, .length = 6.5};
    char snap[256];
    snprintf(snap, sizeof snap, "%s", path_in("a.dlsnap"));
    CHECK_OK(dl_snapshot_write(snap, &h, x, &prov));
    dl_snapshot_header r;
    CHECK_OK(dl_snapshot_read(snap, &r, &back));
    CHECK(back && memcmp(back, x, n * 2 * sizeof(double)) == 0, "snapshot positions differ");
    CHECK(r.dim == 2 && r.count == n && r.seed == 5 && r.step == 80 && r.time == 4.0 &&
              r.sigma == 0.25 && r.domain_kind == 1 && r.length == 6.5,
          "snapshot header fields differ");
    free(back);

    size_t count;
    CHECK_OK(dl_samples_read(snap, 2, &back, &count));
    CHECK(count == n, "samples from snapshot: count %zu", count);
    free(back);
    CHECK(dl_samples_read(snap, 3, &back, &count) == DL_EFORMAT, "dimension mismatch accepted");

    /* truncations at every interesting place */
    long full = file_size(snap);
    long cuts[] = {0, 4, 8, 30, 60, full - 8 * (long)n * 2 + 2, full - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        const char *t = path_in("trunc.dlsnap");
        copy_prefix(snap, t, cuts[i]);
        int st = dl_snapshot_read(t, &r, &back);
        CHECK(st == DL_EFORMAT && back == NULL, "truncated at %ld bytes: status %d", cuts[i], st);
        CHECK(strlen(dl_error_message()) > 10, "no message for truncation");
    }
    test_stream(snap, &h, x, &prov);
    test_wrong_magic(snap, full);
    test_flipped_byte(snap, full);
    test_future_version(snap, full);
    CHECK(dl_snapshot_read(path_in("missing.dlsnap"), &r, &back) == DL_EIO, "missing file");
    /* a NaN written by someone else is caught on read */
    {
        x[7] = NAN;
        const char *t = path_in("nan.dlsnap");
        CHECK_OK(dl_snapshot_write(t, &h, x, &prov));
        CHECK(dl_snapshot_read(t, &r, &back) == DL_EFORMAT, "NaN snapshot accepted");
        x[7] = 0;
    }

    /* text samples */
    write_text(path_in("ok.dat"), "# header\n1 2\n  3.5 -4e-1  # comment\n\n5 6\n");
    CHECK_OK(dl_samples_read(path_in("ok.dat"), 2, &back, &count));
    CHECK(count == 3 && back[2] == 3.5 && back[3] == -0.4 && back[5] == 6, "text samples parsed");
    free(back);
    const char *bad_text[] = {"", "# only comments\n", "1 2\n3\n", "1 2\n3 nan\n", "1 2 3\n",
                              "1 inf\n", "1 x\n"};
    for (size_t i = 0; i < sizeof bad_text / sizeof *bad_text; i++) {
        write_text(path_in("bad.dat"), bad_text[i]);
        CHECK(dl_samples_read(path_in("bad.dat"), 2, &back, &count) == DL_EFORMAT && !back,
              "bad text samples %zu accepted", i);
    }

    /* .dat header and atomicity */
    int before = count_files();
    dl_atomic_file f;
    const char *extra[] = {"kernel gaussian", NULL};
    CHECK_OK(dl_dat_open(&f, path_in("table.dat"), &prov, extra, "t value"));
    fprintf(f.fp, "0 1\n");
    CHECK(access(path_in("table.dat"), F_OK) != 0, "table visible before commit");
    CHECK_OK(dl_atomic_commit(&f));
    FILE *tf = fopen(path_in("table.dat"), "r");
    char line[256];
    int have_cols = 0, have_seed = 0, have_cmd = 0, have_ver = 0, have_blas = 0;
    char blas_line[128];
    snprintf(blas_line, sizeof blas_line, "# blas: %s%s\n", dl_blas_core() ? "OpenBLAS " : "not OpenBLAS",
             dl_blas_core() ? dl_blas_core() : "");
    while (tf && fgets(line, sizeof line, tf)) {
        have_cols |= !strcmp(line, "# columns: t value\n");
        have_seed |= !strcmp(line, "# seed: 5\n");
        have_cmd |= !strcmp(line, "# command: driftlab test --seed 5\n");
        have_ver |= !strncmp(line, "# driftlab ", 11) && strstr(line, "(git ") != NULL;
        have_blas |= !strcmp(line, blas_line);
    }
    if (tf)
        fclose(tf);
    CHECK(have_cols && have_seed && have_cmd && have_ver && have_blas, "dat header incomplete");
    CHECK_OK(dl_dat_open(&f, path_in("aborted.dat"), &prov, NULL, "t"));
    dl_atomic_abort(&f);
    CHECK(count_files() == before + 1, "abort left files behind (%d vs %d)", count_files(),
          before + 1);
    CHECK(dl_atomic_open(&f, "/nonexistent-dir/x.dat", "w") == DL_EIO, "unwritable path");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    free(x);
    return test_report("test_io");
}
