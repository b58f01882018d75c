/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Orbit server: its state, a request as handlers see it, and the route table.
 *
 * Invariants:
 *  1. Every request is matched against one route table (api.c). A route names the
 *     principal it takes (nobody, a user, a device) and, for paths under
 *     /api/v1/orgs/{org}/, the access it needs (view or change); orbit_authorize() alone
 *     decides from those and the caller's role. Handlers never look at roles.
 *  2. Every object a handler reads or changes is selected with "org_id = ?" bound to the
 *     authorized organisation, so another organisation's object is not found (404).
 *  3. Every answer is JSON; every error is {"error": MESSAGE} with a 4xx/5xx status.
 *  4. A request body is bounded (ORBIT_BODY_MAX for JSON, ORBIT_OBJECT_MAX for an object
 *     upload); past the bound the request is refused with 413 and nothing is changed.
 */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "orbit/db.h"
#include "orbit/request.h"

#define ORBIT_BODY_MAX (64U * 1024U)
#define ORBIT_OBJECT_MAX (1ULL << 30)
#define ORBIT_SESSION_SECONDS (24 * 3600)
#define ORBIT_DOWNLOAD_SECONDS (24 * 3600)
#define ORBIT_DEVICE_CLOCK_SKEW 300
#define ORBIT_LONG_POLL_MAX 60
#define ORBIT_MAX_IDS 4
#define ORBIT_KEY_CACHE 1024
#define ORBIT_TRACE_MAX (16U * 1024U * 1024U)
/* a device's running manifest travels as base64 in a JSON body: at most this many
 * characters (a DTB of 45 KiB), so the body stays under ORBIT_BODY_MAX */
#define ORBIT_DEVICE_MANIFEST_BASE64_MAX (60U * 1024U)
/* what a check-in may report: generations and apps, each item at most ~150 bytes of JSON */
#define ORBIT_DEVICE_GENERATIONS_MAX 64
#define ORBIT_DEVICE_APPS_MAX 128
/* a device is online if its last signed request is at most this old: a long-polling
 * device asks again at least every ORBIT_LONG_POLL_MAX seconds */
#define ORBIT_ONLINE_SECONDS (ORBIT_LONG_POLL_MAX + 30)

typedef struct Store Store;
typedef struct OrbitWaiters OrbitWaiters;

typedef struct Orbit {
        OrbitDb *db;             /* owned */
        Store *store;            /* owned: release objects */
        char *store_path;        /* owned */
        char *public_url;        /* owned: "http://127.0.0.1:PORT", what devices are told */
        OrbitWaiters *waiters;   /* owned: long-polling check-ins */
        struct MHD_Daemon *daemon;
        uint8_t download_secret[32]; /* auth.h invariant 4 */
        int64_t nonces_pruned;   /* when expired nonces were last removed (atomic) */
        /* parsed device keys by key id (a key id names one key forever): PEM decoding costs
         * more than the signature check; and the device last enrolled with it, which the
         * transaction that spends a nonce checks again (auth.c) */
        pthread_mutex_t key_cache_mutex;
        struct {
                char key_id[65];
                void *key; /* owned EVP_PKEY */
                int64_t device_id;
        } key_cache[ORBIT_KEY_CACHE];
} Orbit;

typedef enum OrbitPrincipalKind {
        ORBIT_PRINCIPAL_NONE,
        ORBIT_PRINCIPAL_USER,
        ORBIT_PRINCIPAL_DEVICE,
        ORBIT_PRINCIPAL_DOWNLOAD, /* a device by a download token: its release's store only */
} OrbitPrincipalKind;

typedef enum OrbitAccess {
        ORBIT_ACCESS_PUBLIC,  /* anyone (login) */
        ORBIT_ACCESS_SELF,    /* any signed-in user, about themselves (their orgs, tokens) */
        ORBIT_ACCESS_VIEW,    /* a member of the path's organisation: owner or user */
        ORBIT_ACCESS_CHANGE,  /* an owner of the path's organisation */
        ORBIT_ACCESS_DEVICE,  /* an enrolled device, about itself (signed request) */
        ORBIT_ACCESS_DOWNLOAD, /* a device's download token: the store it upgrades from */
} OrbitAccess;

typedef struct OrbitPrincipal {
        OrbitPrincipalKind kind;
        int64_t user_id;   /* USER */
        int64_t token_id;  /* USER */
        int64_t device_id; /* DEVICE */
        int64_t device_org_id;
        int64_t device_deployment_id;
} OrbitPrincipal;

typedef struct OrbitRequest OrbitRequest;
typedef int (*OrbitHandler)(Orbit *o, OrbitRequest *req);

typedef struct OrbitRoute {
        const char *method;
        /* "/api/v1/orgs/#/projects/#": "#" matches a decimal id, "@" a SHA-256 in hex, "*"
         * the rest of the path (one or more segments, checked by the handler) */
        const char *pattern;
        OrbitAccess access;
        OrbitHandler handler;
        const OrbitField *fields; /* what a JSON body may hold (NULL: nothing) */
        bool raw_body;    /* the body is an object's bytes, streamed to a file (users only) */
        bool bytes_body;  /* the body is bytes kept in memory (req->raw), not JSON */
        size_t body_max;  /* bytes_body: the bound (else ORBIT_BODY_MAX) */ /* the body is an object's bytes, streamed to a file, not JSON */
} OrbitRoute;

struct OrbitRequest {
        const OrbitRoute *route;
        struct MHD_Connection *connection;
        const char *method;
        char *path;    /* owned */
        int64_t ids[ORBIT_MAX_IDS];
        size_t n_ids;
        char digest[65];
        const char *rest; /* the "*" part of the path, in path */
        OrbitPrincipal who;
        int64_t org_id; /* the authorized organisation, for org routes */
        json_t *body;    /* owned: the parsed JSON body, NULL if none */
        /* raw bodies */
        char *raw;       /* owned: JSON bodies while they arrive */
        size_t raw_size;
        int object_fd;   /* raw_body routes: the tmp file the body goes to */
        char *object_path; /* owned */
        uint64_t object_size;
        bool too_large;
        /* the answer */
        unsigned status;
        json_t *answer;  /* owned */
        struct MHD_Response *response; /* a non-JSON answer (a store file) */
        /* long polling */
        bool suspended;
        bool resumed;
        uint64_t poll_deadline_ms;
        int64_t poll_deployment;
        uint64_t poll_sequence; /* orbit_waiters_sequence() before the handler looked */
        OrbitDbResult checkin_row; /* owned: the device's row, read for it by the wake that
                                    * resumed it (api-device.c); empty if none */
};

/* Sets an error answer: {"error": "..."} with status. Returns 0 (the request was answered). */
int orbit_fail(OrbitRequest *req, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets a JSON answer (steals answer). Returns 0. */
int orbit_answer(OrbitRequest *req, unsigned status, json_t *answer);
/* The answer to a failed database call: 409 for a uniqueness violation, else 500. */
int orbit_fail_db(Orbit *o, OrbitRequest *req, int r, const char *what);

/*
 * The one authorization decision (invariant 1): may who use route on org_id? Returns 0,
 * or answers the request (401, 403 or 404) and returns the status.
 */
unsigned orbit_authorize(Orbit *o, OrbitRequest *req);

/* The route table and its lookup: NULL and *method_known if the path exists for another
 * method (405). Fills req's ids, digest and rest. */
const OrbitRoute *orbit_route_find(OrbitRequest *req, bool *path_knownp);

/* Appends an audit record (who, what, when) inside the current transaction. */
int orbit_audit(Orbit *o, OrbitRequest *req, int64_t org_id, const char *action, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Long polling (waiters.c). */
int orbit_waiters_new(OrbitWaiters **wp);
OrbitWaiters *orbit_waiters_free(OrbitWaiters *w);
/* A counter orbit_waiters_wake() increments: read it before looking for news. */
uint64_t orbit_waiters_sequence(OrbitWaiters *w);
/*
 * Suspends req (its connection) until orbit_waiters_wake() for its deployment or
 * req->poll_deadline_ms, unless a wake happened since sequence was read: then false, and
 * the caller looks again.
 */
bool orbit_waiters_add(OrbitWaiters *w, OrbitRequest *req, int64_t deployment_id, uint64_t sequence);
void orbit_waiters_wake(OrbitWaiters *w, int64_t deployment_id);
/* The same, calling fill(req, userdata) for each waiter of the deployment before it is
 * resumed (under the waiters' mutex: fill must not block). */
typedef void (*OrbitWaiterFill)(OrbitRequest *req, void *userdata);
void orbit_waiters_wake_fill(OrbitWaiters *w, int64_t deployment_id, OrbitWaiterFill fill, void *userdata);
void orbit_waiters_wake_all(OrbitWaiters *w);
size_t orbit_waiters_count(OrbitWaiters *w);

/* Server facts for signed-in users: backend, schema version, long polls held. */
int api_server(Orbit *o, OrbitRequest *req);

/* Serves the API on 127.0.0.1:port (0: an ephemeral port, written to *portp). */
int orbit_serve_start(Orbit *o, const char *address, uint16_t port, uint16_t *portp, unsigned threads);
void orbit_serve_stop(Orbit *o);

/* Time in seconds, as stored. */
int64_t orbit_now(void);
