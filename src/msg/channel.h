/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KosMsgChannel internals shared by the client library's files: a direct channel is one
 * SOCK_SEQPACKET socket to the peer app plus a receive buffer for one frame.
 */
#pragma once

#include "kos/msg.h"

/* Wraps fd (owned from now on, closed on failure too) as a channel for protocol with peer. */
int msg_channel_new(int fd, const char *protocol, const char *peer, KosMsgChannel **channelp);

/* True if a call received on the channel still waits for its reply. */
bool msg_channel_owes_reply(const KosMsgChannel *channel);
