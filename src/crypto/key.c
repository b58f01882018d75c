// SPDX-License-Identifier: Apache-2.0
/*
 * Ed25519 signing keys over OpenSSL.
 *
 * Invariants: key_generate() never leaves one half of a pair or a partly written key
 * behind, and never replaces an existing key: each file is written whole and published
 * with write_file_new(), and a failure removes what it made. No copy of private key
 * material we make (PEM text written or read) is freed without being wiped; key files are
 * read only into secret memory (util/secret.h), locked and kept out of core dumps. No
 * passphrase is ever asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/buffer.h>
#include <openssl/pem.h>

#include "crypto/key.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/secret.h"

/*
 * Writes key as PEM to a new file, complete or not at all, never replacing one. The PEM
 * text is built in memory that is wiped before it is freed, so no copy of a private key
 * outlives this call in our address space.
 */
static int key_write_pem(const char *path, mode_t mode, EVP_PKEY *key, bool private) {
        BIO *bio = BIO_new(BIO_s_secmem());
        BUF_MEM *mem = NULL;
        int r = -EIO;

        if (!bio)
                return -ENOMEM;
        if (private ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) : PEM_write_bio_PUBKEY(bio, key))
                BIO_get_mem_ptr(bio, &mem);
        if (mem) {
                r = write_file_new(path, mem->data, mem->length, mode);
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
        /* Checked first so that nothing is written; write_file_new() closes the race. */
        if (access(private_path, F_OK) == 0 || access(public_path, F_OK) == 0)
                return -EEXIST;

        key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        ERR_clear_error();
        if (!key)
                return -EIO;

        r = key_write_pem(private_path, 0600, key, true);
        if (r < 0)
                return r;
        r = key_write_pem(public_path, 0644, key, false);
        if (r < 0) {
                /* Ours: write_file_new() created it a moment ago. */
                (void)unlink(private_path);
                return r;
        }
        return 0;
}

/* Encrypted private keys are refused, never prompted for: kos runs unattended too. */
static int key_no_passphrase(char *buf, int size, int rwflag, void *userdata) {
        return -1;
}

/* A key file's bytes, in secret memory (util/secret.h). */
typedef struct KeyText {
        char *data; /* owned: secret memory, wiped when freed */
        size_t size;
} KeyText;

static void key_text_done(KeyText *t) {
        t->data = secret_free(t->data);
}

/*
 * Reads a key file whole into secret memory. Only a regular file of at most KEY_FILE_MAX
 * bytes is read: a directory, FIFO or device in a trust directory is an error, not a hang.
 */
static int key_read_file(const char *path, KeyText *t) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > KEY_FILE_MAX)
                return -EFBIG;
        return secret_read_fd(fd, KEY_FILE_MAX, &t->data, &t->size);
}

static int key_load(EVP_PKEY **keyp, const char *path, bool private) {
        _cleanup_(key_text_done) KeyText text = {};
        EVP_PKEY *key;
        BIO *bio;
        int r;

        r = key_read_file(path, &text);
        if (r < 0)
                return r;
        bio = BIO_new_mem_buf(text.data, (int)text.size);
        if (!bio)
                return -ENOMEM;
        key = private ? PEM_read_bio_PrivateKey(bio, NULL, key_no_passphrase, NULL)
                      : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        ERR_clear_error();
        if (!key) {
                if (private && memmem(text.data, text.size, "ENCRYPTED", strlen("ENCRYPTED")))
                        return -ENOKEY;
                return -EBADMSG;
        }
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
        case -ENOKEY:
                return "encrypted private key; kos reads only unencrypted PKCS#8 keys";
        case -EINVAL:
                return "not a regular file";
        case -EFBIG:
                return "too large for a key file";
        default:
                return strerror(-r);
        }
}
