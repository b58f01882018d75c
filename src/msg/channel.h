/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KosMsgChannel internals shared by the client library's files: a direct channel is one
 * SOCK_SEQPACKET socket to the peer app plus a receive buffer for one frame.
 *
 * Invariant: a channel owns its socket from msg_channel_new() on, also when that fails,
 * so a caller never closes the fd it handed over.
 */
#pragma once

#include "kos/msg.h"

#include <stdint.h>

/*
 * Called once when a channel is freed, after its socket is closed, with the userdata and
 * id given to msg_channel_new(): a publisher's library tells the server it closed the
 * channel, so it stops counting against its client's bound.
 */
typedef void (*MsgChannelCloseHandler)(void *userdata, uint32_t id);

/*
 * Wraps fd (owned from now on, closed on failure too) as a channel for protocol with peer.
 * on_close (may be NULL: a client's channel) is called with userdata and id when the
 * channel is freed.
 */
int msg_channel_new(int fd, const char *protocol, const char *peer, MsgChannelCloseHandler on_close,
                    void *userdata, uint32_t id, KosMsgChannel **channelp);

/* True if a call received on the channel still waits for its reply. */
bool msg_channel_owes_reply(const KosMsgChannel *channel);
