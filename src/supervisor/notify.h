/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NOTIFY_SOCKET protocol of sd_notify(3): an app sends datagrams of newline-separated
 * VARIABLE=value assignments to the AF_UNIX datagram socket named by $NOTIFY_SOCKET.
 * kosd binds one socket per app, so the socket a message arrives on says who sent it; no
 * claim inside the message is believed. Only READY=1 and STATUS= matter to kosd; every
 * other assignment is ignored, as sd_notify(3) asks of a receiver.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define NOTIFY_MESSAGE_MAX 4096
#define NOTIFY_STATUS_MAX 128

typedef struct NotifyMessage {
        bool ready;                       /* READY=1 was present */
        bool has_status;                  /* STATUS= was present */
        char status[NOTIFY_STATUS_MAX];   /* its value, cut to fit, control chars replaced */
} NotifyMessage;

/* Parses one datagram of size bytes (not NUL-terminated; may hold anything). Never fails. */
void notify_message_parse(const void *data, size_t size, NotifyMessage *msgp);

/*
 * Creates a datagram socket bound at path (replacing a stale socket file there), mode 0600,
 * non-blocking and close-on-exec. Returns 0 and *fdp, or a negative errno.
 */
int notify_socket_open(const char *path, int *fdp);

/*
 * Reads every pending datagram from fd and merges them into *msgp (ready if any said so;
 * the last status). Returns the number of datagrams read, or a negative errno.
 */
int notify_socket_drain(int fd, NotifyMessage *msgp);
