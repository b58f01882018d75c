/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KeystoreServer: kos-keystored's event loop, its connections and its decisions.
 *
 * kosd hands the server one connection per app the manifest grants a key, over the
 * control connection (src/ipc/handover.h): identity is that connection. On each request
 * the server decides, in this order (invariant 1, the grant check):
 *
 *   malformed            -> MALFORMED   (the request breaks the wire format)
 *   no such key          -> UNKNOWN_KEY (the manifest's key_store has no key of the name)
 *   app not on the key   -> DENIED      (key_store/NAME/apps does not name the app)
 *   type lacks the op    -> WRONG_TYPE  (sign with an aes-256 key)
 *   op not granted       -> DENIED      (key_store/NAME/operations, or the use sealed
 *                                        into the key's blob, does not include it)
 *   key file refused     -> REJECTED    (tampered, renamed or swapped sealed blob, or
 *                                        gone while its record says it was made)
 *   import key, no file  -> NOT_IMPORTED (origin "import": never generated)
 *   import, generate key -> DENIED      (origin "generate": never imported)
 *   otherwise the operation, generating the key first if it has no file yet.
 *
 * Invariants:
 *  1. Every refusal is answered with its status and a one-line reason, and logged with
 *     the app's name (at most KEYSTORE_LOG_BURST lines per connection in
 *     KEYSTORE_LOG_PERIOD_MS; the rest are counted).
 *  2. Requests are read into, and replies built in, secret memory, wiped after each
 *     request: private bytes an app imports and secrets it is given back are nowhere else.
 *  3. The server never blocks on an app: replies are sent without waiting, and an app
 *     whose socket is full (it does not read its replies) loses its connection, so one
 *     client cannot stall the others.
 *  4. A new connection for an app replaces its older one (kosd makes one per start).
 *  5. A key is made one way, the manifest's origin: a "generate" key by the server on
 *     first need (logged by name), an "import" key by the import operation alone; and
 *     never twice (the vault's record, keystore/vault.h invariant 5).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keystore/vault.h"
#include "manifest/manifest.h"
#include "util/event.h"

#define KEYSTORE_LOG_BURST 20
#define KEYSTORE_LOG_PERIOD_MS 10000

typedef struct KeystoreServer KeystoreServer;

/* A server for manifest m (borrowed) with keys in vault (borrowed). */
int keystore_server_new(KeystoreServer **serverp, const Manifest *m, KeystoreVault *vault);

/* Frees the server, its connections and every key it holds (wiped). Accepts NULL. */
KeystoreServer *keystore_server_free(KeystoreServer *s);

/* Takes over kosd's control connection; the server's loop exits 0 when kosd hangs up. */
int keystore_server_set_control(KeystoreServer *s, int fd);

/* Adds an app's connection as if kosd had handed it over (takes fd). */
int keystore_server_add_connection(KeystoreServer *s, const char *app, int fd);

EventLoop *keystore_server_get_event_loop(KeystoreServer *s);

/* Runs until kosd hangs up (0), or a signal handler exits the loop with its code. */
int keystore_server_run(KeystoreServer *s);

/*
 * Answers one request from app: size bytes at request, the reply into reply (capacity
 * KEYSTORE_REPLY_MAX). Returns the reply's size. The decisions above; for tests and the
 * fuzzer, which reach it without sockets.
 */
size_t keystore_server_handle(KeystoreServer *s, const char *app, const uint8_t *request, size_t size,
                              uint8_t *reply);

DEFINE_CLEANUP_FUNC(KeystoreServer, keystore_server_free)
