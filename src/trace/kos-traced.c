// SPDX-License-Identifier: Apache-2.0
/*
 * kos-traced: the trace server. Publishes kos_trace_protocol (traced apps open their
 * session) and, with --admin or the manifest's trace_server/admin, kos_trace_admin_protocol
 * (start, stop, list, collect), on every message server instance it is connected to
 * (KOS_MSG_SERVERS, made by kosd from the manifest's trace_server node).
 *
 *   kos-traced [--instance NAME] [--manifest-fd N | --manifest FILE.dtb] [--control-fd N]
 *              [--admin] [--buffers N] [--buffer-records N] [--max-events N]
 *
 * Invariants:
 *  1. Who is at the other end of a channel is what kos-msgd vouched for
 *     (kos_msg_channel_peer()); nothing an app sends names it.
 *  2. One event loop: a callback per message server connection and per channel, a timer
 *     for draining, signals; no callback blocks on an app (receives are non-blocking,
 *     replies never wait).
 *  3. Channels are bounded, in all and per app (TRACED_MAX_CHANNELS, ..._PER_APP), so apps
 *     cannot take the server's channels from others; a malformed request costs its sender
 *     its channel; a channel that ends closes its session, keeping the session's events.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/handover.h"
#include "kos/msg.h"
#include "manifest/load.h"
#include "manifest/manifest.h"
#include "trace/admin-protocol.h"
#include "trace/layout.h"
#include "trace/server.h"
#include "util/clock.h"
#include "util/event.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/memfd.h"
#include "util/number.h"

#define TRACED_MAX_CHANNELS 1024
#define TRACED_MAX_CHANNELS_PER_APP 8
#define TRACED_DRAIN_MS 50
#define TRACED_EXIT_TERMINATED 1

typedef struct Traced Traced;

typedef struct TracedChannel {
        Traced *traced;
        KosMsgChannel *channel; /* owned */
        EventSource *source;    /* owned */
        TraceSession *session;  /* owned by the server; NULL if none */
        bool admin;
} TracedChannel;

typedef struct TracedServerLink {
        Traced *traced;
        unsigned id; /* message server instance */
} TracedServerLink;

struct Traced {
        EventLoop *loop;
        TraceServer *server;
        TracedChannel *channels[TRACED_MAX_CHANNELS];
        size_t n_channels;
        TracedServerLink links[16];
        EventSource *drain_timer;
};

static void traced_channel_free(TracedChannel *tc) {
        Traced *t = tc->traced;

        if (tc->session)
                trace_server_session_close(t->server, tc->session);
        event_source_free(tc->source);
        kos_msg_channel_free(tc->channel);
        for (size_t i = 0; i < t->n_channels; i++)
                if (t->channels[i] == tc) {
                        t->channels[i] = t->channels[--t->n_channels];
                        break;
                }
        free(tc);
}

static int traced_reply_errno(KosMsgChannel *ch, const KosMsgMessage *m, int r) {
        return kos_msg_reply(ch, m, (uint32_t)-r, NULL, 0, -1);
}

static int traced_handle_hello(TracedChannel *tc, const KosMsgMessage *m) {
        const char *app = kos_msg_channel_peer(tc->channel);
        TraceHelloReply answer = { .version = 1 };
        int fd = -1, r;

        if (tc->session) {
                log_warning("app \"%s\": a second HELLO on one session; closing it", app);
                return -EPROTO;
        }
        r = trace_server_session_open(tc->traced->server, app, m->data, m->size, &tc->session, &fd, &answer.size);
        if (r < 0) {
                log_warning("app \"%s\": session refused: %s", app, r == -EBADMSG ? "malformed HELLO" : strerror(-r));
                (void)traced_reply_errno(tc->channel, m, r);
                return r == -EBADMSG ? r : 0;
        }
        log_info("app \"%s\": session open", app);
        r = kos_msg_reply(tc->channel, m, 0, &answer, sizeof(answer), fd);
        close(fd);
        return r < 0 ? r : 0;
}

static int traced_handle_admin(TracedChannel *tc, const KosMsgMessage *m) {
        Traced *t = tc->traced;
        const char *peer = kos_msg_channel_peer(tc->channel);
        TraceAdminRequest req;
        _cleanup_free_ char *text = NULL;
        int r;

        r = trace_admin_request_parse(m->data, m->size, &req);
        if (r < 0) {
                log_warning("admin \"%s\": malformed request; closing its channel", peer);
                (void)traced_reply_errno(tc->channel, m, -EBADMSG);
                return -EBADMSG;
        }
        switch (req.op) {
        case TRACE_ADMIN_START:
                r = trace_server_start(t->server, req.app, req.categories, req.mode);
                if (r >= 0)
                        log_info("admin \"%s\": tracing \"%s\" (%s, categories %s)", peer, req.app,
                                 req.mode == KOS_TRACE_MODE_OVERWRITE ? "overwrite" : "discard",
                                 *req.categories ? req.categories : "all");
                (void)traced_reply_errno(tc->channel, m, r < 0 ? r : 0);
                return 0;
        case TRACE_ADMIN_STOP:
                r = trace_server_stop(t->server, req.app);
                if (r >= 0)
                        log_info("admin \"%s\": stopped tracing \"%s\"", peer, req.app);
                (void)traced_reply_errno(tc->channel, m, r < 0 ? r : 0);
                return 0;
        case TRACE_ADMIN_LIST:
                r = trace_server_list(t->server, KOS_MSG_MAX_PAYLOAD, &text);
                if (r < 0) {
                        (void)traced_reply_errno(tc->channel, m, r);
                        return 0;
                }
                (void)kos_msg_reply(tc->channel, m, 0, text, strlen(text), -1);
                return 0;
        case TRACE_ADMIN_COLLECT: {
                TraceFileWriter w;
                _cleanup_close_ int fd = -1;

                trace_file_writer_init(&w);
                r = trace_server_collect(t->server, req.app, &w);
                if (r >= 0)
                        r = memfd_new_sealable("kos-trace-collect", false, &fd);
                if (r >= 0)
                        r = write_full(fd, w.data, w.size);
                if (r >= 0)
                        r = memfd_seal(fd);
                if (r >= 0)
                        log_info("admin \"%s\": collected %zu bytes of %s%s%s", peer, w.size,
                                 *req.app ? "\"" : "", *req.app ? req.app : "every app", *req.app ? "\"" : "");
                trace_file_writer_done(&w);
                if (r < 0)
                        (void)traced_reply_errno(tc->channel, m, r);
                else
                        (void)kos_msg_reply(tc->channel, m, 0, NULL, 0, fd);
                return 0;
        }
        }
        return 0;
}

static int traced_on_channel(EventSource *source, int fd, uint32_t revents, void *userdata) {
        TracedChannel *tc = userdata;
        KosMsgMessage m;
        int r;

        for (;;) {
                r = kos_msg_receive(tc->channel, 0, &m);
                if (r == -EAGAIN || r == -ETIMEDOUT)
                        return 0;
                if (r < 0)
                        break;
                if (m.fd >= 0)
                        close(m.fd); /* neither protocol passes descriptors to the server */
                if (m.one_way) {
                        r = -EPROTO;
                        break;
                }
                r = tc->admin ? traced_handle_admin(tc, &m) : traced_handle_hello(tc, &m);
                if (r < 0)
                        break;
        }
        if (tc->session)
                log_info("app \"%s\": session closed", kos_msg_channel_peer(tc->channel));
        traced_channel_free(tc);
        return 0;
}

static int traced_on_server(EventSource *source, int fd, uint32_t revents, void *userdata) {
        TracedServerLink *link = userdata;
        Traced *t = link->traced;
        KosMsgChannel *ch;
        int r;

        (void)kos_msg_set_active_server_id(link->id);
        for (;;) {
                TracedChannel *tc;

                r = kos_msg_accept(0, &ch);
                if (r == -ETIMEDOUT || r == -EAGAIN)
                        return 0;
                if (r < 0) {
                        log_error("message server %s: %s; exiting", kos_msg_server_name(link->id), strerror(-r));
                        event_loop_exit(t->loop, 0);
                        return 0;
                }
                size_t same = 0;
                for (size_t i = 0; i < t->n_channels; i++)
                        same += strcmp(kos_msg_channel_peer(t->channels[i]->channel), kos_msg_channel_peer(ch)) == 0;
                if (t->n_channels == TRACED_MAX_CHANNELS || same == TRACED_MAX_CHANNELS_PER_APP) {
                        log_warning("app \"%s\": a channel past the limit (%d per app, %d in all); refused",
                                    kos_msg_channel_peer(ch), TRACED_MAX_CHANNELS_PER_APP, TRACED_MAX_CHANNELS);
                        kos_msg_channel_free(ch);
                        continue;
                }
                tc = calloc(1, sizeof(*tc));
                if (!tc) {
                        kos_msg_channel_free(ch);
                        continue;
                }
                *tc = (TracedChannel){ .traced = t, .channel = ch,
                                       .admin = strcmp(kos_msg_channel_protocol(ch), KOS_TRACE_ADMIN_PROTOCOL) == 0 };
                r = event_loop_add_io(t->loop, &tc->source, kos_msg_channel_fd(ch), EPOLLIN, traced_on_channel, tc);
                if (r < 0) {
                        kos_msg_channel_free(ch);
                        free(tc);
                        continue;
                }
                t->channels[t->n_channels++] = tc;
        }
}

static int traced_on_drain(EventSource *source, uint64_t now, void *userdata) {
        Traced *t = userdata;

        trace_server_drain(t->server);
        event_source_set_deadline(source, now_ms() + TRACED_DRAIN_MS);
        return 0;
}

static int traced_on_sigterm(EventSource *source, const struct signalfd_siginfo *info, void *userdata) {
        event_loop_exit(userdata, TRACED_EXIT_TERMINATED);
        return 0;
}

static int traced_on_control(EventSource *source, int fd, uint32_t revents, void *userdata) {
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

        /* kosd sends nothing here; its end closing means kosd is gone. */
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || (revents & (EPOLLHUP | EPOLLERR)))
                event_loop_exit(userdata, 0);
        return 0;
}

static void traced_usage(FILE *f) {
        fprintf(f, "usage: kos-traced [--instance NAME] [--manifest-fd N | --manifest FILE.dtb] [--control-fd N]\n"
                   "                  [--admin] [--buffers N] [--buffer-records N] [--max-events N]\n");
}

static int traced_number(const char *option, const char *arg, unsigned long max, unsigned long *valuep) {
        long v;
        int r = number_parse(arg, 0, (long)max, &v);

        if (r < 0) {
                log_error("--%s: not a number up to %lu: \"%s\"", option, max, arg);
                return r;
        }
        *valuep = (unsigned long)v;
        return 0;
}

/* The manifest kosd handed over (or a file): only its trace_server node matters here; its
 * settings apply unless an option gave them. */
static int traced_read_manifest(const char *path, int fd, bool *adminp, TraceServerConfig *config,
                                const bool set[3]) {
        _cleanup_(manifest_freep) Manifest *m = NULL;

        if (manifest_load_handed(path, fd, &m) < 0)
                return -1;
        if (m->trace_server) {
                if (m->trace_server->admin)
                        *adminp = true;
                if (!set[0])
                        config->n_buffers = m->trace_server->buffers;
                if (!set[1])
                        config->buffer_records = m->trace_server->buffer_records;
                if (!set[2])
                        config->max_events = m->trace_server->max_events;
        }
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "instance", required_argument, NULL, 'i' },
                { "manifest", required_argument, NULL, 'm' },
                { "manifest-fd", required_argument, NULL, 'f' },
                { "control-fd", required_argument, NULL, 'c' },
                { "admin", no_argument, NULL, 'a' },
                { "buffers", required_argument, NULL, 'b' },
                { "buffer-records", required_argument, NULL, 'r' },
                { "max-events", required_argument, NULL, 'e' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        TraceServerConfig config = { TRACE_SHM_BUFFERS, TRACE_SHM_BUFFER_RECORDS, TRACE_APP_MAX_EVENTS_DEFAULT };
        Traced t = { 0 };
        const char *manifest_path = NULL;
        unsigned long v;
        int manifest_fd = -1, control_fd = -1;
        bool admin = false, set[3] = { false, false, false };
        unsigned n_servers;
        int c, r;

        log_set_program("kos-traced");
        if (getenv("JOURNAL_STREAM"))
                log_set_priority_prefix(true);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'i':
                        break;
                case 'm':
                        manifest_path = optarg;
                        break;
                case 'f':
                        if (number_parse_fd_option("manifest-fd", optarg, &manifest_fd) < 0)
                                return 2;
                        break;
                case 'c':
                        if (number_parse_fd_option("control-fd", optarg, &control_fd) < 0)
                                return 2;
                        break;
                case 'a':
                        admin = true;
                        break;
                case 'b':
                        if (traced_number("buffers", optarg, 1024, &v) < 0)
                                return 2;
                        config.n_buffers = (uint32_t)v;
                        set[0] = true;
                        break;
                case 'r':
                        if (traced_number("buffer-records", optarg, 1UL << 20, &v) < 0)
                                return 2;
                        config.buffer_records = (uint32_t)v;
                        set[1] = true;
                        break;
                case 'e':
                        if (traced_number("max-events", optarg, 1UL << 24, &v) < 0)
                                return 2;
                        config.max_events = v;
                        set[2] = true;
                        break;
                case 'h':
                        traced_usage(stdout);
                        return 0;
                default:
                        traced_usage(stderr);
                        return 2;
                }
        }
        if (optind != argc || (manifest_path && manifest_fd >= 0)) {
                traced_usage(stderr);
                return 2;
        }
        /* kosd's services get the control connection as fd 3 with the manifest as fd 4. */
        if (manifest_fd >= 0 && control_fd < 0)
                control_fd = 3;
        if ((manifest_path || manifest_fd >= 0) && traced_read_manifest(manifest_path, manifest_fd, &admin, &config, set) < 0)
                return 1;

        r = trace_server_new(&t.server, &config);
        if (r < 0) {
                log_error("--buffers, --buffer-records, --max-events: buffer records must be a power of two, "
                          "at least 2; every value above 0");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        r = event_loop_new(&t.loop);
        if (r < 0)
                return log_error_errno(r, "cannot start: %s", strerror(-r)), 1;
        if (kos_msg_servers_error()) {
                log_error("%s", kos_msg_servers_error());
                return 1;
        }
        n_servers = kos_msg_server_count();
        if (n_servers == 0) {
                log_error("no message server connections (KOS_MSG_SERVERS): the manifest's trace_server node "
                          "names the instances to publish on");
                return 1;
        }
        for (unsigned id = 0; id < n_servers && id < ELEMENTSOF(t.links); id++) {
                const char *name = kos_msg_server_name(id);

                (void)kos_msg_set_active_server_id(id);
                r = kos_msg_publish(KOS_TRACE_PROTOCOL);
                if (r < 0)
                        log_warning("[%s] cannot publish %s: %s", name, KOS_TRACE_PROTOCOL, strerror(-r));
                if (admin) {
                        r = kos_msg_publish(KOS_TRACE_ADMIN_PROTOCOL);
                        if (r < 0)
                                log_warning("[%s] cannot publish %s: %s", name, KOS_TRACE_ADMIN_PROTOCOL,
                                            strerror(-r));
                }
                t.links[id] = (TracedServerLink){ &t, id };
                r = kos_msg_server_fd();
                if (r < 0)
                        return log_error_errno(r, "[%s] %s", name, strerror(-r)), 1;
                r = event_loop_add_io(t.loop, NULL, r, EPOLLIN, traced_on_server, &t.links[id]);
                if (r < 0)
                        return log_error_errno(r, "[%s] %s", name, strerror(-r)), 1;
        }
        /* A publish reads its server's connection and may have queued channels that came
         * meanwhile: the descriptor will not wake the loop for those, so take them now. */
        for (unsigned id = 0; id < n_servers && id < ELEMENTSOF(t.links); id++)
                (void)traced_on_server(NULL, -1, EPOLLIN, &t.links[id]);
        r = event_loop_add_timer(t.loop, &t.drain_timer, now_ms() + TRACED_DRAIN_MS, traced_on_drain, &t);
        if (r >= 0)
                r = event_loop_add_signal(t.loop, NULL, SIGTERM, traced_on_sigterm, t.loop);
        if (r >= 0 && control_fd >= 0)
                r = event_loop_add_io(t.loop, NULL, control_fd, EPOLLIN, traced_on_control, t.loop);
        if (r < 0)
                return log_error_errno(r, "cannot start: %s", strerror(-r)), 1;
        log_info("serving %s%s on %u message server%s", KOS_TRACE_PROTOCOL, admin ? " and " KOS_TRACE_ADMIN_PROTOCOL : "",
                 n_servers, n_servers == 1 ? "" : "s");
        r = event_loop_run(t.loop);
        while (t.n_channels > 0)
                traced_channel_free(t.channels[0]);
        event_source_free(t.drain_timer);
        t.server = trace_server_free(t.server);
        t.loop = event_loop_free(t.loop);
        if (r < 0)
                return log_error_errno(r, "%s", strerror(-r)), 1;
        return 0;
}
