/*
 * assets.h - the portal's static files (web/), embedded in lockboxd at build time.
 *
 * cmake/embed_web.cmake turns every file web/X into an entry served at /assets/X with its
 * type and an ETag (a hash of its bytes); the table is generated, constant and lives as long
 * as the program. http_asset_find answers the entry of a path, or NULL. index.html is the page
 * of every portal route (/, /requests/{id}, ...). Thread-safe: nothing changes.
 */
#ifndef LB_HTTP_ASSETS_H
#define LB_HTTP_ASSETS_H

#include <stddef.h>

struct http_asset {
    const char *path; /* "/assets/js/app.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
    const char *etag; /* quoted, for ETag and If-None-Match */
};

extern const struct http_asset http_assets[];
extern const size_t http_asset_count;

/* The asset served at path, or NULL. */
const struct http_asset *http_asset_find(const char *path);

#endif
