/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Detached signatures and the set of keys a verifier trusts.
 *
 * A signature file is text, one signature a line:
 *
 *     ed25519 <key id: 64 hex> <signature: 128 hex>
 *
 * so several keys can sign one manifest. A file is a set: at most one line per key id, so
 * the order of its lines never matters; a second line by the same key makes the file
 * malformed. Blank lines are allowed; anything else is an error naming the line. A file
 * holds at most SIGNATURE_FILE_MAX bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "crypto/key.h"
#include "crypto/sha256.h"
#include "util/cleanup.h"

#define SIGNATURE_FILE_MAX (64U * 1024U)
#define SIGNATURE_LIST_MAX 64U

typedef struct Signature {
        Sha256Digest key_id;
        uint8_t bytes[ED25519_SIGNATURE_SIZE];
} Signature;

typedef struct SignatureList {
        Signature *items; /* owned */
        size_t n_items;
} SignatureList;

/* Outcomes of signature_list_verify() other than success. */
typedef enum SignatureVerdict {
        SIGNATURE_VALID = 0,
        SIGNATURE_E_NONE = 1,        /* the list is empty */
        SIGNATURE_E_UNKNOWN_KEY = 2, /* no signature is by a trusted key */
        SIGNATURE_E_BAD = 3,         /* a trusted key's signature does not verify */
} SignatureVerdict;

/* A new empty list: 0 and *listp, owned by the caller, or -ENOMEM. */
int signature_list_new(SignatureList **listp);
/* Frees list. Accepts NULL; returns NULL. */
SignatureList *signature_list_free(SignatureList *list);

/* Where and why signature file text did not parse. */
typedef struct SignatureParseError {
        unsigned line;       /* 1-based number of the offending line */
        Sha256Digest key_id; /* -ENOTUNIQ: the key that signs twice */
} SignatureParseError;

/*
 * Parses signature file text. Returns -EBADMSG on a malformed line, -ENOTUNIQ on a second
 * line by a key already seen, -E2BIG past SIGNATURE_LIST_MAX lines, -EFBIG past
 * SIGNATURE_FILE_MAX bytes; for the first three, *errp (if not NULL) says where.
 */
int signature_list_parse(SignatureList **listp, const char *text, size_t size, SignatureParseError *errp);

/* Reads and parses a signature file; a missing file is -ENOENT. */
int signature_list_load(SignatureList **listp, const char *path, SignatureParseError *errp);

/* Formats the list as signature file text. The caller owns *textp. */
int signature_list_format(const SignatureList *list, char **textp, size_t *sizep);

/* Adds sig, replacing an earlier signature by the same key. */
int signature_list_add(SignatureList *list, const Signature *sig);

/* Signs data with a private key. */
int signature_create(EVP_PKEY *key, const void *data, size_t size, Signature *sigp);

/* The public keys a verifier trusts. */
typedef struct TrustStore TrustStore;

/* A new store trusting nothing: 0 and *trustp, owned by the caller, or -ENOMEM. */
int trust_store_new(TrustStore **trustp);
/* Frees trust and its keys. Accepts NULL; returns NULL. */
TrustStore *trust_store_free(TrustStore *trust);
/* Adds one public key file. Errors as key_load_public(). */
int trust_store_add_file(TrustStore *trust, const char *path);
/*
 * Loads every *.pub in a directory, or one .pub file if path is a file. In a directory, a
 * public key of another algorithm is skipped with a warning, unless no Ed25519 key is left:
 * then it is -EKEYREJECTED. Any other file that is not an Ed25519 public key is an error
 * (with *bad_filep naming it, owned by the caller).
 */
int trust_store_load(TrustStore **trustp, const char *path, char **bad_filep);
size_t trust_store_size(const TrustStore *trust);

/*
 * Verifies data against the list. Returns SIGNATURE_VALID (0) if a trusted key's signature
 * verifies, writing that key's id to *key_idp if not NULL; otherwise a SignatureVerdict:
 * SIGNATURE_E_BAD takes precedence over SIGNATURE_E_UNKNOWN_KEY.
 */
int signature_list_verify(const SignatureList *list, const TrustStore *trust,
                          const void *data, size_t size, Sha256Digest *key_idp);

/* A user-facing phrase for a verdict: "no signature", "unknown key", "bad signature". */
const char *signature_verdict_to_string(int verdict);

DEFINE_CLEANUP_FUNC(SignatureList, signature_list_free)
DEFINE_CLEANUP_FUNC(TrustStore, trust_store_free)
