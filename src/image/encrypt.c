// SPDX-License-Identifier: Apache-2.0
/*
 * Encrypted component images (see encrypt.h for the format).
 *
 * Invariants: 1. Sector n (counted in 512-byte units from the image's start, whatever the
 * sector size) is encrypted as one XTS data unit with the tweak n, little-endian in 16
 * bytes: plain64's IV. 2. out is never left half-written: the bytes go to a new temporary
 * file of a random name (O_EXCL: two runs for one out never share it, a stale one is never
 * reused) that is renamed over out only once complete and synced, and the directory is
 * synced after; each step passes a crash point (util/fault.h), so a test can cut the power
 * at any of them. 3. The key schedule lives in an
 * OpenSSL cipher context, which OpenSSL wipes when freed; the caller's key is not copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "image/encrypt.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/fileio.h"

#define ENCRYPT_CHUNK (1024U * 1024U)

static int encrypt_what(char *buf, size_t size, int r, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int encrypt_what(char *buf, size_t size, int r, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, ": %s", strerror(-r));
        return r;
}

bool image_encrypt_sector_size_is_valid(unsigned sector_size) {
        return sector_size == 512 || sector_size == 1024 || sector_size == 2048 || sector_size == 4096;
}

/* Reads up to size bytes, fewer only at the end of the file. */
static ssize_t read_up_to(int fd, uint8_t *buf, size_t size) {
        size_t got = 0;

        while (got < size) {
                ssize_t n = read(fd, buf + got, size - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

/* Encrypts size bytes (whole sectors) in place, the first being 512-byte sector first. */
static int encrypt_sectors(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t size, unsigned sector_size, uint64_t first) {
        for (size_t off = 0; off < size; off += sector_size) {
                uint64_t n = first + off / 512;
                uint8_t iv[16] = {};
                int len = 0;

                for (unsigned i = 0; i < 8; i++)
                        iv[i] = (uint8_t)(n >> (8 * i));
                if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1 ||
                    EVP_EncryptUpdate(ctx, buf + off, &len, buf + off, (int)sector_size) != 1 ||
                    (unsigned)len != sector_size)
                        return -EIO;
        }
        return 0;
}

int image_encrypt(const char *in, const char *out, const uint8_t data_key[IMAGE_ENCRYPT_KEY_SIZE],
                  unsigned sector_size, uint64_t *sizep, char *whatbuf, size_t whatsize) {
        _cleanup_close_ int in_fd = -1, out_fd = -1;
        _cleanup_free_ char *tmp = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        EVP_CIPHER_CTX *ctx = NULL;
        uint64_t total = 0;
        struct stat st;
        int r = 0;

        if (!image_encrypt_sector_size_is_valid(sector_size))
                return encrypt_what(whatbuf, whatsize, -EINVAL, "sector size %u (512, 1024, 2048 or 4096)", sector_size);
        r = fault_read_check(in);
        if (r < 0)
                return encrypt_what(whatbuf, whatsize, r, "%s", in);
        in_fd = open(in, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in_fd < 0)
                return encrypt_what(whatbuf, whatsize, -errno, "%s", in);
        if (fstat(in_fd, &st) < 0)
                return encrypt_what(whatbuf, whatsize, -errno, "%s", in);
        if (!S_ISREG(st.st_mode) || st.st_size == 0)
                return encrypt_what(whatbuf, whatsize, -EINVAL, "%s: not a non-empty regular file", in);
        if (!(buf = malloc(ENCRYPT_CHUNK)))
                return encrypt_what(whatbuf, whatsize, -ENOMEM, "%s", out);
        out_fd = -EEXIST;
        for (unsigned attempt = 0; out_fd == -EEXIST && attempt < 16; attempt++) {
                uint64_t bits = 0;

                (void)getrandom(&bits, sizeof(bits), GRND_NONBLOCK);
                free(tmp);
                if (asprintf(&tmp, "%s.tmp.%016llx", out, (unsigned long long)(bits ^ attempt)) < 0) {
                        tmp = NULL;
                        return encrypt_what(whatbuf, whatsize, -ENOMEM, "%s", out);
                }
                out_fd = fault_openat_create(AT_FDCWD, tmp, O_WRONLY | O_EXCL | O_NOFOLLOW, 0644);
        }
        if (out_fd < 0)
                return encrypt_what(whatbuf, whatsize, out_fd, "%s", tmp);

        ctx = EVP_CIPHER_CTX_new();
        if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_256_xts(), NULL, data_key, NULL) != 1) {
                r = encrypt_what(whatbuf, whatsize, -EIO, "aes-xts-plain64 with this key");
                goto fail;
        }
        for (;;) {
                ssize_t n = read_up_to(in_fd, buf, ENCRYPT_CHUNK);
                size_t padded;

                if (n < 0) {
                        r = encrypt_what(whatbuf, whatsize, (int)n, "%s", in);
                        goto fail;
                }
                if (n == 0)
                        break;
                /* Only the last chunk can be short: pad it to a whole sector. */
                padded = ((size_t)n + sector_size - 1) / sector_size * sector_size;
                memset(buf + n, 0, padded - (size_t)n);
                r = encrypt_sectors(ctx, buf, padded, sector_size, total / 512);
                if (r < 0) {
                        r = encrypt_what(whatbuf, whatsize, r, "aes-xts-plain64");
                        goto fail;
                }
                r = fault_write(out_fd, buf, padded, out);
                if (r < 0) {
                        encrypt_what(whatbuf, whatsize, r, "%s", tmp);
                        goto fail;
                }
                total += padded;
                if ((size_t)n < ENCRYPT_CHUNK)
                        break;
        }
        r = fault_fsync(out_fd, out);
        if (r >= 0)
                r = fault_renameat(AT_FDCWD, tmp, AT_FDCWD, out);
        if (r < 0) {
                encrypt_what(whatbuf, whatsize, r, "%s", out);
                goto fail;
        }
        /* Renamed: out is whole; a failing directory sync only leaves the rename undurable. */
        r = fsync_parent_dir(out);
        if (r < 0) {
                EVP_CIPHER_CTX_free(ctx);
                return encrypt_what(whatbuf, whatsize, r, "%s: syncing its directory", out);
        }
        EVP_CIPHER_CTX_free(ctx);
        *sizep = total;
        return 0;
fail:
        EVP_CIPHER_CTX_free(ctx);
        ERR_clear_error();
        (void)unlink(tmp);
        return r;
}
