/* assets: the page's files, compiled into the binary (cmake/embed.cmake
 * writes the table from serve/page/ at build time), so that no URL can reach
 * the file system. */
#ifndef DL_SERVE_ASSETS_H
#define DL_SERVE_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path; /* the URL path, exactly: "/" or "/lab.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t size;
} lab_asset;

/* The asset at exactly this path, or NULL. */
const lab_asset *lab_asset_find(const char *path);

#endif
