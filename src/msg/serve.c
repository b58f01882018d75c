// SPDX-License-Identifier: Apache-2.0
/*
 * kos_msg_serve(): a publisher's event loop over its server connection and its channels.
 *
 * Invariants: at most MSG_SERVE_CHANNELS_MAX channels are open (a channel beyond that is
 * closed at once, so its client sees an error rather than a hang); a channel whose client is
 * gone, that sent a malformed frame, or whose handler failed is closed and forgotten; a call
 * the handler left unanswered gets an ENOSYS reply, so no client waits for nothing.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "msg/channel.h"
#include "util/cleanup.h"

#define MSG_SERVE_CHANNELS_MAX 1024

typedef struct MsgServe {
        KosMsgChannel *channels[MSG_SERVE_CHANNELS_MAX]; /* owned */
        struct pollfd pfds[MSG_SERVE_CHANNELS_MAX + 1];
        size_t n;
} MsgServe;

static void msg_serve_free(MsgServe *s) {
        for (size_t i = 0; i < s->n; i++)
                kos_msg_channel_free(s->channels[i]);
        free(s);
}
DEFINE_CLEANUP_FUNC(MsgServe, msg_serve_free)

static void msg_serve_remove(MsgServe *s, size_t i) {
        kos_msg_channel_free(s->channels[i]);
        s->channels[i] = s->channels[--s->n];
}

/* Handles one message on channel i; returns false if the channel is to be closed. */
static bool msg_serve_one(KosMsgChannel *ch, KosMsgHandler handler, void *userdata) {
        KosMsgMessage m;
        int r = kos_msg_receive(ch, 0, &m);

        if (r == -EAGAIN)
                return true;
        if (r < 0)
                return false;
        r = handler(ch, &m, userdata);
        if (r >= 0 && msg_channel_owes_reply(ch))
                r = kos_msg_reply(ch, &m, ENOSYS, NULL, 0, -1);
        return r >= 0;
}

int kos_msg_serve(KosMsgHandler handler, void *userdata) {
        _cleanup_(msg_serve_freep) MsgServe *s = calloc(1, sizeof(*s));
        int server_fd = kos_msg_server_fd();

        if (!s)
                return -ENOMEM;
        if (server_fd < 0)
                return server_fd;
        for (;;) {
                /* Channels queued while the app waited for an answer are ready at once. */
                for (;;) {
                        KosMsgChannel *ch;
                        int r = kos_msg_accept(0, &ch);
                        if (r == -ETIMEDOUT)
                                break;
                        if (r < 0)
                                return r;
                        if (s->n >= MSG_SERVE_CHANNELS_MAX)
                                kos_msg_channel_free(ch);
                        else
                                s->channels[s->n++] = ch;
                }
                s->pfds[0] = (struct pollfd){ .fd = server_fd, .events = POLLIN };
                for (size_t i = 0; i < s->n; i++)
                        s->pfds[i + 1] = (struct pollfd){ .fd = kos_msg_channel_fd(s->channels[i]), .events = POLLIN };
                int r = poll(s->pfds, s->n + 1, -1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                /* Walk backwards: removal moves the last channel into the freed slot. */
                for (size_t i = s->n; i-- > 0;) {
                        if (!s->pfds[i + 1].revents)
                                continue;
                        if (!msg_serve_one(s->channels[i], handler, userdata))
                                msg_serve_remove(s, i);
                }
        }
}
