/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KeystoreKey: one key as kos-keystored holds it in memory, and what can be done with it.
 *
 * Invariants:
 *  1. Private bytes live in secret memory (util/secret.h: locked, excluded from core dumps,
 *     wiped on free). OpenSSL 3.0 copies an imported Ed25519 or X25519 private key into its
 *     ordinary heap (its import does not use the secure heap), so no EVP_PKEY with a private
 *     key outlives one operation: each is built from the secret copy (with the public key,
 *     so nothing is recomputed) and freed at once, which wipes OpenSSL's copy.
 *  2. No function returns private bytes: only public keys, signatures, shared secrets and
 *     wrapped or unwrapped data keys leave this file.
 *  3. A key's use is what its sealed blob says (SEAL_USE_* bits); an operation its use does
 *     not include is refused here too, whatever the manifest says today.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/seal.h"
#include "kos/keystore.h"

typedef struct KeystoreKey {
        SealKeyType type;
        unsigned use;       /* SEAL_USE_* */
        uint8_t *secret;    /* owned, secret memory: the 32 private bytes */
        uint8_t public_key[KOS_KEYSTORE_PUBLIC_KEY_SIZE]; /* ed25519, x25519 */
} KeystoreKey;

/*
 * Gives OpenSSL its secure heap (locked, excluded from core dumps) for what it allocates
 * there. Call once, before any key exists. Returns 0, or -ENOMEM.
 */
int keystore_key_init_secure_heap(void);

/* 32 fresh random private bytes (OpenSSL's private DRBG) into secret. */
int keystore_key_random(uint8_t secret[SEAL_SECRET_MAX], size_t size);

/*
 * A key of type and use from its private bytes (size: the type's). The caller keeps and
 * wipes secret. Returns 0 and *keyp, -EINVAL, -ENOMEM or -EIO.
 */
int keystore_key_new(KeystoreKey **keyp, SealKeyType type, unsigned use, const uint8_t *secret, size_t size);

/* Frees and wipes. Accepts NULL; returns NULL. */
KeystoreKey *keystore_key_free(KeystoreKey *key);

/* Ed25519 signature of prefix (may be empty) followed by data. */
int keystore_key_sign(KeystoreKey *key, const uint8_t *prefix, size_t prefix_size, const uint8_t *data, size_t size,
                      uint8_t signature[KOS_KEYSTORE_SIGNATURE_SIZE]);

/* X25519 with the peer's public key; -EINVAL for a peer key that yields no secret. */
int keystore_key_agree(KeystoreKey *key, const uint8_t peer[KOS_KEYSTORE_PUBLIC_KEY_SIZE],
                       uint8_t shared[KOS_KEYSTORE_SHARED_SECRET_SIZE]);

DEFINE_CLEANUP_FUNC(KeystoreKey, keystore_key_free)
