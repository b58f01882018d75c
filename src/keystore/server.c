// SPDX-License-Identifier: Apache-2.0
/*
 * kos-keystored's server (see server.h for the decision order and invariants 1-4).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "ipc/control.h"
#include "ipc/frame.h"
#include "keystore/server.h"
#include "keystore/wire.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/strv.h"

typedef struct KeystoreConnection KeystoreConnection;

struct KeystoreConnection {
        KeystoreServer *server;
        KeystoreConnection *next;
        char app[KOS_KEYSTORE_NAME_MAX + 1];
        int fd;                  /* owned */
        EventSource *source;     /* owned */
        uint64_t log_period_start;
        unsigned log_lines;
        unsigned log_suppressed;
};

struct KeystoreServer {
        const Manifest *manifest; /* borrowed */
        KeystoreVault *vault;     /* borrowed */
        EventLoop *loop;          /* owned */
        KeystoreKey **keys;       /* owned: one slot per manifest key, loaded on first use */
        KeystoreConnection *connections;
        IpcControl *control;      /* owned; NULL if none */
        uint8_t *request;         /* owned, secret memory: KEYSTORE_REQUEST_MAX + 1 */
        uint8_t *reply;           /* owned, secret memory: KEYSTORE_REPLY_MAX */
};

int keystore_server_new(KeystoreServer **serverp, const Manifest *m, KeystoreVault *vault) {
        _cleanup_(keystore_server_freep) KeystoreServer *s = calloc(1, sizeof(KeystoreServer));
        int r;

        if (!s)
                return -ENOMEM;
        s->manifest = m;
        s->vault = vault;
        s->keys = calloc(m->n_keys ? m->n_keys : 1, sizeof(KeystoreKey *));
        if (!s->keys)
                return -ENOMEM;
        r = secret_alloc((void **)&s->request, KEYSTORE_REQUEST_MAX + 1);
        if (r >= 0)
                r = secret_alloc((void **)&s->reply, KEYSTORE_REPLY_MAX);
        if (r >= 0)
                r = event_loop_new(&s->loop);
        if (r < 0)
                return r;
        *serverp = steal_ptr(&s);
        return 0;
}

static void connection_free(KeystoreConnection *c) {
        event_source_free(c->source);
        close(c->fd);
        free(c);
}

KeystoreServer *keystore_server_free(KeystoreServer *s) {
        if (!s)
                return NULL;
        while (s->connections) {
                KeystoreConnection *c = s->connections;
                s->connections = c->next;
                connection_free(c);
        }
        ipc_control_free(s->control);
        for (size_t i = 0; i < s->manifest->n_keys; i++)
                keystore_key_free(s->keys[i]);
        free(s->keys);
        secret_free(s->request);
        secret_free(s->reply);
        event_loop_free(s->loop);
        free(s);
        return NULL;
}

EventLoop *keystore_server_get_event_loop(KeystoreServer *s) {
        return s->loop;
}

/* Invariant 1: a bounded number of log lines per connection and period. */
static void connection_log(KeystoreConnection *c, LogLevel level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void connection_log(KeystoreConnection *c, LogLevel level, const char *fmt, ...) {
        uint64_t now = now_ms();
        va_list ap;

        if (c) {
                if (now - c->log_period_start >= KEYSTORE_LOG_PERIOD_MS) {
                        if (c->log_suppressed)
                                log_msg(LOG_LEVEL_WARNING, "app \"%s\": %u more log lines suppressed", c->app,
                                        c->log_suppressed);
                        c->log_period_start = now;
                        c->log_lines = 0;
                        c->log_suppressed = 0;
                }
                if (c->log_lines >= KEYSTORE_LOG_BURST) {
                        c->log_suppressed++;
                        return;
                }
                c->log_lines++;
        }
        va_start(ap, fmt);
        log_msgv(level, fmt, ap);
        va_end(ap);
}

/* The reply being built: status, payload or reason, in the server's secret buffer. */
typedef struct Reply {
        uint32_t status;
        size_t size; /* payload bytes at reply + KEYSTORE_REPLY_HEADER_SIZE */
} Reply;

static uint8_t *reply_payload(KeystoreServer *s) {
        return s->reply + KEYSTORE_REPLY_HEADER_SIZE;
}

/* A refusal: its reason is the payload and a log line naming the app (invariant 1). */
static void refuse(KeystoreServer *s, KeystoreConnection *c, Reply *out, uint32_t status, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static void refuse(KeystoreServer *s, KeystoreConnection *c, Reply *out, uint32_t status, const char *fmt, ...) {
        char *text = (char *)reply_payload(s);
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(text, 256, fmt, ap);
        va_end(ap);
        out->status = status;
        out->size = n < 0 ? 0 : (size_t)n >= 256 ? 255 : (size_t)n;
        connection_log(c, status == KEYSTORE_STATUS_REJECTED || status == KEYSTORE_STATUS_FAILED ? LOG_LEVEL_ERROR :
                                                                                                    LOG_LEVEL_WARNING,
                       "%.*s", (int)out->size, text);
}

static unsigned operation_use(unsigned op) {
        switch (op) {
        case KEYSTORE_OP_SIGN: return SEAL_USE_SIGN;
        case KEYSTORE_OP_AGREE: return SEAL_USE_AGREE;
        case KEYSTORE_OP_WRAP: return SEAL_USE_WRAP;
        case KEYSTORE_OP_UNWRAP: return SEAL_USE_UNWRAP;
        default: return 0;
        }
}

/* The use a new key is sealed with: its granted operations', or else its type's. */
static unsigned key_granted_use(const ManifestKey *k, SealKeyType type) {
        unsigned use = 0;

        for (unsigned op = 1; op < _KEYSTORE_OP_MAX; op++)
                if (strv_contains(k->operations, keystore_operation_name(op)))
                        use |= operation_use(op);
        return use ? use : seal_key_type_uses(type);
}

/* Loads key k (index i), generating it on first need. Refuses into out on failure. */
static KeystoreKey *server_key(KeystoreServer *s, KeystoreConnection *c, size_t i, Reply *out) {
        const ManifestKey *k = &s->manifest->keys[i];
        _cleanup_secret_ uint8_t *secret = NULL;
        KeystoreVaultError err = { { 0 } };
        SealKeyType type;
        size_t size;
        int r;

        if (s->keys[i])
                return s->keys[i];
        (void)seal_key_type_from_string(k->type, &type);
        r = keystore_vault_load(s->vault, k->name, type, &s->keys[i], &err);
        if (r == 0)
                return s->keys[i];
        if (r != -ENOENT) {
                refuse(s, c, out, r > 0 || r == -ESTALE ? KEYSTORE_STATUS_REJECTED : KEYSTORE_STATUS_FAILED,
                       "key \"%s\": %s", k->name, err.message);
                return NULL;
        }
        /* Invariant 5: an import key comes from import alone. */
        if (manifest_key_is_imported(k)) {
                refuse(s, c, out, KEYSTORE_STATUS_NOT_IMPORTED,
                       "key \"%s\": not imported yet (origin \"import\": the key store never generates it)",
                       k->name);
                return NULL;
        }
        /* First need: a new key, made and sealed here. */
        size = seal_key_type_secret_size(type);
        r = secret_alloc((void **)&secret, SEAL_SECRET_MAX);
        if (r >= 0)
                r = keystore_key_random(secret, size);
        if (r < 0) {
                refuse(s, c, out, KEYSTORE_STATUS_FAILED, "key \"%s\": cannot generate: %s", k->name, strerror(-r));
                return NULL;
        }
        r = keystore_vault_create(s->vault, k->name, type, key_granted_use(k, type), secret, size, &s->keys[i], &err);
        if (r != 0) {
                refuse(s, c, out, r == -ESTALE ? KEYSTORE_STATUS_REJECTED : KEYSTORE_STATUS_FAILED, "key \"%s\": %s",
                       k->name, err.message);
                return NULL;
        }
        log_notice("key \"%s\": generated (%s) on first use by app \"%s\", sealed in its key file", k->name,
                   k->type, c ? c->app : "-");
        return s->keys[i];
}

static void do_list(KeystoreServer *s, const char *app, Reply *out) {
        char *p = (char *)reply_payload(s);
        size_t room = KOS_KEYSTORE_DATA_MAX, n = 0;

        for (size_t i = 0; i < s->manifest->n_keys; i++) {
                const ManifestKey *k = &s->manifest->keys[i];
                int w;

                if (!strv_contains(k->apps, app))
                        continue;
                w = snprintf(p + n, room - n, "%s %s ", k->name, k->type);
                for (size_t j = 0; w > 0 && k->operations[j] && (size_t)w < room - n; j++)
                        w += snprintf(p + n + w, room - n - w, "%s%s", j ? "," : "", k->operations[j]);
                if (w < 0 || (size_t)w + 1 >= room - n)
                        break;
                n += (size_t)w;
                p[n++] = '\n';
        }
        out->status = KEYSTORE_STATUS_OK;
        out->size = n;
}

static void do_import(KeystoreServer *s, KeystoreConnection *c, size_t i, const KeystoreRequest *req, Reply *out) {
        const ManifestKey *k = &s->manifest->keys[i];
        KeystoreVaultError err = { { 0 } };
        SealKeyType type;
        int r;

        (void)seal_key_type_from_string(k->type, &type);
        /* Invariant 5: a generated key is never replaced by an import (the manifest parser
         * refuses the grant too). */
        if (!manifest_key_is_imported(k)) {
                refuse(s, c, out, KEYSTORE_STATUS_DENIED,
                       "denied: import: key \"%s\" is generated by the key store (origin \"generate\")", k->name);
                return;
        }
        if (s->keys[i]) {
                refuse(s, c, out, KEYSTORE_STATUS_EXISTS, "import: key \"%s\" exists; a key is imported once",
                       k->name);
                return;
        }
        r = keystore_vault_create(s->vault, k->name, type, key_granted_use(k, type), req->data, req->data_size,
                                  &s->keys[i], &err);
        if (r == -EEXIST) {
                refuse(s, c, out, KEYSTORE_STATUS_EXISTS, "import: key \"%s\" exists; a key is imported once",
                       k->name);
                return;
        }
        if (r != 0) {
                refuse(s, c, out,
                       r == -EINVAL   ? KEYSTORE_STATUS_MALFORMED :
                       r == -ESTALE ? KEYSTORE_STATUS_REJECTED :
                                        KEYSTORE_STATUS_FAILED,
                       "import: %s", err.message);
                return;
        }
        log_notice("key \"%s\": imported by app \"%s\", sealed in its key file", k->name, c ? c->app : "-");
        out->status = KEYSTORE_STATUS_OK;
        out->size = 0;
}

static void do_operation(KeystoreServer *s, KeystoreConnection *c, const char *app, size_t i,
                         const KeystoreRequest *req, Reply *out) {
        const ManifestKey *k = &s->manifest->keys[i];
        const char *op = keystore_operation_name(req->operation);
        uint8_t *p = reply_payload(s);
        KeystoreKey *key;
        uint8_t prefix[KEYSTORE_CONTEXT_PREFIX_MAX];
        size_t prefix_size = 0, n;
        char ctx[KEYSTORE_CONTEXT_MAX];
        _cleanup_free_ uint8_t *wrapped = NULL;
        int r;

        key = server_key(s, c, i, out);
        if (!key)
                return;
        if (operation_use(req->operation) && !(key->use & operation_use(req->operation))) {
                char uses[64] = "";
                (void)seal_key_use_to_string(key->use, uses, sizeof(uses));
                refuse(s, c, out, KEYSTORE_STATUS_DENIED, "denied: key \"%s\" is sealed for %s only, not %s", k->name,
                       uses, op);
                return;
        }
        switch (req->operation) {
        case KEYSTORE_OP_PUBLIC_KEY:
                memcpy(p, key->public_key, KOS_KEYSTORE_PUBLIC_KEY_SIZE);
                out->size = KOS_KEYSTORE_PUBLIC_KEY_SIZE;
                r = 0;
                break;
        case KEYSTORE_OP_SIGN:
                if (req->flags & KEYSTORE_FLAG_CONTEXT) {
                        if (keystore_context(app, k->name, ctx) < 0) {
                                refuse(s, c, out, KEYSTORE_STATUS_FAILED, "sign: no context for app \"%s\"", app);
                                return;
                        }
                        prefix_size = keystore_context_prefix(ctx, prefix);
                }
                r = keystore_key_sign(key, prefix, prefix_size, req->data, req->data_size, p);
                out->size = KOS_KEYSTORE_SIGNATURE_SIZE;
                break;
        case KEYSTORE_OP_AGREE:
                r = keystore_key_agree(key, req->data, p);
                if (r == -EINVAL) {
                        refuse(s, c, out, KEYSTORE_STATUS_MALFORMED, "agree: the peer's public key yields no secret");
                        return;
                }
                out->size = KOS_KEYSTORE_SHARED_SECRET_SIZE;
                break;
        case KEYSTORE_OP_WRAP:
                r = seal_data_key_wrap(key->secret, req->purpose, req->payload, req->payload_size, &wrapped, &n);
                if (r > 0) {
                        refuse(s, c, out, KEYSTORE_STATUS_MALFORMED, "wrap: %s", seal_strerror(r));
                        return;
                }
                if (r == 0) {
                        memcpy(p, wrapped, n);
                        out->size = n;
                }
                break;
        case KEYSTORE_OP_UNWRAP:
                r = seal_data_key_unwrap(key->secret, req->purpose, req->payload, req->payload_size, p, &n);
                if (r > 0) {
                        refuse(s, c, out, KEYSTORE_STATUS_REJECTED, "unwrap with key \"%s\": %s", k->name,
                               seal_strerror(r));
                        return;
                }
                out->size = n;
                break;
        default:
                r = -EOPNOTSUPP;
                break;
        }
        if (r < 0) {
                refuse(s, c, out, KEYSTORE_STATUS_FAILED, "%s with key \"%s\": %s", op, k->name, strerror(-r));
                return;
        }
        out->status = KEYSTORE_STATUS_OK;
}

/* The decisions of server.h, in order; c may be NULL (tests, fuzzer). */
static void server_decide(KeystoreServer *s, KeystoreConnection *c, const char *app, const uint8_t *buf, size_t size,
                          KeystoreRequest *req, Reply *out) {
        const Manifest *m = s->manifest;
        const ManifestKey *k;
        const char *op;
        char why[160];
        size_t i;

        if (keystore_request_parse(buf, size, req, why, sizeof(why)) < 0) {
                refuse(s, c, out, KEYSTORE_STATUS_MALFORMED, "malformed request from app \"%s\": %s", app, why);
                return;
        }
        if (req->operation == KEYSTORE_OP_LIST) {
                do_list(s, app, out);
                return;
        }
        op = keystore_operation_name(req->operation);
        k = manifest_find_key(m, req->name);
        if (!k) {
                refuse(s, c, out, KEYSTORE_STATUS_UNKNOWN_KEY,
                       "denied: app \"%s\" may not %s with key \"%s\": the manifest has no such key", app, op,
                       req->name);
                return;
        }
        i = (size_t)(k - m->keys);
        if (!strv_contains(k->apps, app)) {
                refuse(s, c, out, KEYSTORE_STATUS_DENIED, "denied: app \"%s\" may not use key \"%s\"", app, k->name);
                return;
        }
        if (!strv_contains((char **)manifest_key_type_operations(k->type), op)) {
                refuse(s, c, out, KEYSTORE_STATUS_WRONG_TYPE,
                       "denied: app \"%s\" may not %s with key \"%s\": an %s key has no such operation", app, op,
                       k->name, k->type);
                return;
        }
        if (!strv_contains(k->operations, op)) {
                refuse(s, c, out, KEYSTORE_STATUS_DENIED, "denied: app \"%s\" may not %s with key \"%s\"", app, op,
                       k->name);
                return;
        }
        if (req->operation == KEYSTORE_OP_IMPORT)
                do_import(s, c, i, req, out);
        else
                do_operation(s, c, app, i, req, out);
}

static size_t server_handle(KeystoreServer *s, KeystoreConnection *c, const char *app, const uint8_t *request,
                            size_t size) {
        KeystoreRequest req = { 0 };
        Reply out = { .status = KEYSTORE_STATUS_FAILED };
        uint8_t op = size >= 2 ? request[1] : 0;

        server_decide(s, c, app, request, size, &req, &out);
        keystore_reply_header(s->reply, op, keystore_request_serial(request, size), out.status, (uint32_t)out.size);
        return KEYSTORE_REPLY_HEADER_SIZE + out.size;
}

size_t keystore_server_handle(KeystoreServer *s, const char *app, const uint8_t *request, size_t size, uint8_t *reply) {
        size_t n = server_handle(s, NULL, app, request, size);

        memcpy(reply, s->reply, n);
        explicit_bzero(s->reply, n);
        return n;
}

static void connection_drop(KeystoreServer *s, KeystoreConnection *c, const char *why) {
        for (KeystoreConnection **pp = &s->connections; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        if (why)
                log_info("app \"%s\": connection closed: %s", c->app, why);
        connection_free(c);
}

static int connection_on_io(EventSource *source, int fd, uint32_t revents, void *userdata) {
        KeystoreConnection *c = userdata;
        KeystoreServer *s = c->server;
        size_t n;
        int r;

        for (int i = 0; i < 16; i++) {
                int passed = -1;
                ssize_t got = ipc_frame_receive(c->fd, s->request, KEYSTORE_REQUEST_MAX + 1, MSG_DONTWAIT, &passed);

                if (got == -EAGAIN)
                        return 0;
                if (got == 0) {
                        connection_drop(s, c, NULL);
                        return 0;
                }
                if (passed >= 0 || got < 0) {
                        /* Truncated, or with a descriptor: not a request; it costs the
                         * connection, as a malformed frame does on a message server. */
                        if (passed >= 0)
                                close(passed);
                        /* A truncated frame filled the whole buffer before it was refused. */
                        explicit_bzero(s->request, got > 0 ? (size_t)got : KEYSTORE_REQUEST_MAX + 1);
                        connection_log(c, LOG_LEVEL_WARNING, "app \"%s\": malformed message", c->app);
                        connection_drop(s, c, got < 0 && got != -EBADMSG ? strerror((int)-got) : "malformed message");
                        return 0;
                }
                n = server_handle(s, c, c->app, s->request, (size_t)got);
                explicit_bzero(s->request, (size_t)got);
                r = keystore_send(c->fd, s->reply, n, MSG_DONTWAIT);
                explicit_bzero(s->reply, n);
                if (r == -EAGAIN) {
                        /* Invariant 3: it does not read its replies; it cannot hold the others up. */
                        connection_log(c, LOG_LEVEL_WARNING, "app \"%s\": does not read its replies", c->app);
                        connection_drop(s, c, "replies unread");
                        return 0;
                }
                if (r < 0) {
                        connection_drop(s, c, NULL);
                        return 0;
                }
        }
        return 0;
}

int keystore_server_add_connection(KeystoreServer *s, const char *app, int fd) {
        const ManifestApp *a = manifest_find_app(s->manifest, app);
        KeystoreConnection *c;
        int type = 0;
        socklen_t len = sizeof(type);
        int r;

        if (!a || !a->key_store[0]) {
                log_error("refused a connection for app \"%s\": the manifest grants it no key", app);
                close(fd);
                return -EPERM;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) {
                log_error("refused a connection for app \"%s\": not a SOCK_SEQPACKET socket", app);
                close(fd);
                return -EPROTOTYPE;
        }
        /* Invariant 4. */
        for (KeystoreConnection *old = s->connections; old; old = old->next)
                if (strcmp(old->app, app) == 0) {
                        connection_drop(s, old, "replaced by a new one");
                        break;
                }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->server = s;
        c->fd = fd;
        snprintf(c->app, sizeof(c->app), "%s", app);
        r = event_loop_add_io(s->loop, &c->source, fd, EPOLLIN, connection_on_io, c);
        if (r < 0) {
                close(fd);
                free(c);
                return r;
        }
        c->next = s->connections;
        s->connections = c;
        log_debug("app \"%s\": connected", app);
        return 0;
}

static void server_on_control_app(void *userdata, const char *app, int conn) {
        KeystoreServer *s = userdata;

        if (strlen(app) > KOS_KEYSTORE_NAME_MAX || !keystore_name_is_valid(app, strlen(app))) {
                log_error("control connection: refused a connection for an invalid app name");
                close(conn);
                return;
        }
        (void)keystore_server_add_connection(s, app, conn);
}

static void server_on_control_end(void *userdata) {
        KeystoreServer *s = userdata;

        event_loop_exit(s->loop, 0);
}

int keystore_server_set_control(KeystoreServer *s, int fd) {
        if (s->control) {
                close(fd);
                return -EBUSY;
        }
        return ipc_control_new(&s->control, s->loop, fd, KOS_KEYSTORE_NAME_MAX, "", server_on_control_app,
                               server_on_control_end, s);
}

int keystore_server_run(KeystoreServer *s) {
        return event_loop_run(s->loop);
}
