/* IDX files: round trip (plain and gzip), and every malformed file refused
 * with a message: missing, empty, wrong magic, truncated (plain and gzip),
 * trailing bytes, label count mismatch, label out of range. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_error.h"
#include "images/idx.h"
#include "test_common.h"

static char dir[] = "/tmp/driftlab-test-idx-XXXXXX";

static const char *at(const char *name)
{
    static char buf[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    dl_image_set s = {0}, r = {0};
    s.count = 7, s.rows = 5, s.cols = 4;
    s.pixels = malloc(7 * 20);
    s.labels = malloc(7);
    for (int i = 0; i < 140; i++)
        s.pixels[i] = (unsigned char)(i * 37);
    for (int i = 0; i < 7; i++)
        s.labels[i] = (unsigned char)(i % 10);
    const char *names[2][2] = {{"a-images.gz", "a-labels.gz"}, {"b-images", "b-labels"}};
    for (int g = 0; g < 2; g++) {
        CHECK_OK(dl_idx_write(at(names[g][0]), at(names[g][1]), &s));
        CHECK_OK(dl_idx_read(at(names[g][0]), at(names[g][1]), &r));
        CHECK(r.count == 7 && r.rows == 5 && r.cols == 4 && !memcmp(r.pixels, s.pixels, 140) &&
                  !memcmp(r.labels, s.labels, 7),
              "round trip %s differs", names[g][0]);
        dl_image_set_free(&r);
    }
    /* damaged copies of the plain files */
    FILE *f = fopen(at("b-images"), "rb");
    unsigned char img[16 + 140], lab[8 + 7];
    CHECK(fread(img, 1, sizeof img, f) == sizeof img, "read images");
    fclose(f);
    f = fopen(at("b-labels"), "rb");
    CHECK(fread(lab, 1, sizeof lab, f) == sizeof lab, "read labels");
    fclose(f);

    CHECK(dl_idx_read(at("missing"), NULL, &r) == DL_EIO, "missing file accepted");
    write_bytes(at("empty"), img, 0);
    CHECK(dl_idx_read(at("empty"), NULL, &r) == DL_EFORMAT, "empty file accepted");
    unsigned char bad[sizeof img];
    memcpy(bad, img, sizeof img);
    bad[3] = 0x01;
    write_bytes(at("magic"), bad, sizeof img);
    CHECK(dl_idx_read(at("magic"), NULL, &r) == DL_EFORMAT, "wrong magic accepted");
    write_bytes(at("short"), img, sizeof img - 1);
    CHECK(dl_idx_read(at("short"), NULL, &r) == DL_EFORMAT, "truncated file accepted");
    CHECK(strstr(dl_error_message(), "truncated") != NULL, "message does not say truncated");
    unsigned char longer[sizeof img + 1];
    memcpy(longer, img, sizeof img);
    write_bytes(at("long"), longer, sizeof longer);
    CHECK(dl_idx_read(at("long"), NULL, &r) == DL_EFORMAT, "trailing bytes accepted");
    /* gzip cut in the middle of its stream */
    f = fopen(at("a-images.gz"), "rb");
    unsigned char gz[4096];
    size_t ngz = fread(gz, 1, sizeof gz, f);
    fclose(f);
    write_bytes(at("cut.gz"), gz, ngz / 2);
    CHECK(dl_idx_read(at("cut.gz"), NULL, &r) == DL_EFORMAT, "truncated gzip accepted");
    /* labels: count mismatch, value out of range */
    memcpy(bad, lab, sizeof lab);
    bad[7] = 6;
    write_bytes(at("labels-count"), bad, 8 + 6);
    CHECK(dl_idx_read(at("b-images"), at("labels-count"), &r) == DL_EFORMAT, "label count mismatch");
    memcpy(bad, lab, sizeof lab);
    bad[10] = 12;
    write_bytes(at("labels-range"), bad, sizeof lab);
    CHECK(dl_idx_read(at("b-images"), at("labels-range"), &r) == DL_EFORMAT, "label 12 accepted");
    CHECK(r.pixels == NULL && r.labels == NULL, "failed read left buffers behind");

    dl_image_set_free(&s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return test_report("test_idx");
}
