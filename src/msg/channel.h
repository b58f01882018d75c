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
 * Wraps fd (owned from now on, closed on failure too) as a channel for protocol with peer.
 * A publisher's channel names the server link (index) it came from and the id the server
 * gave it, so that closing it can be reported; a client's channel has link -1.
 */
int msg_channel_new(int fd, const char *protocol, const char *peer, int link, uint32_t id,
                    KosMsgChannel **channelp);

/* Tells the server on link that the publisher closed channel id (best effort). */
void msg_client_channel_closed(int link, uint32_t id);

/* True if a call received on the channel still waits for its reply. */
bool msg_channel_owes_reply(const KosMsgChannel *channel);
