/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unlocking an encrypted component: its data key, unwrapped by the device's aes-256 key that
 * the manifest names, unsealed from the DataFS with the device root key (docs/sealing.md).
 *
 * Invariants: 1. Trust in the result comes from the signed manifest (the wrapped key, bound
 * to "component:<name>") and from the root key; the DataFS only holds sealed bytes, each
 * checked by its tag before any of it is used. 2. The device key is unsealed into secret
 * memory and wiped before return, whatever the outcome; only the data key leaves, in the
 * caller's buffer, and only on success. 3. The key must be an aes-256 key sealed under its
 * own name and granted unwrap.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/seal.h"
#include "manifest/manifest.h"

/* Where the root key is in the root file system, and sealed keys on the DataFS. */
#define BOOT_UNLOCK_ROOT_KEY "etc/kos/keystore/root.key"
#define BOOT_UNLOCK_SEALED_DIR "kos/keystore"

/*
 * The data key of the encrypted component c, with its key sealed at
 * <datafs>/kos/keystore/<c->encryption_key>.sealed. Returns 0 with the key in data_key
 * (SEAL_DATA_KEY_MAX bytes, the caller's) and its size in *sizep; otherwise a negative errno
 * or a SealError, with why (size bytes) saying what failed in one line, and data_key zeroed.
 */
int boot_unlock_data_key(const SealRootKey *root, const char *datafs, const ManifestComponent *c,
                         uint8_t data_key[SEAL_DATA_KEY_MAX], size_t *sizep, char *why, size_t size);
