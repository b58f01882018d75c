/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KeystoreKey: one key as kos-keystored holds it in memory, and what can be done with it.
 *
 * Invariants:
 *  1. Private bytes live only in secret memory (util/secret.h: locked, excluded from core
 *     dumps, wiped on free) or in OpenSSL's secure heap, which kos-keystored sets up before
 *     any key exists (keystore_key_init_secure_heap()): an Ed25519 or X25519 EVP_PKEY keeps
 *     its private key there. The raw bytes a key was made from are wiped once it is made.
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
        EVP_PKEY *pkey;     /* owned: ed25519, x25519 */
        uint8_t *secret;    /* owned, secret memory: aes-256 (32 bytes) */
        uint8_t public_key[KOS_KEYSTORE_PUBLIC_KEY_SIZE]; /* ed25519, x25519 */
} KeystoreKey;

/*
 * Makes OpenSSL keep private keys in a locked heap excluded from core dumps. Call once,
 * before any key exists. Returns 0, or -ENOMEM if OpenSSL could not set it up.
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
