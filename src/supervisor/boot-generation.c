// SPDX-License-Identifier: Apache-2.0
/*
 * The chosen generation's manifest, for kosd --store (see boot-generation.h).
 * Invariant: only reads the store; the boot decision and confirmation stay with src/boot.
 */
#include <errno.h>
#include <string.h>

#include "store/object.h"
#include "store/ref.h"
#include "store/store.h"
#include "supervisor/boot-generation.h"
#include "util/log.h"

int boot_generation_manifest(const char *store_dir, char **manifest_pathp) {
        Store *store = NULL;
        StoreRef ref;
        char hex[SHA256_HEX_LEN + 1];
        int r;

        r = store_open(&store, store_dir, STORE_OPEN_READ);
        if (r < 0)
                return log_error_errno(r, "%s: cannot open store: %s", store_dir, strerror(-r));
        r = store_ref_read(store, STORE_REF_BOOTED, &ref);
        if (r < 0) {
                log_error("%s: no boot decision (refs/%s: %s); run 'kos boot select' first", store_dir,
                          STORE_REF_BOOTED, strerror(-r));
                store_close(store);
                return r;
        }
        sha256_to_hex(&ref.manifest, hex);
        r = store_object_path(store, hex, manifest_pathp);
        store_close(store);
        if (r < 0)
                return log_error_errno(r, "%s: manifest %s: %s", store_dir, hex, strerror(-r));
        return 0;
}
