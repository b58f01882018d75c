/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ed25519 signing keys.
 *
 * Private keys are PEM PKCS#8 files of mode 0600, public keys PEM SubjectPublicKeyInfo.
 * A key's id is the SHA-256 of its raw 32-byte public key, in lowercase hex.
 */
#pragma once

#include <openssl/evp.h>

#include "crypto/sha256.h"
#include "util/cleanup.h"

#define ED25519_SIGNATURE_SIZE 64

/*
 * Generates a key pair and writes STEM.key and STEM.pub. Fails with -EEXIST, writing
 * nothing, if either exists.
 */
int key_generate(const char *stem);

/* A key file larger than this is not one. */
#define KEY_FILE_MAX (64U * 1024U)

/*
 * Load a key file. Return -ENOENT etc. from the file system, -EISDIR for a directory,
 * -EINVAL for anything else that is not a regular file (a FIFO is never opened for a
 * blocking read), -EFBIG above KEY_FILE_MAX, -EBADMSG if the file holds no PEM key of that
 * kind, -ENOKEY for an encrypted private key (no passphrase is asked for), -EKEYREJECTED
 * if it holds a key that is not Ed25519. The caller owns *keyp (EVP_PKEY_free).
 */
int key_load_private(EVP_PKEY **keyp, const char *path);
int key_load_public(EVP_PKEY **keyp, const char *path);

/* The key id of a public or private key. */
int key_id(EVP_PKEY *key, Sha256Digest *idp);

/* Signs data with a private key: 64 bytes into sig. */
int key_sign(EVP_PKEY *key, const void *data, size_t size, uint8_t sig[ED25519_SIGNATURE_SIZE]);

/* True if sig is a valid signature of data by key. */
bool key_verify(EVP_PKEY *key, const void *data, size_t size, const uint8_t sig[ED25519_SIGNATURE_SIZE]);

/* A short, user-facing explanation of a key_load_*() error. */
const char *key_strerror(int r);

DEFINE_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
