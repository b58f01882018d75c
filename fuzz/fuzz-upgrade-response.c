// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: what kos upgrade reads from an HTTP source besides bodies it hashes: the
 * Content-Range header of a 206 answer, and the path guard every source path passes. The
 * first byte picks which. Oracles: a parsed range is one a real file could have
 * (first <= last < length) and parsing never reads past size (ASan); a path the guard
 * accepts is relative and has no "." or ".." component.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "update/content-range.h"
#include "update/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *path) {
        const char *p = path;

        if (!update_source_path_is_safe(path))
                return;
        if (path[0] == '/')
                abort();
        while (*p) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        abort();
                p = *end ? end + 1 : end;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        if (data[0] & 1) {
                /* An exact-size heap copy, so ASan sees any read past the value. */
                char *value = malloc(size - 1 ? size - 1 : 1);
                UpdateContentRange range;

                if (!value)
                        return 0;
                memcpy(value, data + 1, size - 1);
                if (update_content_range_parse(value, size - 1, &range) == 0 &&
                    (range.first > range.last || (range.has_length && range.length <= range.last)))
                        abort();
                free(value);
        } else {
                char *path = strndup((const char *)data + 1, size - 1);

                if (!path)
                        return 0;
                check_path(path);
                free(path);
        }
        return 0;
}
