/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256, the one digest of KOS: object names, manifest identity, key ids.
 * Backed by OpenSSL's EVP interface, which uses the CPU's SHA extensions where present.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"
#include "util/hex.h"

#define SHA256_DIGEST_SIZE 32

typedef struct Sha256Digest {
        uint8_t bytes[SHA256_DIGEST_SIZE];
} Sha256Digest;

/* Streaming context. */
typedef struct Sha256 Sha256;

/* A new context, owned by the caller; NULL if out of memory. */
Sha256 *sha256_new(void);
/* Frees ctx. Accepts NULL; returns NULL. */
Sha256 *sha256_free(Sha256 *ctx);
/* Hashes size more bytes. Returns 0 or -EIO. */
int sha256_update(Sha256 *ctx, const void *data, size_t size);
/* The digest of everything hashed; ctx is spent. Returns 0 or -EIO. */
int sha256_final(Sha256 *ctx, Sha256Digest *digestp);

/* Digest of a buffer. */
int sha256_buffer(const void *data, size_t size, Sha256Digest *digestp);

/* Digest of everything readable from fd (from its current offset); *sizep gets the byte
 * count if sizep is not NULL. */
int sha256_fd(int fd, Sha256Digest *digestp, uint64_t *sizep);

/* Writes the 64 lowercase hex digits and a NUL. */
void sha256_to_hex(const Sha256Digest *digest, char hex[SHA256_HEX_LEN + 1]);
/* Parses exactly 64 lowercase hex digits; -EINVAL otherwise. */
int sha256_from_hex(const char *hex, Sha256Digest *digestp);

/* True if a and b are the same digest. Not constant time: digests are public. */
bool sha256_equal(const Sha256Digest *a, const Sha256Digest *b);

DEFINE_CLEANUP_FUNC(Sha256, sha256_free)
