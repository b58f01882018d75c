/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trace server's state, apart from its transport (kos-traced.c puts it on message
 * servers): the apps it knows, their sessions and shared buffers, and the events it holds.
 *
 *   app ──< process (one per session: a pid, its categories) ──< stored events, lost counts
 *
 * Invariants:
 *  1. The server reads a session's shared memory only through trace_server_drain*(): each
 *     record is copied out, checked against the seqlock and trace_record_is_valid(), and
 *     must not go back in time on its thread; what fails is counted as lost, never stored.
 *  2. Everything one app can make the server hold is bounded per app: events
 *     (max_events, a ring in overwrite mode), live sessions (TRACE_APP_MAX_SESSIONS),
 *     processes remembered (TRACE_APP_MAX_PROCESSES), categories (64 per session), lost
 *     counts (TRACE_PROCESS_MAX_LOST per remembered process), and the work of one drain (n_buffers × buffer_records records). So an app that floods, lies
 *     or dies mid-event costs only its own trace.
 *  3. An app is traced from trace_server_start() until trace_server_stop(); every session
 *     it opens in between, a restarted process's included, is enabled as asked. Events
 *     written after the stop are never stored (the stop drains, then rings are reset at
 *     the next start; records stamped after the stop are dropped).
 *  4. The number of apps is bounded (TRACE_MAX_APPS); names are valid app names.
 *  5. Memory for held events is taken as they come (a ring that doubles from
 *     TRACE_APP_FIRST_EVENTS up to max_events) and given back by a collect. An app name
 *     alone, such as an admin's start for an app that never runs, costs only its small
 *     TraceApp: an admin cannot make the server reserve max_events per name.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kos/trace.h"
#include "trace/file.h"
#include "util/cleanup.h"

#define TRACE_MAX_APPS 256
#define TRACE_APP_MAX_SESSIONS 4
#define TRACE_APP_MAX_PROCESSES 16
#define TRACE_PROCESS_MAX_LOST 64 /* lost counts per process: threads told apart */
#define TRACE_APP_MAX_EVENTS_DEFAULT 65536
#define TRACE_APP_FIRST_EVENTS 64 /* the ring's first size (invariant 5) */

typedef struct TraceServer TraceServer;
typedef struct TraceSession TraceSession;

typedef struct TraceServerConfig {
        uint32_t n_buffers;      /* per session (threads) */
        uint32_t buffer_records; /* per buffer, a power of two */
        size_t max_events;       /* held per app between collects */
} TraceServerConfig;

int trace_server_new(TraceServer **serverp, const TraceServerConfig *config);
TraceServer *trace_server_free(TraceServer *server);
DEFINE_CLEANUP_FUNC(TraceServer, trace_server_free)

/*
 * Opens a session for app (as the message server vouched for it) from its HELLO payload.
 * On success *sessionp belongs to the server (close it with trace_server_session_close),
 * *memfdp is a descriptor of the shared memory to hand to the app (the caller closes it)
 * and *sizep its size. Returns 0, -EBADMSG for a malformed HELLO, -EMFILE past the
 * per-app or app bounds, or another negative errno.
 */
int trace_server_session_open(TraceServer *server, const char *app, const void *hello, size_t size,
                              TraceSession **sessionp, int *memfdp, uint64_t *sizep);

/* The session's app has gone: keeps what its buffers hold, then unmaps them. */
void trace_server_session_close(TraceServer *server, TraceSession *session);

/* Reads every traced discard-mode session's buffers (run periodically). */
void trace_server_drain(TraceServer *server);

/* Admin operations: 0 or a negative errno (-EALREADY, -ENOENT, -EINVAL, -EMFILE). */
int trace_server_start(TraceServer *server, const char *app, const char *categories, KosTraceMode mode);
int trace_server_stop(TraceServer *server, const char *app);
/*
 * The list text (kos/trace.h kos_trace_admin_list), at most max bytes of whole lines: the
 * apps past that are left out, never a line cut in two. The caller owns *textp.
 */
int trace_server_list(TraceServer *server, size_t max, char **textp);
/* Writes the events held for app (NULL: all apps) to w and forgets them. -ENOENT: unknown app. */
int trace_server_collect(TraceServer *server, const char *app, TraceFileWriter *w);
