// SPDX-License-Identifier: Apache-2.0
/*
 * Ed25519 signing keys over OpenSSL.
 *
 * Invariant: key_generate() never leaves one half of a pair behind, and never replaces an
 * existing key: both files are created with O_EXCL, and a failure removes what it made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/buffer.h>
#include <openssl/pem.h>

#include "crypto/key.h"
#include "util/cleanup.h"
#include "util/fileio.h"

/*
 * Writes key as PEM to a new file (O_EXCL). The PEM text is built in memory that is wiped
 * before it is freed, so no copy of a private key outlives this call in our address space.
 */
static int key_write_pem(const char *path, mode_t mode, EVP_PKEY *key, bool private) {
        _cleanup_close_ int fd = -1;
        BIO *bio = BIO_new(BIO_s_secmem());
        BUF_MEM *mem = NULL;
        int r = -EIO;

        if (!bio)
                return -ENOMEM;
        if (private ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_PUBKEY(bio, key))
                BIO_get_mem_ptr(bio, &mem);
        if (mem) {
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
                if (fd < 0)
                        r = -errno;
                else {
                        r = write_full(fd, mem->data, mem->length);
                        if (r >= 0 && fsync(fd) < 0)
                                r = -errno;
                        if (r >= 0 && close(steal_fd(&fd)) < 0)
                                r = -errno;
                }
                OPENSSL_cleanse(mem->data, mem->length);
        }
        BIO_free(bio);
        ERR_clear_error();
        return r;
}

int key_generate(const char *stem) {
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_free_ char *private_path = NULL, *public_path = NULL;
        int r;

        if (asprintf(&private_path, "%s.key", stem) < 0 ||
            asprintf(&public_path, "%s.pub", stem) < 0)
                return -ENOMEM;
        if (access(private_path, F_OK) == 0 || access(public_path, F_OK) == 0)
                return -EEXIST;

        key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        if (!key)
                return -EIO;

        r = key_write_pem(private_path, 0600, key, true);
        if (r < 0) {
                if (r != -EEXIST)
                        (void)unlink(private_path);
                return r;
        }
        r = key_write_pem(public_path, 0644, key, false);
        if (r < 0) {
                (void)unlink(private_path);
                if (r != -EEXIST)
                        (void)unlink(public_path);
                return r;
        }
        return 0;
}

static int key_load(EVP_PKEY **keyp, const char *path, bool private) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        EVP_PKEY *key;

        if (!f)
                return -errno;
        key = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
        ERR_clear_error();
        if (!key)
                return -EBADMSG;
        if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
                EVP_PKEY_free(key);
                return -EKEYREJECTED;
        }
        *keyp = key;
        return 0;
}

int key_load_private(EVP_PKEY **keyp, const char *path) {
        return key_load(keyp, path, true);
}

int key_load_public(EVP_PKEY **keyp, const char *path) {
        return key_load(keyp, path, false);
}

int key_id(EVP_PKEY *key, Sha256Digest *idp) {
        uint8_t raw[32];
        size_t size = sizeof(raw);

        if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != sizeof(raw))
                return -EINVAL;
        return sha256_buffer(raw, size, idp);
}

int key_sign(EVP_PKEY *key, const void *data, size_t size, uint8_t sig[ED25519_SIGNATURE_SIZE]) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t sig_size = ED25519_SIGNATURE_SIZE;
        int r = -EIO;

        if (!md)
                return -ENOMEM;
        if (EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
            EVP_DigestSign(md, sig, &sig_size, data, size) == 1 &&
            sig_size == ED25519_SIGNATURE_SIZE)
                r = 0;
        EVP_MD_CTX_free(md);
        ERR_clear_error();
        return r;
}

bool key_verify(EVP_PKEY *key, const void *data, size_t size, const uint8_t sig[ED25519_SIGNATURE_SIZE]) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok = false;

        if (!md)
                return false;
        if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1)
                ok = EVP_DigestVerify(md, sig, ED25519_SIGNATURE_SIZE, data, size) == 1;
        EVP_MD_CTX_free(md);
        ERR_clear_error();
        return ok;
}

const char *key_strerror(int r) {
        switch (r) {
        case -EBADMSG:
                return "not a PEM key file";
        case -EKEYREJECTED:
                return "not an Ed25519 key";
        case -EEXIST:
                return "key exists; refusing to overwrite it";
        default:
                return strerror(-r);
        }
}
