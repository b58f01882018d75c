/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kos-keystore: the client library apps use to reach the key store, kos-keystored.
 *
 * An app uses the keys the signed manifest's key_store node grants it, for the operations
 * it grants, and never sees a private key: the key store signs, agrees on shared secrets, wraps and unwraps
 * for it. kosd hands each granted app one connection to the key store at exec and names it
 * in KOS_KEYSTORE ("keystore=5"); the key store knows the app by that connection alone.
 *
 * Every call returns 0 or a negative errno:
 *   -EACCES        the manifest does not grant this app that operation on that key
 *   -ENOENT        the manifest has no key of that name
 *   -EOPNOTSUPP    the key's type has no such operation (sign with an aes-256 key)
 *   -EEXIST        import: the key exists already
 *   -EKEYREJECTED  the key's sealed file was refused (tampered with, swapped or renamed),
 *                  or is gone while the key store's record says it made the key
 *   -ENOKEY        the key is imported at manufacturing (origin "import") and is not yet
 *   -ENXIO         this app has no connection to the key store (no key is granted to it)
 *   -EBADMSG       the key store found the request malformed (a bad name, size or flag)
 *   -EPROTO        the key store's reply was malformed; the connection is closed
 *   -ECONNRESET    the key store is gone
 *   -ETIMEDOUT     no reply within the timeout (5 s)
 *   -EINVAL        a bad argument, or KOS_KEYSTORE is malformed
 *   -EIO           the key store could not do it (its log says why)
 * After a refusal, kos_keystore_error() is the key store's one-line reason.
 *
 * The library is not thread-safe: one call at a time per process.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KOS_KEYSTORE_ENV "KOS_KEYSTORE"
#define KOS_KEYSTORE_NAME_MAX 63
#define KOS_KEYSTORE_PUBLIC_KEY_SIZE 32
#define KOS_KEYSTORE_SIGNATURE_SIZE 64
#define KOS_KEYSTORE_SHARED_SECRET_SIZE 32
/* Bytes a request may carry (a message to sign, a data key to wrap...). */
#define KOS_KEYSTORE_DATA_MAX 16384

/*
 * kos_keystore_sign() flag: a context-bound signature. The key store signs, with plain
 * Ed25519, the message prefixed by a context naming this app and the key (docs/keystore.md
 * gives the exact bytes), so a signature made for one app's key use cannot be replayed
 * as another's. Verify it with kos_keystore_context_message() and a plain Ed25519 verify.
 */
#define KOS_KEYSTORE_SIGN_CONTEXT 0x1U

/*
 * The keys this app may use, one line each: "NAME TYPE OPERATION,OPERATION\n". The caller
 * frees *listp with free().
 */
int kos_keystore_list(char **listp);

/* The raw 32-byte public key of an ed25519 or x25519 key (generated on first need). */
int kos_keystore_public_key(const char *key, uint8_t public_key[KOS_KEYSTORE_PUBLIC_KEY_SIZE]);

/* An Ed25519 signature of size bytes at data (flags: 0 or KOS_KEYSTORE_SIGN_CONTEXT). */
int kos_keystore_sign(const char *key, unsigned flags, const void *data, size_t size,
                      uint8_t signature[KOS_KEYSTORE_SIGNATURE_SIZE]);

/* X25519: the secret shared with the holder of peer_public_key. */
int kos_keystore_agree(const char *key, const uint8_t peer_public_key[KOS_KEYSTORE_PUBLIC_KEY_SIZE],
                        uint8_t shared_secret[KOS_KEYSTORE_SHARED_SECRET_SIZE]);

/*
 * aes-256: wraps a data key of 16-64 bytes for purpose (a label bound into the result, e.g.
 * "component:site"; 1-127 printable ASCII characters, no space). *wrappedp (free()) holds *wrapped_sizep bytes.
 */
int kos_keystore_wrap(const char *key, const char *purpose, const void *data, size_t size, void **wrappedp,
                      size_t *wrapped_sizep);

/*
 * aes-256: unwraps what kos_keystore_wrap() made for the same key and purpose into out
 * (out_size bytes; 64 always suffice); *sizep is the data key's size. -EKEYREJECTED if it
 * does not open; -EMSGSIZE if the data key is longer than out_size (out is untouched and
 * the connection stays usable).
 */
int kos_keystore_unwrap(const char *key, const char *purpose, const void *wrapped, size_t wrapped_size,
                        void *out, size_t out_size, size_t *sizep);

/*
 * Puts a private key into the key store once (manufacturing): 32 bytes (the Ed25519 seed,
 * the X25519 private key or the AES-256 key). Needs the "import" operation; -EEXIST if the
 * key exists. The key store seals it; nothing ever returns it.
 */
int kos_keystore_import(const char *key, const void *private_key, size_t size);

/*
 * The message a KOS_KEYSTORE_SIGN_CONTEXT signature by app's key signs: the context prefix
 * and data, in *messagep (free()), *sizep bytes. For verifiers.
 */
int kos_keystore_context_message(const char *app, const char *key, const void *data, size_t size,
                                 uint8_t **messagep, size_t *sizep);

/* The key store's reason for the last refusal (one line), or NULL. */
const char *kos_keystore_error(void);

#ifdef __cplusplus
}
#endif
