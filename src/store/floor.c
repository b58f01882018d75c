// SPDX-License-Identifier: Apache-2.0
/*
 * The version floor, in <store>/floor.
 *
 * Invariant: store_floor_raise() never lowers it, and replaces the file atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/state-file.h"
#include "store/store.h"
#include "util/cleanup.h"

int store_floor_get(const Store *store, uint32_t *floorp) {
        _cleanup_free_ char *text = NULL;
        unsigned v;
        size_t n;
        int r;

        r = store_read_file(store, "floor", 15, &text, &n);
        if (r == -ENOENT) {
                *floorp = 0;
                return 0;
        }
        if (r < 0)
                return r;
        if (n < 2 || text[n - 1] != '\n')
                return -EBADMSG;
        text[n - 1] = '\0';
        if (strlen(text) != n - 1 || store_state_file_parse_unsigned(text, 0, UINT32_MAX, &v) < 0)
                return -EBADMSG;
        *floorp = v;
        return 0;
}

int store_floor_raise(Store *store, uint32_t version) {
        uint32_t current;
        char buf[16];
        int r;

        r = store_floor_get(store, &current);
        if (r == -EBADMSG)
                current = 0; /* damaged: the version being confirmed replaces it */
        else if (r < 0)
                return r;
        if (version <= current)
                return 0;
        snprintf(buf, sizeof(buf), "%u\n", (unsigned)version);
        return store_replace_file(store, "floor", buf, strlen(buf));
}
