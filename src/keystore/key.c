// SPDX-License-Identifier: Apache-2.0
/*
 * Keys in kos-keystored's memory (see key.h for invariants 1-3).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "keystore/key.h"
#include "util/secret.h"

/* OpenSSL's secure heap: room for many keys (an ECX private key takes 32 bytes). */
#define KEYSTORE_SECURE_HEAP_SIZE (64 * 1024)
#define KEYSTORE_SECURE_HEAP_MIN 32

int keystore_key_init_secure_heap(void) {
        if (CRYPTO_secure_malloc_initialized())
                return 0;
        /* 1: the heap is locked and excluded from dumps; 2: as 1, but mlock was refused. */
        return CRYPTO_secure_malloc_init(KEYSTORE_SECURE_HEAP_SIZE, KEYSTORE_SECURE_HEAP_MIN) == 0 ? -ENOMEM : 0;
}

int keystore_key_random(uint8_t secret[SEAL_SECRET_MAX], size_t size) {
        if (size > SEAL_SECRET_MAX)
                return -EINVAL;
        return RAND_priv_bytes(secret, (int)size) == 1 ? 0 : -EIO;
}

/*
 * An EVP_PKEY for one operation (invariant 1): private and public key given, so OpenSSL
 * derives nothing. The caller frees it at once; EVP_PKEY_free() wipes the private copy.
 */
static EVP_PKEY *keystore_key_pkey(const KeystoreKey *key, bool with_public) {
        OSSL_PARAM params[3];
        EVP_PKEY_CTX *ctx;
        EVP_PKEY *pkey = NULL;
        size_t n = 0;

        ctx = EVP_PKEY_CTX_new_from_name(NULL, key->type == SEAL_KEY_ED25519 ? "ED25519" : "X25519", NULL);
        if (!ctx)
                return NULL;
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, key->secret, 32);
        if (with_public)
                params[n++] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)key->public_key,
                                                                KOS_KEYSTORE_PUBLIC_KEY_SIZE);
        params[n] = OSSL_PARAM_construct_end();
        if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
                pkey = NULL;
        EVP_PKEY_CTX_free(ctx);
        return pkey;
}

int keystore_key_new(KeystoreKey **keyp, SealKeyType type, unsigned use, const uint8_t *secret, size_t size) {
        _cleanup_(keystore_key_freep) KeystoreKey *key = NULL;
        size_t n = KOS_KEYSTORE_PUBLIC_KEY_SIZE;
        EVP_PKEY *pkey;
        int r;

        if (size != seal_key_type_secret_size(type) || size != 32 || (use & ~seal_key_type_uses(type)))
                return -EINVAL;
        key = calloc(1, sizeof(*key));
        if (!key)
                return -ENOMEM;
        key->type = type;
        key->use = use;
        r = secret_alloc((void **)&key->secret, size);
        if (r < 0)
                return r;
        memcpy(key->secret, secret, size);
        switch (type) {
        case SEAL_KEY_ED25519:
        case SEAL_KEY_X25519:
                /* Once, to learn the public key; later operations pass it in. */
                pkey = keystore_key_pkey(key, false);
                r = pkey && EVP_PKEY_get_raw_public_key(pkey, key->public_key, &n) == 1 &&
                                    n == sizeof(key->public_key) ? 0 : -EIO;
                EVP_PKEY_free(pkey);
                if (r < 0)
                        return r;
                break;
        case SEAL_KEY_AES256:
                break;
        default:
                return -EINVAL;
        }
        *keyp = steal_ptr(&key);
        return 0;
}

KeystoreKey *keystore_key_free(KeystoreKey *key) {
        if (!key)
                return NULL;
        secret_free(key->secret);
        free(key);
        return NULL;
}

int keystore_key_sign(KeystoreKey *key, const uint8_t *prefix, size_t prefix_size, const uint8_t *data, size_t size,
                      uint8_t signature[KOS_KEYSTORE_SIGNATURE_SIZE]) {
        static uint8_t message[KOS_KEYSTORE_DATA_MAX + 512];
        EVP_MD_CTX *ctx;
        EVP_PKEY *pkey;
        size_t n = KOS_KEYSTORE_SIGNATURE_SIZE;
        const uint8_t *m = data;
        int ok;

        if (key->type != SEAL_KEY_ED25519 || !(key->use & SEAL_USE_SIGN))
                return -EOPNOTSUPP;
        if (prefix_size) {
                if (prefix_size + size > sizeof(message))
                        return -EINVAL;
                memcpy(message, prefix, prefix_size);
                if (size)
                        memcpy(message + prefix_size, data, size);
                m = message;
                size += prefix_size;
        }
        pkey = keystore_key_pkey(key, true);
        ctx = EVP_MD_CTX_new();
        ok = pkey && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
             EVP_DigestSign(ctx, signature, &n, m ? m : (const uint8_t *)"", size) == 1 &&
             n == KOS_KEYSTORE_SIGNATURE_SIZE;
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(pkey);
        return ok ? 0 : -EIO;
}

int keystore_key_agree(KeystoreKey *key, const uint8_t peer[KOS_KEYSTORE_PUBLIC_KEY_SIZE],
                       uint8_t shared[KOS_KEYSTORE_SHARED_SECRET_SIZE]) {
        EVP_PKEY *peer_key, *pkey;
        EVP_PKEY_CTX *ctx;
        size_t n = KOS_KEYSTORE_SHARED_SECRET_SIZE;
        int r = -EINVAL;

        if (key->type != SEAL_KEY_X25519 || !(key->use & SEAL_USE_AGREE))
                return -EOPNOTSUPP;
        peer_key = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, KOS_KEYSTORE_PUBLIC_KEY_SIZE);
        if (!peer_key)
                return -EINVAL;
        pkey = keystore_key_pkey(key, true);
        ctx = pkey ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;
        /* OpenSSL refuses a peer key of small order, whose shared secret would be zero. */
        if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer_key) == 1 &&
            EVP_PKEY_derive(ctx, shared, &n) == 1 && n == KOS_KEYSTORE_SHARED_SECRET_SIZE)
                r = 0;
        if (r < 0)
                OPENSSL_cleanse(shared, KOS_KEYSTORE_SHARED_SECRET_SIZE);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pkey);
        EVP_PKEY_free(peer_key);
        return r;
}
