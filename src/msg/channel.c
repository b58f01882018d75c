// SPDX-License-Identifier: Apache-2.0
/*
 * Direct channels: calls, one-way sends, receives and replies between two apps.
 *
 * The hot path is one sendmsg() and one recvmsg() per side and message, as over a raw
 * socketpair: timeouts use SO_RCVTIMEO, set only when the wanted timeout changes, rather
 * than a poll() before each receive; a send is tried without waiting, and only when the
 * peer's side is full does it poll for room, within the call's timeout.
 *
 * Invariants: a channel that saw a malformed frame or its peer's end is broken and fails
 * every later operation; data of a received message lives in the channel's buffer until
 * the next receive; a received fd is the caller's.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/frame.h"
#include "msg/channel.h"
#include "msg/wire.h"
#include "util/cleanup.h"
#include "util/clock.h"

struct KosMsgChannel {
        int fd;    /* owned */
        int error; /* negative errno once broken, else 0 */
        int rcvtimeo_ms; /* SO_RCVTIMEO now in force, -1 for none */
        uint32_t next_serial;
        bool owes_reply;
        uint32_t owed_serial;
        char protocol[KOS_MSG_NAME_MAX + 1];
        char peer[KOS_MSG_NAME_MAX + 1];
        uint8_t *buf; /* owned, MSG_FRAME_MAX bytes */
        MsgChannelCloseHandler on_close; /* NULL if nobody is told */
        void *on_close_userdata;
        uint32_t id; /* passed to on_close */
};

int msg_channel_new(int fd, const char *protocol, const char *peer, MsgChannelCloseHandler on_close,
                    void *userdata, uint32_t id, KosMsgChannel **channelp) {
        KosMsgChannel *ch = calloc(1, sizeof(*ch));

        if (!ch) {
                close(fd);
                return -ENOMEM;
        }
        ch->buf = malloc(MSG_FRAME_MAX);
        if (!ch->buf) {
                free(ch);
                close(fd);
                return -ENOMEM;
        }
        ch->fd = fd;
        ch->on_close = on_close;
        ch->on_close_userdata = userdata;
        ch->id = id;
        ch->rcvtimeo_ms = -1;
        ch->next_serial = 1;
        snprintf(ch->protocol, sizeof(ch->protocol), "%s", protocol);
        snprintf(ch->peer, sizeof(ch->peer), "%s", peer);
        *channelp = ch;
        return 0;
}

KosMsgChannel *kos_msg_channel_free(KosMsgChannel *channel) {
        if (!channel)
                return NULL;
        if (channel->fd >= 0)
                close(channel->fd);
        if (channel->on_close)
                channel->on_close(channel->on_close_userdata, channel->id);
        free(channel->buf);
        free(channel);
        return NULL;
}

int kos_msg_channel_fd(const KosMsgChannel *channel) {
        return channel->fd;
}

const char *kos_msg_channel_protocol(const KosMsgChannel *channel) {
        return channel->protocol;
}

const char *kos_msg_channel_peer(const KosMsgChannel *channel) {
        return channel->peer;
}

bool msg_channel_owes_reply(const KosMsgChannel *channel) {
        return channel->owes_reply && channel->error == 0;
}

/*
 * Sends one frame. While the peer has no room (it is not reading), waits for room until
 * deadline_ms (a now_ms() time; 0: no wait at all, returning -EAGAIN; -1: no limit),
 * then returns -ETIMEDOUT. Returns 0 if the frame went at once, 1 if only after waiting.
 * A peer that is gone breaks the channel.
 */
static int msg_channel_send(KosMsgChannel *ch, MsgFrameType type, uint32_t serial, uint32_t status,
                            const void *data, size_t size, int fd, int64_t deadline_ms) {
        MsgHeader h;
        bool waited = false;

        if (ch->error)
                return ch->error;
        if (size > KOS_MSG_MAX_PAYLOAD)
                return -EMSGSIZE;
        if (size > 0 && !data)
                return -EINVAL;
        msg_header_init(&h, type, serial, status, size, fd >= 0);
        int r = msg_frame_send(ch->fd, &h, data, fd, MSG_DONTWAIT);
        while (r == -EAGAIN && deadline_ms != 0) {
                int wait = -1;
                if (deadline_ms > 0) {
                        int64_t left = deadline_ms - (int64_t)now_ms();
                        if (left <= 0)
                                return -ETIMEDOUT;
                        wait = (int)left;
                }
                struct pollfd pfd = { .fd = ch->fd, .events = POLLOUT };
                int n = poll(&pfd, 1, wait);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n == 0)
                        return -ETIMEDOUT;
                waited = true;
                r = msg_frame_send(ch->fd, &h, data, fd, MSG_DONTWAIT);
        }
        if (r == -ECONNRESET)
                ch->error = r;
        return r < 0 ? r : waited;
}

static int msg_channel_set_timeout(KosMsgChannel *ch, int timeout_ms) {
        if (timeout_ms < 0)
                timeout_ms = 0; /* SO_RCVTIMEO 0: wait forever */
        if (ch->rcvtimeo_ms == timeout_ms)
                return 0;
        struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
        if (setsockopt(ch->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        ch->rcvtimeo_ms = timeout_ms;
        return 0;
}

/*
 * Receives one frame of a type in accept within timeout_ms (-1 forever, 0 no wait).
 * Breaks the channel on the peer's end or a malformed frame.
 */
static int msg_channel_receive_frame(KosMsgChannel *ch, uint32_t accept, int timeout_ms, MsgFrame *fp,
                                     int *fdp) {
        int flags = 0, r;

        if (ch->error)
                return ch->error;
        if (timeout_ms == 0)
                flags = MSG_DONTWAIT;
        else if ((r = msg_channel_set_timeout(ch, timeout_ms)) < 0)
                return r;
        int fd = -1;
        ssize_t n = ipc_frame_receive(ch->fd, ch->buf, MSG_FRAME_MAX, flags, &fd);
        if (n == -EAGAIN)
                return timeout_ms == 0 ? -EAGAIN : -ETIMEDOUT;
        if (n == 0 || n == -ECONNRESET)
                return ch->error = -ECONNRESET;
        if (n < 0)
                return n == -EBADMSG ? (ch->error = -EPROTO) : (int)n;
        if (msg_frame_parse(ch->buf, (size_t)n, fd >= 0, accept, fp) < 0) {
                if (fd >= 0)
                        close(fd);
                return ch->error = -EPROTO;
        }
        *fdp = fd;
        return 0;
}

static void msg_message_from_frame(KosMsgMessage *m, const MsgFrame *f, int fd) {
        *m = (KosMsgMessage){
                .data = f->payload,
                .size = f->size,
                .fd = fd,
                .serial = f->header.serial,
                .one_way = f->header.type == MSG_FRAME_SEND,
                .status = f->header.type == MSG_FRAME_REPLY ? f->header.status : 0,
        };
}

int kos_msg_call(KosMsgChannel *channel, const void *data, size_t size, int fd, int timeout_ms,
                 KosMsgMessage *replyp) {
        uint32_t serial = channel->next_serial++;
        int64_t deadline = timeout_ms > 0 ? (int64_t)now_ms() + timeout_ms : timeout_ms < 0 ? -1 : 0;
        int r;

        if (serial == 0)
                serial = channel->next_serial++;
        r = msg_channel_send(channel, MSG_FRAME_CALL, serial, 0, data, size, fd, deadline);
        if (r < 0)
                return r == -EAGAIN ? -ETIMEDOUT : r;
        /* A send that had to wait for room used part of the timeout: count from the deadline. */
        for (bool first = r == 0;; first = false) {
                MsgFrame f;
                int rfd = -1, wait = timeout_ms;
                /* Only a stale reply makes a second round, so the common call reads no clock
                 * past the first and keeps the socket's timeout as it was. */
                if (timeout_ms > 0 && !first) {
                        int64_t left = deadline - (int64_t)now_ms();
                        if (left <= 0)
                                return -ETIMEDOUT;
                        wait = (int)left;
                }
                r = msg_channel_receive_frame(channel, MSG_ACCEPT_CLIENT, wait, &f, &rfd);
                if (r < 0)
                        return r == -EAGAIN ? -ETIMEDOUT : r;
                if (f.header.serial != serial) {
                        /* The late answer to a call that timed out: drop it. */
                        if (rfd >= 0)
                                close(rfd);
                        continue;
                }
                msg_message_from_frame(replyp, &f, rfd);
                return 0;
        }
}

int kos_msg_send(KosMsgChannel *channel, const void *data, size_t size, int fd) {
        int r = msg_channel_send(channel, MSG_FRAME_SEND, 0, 0, data, size, fd, -1);
        return r < 0 ? r : 0;
}

int kos_msg_receive(KosMsgChannel *channel, int timeout_ms, KosMsgMessage *messagep) {
        MsgFrame f;
        int fd = -1;
        int r = msg_channel_receive_frame(channel, MSG_ACCEPT_PUBLISHER, timeout_ms, &f, &fd);

        if (r < 0)
                return r;
        msg_message_from_frame(messagep, &f, fd);
        channel->owes_reply = f.header.type == MSG_FRAME_CALL;
        channel->owed_serial = f.header.serial;
        return 0;
}

int kos_msg_reply(KosMsgChannel *channel, const KosMsgMessage *request, uint32_t status, const void *data,
                  size_t size, int fd) {
        if (request->one_way)
                return -EINVAL;
        /* Never wait for room: a client that leaves its replies unread must not stall a
         * publisher that serves others (see kos_msg_reply() in kos/msg.h). */
        int r = msg_channel_send(channel, MSG_FRAME_REPLY, request->serial, status, data, size, fd, 0);
        if (r >= 0 && channel->owes_reply && channel->owed_serial == request->serial)
                channel->owes_reply = false;
        return r < 0 ? r : 0;
}
