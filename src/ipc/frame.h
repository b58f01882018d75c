/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing on local sockets: one SOCK_SEQPACKET message is one frame, with at most one
 * file descriptor in SCM_RIGHTS. What a frame's bytes mean is the protocol's business
 * (src/msg/wire.c for the message servers); this layer moves them whole.
 *
 * Invariants:
 *  1. A frame goes out in one sendmsg() or not at all: SOCK_SEQPACKET sends are all or
 *     nothing, so there is never a partial frame to resume.
 *  2. ipc_frame_receive() never returns a truncated frame (MSG_TRUNC, MSG_CTRUNC), nor one
 *     with more than one descriptor or a control message other than SCM_RIGHTS, and on
 *     every failure it has closed every descriptor that arrived.
 *  3. A peer that is gone reads as -ECONNRESET, whichever way the kernel put it (EPIPE,
 *     ENOTCONN); no call raises SIGPIPE.
 *  4. ipc_frame_receive() returns 0 only for the peer's end (or half-close), never for a
 *     zero-length message, which recvmsg() also returns as 0: that is a malformed frame.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Frames up to this size without a descriptor are copied and sent with one send(). */
#define IPC_FRAME_COPY_MAX (16 + 4096)

/*
 * Sends one frame made of n_iov pieces, with fd in SCM_RIGHTS unless it is -1 (the caller
 * keeps its fd). flags are passed to sendmsg (MSG_DONTWAIT for a server that must not
 * block). Returns 0 or a negative errno (-EAGAIN if it would block, -ECONNRESET if the
 * peer is gone).
 */
int ipc_frame_send(int sock, const struct iovec *iov, size_t n_iov, int fd, int flags);

/*
 * Receives one frame into buf (capacity size). Returns the byte count and the received
 * descriptor (close-on-exec, or -1) in *fdp; 0 for the peer's end (invariant 4); -EBADMSG
 * for a truncated frame, a zero-length message or more than one descriptor (every received
 * descriptor closed); or a negative errno (-EAGAIN, -ECONNRESET...).
 */
ssize_t ipc_frame_receive(int sock, void *buf, size_t size, int flags, int *fdp);
