/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealing: device keys at rest, and data keys wrapped under them.
 *
 * A sealed key blob holds one key's secret bytes encrypted with AES-256-GCM under the
 * device's 32-byte root key. Its header (name, type, granted use, nonce) is the GCM
 * authenticated data, so a blob renamed, retyped or given another use no longer opens.
 * A wrapped data key is a data key (for example the 64-byte AES-XTS key of an encrypted
 * component) encrypted with AES-256-GCM under an aes-256 device key, its purpose (what it is
 * for, e.g. "component:site") in the authenticated data. docs/sealing.md gives both byte
 * formats.
 *
 * Results: 0 on success; a negative errno for a system failure (-ENOMEM, -EIO, file
 * errors); a positive SealError for a refusal (bad input, wrong key, altered bytes), which
 * seal_strerror() turns into one line. Secrets go only into memory the caller provides
 * (it should be secret memory, util/secret.h) or memory this module wipes before it frees it;
 * on any failure a caller's output buffer holds nothing secret.
 *
 * Uses libc and libcrypto only: kos-init links it statically.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"

#define SEAL_ROOT_KEY_SIZE 32U
#define SEAL_AES256_KEY_SIZE 32U
#define SEAL_KEY_NAME_MAX 63U    /* as manifest names */
#define SEAL_SECRET_MAX 64U      /* secret bytes of one sealed key */
#define SEAL_DATA_KEY_MIN 16U
#define SEAL_DATA_KEY_MAX 64U    /* AES-256-XTS: two 32-byte keys */
#define SEAL_PURPOSE_MAX 127U
#define SEAL_NONCE_SIZE 12U
#define SEAL_TAG_SIZE 16U

/* Largest sealed blob and wrapped data key: readers refuse anything longer. */
#define SEAL_BLOB_MAX (8U + 6U + SEAL_KEY_NAME_MAX + SEAL_NONCE_SIZE + SEAL_SECRET_MAX + SEAL_TAG_SIZE)
#define SEAL_WRAPPED_MAX (8U + 4U + SEAL_PURPOSE_MAX + SEAL_NONCE_SIZE + SEAL_DATA_KEY_MAX + SEAL_TAG_SIZE)

typedef enum SealKeyType {
        SEAL_KEY_ANY = 0, /* only as what seal_blob_open() expects: any type */
        SEAL_KEY_ED25519 = 1,
        SEAL_KEY_X25519 = 2,
        SEAL_KEY_AES256 = 3,
} SealKeyType;

/* Granted uses, a bit set. Each type allows some (seal_key_type_uses()). */
#define SEAL_USE_SIGN 0x01U   /* ed25519 */
#define SEAL_USE_AGREE 0x02U  /* x25519 key agreement */
#define SEAL_USE_WRAP 0x04U   /* aes-256: wrap data keys */
#define SEAL_USE_UNWRAP 0x08U /* aes-256: unwrap data keys */

/* Refusals. Values are stable: tests and callers name them. */
typedef enum SealError {
        SEAL_E_TRUNCATED = 1,    /* shorter than its header says */
        SEAL_E_MAGIC = 2,        /* not a sealed key blob / wrapped data key */
        SEAL_E_VERSION = 3,      /* a format version this build does not read */
        SEAL_E_MALFORMED = 4,    /* a field out of range, or bytes after the end */
        SEAL_E_NAME = 5,         /* sealed for another key name */
        SEAL_E_TYPE = 6,         /* sealed for another key type */
        SEAL_E_AUTH = 7,         /* does not authenticate: altered, or another root/wrapping key */
        SEAL_E_PURPOSE = 8,      /* wrapped for another purpose */
        SEAL_E_USE = 9,          /* the key is not granted that use */
        SEAL_E_ROOT_KEY_SIZE = 10, /* a root key file that is not 32 bytes */
        SEAL_E_ROOT_KEY_MODE = 11, /* a root key file readable or writable by group or others */
        SEAL_E_ROOT_KEY_FILE = 12, /* a root key that is not a regular file */
        SEAL_E_INVALID = 13,     /* bad arguments: name, type, use, sizes, purpose */
        SEAL_E_KEY_FILE_SIZE = 14, /* a key file of the wrong size */
        SEAL_E_KEY_FILE_MODE = 15, /* a key file readable or writable by group or others */
        SEAL_E_KEY_FILE = 16,      /* a key file that is not a regular file */
} SealError;

/*
 * One line for a result of this module: a SealError's phrase, strerror() of a negative
 * errno, "success" for 0.
 */
const char *seal_strerror(int r);

/* What a sealed blob says about its key. */
typedef struct SealKeyInfo {
        char name[SEAL_KEY_NAME_MAX + 1];
        SealKeyType type;
        unsigned use; /* SEAL_USE_* bits */
} SealKeyInfo;

/*
 * Key names as the manifest's: 1-63 of [A-Za-z0-9_.+,-], starting with a letter or digit,
 * so a name is a safe file name (NAME.sealed).
 */
bool seal_key_name_is_valid(const char *name);

/* "ed25519", "x25519", "aes-256"; NULL for another value. */
const char *seal_key_type_to_string(SealKeyType type);
/* The reverse; SEAL_E_INVALID for an unknown name. */
int seal_key_type_from_string(const char *s, SealKeyType *typep);
/* Secret bytes of a key of this type (32 for each); 0 for an unknown type. */
size_t seal_key_type_secret_size(SealKeyType type);
/* The uses a key of this type may be granted: also what a key gets when none is named. */
unsigned seal_key_type_uses(SealKeyType type);

/*
 * Parses a comma-separated list of uses ("sign", "agree", "wrap", "unwrap"); SEAL_E_INVALID
 * for an unknown or empty one.
 */
int seal_key_use_from_string(const char *s, unsigned *usep);
/* Writes the uses as that list ("" for none). Returns 0 or SEAL_E_INVALID if it does not fit. */
int seal_key_use_to_string(unsigned use, char *buf, size_t size);

/* True if info is a valid key description: valid name and type, and uses the type allows. */
bool seal_key_info_is_valid(const SealKeyInfo *info);

/* The device root key, held in secret memory (util/secret.h). */
typedef struct SealRootKey SealRootKey;

/*
 * Loads a root key file: a regular file of exactly 32 bytes that neither group nor others
 * may read or write. Returns 0 and *rootp (free with seal_root_key_free()),
 * SEAL_E_ROOT_KEY_FILE, SEAL_E_ROOT_KEY_MODE, SEAL_E_ROOT_KEY_SIZE, or a negative errno
 * (-ENOENT, -EACCES...). Symbolic links are followed; the checks apply to the file read.
 */
int seal_root_key_load(SealRootKey **rootp, const char *path);
/* A root key from 32 bytes (a hardware tier's unsealed key, tests). */
int seal_root_key_new(SealRootKey **rootp, const uint8_t bytes[SEAL_ROOT_KEY_SIZE]);
/* Wipes and frees. Accepts NULL; returns NULL. */
SealRootKey *seal_root_key_free(SealRootKey *root);

/*
 * Loads a raw key file of exactly size bytes (an aes-256 key, 32) into new secret memory,
 * with the root key file's checks: 0 and *keyp (free with secret_free()),
 * SEAL_E_KEY_FILE, SEAL_E_KEY_FILE_MODE, SEAL_E_KEY_FILE_SIZE, or a negative errno.
 */
int seal_key_file_load(uint8_t **keyp, const char *path, size_t size);

/*
 * Writes size random bytes to a new file path of mode 0400: a root key or an aes-256 key.
 * Never replaces a file (-EEXIST); written whole or not at all.
 */
int seal_key_file_generate(const char *path, size_t size);

/*
 * Seals secret (exactly the type's secret size) for the key info describes. Returns 0 and
 * *blobp (malloc'd, holding nothing secret) and *sizep; SEAL_E_INVALID if info or the size
 * is not valid; -EIO if OpenSSL fails.
 */
int seal_blob_create(const SealRootKey *root, const SealKeyInfo *info, const uint8_t *secret,
                     size_t secret_size, uint8_t **blobp, size_t *sizep);

/* A parsed sealed blob: pointers into the bytes it was parsed from. */
typedef struct SealBlob {
        SealKeyInfo info;
        const uint8_t *header; /* the authenticated data: from the magic to the nonce's end */
        size_t header_size;
        const uint8_t *nonce;  /* SEAL_NONCE_SIZE bytes */
        const uint8_t *ciphertext;
        size_t ciphertext_size;
        const uint8_t *tag;    /* SEAL_TAG_SIZE bytes */
} SealBlob;

/*
 * Parses a sealed blob without opening it: checks the magic, version, every field's range
 * and the exact length. Returns 0 and *blobp, or SEAL_E_MAGIC, SEAL_E_VERSION,
 * SEAL_E_TRUNCATED, SEAL_E_MALFORMED. Reads no byte past size.
 */
int seal_blob_parse(const uint8_t *data, size_t size, SealBlob *blobp);

/*
 * Opens a sealed blob for the key name (and type, unless SEAL_KEY_ANY): writes its secret to
 * secret (SEAL_SECRET_MAX bytes, the caller's, ideally secret memory), its size to
 * *secret_sizep and what the blob says to *infop (if not NULL). Returns 0, a parse error,
 * SEAL_E_NAME, SEAL_E_TYPE, SEAL_E_AUTH, or -EIO/-ENOMEM. On failure secret holds zeros.
 */
int seal_blob_open(const SealRootKey *root, const uint8_t *data, size_t size, const char *name,
                   SealKeyType type, SealKeyInfo *infop, uint8_t secret[SEAL_SECRET_MAX],
                   size_t *secret_sizep);

/*
 * Reads a file of at most SEAL_BLOB_MAX bytes (a sealed blob; no secret in it). Returns 0
 * and *datap (malloc'd) and *sizep, -EFBIG if larger, -EINVAL if not a regular file, or
 * another negative errno.
 */
int seal_blob_read_file(const char *path, uint8_t **datap, size_t *sizep);

/* A parsed wrapped data key: pointers into its bytes. */
typedef struct SealWrapped {
        char purpose[SEAL_PURPOSE_MAX + 1];
        const uint8_t *header; /* the authenticated data: from the magic to the nonce's end */
        size_t header_size;
        const uint8_t *nonce;
        const uint8_t *ciphertext;
        size_t ciphertext_size; /* the data key's size */
        const uint8_t *tag;
} SealWrapped;

/*
 * True if purpose is 1-127 printable ASCII characters (no space), as "component:site".
 */
bool seal_purpose_is_valid(const char *purpose);

/*
 * Wraps data_key (SEAL_DATA_KEY_MIN..SEAL_DATA_KEY_MAX bytes) under the 32 bytes of an
 * aes-256 key for purpose. Returns 0 and *wrappedp (malloc'd, nothing secret) and *sizep,
 * SEAL_E_INVALID, or -EIO/-ENOMEM.
 */
int seal_data_key_wrap(const uint8_t key[SEAL_AES256_KEY_SIZE], const char *purpose,
                       const uint8_t *data_key, size_t data_key_size, uint8_t **wrappedp,
                       size_t *sizep);

/* Parses a wrapped data key. 0 and *wrappedp, or SEAL_E_MAGIC/VERSION/TRUNCATED/MALFORMED. */
int seal_wrapped_parse(const uint8_t *data, size_t size, SealWrapped *wrappedp);

/*
 * Unwraps a data key wrapped for purpose: writes it to data_key (SEAL_DATA_KEY_MAX bytes,
 * the caller's) and its size to *data_key_sizep. Returns 0, a parse error, SEAL_E_PURPOSE,
 * SEAL_E_AUTH, or -EIO/-ENOMEM. On failure data_key holds zeros.
 */
int seal_data_key_unwrap(const uint8_t key[SEAL_AES256_KEY_SIZE], const char *purpose,
                         const uint8_t *wrapped, size_t wrapped_size,
                         uint8_t data_key[SEAL_DATA_KEY_MAX], size_t *data_key_sizep);

DEFINE_CLEANUP_FUNC(SealRootKey, seal_root_key_free)
