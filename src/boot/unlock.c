// SPDX-License-Identifier: Apache-2.0
/*
 * Unlocking encrypted components (see unlock.h for the invariants).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/unlock.h"
#include "util/cleanup.h"
#include "util/secret.h"

int boot_unlock_data_key(const SealRootKey *root, const char *datafs, const ManifestComponent *c,
                         uint8_t data_key[SEAL_DATA_KEY_MAX], size_t *sizep, char *why, size_t size) {
        _cleanup_secret_ uint8_t *secret = NULL;
        _cleanup_free_ uint8_t *blob = NULL;
        _cleanup_free_ char *path = NULL;
        char purpose[SEAL_PURPOSE_MAX + 1];
        size_t blob_size, secret_size;
        SealKeyInfo info;
        int r;

        explicit_bzero(data_key, SEAL_DATA_KEY_MAX);
        if (asprintf(&path, "%s/%s/%s.sealed", datafs, BOOT_UNLOCK_SEALED_DIR, c->encryption_key) < 0)
                return -ENOMEM;
        r = seal_blob_read_file(path, &blob, &blob_size);
        if (r < 0) {
                snprintf(why, size, "key \"%s\": %s/%s.sealed on the DataFS: %s", c->encryption_key,
                         BOOT_UNLOCK_SEALED_DIR, c->encryption_key,
                         r == -EFBIG ? "too large for a sealed key" : r == -EINVAL ? "not a regular file" : strerror(-r));
                return r;
        }
        r = secret_alloc((void **)&secret, SEAL_SECRET_MAX);
        if (r < 0) {
                snprintf(why, size, "%s", strerror(-r));
                return r;
        }
        r = seal_blob_open(root, blob, blob_size, c->encryption_key, SEAL_KEY_AES256, &info, secret, &secret_size);
        if (r != 0) {
                snprintf(why, size, "key \"%s\" does not unseal: %s", c->encryption_key, seal_strerror(r));
                return r;
        }
        if (!(info.use & SEAL_USE_UNWRAP) || secret_size != SEAL_AES256_KEY_SIZE) {
                snprintf(why, size, "key \"%s\": %s", c->encryption_key, seal_strerror(SEAL_E_USE));
                return SEAL_E_USE;
        }
        snprintf(purpose, sizeof(purpose), "component:%s", c->name);
        r = seal_data_key_unwrap(secret, purpose, c->encryption_wrapped_key.data, c->encryption_wrapped_key.size,
                                 data_key, sizep);
        if (r != 0) {
                snprintf(why, size, "key \"%s\" does not unwrap the data key: %s", c->encryption_key, seal_strerror(r));
                return r;
        }
        return 0;
}
