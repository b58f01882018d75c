/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key store's wire format (docs/keystore.md), shared by kos-keystored and the client
 * library. One request or reply is one SOCK_SEQPACKET message, no descriptors, fields in
 * host byte order (both ends are on one machine).
 *
 *   request: version(1) operation(1) flags(1) name_size(1) serial(4) data_size(4) name data
 *   reply:   version(1) operation(1) zero(2) serial(4) status(4) size(4) payload
 *
 * Invariants:
 *  1. keystore_request_parse() is the one place that turns received bytes into a request:
 *     a request it returns has the known version, a known operation, only the flags that
 *     operation takes, a valid key name (or none, for LIST only), sizes that add up to
 *     the bytes received, and data of the size the operation takes.
 *  2. Nothing here allocates; parsed requests point into the caller's buffer.
 *  3. A plain SIGN request never carries a message that starts with the context prefix
 *     (KEYSTORE_CONTEXT_LABEL and its NUL): that prefix is written by the key store alone, so
 *     a plain signature can never pass for a context-bound one of another app or key.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kos/keystore.h"

#define KEYSTORE_WIRE_VERSION 1
#define KEYSTORE_REQUEST_HEADER_SIZE 12
#define KEYSTORE_REPLY_HEADER_SIZE 16
#define KEYSTORE_REQUEST_MAX (KEYSTORE_REQUEST_HEADER_SIZE + KOS_KEYSTORE_NAME_MAX + KOS_KEYSTORE_DATA_MAX)
#define KEYSTORE_REPLY_MAX (KEYSTORE_REPLY_HEADER_SIZE + KOS_KEYSTORE_DATA_MAX + 256)
/* A purpose label of a wrap or unwrap (printable ASCII, no space, as "component:site"),
 * and the sizes of a data key to wrap (as the sealing module takes them). */
#define KEYSTORE_PURPOSE_MAX 127
#define KEYSTORE_DATA_KEY_MIN 16
#define KEYSTORE_DATA_KEY_MAX 64
#define KEYSTORE_PRIVATE_KEY_SIZE 32

typedef enum KeystoreOperation {
        KEYSTORE_OP_LIST = 1,       /* no name, no data; reply: text lines */
        KEYSTORE_OP_PUBLIC_KEY = 2, /* no data; reply: 32 bytes */
        KEYSTORE_OP_SIGN = 3,       /* data: the message; reply: 64 bytes */
        KEYSTORE_OP_AGREE = 4,      /* data: the peer's 32-byte public key; reply: 32 bytes */
        KEYSTORE_OP_WRAP = 5,       /* data: purpose_size(1) purpose data-key; reply: wrapped */
        KEYSTORE_OP_UNWRAP = 6,     /* data: purpose_size(1) purpose wrapped; reply: data key */
        KEYSTORE_OP_IMPORT = 7,     /* data: the 32-byte private key; reply: empty */
        _KEYSTORE_OP_MAX,
} KeystoreOperation;

#define KEYSTORE_FLAG_CONTEXT 0x01U /* SIGN: context-bound (KOS_KEYSTORE_SIGN_CONTEXT) */

typedef enum KeystoreStatus {
        KEYSTORE_STATUS_OK = 0,
        KEYSTORE_STATUS_DENIED = 1,      /* the manifest grants the app no such use */
        KEYSTORE_STATUS_UNKNOWN_KEY = 2, /* the manifest has no such key */
        KEYSTORE_STATUS_WRONG_TYPE = 3,  /* the key's type has no such operation */
        KEYSTORE_STATUS_MALFORMED = 4,   /* the request breaks the format */
        KEYSTORE_STATUS_EXISTS = 5,      /* import of a key that exists */
        KEYSTORE_STATUS_REJECTED = 6,    /* the key's sealed file does not open */
        KEYSTORE_STATUS_FAILED = 7,      /* anything else; the log says what */
        KEYSTORE_STATUS_NOT_IMPORTED = 8, /* an origin "import" key used before its import */
        _KEYSTORE_STATUS_MAX,
} KeystoreStatus;

typedef struct KeystoreRequest {
        uint8_t operation; /* KeystoreOperation */
        uint8_t flags;
        uint32_t serial;
        char name[KOS_KEYSTORE_NAME_MAX + 1]; /* "" for LIST */
        const uint8_t *data;                  /* into the parsed buffer */
        size_t data_size;
        /* WRAP and UNWRAP: the purpose label and what follows it, within data. */
        char purpose[KEYSTORE_PURPOSE_MAX + 1];
        const uint8_t *payload;
        size_t payload_size;
} KeystoreRequest;

/* The name of an operation as the manifest writes it ("sign"), or NULL. */
const char *keystore_operation_name(unsigned operation);

/* True if name is a valid key name (the manifest's rule: 1-63 of [A-Za-z0-9_.+,-],
 * starting with a letter or digit). */
bool keystore_name_is_valid(const char *name, size_t size);

/* Parses size bytes at buf (invariant 1). Returns 0 and *reqp, or -EBADMSG with a reason
 * in why (why_size bytes, one line). */
int keystore_request_parse(const void *buf, size_t size, KeystoreRequest *reqp, char *why, size_t why_size);

/*
 * Builds a request into buf (capacity KEYSTORE_REQUEST_MAX): name may be NULL for LIST;
 * for WRAP/UNWRAP, purpose is put before data. Returns the size, or -EINVAL for a bad
 * name, purpose or size.
 */
int keystore_request_build(void *buf, uint8_t operation, uint8_t flags, uint32_t serial, const char *name,
                           const char *purpose, const void *data, size_t size);

/* The serial field of a request, even a malformed one (0 if too short to have one), so
 * that a refusal reaches the call that made it. */
uint32_t keystore_request_serial(const void *buf, size_t size);

/* Fills a reply header for a payload of size bytes. */
void keystore_reply_header(void *buf, uint8_t operation, uint32_t serial, uint32_t status, uint32_t size);

/* Parses a reply: checks version, that operation and serial match, the status is known and
 * the size adds up. Returns 0 with *statusp, *payloadp, *payload_sizep, or -EPROTO. */
int keystore_reply_parse(const void *buf, size_t size, uint8_t operation, uint32_t serial, uint32_t *statusp,
                         const uint8_t **payloadp, size_t *payload_sizep);

/*
 * Sends one request or reply as one message, straight from buf: unlike ipc_frame_send(),
 * no copy on the stack, as buf may hold secrets (an imported key, an unwrapped data key).
 * Returns 0, -EAGAIN, -ECONNRESET if the peer is gone, or another negative errno.
 */
int keystore_send(int fd, const void *buf, size_t size, int flags);

/* The context a KOS_KEYSTORE_SIGN_CONTEXT signature binds: "app/key". Returns its
 * length, or -EINVAL if either name is invalid. ctx has room for 2 * 63 + 2 bytes. */
#define KEYSTORE_CONTEXT_MAX (2 * KOS_KEYSTORE_NAME_MAX + 2)
int keystore_context(const char *app, const char *key, char ctx[KEYSTORE_CONTEXT_MAX]);

/* The prefix of a context-bound message: KEYSTORE_CONTEXT_LABEL, then one byte of the
 * context's length, then the context. */
#define KEYSTORE_CONTEXT_LABEL "KOS keystore context v1"
#define KEYSTORE_CONTEXT_PREFIX_MAX (sizeof(KEYSTORE_CONTEXT_LABEL) + 1 + KEYSTORE_CONTEXT_MAX)
/* Writes the prefix for ctx into prefix; returns its size. */
size_t keystore_context_prefix(const char *ctx, uint8_t prefix[KEYSTORE_CONTEXT_PREFIX_MAX]);
