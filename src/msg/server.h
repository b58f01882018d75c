/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MsgServer: one message server instance (the heart of kos-msgd).
 *
 * The server holds one connection per app, each made and handed over by kosd on the
 * control connection with the app's name, so a connection's app is never what the app
 * claims. It keeps the directory of published protocol names, answers PUBLISH and LOOKUP
 * after asking the access policy, and for a granted lookup makes a fresh socketpair whose
 * ends go to the client and the publisher; it then leaves the data path.
 *
 * Invariants:
 *  - every published name belongs to exactly one live connection; dropping a connection
 *    unpublishes its names and forgets every channel grant to and from it;
 *  - a client holds at most MSG_SERVER_CHANNELS_PER_PEER channels to one publisher
 *    connection that the publisher has not reported closed (the bound protects the
 *    publisher, so its word is the one that counts);
 *  - a connection has at most MSG_SERVER_QUEUE_MAX frames queued for sending; the server
 *    reads a request from a connection only while its queue has room, so every answer fits;
 *  - a malformed frame, a frame the connection may not send, or a peer that hangs up drops
 *    that connection and nothing else;
 *  - a newer connection for an app supersedes (drops) the older ones: kosd makes one only
 *    when it starts the app again.
 *
 * Single-threaded: everything runs from the server's EventLoop (util/event.h), whose io
 * sources are the control connection and each app connection, a callback per fd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"
#include "util/event.h"

#define MSG_SERVER_QUEUE_MAX 32        /* frames queued to one connection */
#define MSG_SERVER_NAMES_MAX 32        /* names one connection may publish */
#define MSG_SERVER_GRANT_PEERS_MAX 64  /* distinct publishers one connection holds channels to */
#define MSG_SERVER_CHANNELS_PER_PEER 16 /* open channels one client may hold to one publisher */

/* The access matrix of one instance, as the server asks it. */
typedef struct MsgPolicy {
        /* True if app may hold a connection to this instance at all. */
        bool (*has_app)(void *userdata, const char *app);
        bool (*may_publish)(void *userdata, const char *protocol, const char *app);
        bool (*may_lookup)(void *userdata, const char *protocol, const char *app);
        void *userdata;
} MsgPolicy;

typedef struct MsgServer MsgServer;
typedef struct MsgConnection MsgConnection;

/* Creates a server for instance (copied) asking policy (kept by pointer: must outlive it). */
int msg_server_new(MsgServer **serverp, const char *instance, const MsgPolicy *policy);

/* Drops every connection and frees the server. Accepts NULL; returns NULL. */
MsgServer *msg_server_free(MsgServer *s);

/*
 * Takes kosd's control connection (a SOCK_SEQPACKET socket): each message on it is an app
 * name with that app's connection in SCM_RIGHTS. The server owns fd from now on.
 */
int msg_server_set_control(MsgServer *s, int fd);

/*
 * Adds a connection for app; the server owns fd from now on (closed on failure too).
 * *connectionp (may be NULL) stays valid until the connection is dropped.
 */
int msg_server_add_connection(MsgServer *s, const char *app, int fd, MsgConnection **connectionp);

/*
 * The server's event loop (owned by the server), where a program adds its own sources,
 * such as kos-msgd's SIGTERM.
 */
EventLoop *msg_server_get_event_loop(MsgServer *s);

/*
 * Runs one round of the loop: waits up to timeout_ms for events and handles them. Returns
 * 1 once the control connection has ended (kosd is gone: time to exit), 0 otherwise, or a
 * negative errno.
 */
int msg_server_dispatch(MsgServer *s, int timeout_ms);

/*
 * Runs the loop until the control connection ends (returns 0) or another source calls
 * event_loop_exit() (returns its code). Returns a negative errno on failure.
 */
int msg_server_run(MsgServer *s);

/*
 * Handles one received frame (size bytes, fd or -1, owned by the server from now on) as if
 * it came from connection c. Returns 0, or -EBADMSG if the frame dropped the connection.
 * The fuzzer enters here; msg_server_dispatch() does the same for each frame it reads.
 */
int msg_server_handle_frame(MsgServer *s, MsgConnection *c, const void *buf, size_t size, int fd);

/* Number of live connections and published names, for tests. */
size_t msg_server_n_connections(const MsgServer *s);
size_t msg_server_n_names(const MsgServer *s);

DEFINE_CLEANUP_FUNC(MsgServer, msg_server_free)
