/* Looking up the embedded portal files (the table is generated from web/ at build time). */
#include "http/assets.h"

#include <string.h>

#include "util/banned.h"

const struct http_asset *http_asset_find(const char *path)
{
    for (size_t i = 0; i < http_asset_count; i++)
        if (strcmp(http_assets[i].path, path) == 0)
            return &http_assets[i];
    return NULL;
}
