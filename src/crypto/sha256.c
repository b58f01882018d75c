// SPDX-License-Identifier: Apache-2.0
/*
 * SHA-256 over OpenSSL EVP.
 *
 * Invariants: a digest or size reaches its out-parameter only once the whole input was
 * hashed; an OpenSSL failure is -EIO, never a digest of part of the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto/sha256.h"
#include "util/cleanup.h"

/*
 * Files are hashed by read() into a buffer that fits the L2 cache, so each chunk is still
 * cached when it is hashed, and the syscall cost stays far below the hashing cost. This
 * beats mmap(): hashing a mapping of the page cache takes a TLB miss and a fault per 4 KiB
 * page (expensive under virtualisation), while the kernel copies through its huge-page
 * direct map.
 */
#define SHA256_READ_SIZE (256U * 1024U)

struct Sha256 {
        EVP_MD_CTX *md; /* owned */
};

Sha256 *sha256_new(void) {
        Sha256 *ctx = calloc(1, sizeof(*ctx));

        if (!ctx)
                return NULL;
        ctx->md = EVP_MD_CTX_new();
        if (!ctx->md || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1)
                return sha256_free(ctx);
        return ctx;
}

Sha256 *sha256_free(Sha256 *ctx) {
        if (ctx) {
                EVP_MD_CTX_free(ctx->md);
                free(ctx);
        }
        return NULL;
}

int sha256_update(Sha256 *ctx, const void *data, size_t size) {
        return EVP_DigestUpdate(ctx->md, data, size) == 1 ? 0 : -EIO;
}

int sha256_final(Sha256 *ctx, Sha256Digest *digestp) {
        Sha256Digest d;

        if (EVP_DigestFinal_ex(ctx->md, d.bytes, NULL) != 1)
                return -EIO;
        *digestp = d;
        return 0;
}

int sha256_buffer(const void *data, size_t size, Sha256Digest *digestp) {
        Sha256Digest d;

        if (EVP_Digest(data, size, d.bytes, NULL, EVP_sha256(), NULL) != 1)
                return -EIO;
        *digestp = d;
        return 0;
}

int sha256_fd(int fd, Sha256Digest *digestp, uint64_t *sizep) {
        _cleanup_(sha256_freep) Sha256 *ctx = sha256_new();
        _cleanup_free_ uint8_t *buf = malloc(SHA256_READ_SIZE);
        uint64_t total = 0;
        int r;

        if (!ctx || !buf)
                return -ENOMEM;
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        for (;;) {
                ssize_t n = read(fd, buf, SHA256_READ_SIZE);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                r = sha256_update(ctx, buf, (size_t)n);
                if (r < 0)
                        return r;
                total += (uint64_t)n;
        }
        r = sha256_final(ctx, digestp);
        if (r < 0)
                return r;
        if (sizep)
                *sizep = total;
        return 0;
}

void sha256_to_hex(const Sha256Digest *digest, char hex[SHA256_HEX_LEN + 1]) {
        hex_encode(hex, digest->bytes, SHA256_DIGEST_SIZE);
}

int sha256_from_hex(const char *hex, Sha256Digest *digestp) {
        if (!hex_is_sha256(hex))
                return -EINVAL;
        return hex_decode(digestp->bytes, SHA256_DIGEST_SIZE, hex);
}

bool sha256_equal(const Sha256Digest *a, const Sha256Digest *b) {
        return memcmp(a->bytes, b->bytes, SHA256_DIGEST_SIZE) == 0;
}
