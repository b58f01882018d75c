/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NOTIFY_SOCKET protocol of sd_notify(3): an app sends datagrams of newline-separated
 * VARIABLE=value assignments to the AF_UNIX datagram socket named by $NOTIFY_SOCKET.
 * kosd binds one socket per app, so the socket a message arrives on says whom it is about;
 * no claim inside the message is believed. The sender is checked too: the kernel stamps
 * every datagram with the sender's pid (SO_PASSCRED), and only a process in the app's own
 * process group counts (the app, or a helper it runs such as systemd-notify, which waits
 * for kosd to take its message before it exits). Anything else that can reach the socket
 * file is ignored. Only READY=1 and STATUS= matter to kosd; every other assignment is
 * ignored, as sd_notify(3) asks of a receiver.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NOTIFY_MESSAGE_MAX 4096
#define NOTIFY_STATUS_MAX 128

typedef struct NotifyMessage {
        bool ready;                       /* READY=1 was present */
        bool has_status;                  /* STATUS= was present */
        char status[NOTIFY_STATUS_MAX];   /* its value, cut to fit, control chars replaced */
        unsigned rejected;                /* datagrams ignored: sender outside the group */
        pid_t rejected_pid;               /* the last such sender (0: unknown) */
} NotifyMessage;

/* Parses one datagram of size bytes (not NUL-terminated; may hold anything). Never fails. */
void notify_message_parse(const void *data, size_t size, NotifyMessage *msgp);

/*
 * Creates a datagram socket bound at path (replacing a stale socket file there), mode 0600,
 * non-blocking, close-on-exec, receiving sender credentials. Returns 0 and *fdp, or a
 * negative errno.
 */
int notify_socket_open(const char *path, int *fdp);

/*
 * Reads every pending datagram from fd and merges those sent from process group pgid into
 * *msgp (ready if any said so; the last status); the others only count in msgp->rejected.
 * pgid <= 0 rejects everything (to discard what a dead app left). File descriptors a
 * sender attached are closed. Returns the number of datagrams read, or a negative errno.
 */
int notify_socket_drain(int fd, pid_t pgid, NotifyMessage *msgp);
