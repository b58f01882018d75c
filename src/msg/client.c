// SPDX-License-Identifier: Apache-2.0
/*
 * The client side of the server connections: KOS_MSG_SERVERS, publish, lookup, accept.
 *
 * Invariants: KOS_MSG_SERVERS is read once (on first use); each named fd must be an open
 * SOCK_SEQPACKET socket and is made close-on-exec, so programs an app runs do not inherit
 * its identity. Channels that arrive while the app waits for an answer are queued (at most
 * MSG_CLIENT_PENDING_MAX per instance; beyond that they are closed, and their client sees
 * the publisher's end) and handed out by kos_msg_accept() in arrival order. Closing an
 * accepted channel tells the server, so it stops counting against its client's bound.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipc/frame.h"
#include "ipc/handover.h"
#include "msg/channel.h"
#include "msg/client.h"
#include "msg/wire.h"
#include "util/cleanup.h"
#include "util/clock.h"

#define MSG_CLIENT_SERVERS_MAX 16
#define MSG_CLIENT_PENDING_MAX 64
#define MSG_CLIENT_RETRY_MS 20
/* A lookup with less time left than this still waits this long for the server's answer, so
 * that "try once" (timeout 0) gets one from a working server. */
#define MSG_CLIENT_ANSWER_MIN_MS 1000

_Static_assert(IPC_HANDOVER_NAME_MAX == KOS_MSG_NAME_MAX, "a server's name is a KOS name");

typedef struct MsgPendingChannel {
        int fd;
        uint32_t id;
        char protocol[KOS_MSG_NAME_MAX + 1];
        char peer[KOS_MSG_NAME_MAX + 1];
} MsgPendingChannel;

typedef struct MsgServerLink {
        char name[KOS_MSG_NAME_MAX + 1];
        int fd; /* -1 once the server's end was seen */
        uint32_t next_serial;
        MsgPendingChannel pending[MSG_CLIENT_PENDING_MAX];
        unsigned pending_head, pending_len;
} MsgServerLink;

static struct {
        bool loaded;
        int error; /* negative errno if KOS_MSG_SERVERS was malformed */
        char why[256];   /* and why, if so */
        MsgServerLink links[MSG_CLIENT_SERVERS_MAX];
        unsigned n_links;
        unsigned active;
} msg_client;

void msg_client_reset(void) {
        for (unsigned i = 0; i < msg_client.n_links; i++) {
                MsgServerLink *l = &msg_client.links[i];
                for (unsigned j = 0; j < l->pending_len; j++)
                        close(l->pending[(l->pending_head + j) % MSG_CLIENT_PENDING_MAX].fd);
        }
        memset(&msg_client, 0, sizeof(msg_client));
}

/* Parses "name=fd,name=fd" (ipc/handover.h) into the link table. */
static int msg_client_parse(const char *spec) {
        IpcHandoverLink links[MSG_CLIENT_SERVERS_MAX];
        size_t n = 0;
        IpcHandoverEnvError err;
        int r = ipc_handover_env_parse(spec, links, ELEMENTSOF(links), &n, &err);

        if (r < 0) {
                snprintf(msg_client.why, sizeof(msg_client.why), IPC_HANDOVER_ENV " is malformed: %s",
                         err.message);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                MsgServerLink *l = &msg_client.links[i];
                memcpy(l->name, links[i].name, sizeof(l->name));
                l->fd = links[i].fd;
                l->next_serial = 1;
        }
        msg_client.n_links = (unsigned)n;
        return 0;
}

static void msg_client_load(void) {
        if (msg_client.loaded)
                return;
        msg_client.loaded = true;
        const char *spec = getenv(IPC_HANDOVER_ENV);
        if (spec && msg_client_parse(spec) < 0) {
                msg_client.error = -EINVAL;
                msg_client.n_links = 0;
        }
}

static int msg_client_active(MsgServerLink **linkp) {
        msg_client_load();
        if (msg_client.error)
                return msg_client.error;
        if (msg_client.active >= msg_client.n_links)
                return -ENXIO;
        MsgServerLink *l = &msg_client.links[msg_client.active];
        if (l->fd < 0)
                return -ECONNRESET;
        *linkp = l;
        return 0;
}

const char *kos_msg_servers_error(void) {
        msg_client_load();
        return msg_client.error ? msg_client.why : NULL;
}

unsigned kos_msg_server_count(void) {
        msg_client_load();
        return msg_client.n_links;
}

const char *kos_msg_server_name(unsigned id) {
        msg_client_load();
        return id < msg_client.n_links ? msg_client.links[id].name : NULL;
}

int kos_msg_find_server_id(const char *name, unsigned *idp) {
        msg_client_load();
        for (unsigned i = 0; i < msg_client.n_links; i++)
                if (strcmp(msg_client.links[i].name, name) == 0) {
                        *idp = i;
                        return 0;
                }
        return -ENXIO;
}

int kos_msg_set_active_server_id(unsigned id) {
        msg_client_load();
        if (id >= msg_client.n_links)
                return -ENXIO;
        msg_client.active = id;
        return 0;
}

int kos_msg_set_active_server(const char *name) {
        unsigned id;
        int r = kos_msg_find_server_id(name, &id);
        if (r < 0)
                return r;
        return kos_msg_set_active_server_id(id);
}

int kos_msg_server_fd(void) {
        MsgServerLink *l = NULL;
        int r = msg_client_active(&l);
        return r < 0 ? r : l->fd;
}

static void msg_link_lost(MsgServerLink *l) {
        close(l->fd);
        l->fd = -1;
}

/* A publisher closed channel id that came on link (a MsgServerLink): tells the server (best
 * effort). The channel's on-close handler. */
static void msg_client_channel_closed(void *userdata, uint32_t id) {
        MsgServerLink *l = userdata;
        MsgHeader h;

        /* The link table may have been reset since (msg_client_reset(), tests only). */
        if ((unsigned)(l - msg_client.links) >= msg_client.n_links || l->fd < 0)
                return;
        msg_header_init(&h, MSG_FRAME_CLOSED, id, 0, 0, false);
        (void)msg_frame_send(l->fd, &h, NULL, -1, MSG_DONTWAIT);
}

static void msg_link_queue_channel(MsgServerLink *l, const MsgFrame *f, int fd) {
        if (l->pending_len >= MSG_CLIENT_PENDING_MAX) {
                close(fd);
                msg_client_channel_closed(l, f->header.serial);
                return;
        }
        MsgPendingChannel *p = &l->pending[(l->pending_head + l->pending_len++) % MSG_CLIENT_PENDING_MAX];
        p->fd = fd;
        p->id = f->header.serial;
        memcpy(p->protocol, f->name, sizeof(p->protocol));
        memcpy(p->peer, f->peer, sizeof(p->peer));
}

/*
 * Reads one frame from the server within timeout_ms. CHANNEL frames are queued; a RESULT
 * is returned in *fp (with its fd in *fdp). Returns 1 for a RESULT, 0 for anything else.
 */
static int msg_link_read(MsgServerLink *l, int timeout_ms, MsgFrame *fp, int *fdp) {
        uint8_t buf[MSG_HEADER_SIZE + MSG_CONTROL_PAYLOAD_MAX + 1];
        struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
        int r;

        do
                r = poll(&pfd, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        int fd = -1;
        ssize_t n = ipc_frame_receive(l->fd, buf, sizeof(buf), MSG_DONTWAIT, &fd);
        if (n == -EAGAIN)
                return 0;
        if (n <= 0) {
                msg_link_lost(l);
                return n == 0 || n == -ECONNRESET ? -ECONNRESET : -EPROTO;
        }
        MsgFrame f;
        if (msg_frame_parse(buf, (size_t)n, fd >= 0, MSG_ACCEPT_APP_CONTROL, &f) < 0) {
                if (fd >= 0)
                        close(fd);
                msg_link_lost(l);
                return -EPROTO;
        }
        if (f.header.type == MSG_FRAME_CHANNEL) {
                msg_link_queue_channel(l, &f, fd);
                return 0;
        }
        *fp = f;
        *fdp = fd;
        return 1;
}

static int msg_status_to_errno(uint32_t status) {
        switch (status) {
        case MSG_STATUS_OK:
                return 0;
        case MSG_STATUS_DENIED:
                return -EACCES;
        case MSG_STATUS_NOT_FOUND:
                return -ENOENT;
        case MSG_STATUS_EXISTS:
                return -EEXIST;
        case MSG_STATUS_LIMIT:
                return -EMFILE;
        case MSG_STATUS_BUSY:
                return -EBUSY;
        default:
                return -EPROTO;
        }
}

/*
 * Sends a PUBLISH or LOOKUP for protocol and waits up to timeout_ms (-1: no limit) for its
 * RESULT. A RESULT that comes after the timeout is recognised by its serial and dropped by
 * a later request.
 */
static int msg_link_request(MsgServerLink *l, MsgFrameType type, const char *protocol, int timeout_ms,
                            MsgFrame *resultp, int *fdp) {
        int64_t deadline = (int64_t)now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        size_t len = strlen(protocol);
        MsgHeader h;
        int r;

        if (!msg_name_is_valid(protocol, len))
                return -EINVAL;
        uint32_t serial = l->next_serial++;
        msg_header_init(&h, type, serial, 0, len, false);
        r = msg_frame_send(l->fd, &h, protocol, -1, 0);
        if (r < 0) {
                if (r == -ECONNRESET)
                        msg_link_lost(l);
                return r;
        }
        for (;;) {
                MsgFrame f;
                int fd = -1, wait = -1;
                if (timeout_ms >= 0) {
                        int64_t left = deadline - (int64_t)now_ms();
                        wait = left > 0 ? (int)left : 0;
                }
                r = msg_link_read(l, wait, &f, &fd);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (f.header.serial != serial) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                *resultp = f;
                *fdp = fd;
                return msg_status_to_errno(f.header.status);
        }
}

int kos_msg_publish(const char *protocol) {
        MsgServerLink *l = NULL;
        MsgFrame f;
        int fd = -1;
        int r = msg_client_active(&l);

        if (r < 0)
                return r;
        r = msg_link_request(l, MSG_FRAME_PUBLISH, protocol, -1, &f, &fd);
        if (fd >= 0)
                close(fd);
        return r;
}

int kos_msg_lookup(const char *protocol, int timeout_ms, KosMsgChannel **channelp) {
        int64_t deadline = (int64_t)now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        MsgServerLink *l = NULL;
        int r;

        for (;;) {
                MsgFrame f;
                int fd = -1;
                r = msg_client_active(&l);
                if (r < 0)
                        return r;
                int answer_ms = -1;
                if (timeout_ms >= 0) {
                        int64_t left = deadline - (int64_t)now_ms();
                        answer_ms = left > MSG_CLIENT_ANSWER_MIN_MS ? (int)left : MSG_CLIENT_ANSWER_MIN_MS;
                }
                r = msg_link_request(l, MSG_FRAME_LOOKUP, protocol, answer_ms, &f, &fd);
                if (r == 0) {
                        if (fd < 0)
                                return -EPROTO;
                        return msg_channel_new(fd, protocol, f.peer, NULL, NULL, 0, channelp);
                }
                if (fd >= 0)
                        close(fd);
                if (r != -ENOENT && r != -EBUSY)
                        return r;
                int64_t left = deadline - (int64_t)now_ms();
                if (timeout_ms == 0 || (timeout_ms > 0 && left <= 0))
                        return r;
                int64_t nap = timeout_ms < 0 || left > MSG_CLIENT_RETRY_MS ? MSG_CLIENT_RETRY_MS : left;
                struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)nap * 1000000L };
                nanosleep(&ts, NULL);
        }
}

int kos_msg_accept(int timeout_ms, KosMsgChannel **channelp) {
        int64_t deadline = (int64_t)now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        MsgServerLink *l = NULL;
        int r = msg_client_active(&l);

        if (r < 0)
                return r;
        for (;;) {
                if (l->pending_len > 0) {
                        MsgPendingChannel *p = &l->pending[l->pending_head];
                        l->pending_head = (l->pending_head + 1) % MSG_CLIENT_PENDING_MAX;
                        l->pending_len--;
                        return msg_channel_new(p->fd, p->protocol, p->peer, msg_client_channel_closed, l,
                                               p->id, channelp);
                }
                int wait = timeout_ms;
                if (timeout_ms > 0) {
                        int64_t left = deadline - (int64_t)now_ms();
                        wait = left > 0 ? (int)left : 0;
                }
                MsgFrame f;
                int fd = -1;
                r = msg_link_read(l, wait, &f, &fd);
                if (r < 0)
                        return r;
                if (r == 1 && fd >= 0)
                        close(fd); /* a stale answer */
                if (l->pending_len == 0 && timeout_ms >= 0 && (int64_t)now_ms() >= deadline)
                        return -ETIMEDOUT;
        }
}
