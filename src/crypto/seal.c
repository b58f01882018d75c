// SPDX-License-Identifier: Apache-2.0
/*
 * Sealed key blobs and wrapped data keys over OpenSSL's AES-256-GCM.
 *
 * Sealed key blob, version 1 (integers big-endian; docs/sealing.md):
 *
 *     "kos-seal" | u8 version | u8 type | u8 use | u8 name length | u16 secret length |
 *     name | nonce (12) | ciphertext (secret length) | tag (16)
 *
 * Wrapped data key, version 1:
 *
 *     "kos-wrap" | u8 version | u8 purpose length | u16 key length |
 *     purpose | nonce (12) | ciphertext (key length) | tag (16)
 *
 * Invariants:
 *  1. The authenticated data of each is its whole header, magic to nonce: no byte of a blob
 *     outside the ciphertext can change without the tag failing, so a key's name, type and
 *     use, and a data key's purpose, are exactly those it was sealed with.
 *  2. The parsers read no byte past size, accept only the exact length the header gives and
 *     only values the writer can produce (valid names, types, uses that the type allows,
 *     secret sizes of the type, printable purposes).
 *  3. Plaintext is written only to the caller's buffer, and only by a decryption whose tag
 *     verified; on any failure that buffer is wiped. Key schedules live in OpenSSL cipher
 *     contexts, which OpenSSL wipes when they are freed; the root key lives in secret memory.
 *  4. Every seal and wrap takes a fresh random 96-bit nonce from OpenSSL's DRBG.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/seal.h"
#include "util/fileio.h"
#include "util/secret.h"

#define SEAL_BLOB_MAGIC "kos-seal"
#define SEAL_WRAPPED_MAGIC "kos-wrap"
#define SEAL_MAGIC_SIZE 8U
#define SEAL_FORMAT_VERSION 1U
#define SEAL_BLOB_FIXED (SEAL_MAGIC_SIZE + 6U)    /* magic to the secret length */
#define SEAL_WRAPPED_FIXED (SEAL_MAGIC_SIZE + 4U) /* magic to the key length */

struct SealRootKey {
        uint8_t bytes[SEAL_ROOT_KEY_SIZE];
};

const char *seal_strerror(int r) {
        switch (r) {
        case 0:
                return "success";
        case SEAL_E_TRUNCATED:
                return "truncated";
        case SEAL_E_MAGIC:
                return "not a sealed key or wrapped data key (bad magic)";
        case SEAL_E_VERSION:
                return "unsupported format version";
        case SEAL_E_MALFORMED:
                return "malformed (a field out of range, or trailing bytes)";
        case SEAL_E_NAME:
                return "sealed for another key name";
        case SEAL_E_TYPE:
                return "sealed for another key type";
        case SEAL_E_AUTH:
                return "does not authenticate (altered, or sealed under another key)";
        case SEAL_E_PURPOSE:
                return "wrapped for another purpose";
        case SEAL_E_USE:
                return "key not granted that use";
        case SEAL_E_ROOT_KEY_SIZE:
                return "root key file is not 32 bytes";
        case SEAL_E_ROOT_KEY_MODE:
                return "root key file is accessible by group or others (want mode 0400 or 0600)";
        case SEAL_E_ROOT_KEY_FILE:
                return "root key is not a regular file";
        case SEAL_E_INVALID:
                return "invalid key name, type, use, size or purpose";
        case SEAL_E_KEY_FILE_SIZE:
                return "key file has the wrong size";
        case SEAL_E_KEY_FILE_MODE:
                return "key file is accessible by group or others (want mode 0400 or 0600)";
        case SEAL_E_KEY_FILE:
                return "key file is not a regular file";
        default:
                return r < 0 ? strerror(-r) : "unknown sealing error";
        }
}

bool seal_key_name_is_valid(const char *name) {
        size_t n = strnlen(name, SEAL_KEY_NAME_MAX + 1);

        if (n == 0 || n > SEAL_KEY_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

                if (!alnum && (i == 0 || !strchr("_-.+,", c)))
                        return false;
        }
        return true;
}

static const char *const seal_type_names[] = {
        [SEAL_KEY_ED25519] = "ed25519",
        [SEAL_KEY_X25519] = "x25519",
        [SEAL_KEY_AES256] = "aes-256",
};

const char *seal_key_type_to_string(SealKeyType type) {
        if ((unsigned)type >= ELEMENTSOF(seal_type_names))
                return NULL;
        return seal_type_names[type];
}

int seal_key_type_from_string(const char *s, SealKeyType *typep) {
        for (unsigned i = 1; i < ELEMENTSOF(seal_type_names); i++)
                if (strcmp(s, seal_type_names[i]) == 0) {
                        *typep = (SealKeyType)i;
                        return 0;
                }
        return SEAL_E_INVALID;
}

size_t seal_key_type_secret_size(SealKeyType type) {
        switch (type) {
        case SEAL_KEY_ED25519:
        case SEAL_KEY_X25519:
        case SEAL_KEY_AES256:
                return 32;
        default:
                return 0;
        }
}

unsigned seal_key_type_uses(SealKeyType type) {
        switch (type) {
        case SEAL_KEY_ED25519:
                return SEAL_USE_SIGN;
        case SEAL_KEY_X25519:
                return SEAL_USE_AGREE;
        case SEAL_KEY_AES256:
                return SEAL_USE_WRAP | SEAL_USE_UNWRAP;
        default:
                return 0;
        }
}

static const struct {
        const char *name;
        unsigned bit;
} seal_use_names[] = {
        {"sign", SEAL_USE_SIGN},
        {"agree", SEAL_USE_AGREE},
        {"wrap", SEAL_USE_WRAP},
        {"unwrap", SEAL_USE_UNWRAP},
};

int seal_key_use_from_string(const char *s, unsigned *usep) {
        unsigned use = 0;

        for (;;) {
                size_t n = strcspn(s, ",");
                bool found = false;

                for (size_t i = 0; i < ELEMENTSOF(seal_use_names); i++)
                        if (n == strlen(seal_use_names[i].name) && strncmp(s, seal_use_names[i].name, n) == 0) {
                                use |= seal_use_names[i].bit;
                                found = true;
                        }
                if (!found)
                        return SEAL_E_INVALID;
                if (s[n] == '\0')
                        break;
                s += n + 1;
        }
        *usep = use;
        return 0;
}

int seal_key_use_to_string(unsigned use, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return SEAL_E_INVALID;
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(seal_use_names); i++) {
                const char *name = seal_use_names[i].name;
                size_t n = strlen(name);

                if (!(use & seal_use_names[i].bit))
                        continue;
                if (len + (len > 0) + n + 1 > size)
                        return SEAL_E_INVALID;
                if (len > 0)
                        buf[len++] = ',';
                memcpy(buf + len, name, n + 1);
                len += n;
        }
        return 0;
}

bool seal_key_info_is_valid(const SealKeyInfo *info) {
        unsigned allowed = seal_key_type_uses(info->type);

        return seal_key_name_is_valid(info->name) && allowed != 0 && info->use != 0 &&
               (info->use & ~allowed) == 0;
}

bool seal_purpose_is_valid(const char *purpose) {
        size_t n = strnlen(purpose, SEAL_PURPOSE_MAX + 1);

        if (n == 0 || n > SEAL_PURPOSE_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (purpose[i] <= ' ' || purpose[i] > '~')
                        return false;
        return true;
}

int seal_root_key_new(SealRootKey **rootp, const uint8_t bytes[SEAL_ROOT_KEY_SIZE]) {
        SealRootKey *root;
        int r;

        r = secret_alloc((void **)&root, sizeof(SealRootKey));
        if (r < 0)
                return r;
        memcpy(root->bytes, bytes, SEAL_ROOT_KEY_SIZE);
        *rootp = root;
        return 0;
}

SealRootKey *seal_root_key_free(SealRootKey *root) {
        return secret_free(root);
}

/*
 * Reads a raw key file of exactly size bytes into new secret memory: a regular file that
 * neither group nor others may read or write.
 */
int seal_key_file_load(uint8_t **keyp, const char *path, size_t size) {
        _cleanup_close_ int fd = -1;
        _cleanup_secret_ char *key = NULL;
        struct stat st;
        size_t got;
        int r;

        /* Non-blocking, so a FIFO in its place is an error, not a hang. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return SEAL_E_KEY_FILE;
        if (st.st_mode & 077)
                return SEAL_E_KEY_FILE_MODE;
        if (st.st_size < 0 || (uint64_t)st.st_size != size)
                return SEAL_E_KEY_FILE_SIZE;
        /* Straight into secret memory; a file that shrank or grew while read is refused. */
        r = secret_read_fd(fd, size, &key, &got);
        if (r == -EFBIG || (r == 0 && got != size))
                return SEAL_E_KEY_FILE_SIZE;
        if (r < 0)
                return r;
        *keyp = (uint8_t *)steal_ptr(&key);
        return 0;
}

int seal_root_key_load(SealRootKey **rootp, const char *path) {
        _cleanup_secret_ uint8_t *bytes = NULL;
        int r;

        r = seal_key_file_load(&bytes, path, SEAL_ROOT_KEY_SIZE);
        switch (r) {
        case SEAL_E_KEY_FILE:
                return SEAL_E_ROOT_KEY_FILE;
        case SEAL_E_KEY_FILE_MODE:
                return SEAL_E_ROOT_KEY_MODE;
        case SEAL_E_KEY_FILE_SIZE:
                return SEAL_E_ROOT_KEY_SIZE;
        case 0:
                return seal_root_key_new(rootp, bytes);
        default:
                return r;
        }
}

int seal_key_file_generate(const char *path, size_t size) {
        _cleanup_secret_ uint8_t *key = NULL;
        int r;

        if (size == 0 || size > SEAL_SECRET_MAX)
                return SEAL_E_INVALID;
        r = secret_alloc((void **)&key, size);
        if (r < 0)
                return r;
        if (RAND_bytes(key, (int)size) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        return write_file_new(path, key, size, 0400);
}

static void put_u16(uint8_t *p, size_t v) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static size_t get_u16(const uint8_t *p) {
        return (size_t)p[0] << 8 | p[1];
}

/*
 * AES-256-GCM over one buffer with ad as authenticated data. Encrypting writes the tag to
 * tag; decrypting checks it (OpenSSL takes it as writable memory, hence a copy), and
 * returns SEAL_E_AUTH (with out wiped) if it does not match.
 */
static int seal_gcm(bool encrypt, const uint8_t key[32], const uint8_t *nonce, const uint8_t *ad,
                    size_t ad_size, const uint8_t *in, size_t size, uint8_t *out,
                    uint8_t tag[SEAL_TAG_SIZE]) {
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int len = 0, final_len = 0, r = -EIO;

        if (!ctx)
                return -ENOMEM;
        if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_SIZE, NULL) != 1 ||
            EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt) != 1 ||
            EVP_CipherUpdate(ctx, NULL, &len, ad, (int)ad_size) != 1 ||
            EVP_CipherUpdate(ctx, out, &len, in, (int)size) != 1 || (size_t)len != size)
                goto out;
        if (encrypt) {
                if (EVP_CipherFinal_ex(ctx, out + len, &final_len) != 1 || final_len != 0 ||
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_SIZE, tag) != 1)
                        goto out;
        } else {
                if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_SIZE, tag) != 1)
                        goto out;
                if (EVP_CipherFinal_ex(ctx, out + len, &final_len) != 1 || final_len != 0) {
                        r = SEAL_E_AUTH;
                        goto out;
                }
        }
        r = 0;
out:
        if (r != 0)
                OPENSSL_cleanse(out, size);
        EVP_CIPHER_CTX_free(ctx);
        ERR_clear_error();
        return r;
}

/* The version byte after a magic: shared first checks of both formats. */
static int seal_check_magic(const uint8_t *data, size_t size, const char *magic) {
        if (size < SEAL_MAGIC_SIZE)
                return memcmp(data, magic, size) == 0 ? SEAL_E_TRUNCATED : SEAL_E_MAGIC;
        if (memcmp(data, magic, SEAL_MAGIC_SIZE) != 0)
                return SEAL_E_MAGIC;
        if (size < SEAL_MAGIC_SIZE + 1)
                return SEAL_E_TRUNCATED;
        if (data[SEAL_MAGIC_SIZE] != SEAL_FORMAT_VERSION)
                return SEAL_E_VERSION;
        return 0;
}

int seal_blob_parse(const uint8_t *data, size_t size, SealBlob *blobp) {
        SealBlob blob = {};
        size_t name_len, secret_len, header_size;
        int r;

        r = seal_check_magic(data, size, SEAL_BLOB_MAGIC);
        if (r != 0)
                return r;
        if (size < SEAL_BLOB_FIXED)
                return SEAL_E_TRUNCATED;
        blob.info.type = (SealKeyType)data[9];
        blob.info.use = data[10];
        name_len = data[11];
        secret_len = get_u16(data + 12);
        if (name_len == 0 || name_len > SEAL_KEY_NAME_MAX || secret_len == 0 || secret_len > SEAL_SECRET_MAX)
                return SEAL_E_MALFORMED;
        header_size = SEAL_BLOB_FIXED + name_len + SEAL_NONCE_SIZE;
        if (size < header_size + secret_len + SEAL_TAG_SIZE)
                return SEAL_E_TRUNCATED;
        if (size > header_size + secret_len + SEAL_TAG_SIZE)
                return SEAL_E_MALFORMED;

        memcpy(blob.info.name, data + SEAL_BLOB_FIXED, name_len);
        blob.info.name[name_len] = '\0';
        if (!seal_key_info_is_valid(&blob.info) || secret_len != seal_key_type_secret_size(blob.info.type))
                return SEAL_E_MALFORMED;

        blob.header = data;
        blob.header_size = header_size;
        blob.nonce = data + header_size - SEAL_NONCE_SIZE;
        blob.ciphertext = data + header_size;
        blob.ciphertext_size = secret_len;
        blob.tag = data + header_size + secret_len;
        *blobp = blob;
        return 0;
}

int seal_blob_create(const SealRootKey *root, const SealKeyInfo *info, const uint8_t *secret,
                     size_t secret_size, uint8_t **blobp, size_t *sizep) {
        _cleanup_free_ uint8_t *blob = NULL;
        size_t name_len, header_size, size;
        int r;

        if (!seal_key_info_is_valid(info) || secret_size != seal_key_type_secret_size(info->type))
                return SEAL_E_INVALID;
        name_len = strlen(info->name);
        header_size = SEAL_BLOB_FIXED + name_len + SEAL_NONCE_SIZE;
        size = header_size + secret_size + SEAL_TAG_SIZE;
        blob = malloc(size);
        if (!blob)
                return -ENOMEM;

        memcpy(blob, SEAL_BLOB_MAGIC, SEAL_MAGIC_SIZE);
        blob[8] = SEAL_FORMAT_VERSION;
        blob[9] = (uint8_t)info->type;
        blob[10] = (uint8_t)info->use;
        blob[11] = (uint8_t)name_len;
        put_u16(blob + 12, secret_size);
        memcpy(blob + SEAL_BLOB_FIXED, info->name, name_len);
        if (RAND_bytes(blob + header_size - SEAL_NONCE_SIZE, SEAL_NONCE_SIZE) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        r = seal_gcm(true, root->bytes, blob + header_size - SEAL_NONCE_SIZE, blob, header_size, secret,
                     secret_size, blob + header_size, blob + header_size + secret_size);
        if (r != 0)
                return r;
        *blobp = steal_ptr(&blob);
        *sizep = size;
        return 0;
}

int seal_blob_open(const SealRootKey *root, const uint8_t *data, size_t size, const char *name,
                   SealKeyType type, SealKeyInfo *infop, uint8_t secret[SEAL_SECRET_MAX],
                   size_t *secret_sizep) {
        uint8_t tag[SEAL_TAG_SIZE];
        SealBlob blob;
        int r;

        explicit_bzero(secret, SEAL_SECRET_MAX);
        r = seal_blob_parse(data, size, &blob);
        if (r != 0)
                return r;
        if (strcmp(blob.info.name, name) != 0)
                return SEAL_E_NAME;
        if (type != SEAL_KEY_ANY && blob.info.type != type)
                return SEAL_E_TYPE;
        memcpy(tag, blob.tag, SEAL_TAG_SIZE);
        r = seal_gcm(false, root->bytes, blob.nonce, blob.header, blob.header_size, blob.ciphertext,
                     blob.ciphertext_size, secret, tag);
        if (r != 0)
                return r;
        if (infop)
                *infop = blob.info;
        *secret_sizep = blob.ciphertext_size;
        return 0;
}

int seal_blob_read_file(const char *path, uint8_t **datap, size_t *sizep) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > (off_t)SEAL_BLOB_MAX)
                return -EFBIG;
        /* -EFBIG as well for a file that grew past the limit while read. */
        return read_fd_full(fd, SEAL_BLOB_MAX, (char **)datap, sizep);
}

int seal_wrapped_parse(const uint8_t *data, size_t size, SealWrapped *wrappedp) {
        SealWrapped w = {};
        size_t purpose_len, key_len, header_size;
        int r;

        r = seal_check_magic(data, size, SEAL_WRAPPED_MAGIC);
        if (r != 0)
                return r;
        if (size < SEAL_WRAPPED_FIXED)
                return SEAL_E_TRUNCATED;
        purpose_len = data[9];
        key_len = get_u16(data + 10);
        if (purpose_len == 0 || purpose_len > SEAL_PURPOSE_MAX || key_len < SEAL_DATA_KEY_MIN ||
            key_len > SEAL_DATA_KEY_MAX)
                return SEAL_E_MALFORMED;
        header_size = SEAL_WRAPPED_FIXED + purpose_len + SEAL_NONCE_SIZE;
        if (size < header_size + key_len + SEAL_TAG_SIZE)
                return SEAL_E_TRUNCATED;
        if (size > header_size + key_len + SEAL_TAG_SIZE)
                return SEAL_E_MALFORMED;
        memcpy(w.purpose, data + SEAL_WRAPPED_FIXED, purpose_len);
        w.purpose[purpose_len] = '\0';
        if (!seal_purpose_is_valid(w.purpose))
                return SEAL_E_MALFORMED;

        w.header = data;
        w.header_size = header_size;
        w.nonce = data + header_size - SEAL_NONCE_SIZE;
        w.ciphertext = data + header_size;
        w.ciphertext_size = key_len;
        w.tag = data + header_size + key_len;
        *wrappedp = w;
        return 0;
}

int seal_data_key_wrap(const uint8_t key[SEAL_AES256_KEY_SIZE], const char *purpose,
                       const uint8_t *data_key, size_t data_key_size, uint8_t **wrappedp,
                       size_t *sizep) {
        _cleanup_free_ uint8_t *w = NULL;
        size_t purpose_len, header_size, size;
        int r;

        if (!seal_purpose_is_valid(purpose) || data_key_size < SEAL_DATA_KEY_MIN || data_key_size > SEAL_DATA_KEY_MAX)
                return SEAL_E_INVALID;
        purpose_len = strlen(purpose);
        header_size = SEAL_WRAPPED_FIXED + purpose_len + SEAL_NONCE_SIZE;
        size = header_size + data_key_size + SEAL_TAG_SIZE;
        w = malloc(size);
        if (!w)
                return -ENOMEM;

        memcpy(w, SEAL_WRAPPED_MAGIC, SEAL_MAGIC_SIZE);
        w[8] = SEAL_FORMAT_VERSION;
        w[9] = (uint8_t)purpose_len;
        put_u16(w + 10, data_key_size);
        memcpy(w + SEAL_WRAPPED_FIXED, purpose, purpose_len);
        if (RAND_bytes(w + header_size - SEAL_NONCE_SIZE, SEAL_NONCE_SIZE) != 1) {
                ERR_clear_error();
                return -EIO;
        }
        r = seal_gcm(true, key, w + header_size - SEAL_NONCE_SIZE, w, header_size, data_key, data_key_size,
                     w + header_size, w + header_size + data_key_size);
        if (r != 0)
                return r;
        *wrappedp = steal_ptr(&w);
        *sizep = size;
        return 0;
}

int seal_data_key_unwrap(const uint8_t key[SEAL_AES256_KEY_SIZE], const char *purpose,
                         const uint8_t *wrapped, size_t wrapped_size,
                         uint8_t data_key[SEAL_DATA_KEY_MAX], size_t *data_key_sizep) {
        uint8_t tag[SEAL_TAG_SIZE];
        SealWrapped w;
        int r;

        explicit_bzero(data_key, SEAL_DATA_KEY_MAX);
        r = seal_wrapped_parse(wrapped, wrapped_size, &w);
        if (r != 0)
                return r;
        if (strcmp(w.purpose, purpose) != 0)
                return SEAL_E_PURPOSE;
        memcpy(tag, w.tag, SEAL_TAG_SIZE);
        r = seal_gcm(false, key, w.nonce, w.header, w.header_size, w.ciphertext, w.ciphertext_size,
                     data_key, tag);
        if (r != 0)
                return r;
        *data_key_sizep = w.ciphertext_size;
        return 0;
}
