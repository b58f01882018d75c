// SPDX-License-Identifier: Apache-2.0
/*
 * libkos-keystore: the app's side of the key store (include/kos/keystore.h).
 *
 * Invariants:
 *  1. The connection is the one kosd handed over (KOS_KEYSTORE, parsed once by the IPC
 *     layer's handover parser); the library never opens another, and it makes the fd
 *     close-on-exec so programs the app runs do not inherit its keys' use.
 *  2. A call sends one request and waits for the reply with its serial; a late reply to
 *     an earlier call that timed out is read and dropped, never taken for this one.
 *  3. A malformed reply closes the connection for good (-EPROTO, then -ECONNRESET).
 *  4. Imported private bytes pass through a buffer that is wiped before the call returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "ipc/frame.h"
#include "ipc/handover.h"
#include "keystore/wire.h"
#include "util/cleanup.h"

#define KEYSTORE_CLIENT_TIMEOUT_MS 5000

static struct {
        bool loaded;
        int error; /* why the environment was refused, or 0 */
        int fd;    /* -1: none, or closed after a malformed reply */
        uint32_t next_serial;
        char why[256]; /* the last refusal's reason */
        bool have_why;
} keystore_client = { .fd = -1 };

static void keystore_client_load(void) {
        IpcHandoverLink links[1];
        IpcHandoverEnvError err;
        const char *spec;
        size_t n = 0;
        struct timeval tv = { .tv_sec = KEYSTORE_CLIENT_TIMEOUT_MS / 1000 };

        if (keystore_client.loaded)
                return;
        keystore_client.loaded = true;
        keystore_client.next_serial = 1;
        spec = getenv(KOS_KEYSTORE_ENV);
        if (!spec)
                return;
        if (ipc_handover_env_parse(spec, links, ELEMENTSOF(links), &n, &err) < 0 || n != 1) {
                keystore_client.error = -EINVAL;
                snprintf(keystore_client.why, sizeof(keystore_client.why), KOS_KEYSTORE_ENV " is malformed: %s",
                         n != 1 ? "expected one connection" : err.message);
                keystore_client.have_why = true;
                return;
        }
        keystore_client.fd = links[0].fd;
        (void)setsockopt(keystore_client.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

const char *kos_keystore_error(void) {
        return keystore_client.have_why ? keystore_client.why : NULL;
}

static int status_to_errno(uint32_t status) {
        switch (status) {
        case KEYSTORE_STATUS_DENIED: return -EACCES;
        case KEYSTORE_STATUS_UNKNOWN_KEY: return -ENOENT;
        case KEYSTORE_STATUS_WRONG_TYPE: return -EOPNOTSUPP;
        case KEYSTORE_STATUS_MALFORMED: return -EBADMSG;
        case KEYSTORE_STATUS_EXISTS: return -EEXIST;
        case KEYSTORE_STATUS_REJECTED: return -EKEYREJECTED;
        case KEYSTORE_STATUS_NOT_IMPORTED: return -ENOKEY;
        default: return -EIO;
        }
}

static void keystore_client_broken(void) {
        close(keystore_client.fd);
        keystore_client.fd = -1;
}

/* A reply buffer may hold a shared secret or a data key: wiped on every way out. */
static void keystore_reply_freep(uint8_t **replyp) {
        if (*replyp)
                explicit_bzero(*replyp, KEYSTORE_REPLY_MAX);
        free(*replyp);
}

/*
 * One request and its reply. On success the reply's payload is copied to out (out_size
 * bytes; a longer payload is -EPROTO) and its size to *sizep.
 */
static int keystore_call(uint8_t operation, uint8_t flags, const char *name, const char *purpose, const void *data,
                         size_t size, void *out, size_t out_size, size_t *sizep) {
        uint8_t request[KEYSTORE_REQUEST_MAX];
        _cleanup_(keystore_reply_freep) uint8_t *reply = NULL;
        uint32_t serial, status;
        const uint8_t *payload;
        size_t payload_size;
        int n, r;

        keystore_client_load();
        keystore_client.have_why = keystore_client.error != 0;
        if (keystore_client.error)
                return keystore_client.error;
        if (keystore_client.fd < 0)
                return keystore_client.loaded && getenv(KOS_KEYSTORE_ENV) ? -ECONNRESET : -ENXIO;
        serial = keystore_client.next_serial++;
        n = keystore_request_build(request, operation, flags, serial, name, purpose, data, size);
        if (n < 0)
                return n;
        r = keystore_send(keystore_client.fd, request, (size_t)n, 0);
        explicit_bzero(request, (size_t)n);
        if (r < 0)
                return r;
        reply = malloc(KEYSTORE_REPLY_MAX);
        if (!reply)
                return -ENOMEM;
        for (;;) {
                int fd = -1;
                ssize_t got = ipc_frame_receive(keystore_client.fd, reply, KEYSTORE_REPLY_MAX, 0, &fd);

                if (fd >= 0) {
                        close(fd);
                        keystore_client_broken();
                        return -EPROTO;
                }
                if (got == -EAGAIN || got == -EWOULDBLOCK)
                        return -ETIMEDOUT;
                if (got == 0) {
                        keystore_client_broken();
                        return -ECONNRESET;
                }
                if (got < 0) {
                        if (got == -EBADMSG) {
                                keystore_client_broken();
                                return -EPROTO;
                        }
                        return (int)got;
                }
                r = keystore_reply_parse(reply, (size_t)got, operation, serial, &status, &payload, &payload_size);
                if (r < 0 && (size_t)got >= KEYSTORE_REPLY_HEADER_SIZE) {
                        uint32_t got_serial;
                        memcpy(&got_serial, reply + 4, sizeof(got_serial));
                        if (got_serial != serial && serial - got_serial < (1U << 31))
                                continue; /* invariant 2: a reply to a call that timed out */
                }
                if (r < 0) {
                        keystore_client_broken();
                        return -EPROTO;
                }
                break;
        }
        if (status != KEYSTORE_STATUS_OK) {
                size_t m = payload_size < sizeof(keystore_client.why) - 1 ? payload_size :
                                                                             sizeof(keystore_client.why) - 1;
                memcpy(keystore_client.why, payload, m);
                keystore_client.why[m] = '\0';
                for (size_t i = 0; i < m; i++)
                        if ((unsigned char)keystore_client.why[i] < 0x20 || keystore_client.why[i] == 0x7f)
                                keystore_client.why[i] = '?';
                keystore_client.have_why = true;
                return status_to_errno(status);
        }
        if (payload_size > out_size) {
                /* Only unwrap's reply size is the caller's choice: a buffer too small for
                 * the data key is the caller's mistake, not the key store's. */
                if (operation == KEYSTORE_OP_UNWRAP)
                        return -EMSGSIZE;
                keystore_client_broken();
                return -EPROTO;
        }
        if (payload_size)
                memcpy(out, payload, payload_size);
        *sizep = payload_size;
        return 0;
}

/* A call whose reply has exactly size bytes. */
static int keystore_call_exact(uint8_t operation, uint8_t flags, const char *key, const void *data, size_t size,
                               void *out, size_t out_size) {
        size_t n;
        int r = keystore_call(operation, flags, key, NULL, data, size, out, out_size, &n);

        if (r < 0)
                return r;
        if (n != out_size) {
                keystore_client_broken();
                return -EPROTO;
        }
        return 0;
}

int kos_keystore_list(char **listp) {
        _cleanup_free_ char *list = malloc(KOS_KEYSTORE_DATA_MAX + 1);
        size_t n;
        int r;

        if (!list)
                return -ENOMEM;
        r = keystore_call(KEYSTORE_OP_LIST, 0, NULL, NULL, NULL, 0, list, KOS_KEYSTORE_DATA_MAX, &n);
        if (r < 0)
                return r;
        list[n] = '\0';
        if (strlen(list) != n) {
                keystore_client_broken();
                return -EPROTO;
        }
        *listp = steal_ptr(&list);
        return 0;
}

int kos_keystore_public_key(const char *key, uint8_t public_key[KOS_KEYSTORE_PUBLIC_KEY_SIZE]) {
        if (!key)
                return -EINVAL;
        return keystore_call_exact(KEYSTORE_OP_PUBLIC_KEY, 0, key, NULL, 0, public_key, KOS_KEYSTORE_PUBLIC_KEY_SIZE);
}

int kos_keystore_sign(const char *key, unsigned flags, const void *data, size_t size,
                      uint8_t signature[KOS_KEYSTORE_SIGNATURE_SIZE]) {
        if (!key || (flags & ~KOS_KEYSTORE_SIGN_CONTEXT) || (size && !data))
                return -EINVAL;
        return keystore_call_exact(KEYSTORE_OP_SIGN, flags & KOS_KEYSTORE_SIGN_CONTEXT ? KEYSTORE_FLAG_CONTEXT : 0,
                                   key, data, size, signature, KOS_KEYSTORE_SIGNATURE_SIZE);
}

int kos_keystore_agree(const char *key, const uint8_t peer_public_key[KOS_KEYSTORE_PUBLIC_KEY_SIZE],
                        uint8_t shared_secret[KOS_KEYSTORE_SHARED_SECRET_SIZE]) {
        if (!key || !peer_public_key)
                return -EINVAL;
        return keystore_call_exact(KEYSTORE_OP_AGREE, 0, key, peer_public_key, KOS_KEYSTORE_PUBLIC_KEY_SIZE,
                                   shared_secret, KOS_KEYSTORE_SHARED_SECRET_SIZE);
}

int kos_keystore_wrap(const char *key, const char *purpose, const void *data, size_t size, void **wrappedp,
                      size_t *wrapped_sizep) {
        _cleanup_free_ void *out = NULL;
        size_t n;
        int r;

        if (!key || !purpose || !data || size == 0 || size > KEYSTORE_DATA_KEY_MAX)
                return -EINVAL;
        out = malloc(KOS_KEYSTORE_DATA_MAX);
        if (!out)
                return -ENOMEM;
        r = keystore_call(KEYSTORE_OP_WRAP, 0, key, purpose, data, size, out, KOS_KEYSTORE_DATA_MAX, &n);
        if (r < 0)
                return r;
        *wrappedp = steal_ptr(&out);
        *wrapped_sizep = n;
        return 0;
}

int kos_keystore_unwrap(const char *key, const char *purpose, const void *wrapped, size_t wrapped_size, void *out,
                        size_t out_size, size_t *sizep) {
        if (!key || !purpose || !wrapped || wrapped_size == 0 || !out)
                return -EINVAL;
        return keystore_call(KEYSTORE_OP_UNWRAP, 0, key, purpose, wrapped, wrapped_size, out, out_size, sizep);
}

int kos_keystore_import(const char *key, const void *private_key, size_t size) {
        size_t n;

        if (!key || !private_key || size != KEYSTORE_PRIVATE_KEY_SIZE)
                return -EINVAL;
        return keystore_call(KEYSTORE_OP_IMPORT, 0, key, NULL, private_key, size, NULL, 0, &n);
}

int kos_keystore_context_message(const char *app, const char *key, const void *data, size_t size,
                                 uint8_t **messagep, size_t *sizep) {
        char ctx[KEYSTORE_CONTEXT_MAX];
        uint8_t prefix[KEYSTORE_CONTEXT_PREFIX_MAX];
        uint8_t *message;
        size_t n;

        if (!app || !key || (size && !data) || keystore_context(app, key, ctx) < 0)
                return -EINVAL;
        n = keystore_context_prefix(ctx, prefix);
        message = malloc(n + size + 1);
        if (!message)
                return -ENOMEM;
        memcpy(message, prefix, n);
        if (size)
                memcpy(message + n, data, size);
        *messagep = message;
        *sizep = n + size;
        return 0;
}
