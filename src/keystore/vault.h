/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key store's keys at rest: key NAME is the sealed blob DIR/NAME.sealed
 * (src/crypto/seal.h: AES-256-GCM under the device root key, with the key's name, type and
 * granted use as authenticated data). On a device DIR is /data/kos/keystore and the root
 * key the file /etc/kos/keystore/root.key.
 *
 * Invariants:
 *  1. A key file is created whole or not at all and never replaced (write_file_new()):
 *     two creators of one key cannot both win, and an existing key is never overwritten.
 *  2. A blob opens only for the name and type asked for; one sealed for another name,
 *     type or root key, or altered in any byte, is refused with the sealing module's
 *     reason, and nothing is created in its place.
 *  3. The root key stays in secret memory for the vault's life; key bytes exist outside
 *     a KeystoreKey only in a secret-memory buffer wiped before these functions return.
 */
#pragma once

#include <stddef.h>

#include "crypto/seal.h"
#include "keystore/key.h"

#define KEYSTORE_DEFAULT_DIR "/data/kos/keystore"
#define KEYSTORE_DEFAULT_ROOT_KEY "/etc/kos/keystore/root.key"
#define KEYSTORE_FILE_SUFFIX ".sealed"

typedef struct KeystoreVault KeystoreVault;

/* Why an operation on a key file failed, one line (for the log and the refused app). */
typedef struct KeystoreVaultError {
        char message[256];
} KeystoreVaultError;

/*
 * Opens the key directory (created, mode 0700, if missing) and loads the root key.
 * Returns 0 and *vaultp; a negative errno or positive SealError with err filled in.
 */
int keystore_vault_open(KeystoreVault **vaultp, const char *dir, const char *root_key_path, KeystoreVaultError *err);

/* The same with a root key the caller loaded (the TPM tier's), which the vault takes over
 * whatever the result. */
int keystore_vault_new(KeystoreVault **vaultp, const char *dir, SealRootKey *root, KeystoreVaultError *err);

/* Frees and wipes. Accepts NULL; returns NULL. */
KeystoreVault *keystore_vault_free(KeystoreVault *vault);

/*
 * Loads key name of type from its sealed file. Returns 0 and *keyp; -ENOENT if there is
 * no file; a positive SealError for a blob refused (invariant 2); or a negative errno.
 * err says what and where on failure.
 */
int keystore_vault_load(KeystoreVault *vault, const char *name, SealKeyType type, KeystoreKey **keyp,
                        KeystoreVaultError *err);

/*
 * Creates key name of type and use from secret (size bytes; the caller wipes it), seals
 * it and writes its file. Returns 0 and *keyp, -EEXIST if the file exists (invariant 1),
 * or another error as keystore_vault_load().
 */
int keystore_vault_create(KeystoreVault *vault, const char *name, SealKeyType type, unsigned use,
                          const uint8_t *secret, size_t size, KeystoreKey **keyp, KeystoreVaultError *err);

DEFINE_CLEANUP_FUNC(KeystoreVault, keystore_vault_free)
