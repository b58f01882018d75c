// SPDX-License-Identifier: Apache-2.0
/*
 * The version floor, in <store>/floor.
 *
 * Invariants:
 *  1. store_floor_raise() never lowers it, and replaces the file atomically.
 *  2. A missing file reads as 0 only while refs/current does not exist; after that it is
 *     damage (-EBADMSG), like a malformed file, never a floor of 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/ref.h"
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
                StoreRef current;

                /*
                 * Absent means 0 only before the first confirmed boot. Once refs/current
                 * exists a floor was due (confirm writes refs/current, then the floor), so
                 * its absence is damage, as a malformed file is: read as 0 it would
                 * allow a rollback.
                 */
                r = store_ref_read(store, STORE_REF_CURRENT, &current);
                if (r == -ENOENT) {
                        *floorp = 0;
                        return 0;
                }
                return r < 0 && r != -EBADMSG ? r : -EBADMSG;
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
