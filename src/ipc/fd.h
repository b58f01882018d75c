/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Descriptors on local sockets: the socketpairs KOS hands out, the checks a receiver makes
 * on a descriptor it was given, and closing what arrived in SCM_RIGHTS.
 *
 * Invariants:
 *  1. Every socket ipc_socketpair() makes is SOCK_SEQPACKET and close-on-exec, so a
 *     connection reaches a child only when the parent hands it over on purpose.
 *  2. ipc_message_close_fds() closes every descriptor a received message carries, however
 *     many control messages they came in.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

/* A connected SOCK_SEQPACKET pair, both ends close-on-exec. Returns 0 or a negative errno. */
int ipc_socketpair(int *ap, int *bp);

/* True if fd is an open SOCK_SEQPACKET socket. */
bool ipc_fd_is_seqpacket(int fd);

/* Sets close-on-exec on fd. Returns 0 or a negative errno. */
int ipc_fd_set_cloexec(int fd);

/* Sets O_NONBLOCK on fd. Returns 0 or a negative errno. */
int ipc_fd_set_nonblock(int fd);

/* Closes every descriptor in mh's SCM_RIGHTS control messages (a received message). */
void ipc_message_close_fds(struct msghdr *mh);

/*
 * Puts fd in mh's control buffer as the only SCM_RIGHTS descriptor. control must be
 * IPC_FD_CONTROL_SIZE bytes, aligned for struct cmsghdr.
 */
#define IPC_FD_CONTROL_SIZE CMSG_SPACE(sizeof(int))
void ipc_message_attach_fd(struct msghdr *mh, void *control, int fd);
