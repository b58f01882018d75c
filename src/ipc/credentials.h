/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Peer credentials on local sockets, as the kernel vouches for them: SO_PEERCRED for the
 * process that connected a stream or seqpacket socket, SCM_CREDENTIALS for the sender of
 * each datagram on a socket with SO_PASSCRED.
 *
 * Invariants:
 *  1. Credentials come only from the kernel; nothing in a message's payload is read as one.
 *  2. ipc_credentials_receive() closes every descriptor a sender attached, so a stranger
 *     cannot fill the receiver's descriptor table.
 */
#pragma once

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The credentials of the process at the other end of connected socket fd (SO_PEERCRED).
 * Returns 0 or a negative errno. */
int ipc_credentials_of_peer(int fd, struct ucred *credp);

/* Makes the kernel stamp every message received on fd with its sender's credentials
 * (SO_PASSCRED). Returns 0 or a negative errno. */
int ipc_credentials_enable(int fd);

/*
 * Receives one message (datagram) from fd into buf (capacity size), flags as for recvmsg
 * (MSG_TRUNC returns the real length of a longer message). *credp is the sender's
 * credentials, all zero if the message was not stamped. Descriptors that came with the
 * message are closed (invariant 2). Returns the length, or a negative errno (-EAGAIN...).
 */
ssize_t ipc_credentials_receive(int fd, void *buf, size_t size, int flags, struct ucred *credp);
