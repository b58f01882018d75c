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
 *  4. The key directory is the key store's own: owned by its user, mode 0700. One another
 *     user owns, or that group or others may write to, is refused at open: someone else
 *     could have deleted, swapped or added files. One only group or others may read (a
 *     build host's mkdir, 0755) is made 0700, logged: no one else could have written it.
 *  5. Every key made here has a record DIR/NAME.created ("NAME TYPE"), written after its
 *     key file; a key loaded without one gets it (a failure to write it is logged). A key whose record is there but whose file is
 *     gone is refused (-ESTALE), never made anew: an identity does not change silently.
 *     The record holds no secret and is not sealed: forging one only refuses a key, which
 *     deleting its file does as well; deleting both is not detected (docs/keystore.md).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "crypto/seal.h"
#include "keystore/key.h"

#define KEYSTORE_DEFAULT_DIR "/data/kos/keystore"
#define KEYSTORE_DEFAULT_ROOT_KEY "/etc/kos/keystore/root.key"
#define KEYSTORE_FILE_SUFFIX ".sealed"
#define KEYSTORE_RECORD_SUFFIX ".created"

typedef struct KeystoreVault KeystoreVault;

/* Why an operation on a key file failed, one line (for the log and the refused app). */
typedef struct KeystoreVaultError {
        char message[256];
} KeystoreVaultError;

/*
 * Opens the key directory (created, mode 0700, if missing) and loads the root key.
 * Returns 0 and *vaultp; -EPERM for a directory another user owns or group or others may
 * write to (invariant 4); a negative errno or positive SealError with err filled in.
 */
int keystore_vault_open(KeystoreVault **vaultp, const char *dir, const char *root_key_path, KeystoreVaultError *err);

/* The same with a root key the caller loaded (the TPM tier's), which the vault takes over
 * whatever the result. */
int keystore_vault_new(KeystoreVault **vaultp, const char *dir, SealRootKey *root, KeystoreVaultError *err);

/* True if key name was made in this directory before (its record is there, invariant 5). */
bool keystore_vault_has_record(KeystoreVault *vault, const char *name);

/* Frees and wipes. Accepts NULL; returns NULL. */
KeystoreVault *keystore_vault_free(KeystoreVault *vault);

/*
 * Loads key name of type from its sealed file. Returns 0 and *keyp; -ENOENT if there is
 * no file and no record; -ESTALE if there is a record but no file (invariant 5); a
 * positive SealError for a blob refused (invariant 2); or a negative errno.
 * err says what and where on failure.
 */
int keystore_vault_load(KeystoreVault *vault, const char *name, SealKeyType type, KeystoreKey **keyp,
                        KeystoreVaultError *err);

/*
 * Creates key name of type and use from secret (size bytes; the caller wipes it), seals
 * it and writes its file and record. Returns 0 and *keyp, -EEXIST if the file exists
 * (invariant 1), -ESTALE if only its record does (invariant 5), or another error as
 * keystore_vault_load().
 */
int keystore_vault_create(KeystoreVault *vault, const char *name, SealKeyType type, unsigned use,
                          const uint8_t *secret, size_t size, KeystoreKey **keyp, KeystoreVaultError *err);

DEFINE_CLEANUP_FUNC(KeystoreVault, keystore_vault_free)
