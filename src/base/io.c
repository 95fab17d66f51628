#define _GNU_SOURCE /* O_TMPFILE, linkat */
#include "base/io.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "base/dl_error.h"
#include "dl_version.h"

const char *dl_version_string(void) { return DL_VERSION; }
const char *dl_git_hash(void) { return DL_GIT_HASH; }

/* weak, so that another BLAS links too */
extern char *openblas_get_corename(void) __attribute__((weak));

const char *dl_blas_core(void) { return openblas_get_corename ? openblas_get_corename() : NULL; }

/* "OpenBLAS <core>" or "not OpenBLAS": the provenance's blas line */
static void blas_label(char *buf, size_t len)
{
    const char *core = dl_blas_core();
    snprintf(buf, len, "%s%s", core ? "OpenBLAS " : "not OpenBLAS", core ? core : "");
}

/* ---------------- atomic files ---------------- */

/* An unnamed file in the target's directory (O_TMPFILE): a process killed
 * before commit leaves nothing behind, not even a temporary name.  -1 where
 * the file system cannot (the caller falls back to a named temporary). */
static int open_unnamed(const char *path)
{
#ifdef O_TMPFILE
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 1;
    if (n >= sizeof dir)
        return -1;
    memcpy(dir, slash ? path : ".", n);
    dir[slash && n == 0 ? 1 : n] = '\0';
    if (slash && n == 0)
        dir[0] = '/';
    return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#else
    (void)path;
    return -1;
#endif
}

int dl_atomic_open(dl_atomic_file *f, const char *path, const char *mode)
{
    memset(f, 0, sizeof *f);
    size_t len = strlen(path);
    f->path = malloc(len + 1);
    f->tmp_path = malloc(len + 32);
    if (!f->path || !f->tmp_path) {
        free(f->path);
        free(f->tmp_path);
        return dl_error(DL_ENOMEM, "out of memory opening '%s'", path);
    }
    memcpy(f->path, path, len + 1);
    int fd = open_unnamed(path);
    f->unnamed = fd >= 0;
    if (!f->unnamed) {
        snprintf(f->tmp_path, len + 32, "%s.tmp-XXXXXX", path);
        fd = mkstemp(f->tmp_path);
    }
    if (fd < 0 || !(f->fp = fdopen(fd, mode))) {
        int err = errno;
        if (fd >= 0) {
            close(fd);
            if (!f->unnamed)
                unlink(f->tmp_path);
        }
        free(f->path);
        free(f->tmp_path);
        memset(f, 0, sizeof *f);
        return dl_error(DL_EIO, "cannot create '%s': %s", path, strerror(err));
    }
    return DL_OK;
}

/* Links the unnamed file at name; -1 with errno (EEXIST: name is taken). */
static int link_unnamed(const dl_atomic_file *f, const char *name)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(f->fp));
    return linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
}

/* Gives the unnamed file a temporary name beside the target, for rename(). */
static int name_unnamed(dl_atomic_file *f)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(f->tmp_path, strlen(f->path) + 32, "%s.tmp-%ld-%d", f->path, (long)getpid(), attempt);
        if (link_unnamed(f, f->tmp_path) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

/* A new target gets the unnamed file linked straight into place: no name
 * but the final one ever exists.  One that exists already is replaced by
 * rename() from a temporary name, renamed before the file is closed, so a
 * kill leaves a temporary behind only between two system calls. */
int dl_atomic_commit(dl_atomic_file *f)
{
    /* the first failure's errno names the cause */
    int err = ferror(f->fp) ? (errno ? errno : EIO) : 0;
    if (fflush(f->fp) != 0 && !err)
        err = errno;
    if (fsync(fileno(f->fp)) != 0 && errno != EINVAL && !err)
        err = errno;
    int named = !f->unnamed, placed = 0, rename_err = 0; /* mkstemp's temporary is named from the start */
    if (!err && f->unnamed && !(placed = link_unnamed(f, f->path) == 0) && errno != EEXIST)
        err = errno;
    if (!err && !placed && f->unnamed && !(named = name_unnamed(f) == 0))
        err = errno;
    if (!err && !placed && rename(f->tmp_path, f->path) != 0)
        rename_err = errno;
    if (fclose(f->fp) != 0 && !err && !rename_err)
        err = errno;
    f->fp = NULL;
    int st = DL_OK;
    if (err || rename_err) {
        st = err ? dl_error(DL_EIO, "writing '%s' failed: %s", f->path, strerror(err))
                 : dl_error(DL_EIO, "cannot rename into '%s': %s", f->path, strerror(rename_err));
        if (named && !placed)
            unlink(f->tmp_path);
    } else if (!f->unnamed) {
        /* mkstemp creates 0600; outputs are ordinary files */
        mode_t mask = umask(0);
        umask(mask);
        chmod(f->path, 0666 & ~mask);
    }
    free(f->path);
    free(f->tmp_path);
    memset(f, 0, sizeof *f);
    return st;
}

void dl_atomic_abort(dl_atomic_file *f)
{
    if (f->fp) {
        fclose(f->fp);
        if (!f->unnamed)
            unlink(f->tmp_path);
    }
    free(f->path);
    free(f->tmp_path);
    memset(f, 0, sizeof *f);
}

/* ---------------- .dat ---------------- */

void dl_provenance_write(FILE *fp, const dl_provenance *prov, const char *comment)
{
    fprintf(fp, "%s driftlab %s (git %s)\n", comment, DL_VERSION, DL_GIT_HASH);
    /* Wrapped, because INI readers (inih) cap lines at 200 characters. */
    const char *cmd = prov && prov->command_line ? prov->command_line : "";
    size_t len = strlen(cmd), chunk = 150;
    fprintf(fp, "%s command: %.*s\n", comment, (int)(len < chunk ? len : chunk), cmd);
    for (size_t at = chunk; at < len; at += chunk)
        fprintf(fp, "%s   ... %.*s\n", comment, (int)(len - at < chunk ? len - at : chunk), cmd + at);
    fprintf(fp, "%s seed: %lu\n", comment, prov ? prov->seed : 0ul);
    char blas[64];
    blas_label(blas, sizeof blas);
    fprintf(fp, "%s blas: %s\n", comment, blas);
}

void dl_provenance_format(char *buf, size_t len, const dl_provenance *prov)
{
    char blas[64];
    blas_label(blas, sizeof blas);
    snprintf(buf, len, "driftlab %s (git %s)\ncommand: %s\nseed: %lu\nblas: %s\n", DL_VERSION,
             DL_GIT_HASH, prov && prov->command_line ? prov->command_line : "",
             prov ? prov->seed : 0ul, blas);
}

int dl_dat_open(dl_atomic_file *f, const char *path, const dl_provenance *prov,
                const char *const *extra_lines, const char *columns)
{
    int st = dl_atomic_open(f, path, "w");
    if (st)
        return st;
    dl_dat_write_header(f->fp, prov, extra_lines, columns);
    return DL_OK;
}

void dl_dat_write_header(FILE *fp, const dl_provenance *prov, const char *const *extra_lines,
                         const char *columns)
{
    dl_provenance_write(fp, prov, "#");
    for (const char *const *l = extra_lines; l && *l; l++)
        fprintf(fp, "# %s\n", *l);
    fprintf(fp, "# columns: %s\n", columns);
}

int dl_mkdir_p(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf || !*path)
        return dl_error(DL_EINVAL, "bad output directory '%s'", path);
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return dl_error(DL_EIO, "cannot create directory '%s': %s", buf, strerror(errno));
            *p = saved;
            if (!saved)
                break;
        }
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return dl_error(DL_EIO, "output path '%s' is not a directory", path);
    if (access(path, W_OK) != 0)
        return dl_error(DL_EIO, "output directory '%s' is not writable", path);
    return DL_OK;
}
