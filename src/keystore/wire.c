// SPDX-License-Identifier: Apache-2.0
/*
 * The key store's wire format (see wire.h for the layout and invariants 1-3).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "keystore/wire.h"
#include "util/cleanup.h"

static const char *const operation_names[_KEYSTORE_OP_MAX] = {
        [KEYSTORE_OP_LIST] = "list",     [KEYSTORE_OP_PUBLIC_KEY] = "public-key",
        [KEYSTORE_OP_SIGN] = "sign",     [KEYSTORE_OP_AGREE] = "agree",
        [KEYSTORE_OP_WRAP] = "wrap",     [KEYSTORE_OP_UNWRAP] = "unwrap",
        [KEYSTORE_OP_IMPORT] = "import",
};

const char *keystore_operation_name(unsigned operation) {
        return operation < _KEYSTORE_OP_MAX ? operation_names[operation] : NULL;
}

static bool name_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.' || c == '+' || c == ',';
}

bool keystore_name_is_valid(const char *name, size_t size) {
        if (size == 0 || size > KOS_KEYSTORE_NAME_MAX)
                return false;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
              (name[0] >= '0' && name[0] <= '9')))
                return false;
        for (size_t i = 0; i < size; i++)
                if (!name_char_ok(name[i]))
                        return false;
        return true;
}

static int bad(char *why, size_t why_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t why_size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

static uint32_t get32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static void put32(uint8_t *p, uint32_t v) {
        memcpy(p, &v, sizeof(v));
}

/* The purpose label that starts a WRAP or UNWRAP request's data. */
static int parse_purpose(KeystoreRequest *req, char *why, size_t why_size) {
        size_t n;

        if (req->data_size < 1)
                return bad(why, why_size, "%s: no purpose", operation_names[req->operation]);
        n = req->data[0];
        if (n == 0 || n > KEYSTORE_PURPOSE_MAX || n + 1 > req->data_size)
                return bad(why, why_size, "%s: purpose of %zu bytes (1-%d, within the data)",
                           operation_names[req->operation], n, KEYSTORE_PURPOSE_MAX);
        for (size_t i = 1; i <= n; i++)
                if (req->data[i] <= ' ' || req->data[i] > '~')
                        return bad(why, why_size, "%s: invalid purpose (printable ASCII, no space)",
                                   operation_names[req->operation]);
        memcpy(req->purpose, req->data + 1, n);
        req->purpose[n] = '\0';
        req->payload = req->data + 1 + n;
        req->payload_size = req->data_size - 1 - n;
        if (req->operation == KEYSTORE_OP_WRAP &&
            (req->payload_size < KEYSTORE_DATA_KEY_MIN || req->payload_size > KEYSTORE_DATA_KEY_MAX))
                return bad(why, why_size, "wrap: a data key of %zu bytes (%d-%d)", req->payload_size,
                           KEYSTORE_DATA_KEY_MIN, KEYSTORE_DATA_KEY_MAX);
        if (req->payload_size == 0)
                return bad(why, why_size, "unwrap: nothing to unwrap");
        return 0;
}

int keystore_request_parse(const void *buf, size_t size, KeystoreRequest *reqp, char *why, size_t why_size) {
        const uint8_t *p = buf;
        KeystoreRequest req = { 0 };
        size_t name_size, data_size;
        int r;

        if (size < KEYSTORE_REQUEST_HEADER_SIZE)
                return bad(why, why_size, "request of %zu bytes, shorter than its header", size);
        if (p[0] != KEYSTORE_WIRE_VERSION)
                return bad(why, why_size, "unknown version %u", p[0]);
        req.operation = p[1];
        if (req.operation == 0 || req.operation >= _KEYSTORE_OP_MAX)
                return bad(why, why_size, "unknown operation %u", p[1]);
        req.flags = p[2];
        if (req.flags & ~(req.operation == KEYSTORE_OP_SIGN ? KEYSTORE_FLAG_CONTEXT : 0U))
                return bad(why, why_size, "%s: unknown flags 0x%02x", operation_names[req.operation], req.flags);
        name_size = p[3];
        req.serial = get32(p + 4);
        data_size = get32(p + 8);
        if (data_size > KOS_KEYSTORE_DATA_MAX)
                return bad(why, why_size, "%s: %zu bytes of data, more than %d", operation_names[req.operation],
                           data_size, KOS_KEYSTORE_DATA_MAX);
        if (KEYSTORE_REQUEST_HEADER_SIZE + name_size + data_size != size)
                return bad(why, why_size, "%s: sizes do not add up to the %zu bytes received",
                           operation_names[req.operation], size);
        if (req.operation == KEYSTORE_OP_LIST) {
                if (name_size != 0 || data_size != 0)
                        return bad(why, why_size, "list takes no key name and no data");
        } else {
                if (!keystore_name_is_valid((const char *)p + KEYSTORE_REQUEST_HEADER_SIZE, name_size))
                        return bad(why, why_size, "%s: invalid key name", operation_names[req.operation]);
                memcpy(req.name, p + KEYSTORE_REQUEST_HEADER_SIZE, name_size);
        }
        req.data = p + KEYSTORE_REQUEST_HEADER_SIZE + name_size;
        req.data_size = data_size;
        switch (req.operation) {
        case KEYSTORE_OP_PUBLIC_KEY:
                if (data_size != 0)
                        return bad(why, why_size, "public-key takes no data");
                break;
        case KEYSTORE_OP_SIGN:
                /* Invariant 3: only the key store writes the context prefix; a plain
                 * signature of a message that starts with it would pass for a context-bound
                 * signature of whatever app and key the message names. */
                if (!(req.flags & KEYSTORE_FLAG_CONTEXT) && data_size >= sizeof(KEYSTORE_CONTEXT_LABEL) &&
                    memcmp(req.data, KEYSTORE_CONTEXT_LABEL, sizeof(KEYSTORE_CONTEXT_LABEL)) == 0)
                        return bad(why, why_size, "sign: a plain signature of a message that starts with the "
                                                  "context label");
                break;
        case KEYSTORE_OP_AGREE:
                if (data_size != KOS_KEYSTORE_PUBLIC_KEY_SIZE)
                        return bad(why, why_size, "agree takes a %d-byte public key, not %zu bytes",
                                   KOS_KEYSTORE_PUBLIC_KEY_SIZE, data_size);
                break;
        case KEYSTORE_OP_IMPORT:
                if (data_size != KEYSTORE_PRIVATE_KEY_SIZE)
                        return bad(why, why_size, "import takes a %d-byte private key, not %zu bytes",
                                   KEYSTORE_PRIVATE_KEY_SIZE, data_size);
                break;
        case KEYSTORE_OP_WRAP:
        case KEYSTORE_OP_UNWRAP:
                r = parse_purpose(&req, why, why_size);
                if (r < 0)
                        return r;
                break;
        default:
                break;
        }
        *reqp = req;
        return 0;
}

int keystore_request_build(void *buf, uint8_t operation, uint8_t flags, uint32_t serial, const char *name,
                           const char *purpose, const void *data, size_t size) {
        uint8_t *p = buf;
        size_t name_size = name ? strlen(name) : 0, purpose_size = purpose ? strlen(purpose) : 0;
        size_t data_size = size + (purpose ? 1 + purpose_size : 0);

        if (name && !keystore_name_is_valid(name, name_size))
                return -EINVAL;
        if (purpose) {
                if (purpose_size == 0 || purpose_size > KEYSTORE_PURPOSE_MAX)
                        return -EINVAL;
                for (size_t i = 0; i < purpose_size; i++)
                        if (purpose[i] <= ' ' || purpose[i] > '~')
                                return -EINVAL;
        }
        if (data_size > KOS_KEYSTORE_DATA_MAX)
                return -EINVAL;
        p[0] = KEYSTORE_WIRE_VERSION;
        p[1] = operation;
        p[2] = flags;
        p[3] = (uint8_t)name_size;
        put32(p + 4, serial);
        put32(p + 8, (uint32_t)data_size);
        p += KEYSTORE_REQUEST_HEADER_SIZE;
        if (name_size)
                memcpy(p, name, name_size);
        p += name_size;
        if (purpose) {
                *p++ = (uint8_t)purpose_size;
                memcpy(p, purpose, purpose_size);
                p += purpose_size;
        }
        if (size)
                memcpy(p, data, size);
        return (int)(KEYSTORE_REQUEST_HEADER_SIZE + name_size + data_size);
}

uint32_t keystore_request_serial(const void *buf, size_t size) {
        return size >= 8 ? get32((const uint8_t *)buf + 4) : 0;
}

void keystore_reply_header(void *buf, uint8_t operation, uint32_t serial, uint32_t status, uint32_t size) {
        uint8_t *p = buf;

        p[0] = KEYSTORE_WIRE_VERSION;
        p[1] = operation;
        p[2] = p[3] = 0;
        put32(p + 4, serial);
        put32(p + 8, status);
        put32(p + 12, size);
}

int keystore_reply_parse(const void *buf, size_t size, uint8_t operation, uint32_t serial, uint32_t *statusp,
                         const uint8_t **payloadp, size_t *payload_sizep) {
        const uint8_t *p = buf;
        uint32_t status;

        if (size < KEYSTORE_REPLY_HEADER_SIZE || p[0] != KEYSTORE_WIRE_VERSION || p[1] != operation || p[2] || p[3])
                return -EPROTO;
        status = get32(p + 8);
        if (get32(p + 4) != serial || status >= _KEYSTORE_STATUS_MAX ||
            get32(p + 12) != size - KEYSTORE_REPLY_HEADER_SIZE)
                return -EPROTO;
        *statusp = status;
        *payloadp = p + KEYSTORE_REPLY_HEADER_SIZE;
        *payload_sizep = size - KEYSTORE_REPLY_HEADER_SIZE;
        return 0;
}

int keystore_context(const char *app, const char *key, char ctx[KEYSTORE_CONTEXT_MAX]) {
        size_t a = strlen(app), k = strlen(key);

        if (!keystore_name_is_valid(app, a) || !keystore_name_is_valid(key, k))
                return -EINVAL;
        memcpy(ctx, app, a);
        ctx[a] = '/';
        memcpy(ctx + a + 1, key, k);
        ctx[a + 1 + k] = '\0';
        return (int)(a + 1 + k);
}

size_t keystore_context_prefix(const char *ctx, uint8_t prefix[KEYSTORE_CONTEXT_PREFIX_MAX]) {
        size_t n = strlen(ctx);

        memcpy(prefix, KEYSTORE_CONTEXT_LABEL, sizeof(KEYSTORE_CONTEXT_LABEL));
        prefix[sizeof(KEYSTORE_CONTEXT_LABEL)] = (uint8_t)n;
        memcpy(prefix + sizeof(KEYSTORE_CONTEXT_LABEL) + 1, ctx, n);
        return sizeof(KEYSTORE_CONTEXT_LABEL) + 1 + n;
}

int keystore_send(int fd, const void *buf, size_t size, int flags) {
        ssize_t n;

        do
                n = send(fd, buf, size, flags | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n >= 0)
                return 0;
        if (errno == EPIPE || errno == ENOTCONN)
                return -ECONNRESET;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}
