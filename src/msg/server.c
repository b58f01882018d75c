// SPDX-License-Identifier: Apache-2.0
/*
 * MsgServer: connections, directory and channel grants of one message server instance.
 *
 * See server.h for the invariants. Connection life:
 *
 *   kosd sends (app, fd) ──> LIVE ──(hang-up, malformed frame, error, superseded)──> DEAD
 *
 * The control connection and every LIVE connection are io sources of the server's
 * EventLoop (util/event.h), each with its own callback. A DEAD connection has already freed
 * its source (so the loop skips events of the same round that name it: the loop's
 * invariant 2), closed its socket and lost its names and grants; its memory stays until
 * the loop prepares its next wait, because the code that dropped it may still hold it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/control.h"
#include "ipc/fd.h"
#include "ipc/frame.h"
#include "msg/server.h"
#include "msg/wire.h"
#include "util/clock.h"
#include "util/event.h"
#include "util/log.h"

#define MSG_SERVER_READS_PER_EVENT 16
/* Log lines one connection's requests may cause per window; the rest are counted. */
#define MSG_SERVER_LOG_BURST 20
#define MSG_SERVER_LOG_WINDOW_MS 10000

typedef struct MsgOutFrame {
        MsgHeader header;
        uint8_t payload[MSG_CONTROL_PAYLOAD_MAX];
        int fd; /* owned; -1 if none */
} MsgOutFrame;

typedef struct MsgGrant {
        uint64_t publisher; /* connection id */
        unsigned channels;
} MsgGrant;

struct MsgConnection {
        MsgServer *server;
        MsgConnection *next;
        uint64_t id;
        char *app; /* owned */
        int fd;    /* owned; -1 once dead */
        EventSource *source; /* owned; NULL once dead */
        bool dead;
        uint32_t events; /* what the source waits for now */
        MsgOutFrame queue[MSG_SERVER_QUEUE_MAX];
        unsigned queue_head, queue_len;
        unsigned n_names;
        MsgGrant grants[MSG_SERVER_GRANT_PEERS_MAX];
        unsigned n_grants;
        /* Rate limit for the log lines this connection's requests cause. */
        uint64_t log_window_start_ms;
        unsigned log_lines, log_suppressed;
};

/* A granted channel still open as far as its publisher has said (see MSG_FRAME_CLOSED). */
typedef struct MsgChannelRecord {
        struct MsgChannelRecord *next;
        uint32_t id;
        uint64_t client, publisher; /* connection ids */
} MsgChannelRecord;

typedef struct MsgName {
        struct MsgName *next;
        char *protocol; /* owned */
        MsgConnection *publisher;
} MsgName;

struct MsgServer {
        char *instance; /* owned */
        const MsgPolicy *policy;
        EventLoop *loop;              /* owned */
        EventSource *free_dead;       /* owned: prepare source that frees dead connections */
        IpcControl *control;          /* owned; NULL if no control connection */
        char *log_prefix;             /* owned: "[instance] " */
        bool control_ended;
        MsgConnection *connections; /* owned list */
        MsgConnection *dead;        /* owned list, freed after each round */
        MsgName *names;             /* owned list */
        MsgChannelRecord *records;  /* owned list */
        uint64_t next_id;
        uint32_t next_channel_id;
};

static int msg_server_on_prepare(EventSource *source, void *userdata);
static int msg_connection_on_io(EventSource *source, int fd, uint32_t revents, void *userdata);

int msg_server_new(MsgServer **serverp, const char *instance, const MsgPolicy *policy) {
        _cleanup_(msg_server_freep) MsgServer *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->policy = policy;
        s->next_id = 1;
        s->instance = strdup(instance);
        if (!s->instance)
                return -ENOMEM;
        int r = event_loop_new(&s->loop);
        if (r < 0)
                return r;
        r = event_loop_add_prepare(s->loop, &s->free_dead, msg_server_on_prepare, s);
        if (r < 0)
                return r;
        *serverp = steal_ptr(&s);
        return 0;
}

static void msg_connection_free(MsgConnection *c) {
        event_source_free(c->source);
        for (unsigned i = 0; i < c->queue_len; i++) {
                MsgOutFrame *o = &c->queue[(c->queue_head + i) % MSG_SERVER_QUEUE_MAX];
                if (o->fd >= 0)
                        close(o->fd);
        }
        if (c->fd >= 0)
                close(c->fd);
        free(c->app);
        free(c);
}

static void msg_server_free_dead(MsgServer *s) {
        while (s->dead) {
                MsgConnection *c = s->dead;
                s->dead = c->next;
                msg_connection_free(c);
        }
}

static int msg_server_on_prepare(EventSource *source, void *userdata) {
        msg_server_free_dead(userdata);
        return 0;
}

MsgServer *msg_server_free(MsgServer *s) {
        if (!s)
                return NULL;
        while (s->names) {
                MsgName *n = s->names;
                s->names = n->next;
                free(n->protocol);
                free(n);
        }
        while (s->records) {
                MsgChannelRecord *r = s->records;
                s->records = r->next;
                free(r);
        }
        while (s->connections) {
                MsgConnection *c = s->connections;
                s->connections = c->next;
                msg_connection_free(c);
        }
        msg_server_free_dead(s);
        ipc_control_free(s->control);
        free(s->log_prefix);
        event_source_free(s->free_dead);
        event_loop_free(s->loop);
        free(s->instance);
        free(s);
        return NULL;
}

static MsgName *msg_server_find_name(MsgServer *s, const char *protocol) {
        for (MsgName *n = s->names; n; n = n->next)
                if (strcmp(n->protocol, protocol) == 0)
                        return n;
        return NULL;
}

/*
 * Logs a line caused by a request on c, prefixed with "[instance] ", at most
 * MSG_SERVER_LOG_BURST a window per connection, so an app that repeats denied (or granted)
 * requests cannot flood the log. What was left out is counted and reported with the next
 * line that is logged. Names in requests were validated by the parser, so they hold no
 * control characters.
 */
static void msg_connection_log(MsgConnection *c, LogLevel level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void msg_connection_log(MsgConnection *c, LogLevel level, const char *fmt, ...) {
        MsgServer *s = c->server;
        uint64_t now = now_ms();
        char text[512];
        va_list ap;

        if (now - c->log_window_start_ms >= MSG_SERVER_LOG_WINDOW_MS) {
                if (c->log_suppressed > 0)
                        log_notice("[%s] app \"%s\": %u more request(s) not logged", s->instance, c->app,
                                   c->log_suppressed);
                c->log_window_start_ms = now;
                c->log_lines = 0;
                c->log_suppressed = 0;
        }
        if (c->log_lines >= MSG_SERVER_LOG_BURST) {
                c->log_suppressed++;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        log_msg(level, "[%s] %s", s->instance, text);
        if (++c->log_lines == MSG_SERVER_LOG_BURST)
                log_notice("[%s] app \"%s\": too many requests to log; counting the rest for %d s",
                           s->instance, c->app, MSG_SERVER_LOG_WINDOW_MS / 1000);
}

/*
 * Writes name into out (at least 4 * KOS_MSG_NAME_MAX + 1 bytes), cut at KOS_MSG_NAME_MAX
 * bytes, with every byte outside printable ASCII (and the backslash and quote) as \xNN, so
 * a name that did not pass validation can still be logged as one harmless line.
 */
static const char *msg_name_escape(char *out, const char *name) {
        static const char hex[] = "0123456789abcdef";
        char *o = out;

        for (size_t i = 0; name[i] && i < KOS_MSG_NAME_MAX; i++) {
                unsigned char ch = (unsigned char)name[i];
                if (ch < 0x20 || ch >= 0x7f || ch == '\\' || ch == '"') {
                        *o++ = '\\';
                        *o++ = 'x';
                        *o++ = hex[ch >> 4];
                        *o++ = hex[ch & 0xf];
                } else
                        *o++ = (char)ch;
        }
        *o = '\0';
        return out;
}

/* Takes c out of service: unpublishes its names, forgets grants to it, closes it. */
static void msg_connection_drop(MsgConnection *c, const char *why) {
        MsgServer *s = c->server;

        if (c->dead)
                return;
        log_info("[%s] app \"%s\": connection closed: %s", s->instance, c->app, why);
        c->dead = true;
        for (MsgName **np = &s->names; *np;) {
                MsgName *n = *np;
                if (n->publisher == c) {
                        *np = n->next;
                        free(n->protocol);
                        free(n);
                } else
                        np = &n->next;
        }
        for (MsgConnection *o = s->connections; o; o = o->next)
                for (unsigned i = 0; i < o->n_grants;)
                        if (o->grants[i].publisher == c->id)
                                o->grants[i] = o->grants[--o->n_grants];
                        else
                                i++;
        for (MsgChannelRecord **rp = &s->records; *rp;) {
                MsgChannelRecord *r = *rp;
                if (r->client == c->id || r->publisher == c->id) {
                        *rp = r->next;
                        free(r);
                } else
                        rp = &r->next;
        }
        c->source = event_source_free(c->source);
        close(c->fd);
        c->fd = -1;
        for (MsgConnection **cp = &s->connections; *cp; cp = &(*cp)->next)
                if (*cp == c) {
                        *cp = c->next;
                        break;
                }
        c->next = s->dead;
        s->dead = c;
}

/* Makes c's source wait for what c needs: input while its queue has room, output while it is
 * not empty. */
static void msg_connection_update_events(MsgConnection *c) {
        uint32_t want = 0;

        if (c->dead)
                return;
        if (c->queue_len < MSG_SERVER_QUEUE_MAX)
                want |= EPOLLIN;
        if (c->queue_len > 0)
                want |= EPOLLOUT;
        if (want == c->events)
                return;
        if (event_source_set_io_events(c->source, want) < 0) {
                msg_connection_drop(c, "cannot watch it");
                return;
        }
        c->events = want;
}

/* Sends what is queued, in order, until the socket is full. */
static void msg_connection_flush(MsgConnection *c) {
        while (!c->dead && c->queue_len > 0) {
                MsgOutFrame *o = &c->queue[c->queue_head];
                int r = msg_frame_send(c->fd, &o->header, o->payload, o->fd, MSG_DONTWAIT);
                if (r == -EAGAIN)
                        break;
                if (o->fd >= 0)
                        close(o->fd);
                o->fd = -1;
                c->queue_head = (c->queue_head + 1) % MSG_SERVER_QUEUE_MAX;
                c->queue_len--;
                if (r < 0) {
                        msg_connection_drop(c, "send failed");
                        return;
                }
        }
        msg_connection_update_events(c);
}

/*
 * Queues a frame to c and sends what it can. Takes fd (closed in every case once sent or
 * dropped). Returns -ENOBUFS if the queue is full (fd closed).
 */
static int msg_connection_queue(MsgConnection *c, MsgFrameType type, uint32_t serial, uint32_t status,
                                const void *payload, size_t size, int fd) {
        if (c->dead || c->queue_len >= MSG_SERVER_QUEUE_MAX || size > MSG_CONTROL_PAYLOAD_MAX) {
                if (fd >= 0)
                        close(fd);
                return c->dead ? -ECONNRESET : -ENOBUFS;
        }
        MsgOutFrame *o = &c->queue[(c->queue_head + c->queue_len) % MSG_SERVER_QUEUE_MAX];
        msg_header_init(&o->header, type, serial, status, size, fd >= 0);
        if (size > 0)
                memcpy(o->payload, payload, size);
        o->fd = fd;
        c->queue_len++;
        msg_connection_flush(c);
        return 0;
}

static int msg_connection_result(MsgConnection *c, uint32_t serial, MsgStatus status) {
        return msg_connection_queue(c, MSG_FRAME_RESULT, serial, status, NULL, 0, -1);
}

static MsgGrant *msg_connection_find_grant(MsgConnection *c, uint64_t publisher) {
        for (unsigned i = 0; i < c->n_grants; i++)
                if (c->grants[i].publisher == publisher)
                        return &c->grants[i];
        return NULL;
}

static int msg_server_publish(MsgServer *s, MsgConnection *c, const MsgFrame *f) {
        if (!s->policy->may_publish(s->policy->userdata, f->name, c->app)) {
                msg_connection_log(c, LOG_LEVEL_WARNING, "denied: app \"%s\" may not publish \"%s\"", c->app, f->name);
                return msg_connection_result(c, f->header.serial, MSG_STATUS_DENIED);
        }
        MsgName *n = msg_server_find_name(s, f->name);
        if (n)
                return msg_connection_result(c, f->header.serial,
                                             n->publisher == c ? MSG_STATUS_OK : MSG_STATUS_EXISTS);
        if (c->n_names >= MSG_SERVER_NAMES_MAX)
                return msg_connection_result(c, f->header.serial, MSG_STATUS_LIMIT);

        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        n->protocol = strdup(f->name);
        if (!n->protocol) {
                free(n);
                return -ENOMEM;
        }
        n->publisher = c;
        n->next = s->names;
        s->names = n;
        c->n_names++;
        msg_connection_log(c, LOG_LEVEL_INFO, "app \"%s\" publishes \"%s\"", c->app, f->name);
        return msg_connection_result(c, f->header.serial, MSG_STATUS_OK);
}

static int msg_server_lookup(MsgServer *s, MsgConnection *c, const MsgFrame *f) {
        /* Ask the matrix first, so a denied app cannot learn whether the name exists. */
        if (!s->policy->may_lookup(s->policy->userdata, f->name, c->app)) {
                msg_connection_log(c, LOG_LEVEL_WARNING, "denied: app \"%s\" may not look up \"%s\"", c->app, f->name);
                return msg_connection_result(c, f->header.serial, MSG_STATUS_DENIED);
        }
        MsgName *n = msg_server_find_name(s, f->name);
        if (!n)
                return msg_connection_result(c, f->header.serial, MSG_STATUS_NOT_FOUND);
        MsgConnection *p = n->publisher;
        MsgGrant *g = msg_connection_find_grant(c, p->id);
        if (g ? g->channels >= MSG_SERVER_CHANNELS_PER_PEER : c->n_grants >= MSG_SERVER_GRANT_PEERS_MAX) {
                msg_connection_log(c, LOG_LEVEL_WARNING, "app \"%s\": channel limit reached for \"%s\"", c->app, f->name);
                return msg_connection_result(c, f->header.serial, MSG_STATUS_LIMIT);
        }
        /* The CHANNEL frame goes to p; when p is c itself, its RESULT needs a second slot. */
        if (p->queue_len + (p == c ? 2 : 1) > MSG_SERVER_QUEUE_MAX)
                return msg_connection_result(c, f->header.serial, MSG_STATUS_BUSY);

        MsgChannelRecord *rec = calloc(1, sizeof(*rec));
        if (!rec)
                return -ENOMEM;
        int pair[2];
        if (ipc_socketpair(&pair[0], &pair[1]) < 0) {
                free(rec);
                return msg_connection_result(c, f->header.serial, MSG_STATUS_BUSY);
        }
        if (++s->next_channel_id == 0)
                s->next_channel_id = 1;
        *rec = (MsgChannelRecord){ .id = s->next_channel_id, .client = c->id, .publisher = p->id };

        /* "protocol\0client-app" to the publisher, so it learns who calls. */
        uint8_t payload[MSG_CONTROL_PAYLOAD_MAX];
        size_t lp = strlen(f->name), la = strlen(c->app);
        memcpy(payload, f->name, lp);
        payload[lp] = '\0';
        memcpy(payload + lp + 1, c->app, la);
        int r = msg_connection_queue(p, MSG_FRAME_CHANNEL, rec->id, 0, payload, lp + 1 + la, pair[0]);
        if (r < 0 || p->dead) {
                free(rec);
                close(pair[1]);
                return msg_connection_result(c, f->header.serial,
                                             p->dead ? MSG_STATUS_NOT_FOUND : MSG_STATUS_BUSY);
        }
        /* Only a channel that went out counts; p's death while sending took no grant here,
         * so the grant is looked up again rather than kept across the send. */
        g = msg_connection_find_grant(c, p->id);
        if (!g) {
                g = &c->grants[c->n_grants++];
                *g = (MsgGrant){ .publisher = p->id };
        }
        g->channels++;
        rec->next = s->records;
        s->records = rec;
        msg_connection_log(c, LOG_LEVEL_INFO, "app \"%s\" looked up \"%s\" (published by \"%s\")", c->app, f->name,
                           p->app);
        return msg_connection_queue(c, MSG_FRAME_RESULT, f->header.serial, MSG_STATUS_OK, p->app,
                                    strlen(p->app), pair[1]);
}

/* The publisher closed channel id: it no longer counts against its client's bound. */
static void msg_server_closed(MsgServer *s, MsgConnection *p, uint32_t id) {
        for (MsgChannelRecord **rp = &s->records; *rp; rp = &(*rp)->next) {
                MsgChannelRecord *r = *rp;
                if (r->id != id || r->publisher != p->id)
                        continue;
                *rp = r->next;
                for (MsgConnection *c = s->connections; c; c = c->next) {
                        if (c->id != r->client)
                                continue;
                        for (unsigned i = 0; i < c->n_grants; i++)
                                if (c->grants[i].publisher == p->id && c->grants[i].channels > 0) {
                                        if (--c->grants[i].channels == 0)
                                                c->grants[i] = c->grants[--c->n_grants];
                                        break;
                                }
                        break;
                }
                free(r);
                return;
        }
}

int msg_server_handle_frame(MsgServer *s, MsgConnection *c, const void *buf, size_t size, int fd) {
        MsgFrame f;
        int r;

        if (c->dead) {
                if (fd >= 0)
                        close(fd);
                return -ECONNRESET;
        }
        r = msg_frame_parse(buf, size, fd >= 0, MSG_ACCEPT_SERVER, &f);
        /* No request to the server carries a descriptor; parse rejects one. */
        if (fd >= 0)
                close(fd);
        if (r < 0) {
                log_warning("[%s] app \"%s\": malformed frame", s->instance, c->app);
                msg_connection_drop(c, "malformed frame");
                return -EBADMSG;
        }
        switch (f.header.type) {
        case MSG_FRAME_PUBLISH:
                r = msg_server_publish(s, c, &f);
                break;
        case MSG_FRAME_LOOKUP:
                r = msg_server_lookup(s, c, &f);
                break;
        case MSG_FRAME_CLOSED:
                msg_server_closed(s, c, f.header.serial);
                r = 0;
                break;
        default:
                r = -EBADMSG; /* not reached: parse accepted only the two above */
        }
        if (r == -ENOMEM)
                return r;
        return 0;
}

int msg_server_add_connection(MsgServer *s, const char *app, int fd, MsgConnection **connectionp) {
        _cleanup_close_ int sock = fd;
        char escaped[4 * KOS_MSG_NAME_MAX + 1];

        if (!msg_name_is_valid(app, strlen(app)) || !s->policy->has_app(s->policy->userdata, app)) {
                log_error("[%s] refusing a connection for app \"%s\": not an app of this instance",
                          s->instance, msg_name_escape(escaped, app));
                return -EPERM;
        }
        if (!ipc_fd_is_seqpacket(sock)) {
                log_error("[%s] refusing a connection for app \"%s\": not a SOCK_SEQPACKET socket",
                          s->instance, app);
                return -ENOTSOCK;
        }
        int r = ipc_fd_set_cloexec(sock);
        if (r < 0)
                return r;

        /* kosd makes a new connection only when it (re)starts the app: the old one is stale. */
        for (MsgConnection *o = s->connections, *next; o; o = next) {
                next = o->next;
                if (strcmp(o->app, app) == 0)
                        msg_connection_drop(o, "superseded by a new connection");
        }

        MsgConnection *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->app = strdup(app);
        if (!c->app) {
                free(c);
                return -ENOMEM;
        }
        c->server = s;
        c->id = s->next_id++;
        c->events = EPOLLIN;
        r = event_loop_add_io(s->loop, &c->source, sock, c->events, msg_connection_on_io, c);
        if (r < 0) {
                free(c->app);
                free(c);
                return r;
        }
        c->fd = steal_fd(&sock);
        c->next = s->connections;
        s->connections = c;
        log_info("[%s] app \"%s\" connected", s->instance, app);
        if (connectionp)
                *connectionp = c;
        return 0;
}

/* One handover from kosd (ipc/control.h): an app name and its connection. */
static void msg_server_on_control_app(void *userdata, const char *app, int fd) {
        (void)msg_server_add_connection(userdata, app, fd, NULL);
}

/* kosd hung up (or the control connection failed): time to exit. */
static void msg_server_on_control_end(void *userdata) {
        MsgServer *s = userdata;

        s->control_ended = true;
        event_loop_exit(s->loop, 0);
}

int msg_server_set_control(MsgServer *s, int fd) {
        if (s->control) {
                close(fd);
                return -EBUSY;
        }
        if (!s->log_prefix && asprintf(&s->log_prefix, "[%s] ", s->instance) < 0) {
                s->log_prefix = NULL;
                close(fd);
                return -ENOMEM;
        }
        return ipc_control_new(&s->control, s->loop, fd, KOS_MSG_NAME_MAX, s->log_prefix, msg_server_on_control_app,
                               msg_server_on_control_end, s);
}

static void msg_server_handle_input(MsgServer *s, MsgConnection *c) {
        uint8_t buf[MSG_HEADER_SIZE + MSG_CONTROL_PAYLOAD_MAX + 1];

        for (int i = 0; i < MSG_SERVER_READS_PER_EVENT; i++) {
                if (c->dead || c->queue_len >= MSG_SERVER_QUEUE_MAX)
                        return;
                int fd = -1;
                ssize_t n = ipc_frame_receive(c->fd, buf, sizeof(buf), MSG_DONTWAIT, &fd);
                if (n == -EAGAIN)
                        return;
                if (n == 0) {
                        msg_connection_drop(c, "app hung up");
                        return;
                }
                if (n < 0) {
                        msg_connection_drop(c, n == -EBADMSG ? "malformed frame" : "receive failed");
                        return;
                }
                if (msg_server_handle_frame(s, c, buf, (size_t)n, fd) == -ENOMEM) {
                        msg_connection_drop(c, "out of memory");
                        return;
                }
        }
}

/* A LIVE connection's socket is ready (a dropped one's source is gone, so never called). */
static int msg_connection_on_io(EventSource *source, int fd, uint32_t revents, void *userdata) {
        MsgConnection *c = userdata;

        if (revents & EPOLLOUT)
                msg_connection_flush(c);
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                msg_server_handle_input(c->server, c);
        msg_connection_update_events(c);
        return 0;
}

EventLoop *msg_server_get_event_loop(MsgServer *s) {
        return s->loop;
}

int msg_server_dispatch(MsgServer *s, int timeout_ms) {
        int r;

        if (s->control_ended)
                return 1;
        r = event_loop_dispatch(s->loop, timeout_ms);
        if (r < 0)
                return r;
        msg_server_free_dead(s);
        return s->control_ended ? 1 : 0;
}

int msg_server_run(MsgServer *s) {
        if (s->control_ended)
                return 0;
        return event_loop_run(s->loop);
}

size_t msg_server_n_connections(const MsgServer *s) {
        size_t n = 0;
        for (const MsgConnection *c = s->connections; c; c = c->next)
                n++;
        return n;
}

size_t msg_server_n_names(const MsgServer *s) {
        size_t n = 0;
        for (const MsgName *m = s->names; m; m = m->next)
                n++;
        return n;
}
