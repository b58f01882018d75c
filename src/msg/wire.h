/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KOS message wire format (docs/msg.md), shared by kos-msgd and the client library.
 *
 * Every frame is one SOCK_SEQPACKET message: a fixed 16-byte header, then exactly
 * header.size payload bytes, and at most one file descriptor in SCM_RIGHTS. Fields are in
 * host byte order (both ends are on one machine). msg_frame_parse() is the one place that
 * turns received bytes into a frame: a frame it returns has a known version and type,
 * flags within the defined set, a size that matches the bytes received and is within the
 * type's limit, an fd flag that matches the descriptors received, and, for frame types
 * that carry names, names that are valid (see msg_name_is_valid()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kos/msg.h"

#define MSG_WIRE_VERSION 1
#define MSG_HEADER_SIZE 16
#define MSG_FRAME_MAX (MSG_HEADER_SIZE + KOS_MSG_MAX_PAYLOAD)
/* Control frames carry at most two names and a separator. */
#define MSG_CONTROL_PAYLOAD_MAX (2 * KOS_MSG_NAME_MAX + 1)

typedef enum MsgFrameType {
        /* app -> server, on the app's server connection */
        MSG_FRAME_PUBLISH = 1, /* payload: protocol name */
        MSG_FRAME_LOOKUP = 2,  /* payload: protocol name */
        /* server -> app */
        MSG_FRAME_RESULT = 3,  /* answers PUBLISH/LOOKUP by serial; a granted LOOKUP carries
                                  the channel fd and the publisher's app name */
        MSG_FRAME_CHANNEL = 4, /* to a publisher: a client channel (fd), payload
                                  "protocol\0client-app"; serial is the channel's id */
        MSG_FRAME_CLOSED = 5,  /* publisher -> server: channel serial is closed; no answer */
        /* on a direct channel */
        MSG_FRAME_CALL = 16,  /* request; a REPLY with the same serial answers it */
        MSG_FRAME_SEND = 17,  /* one-way message */
        MSG_FRAME_REPLY = 18, /* answers a CALL; status is app-defined */
} MsgFrameType;

/* Header flags. */
#define MSG_FLAG_FD 0x0001U /* one file descriptor accompanies the frame */
#define MSG_FLAGS_KNOWN MSG_FLAG_FD

/* Status of a RESULT frame. */
typedef enum MsgStatus {
        MSG_STATUS_OK = 0,
        MSG_STATUS_DENIED = 1,    /* the access matrix says no */
        MSG_STATUS_NOT_FOUND = 2, /* nobody publishes the name */
        MSG_STATUS_EXISTS = 3,    /* another connection publishes the name */
        MSG_STATUS_LIMIT = 4,     /* a per-app bound was reached */
        MSG_STATUS_BUSY = 5,      /* the publisher's queue is full */
        _MSG_STATUS_MAX,
} MsgStatus;

typedef struct MsgHeader {
        uint8_t version; /* MSG_WIRE_VERSION */
        uint8_t type;    /* MsgFrameType */
        uint16_t flags;  /* MSG_FLAG_* */
        uint32_t serial; /* chosen by the requester, echoed by the answer */
        uint32_t status; /* RESULT: MsgStatus; REPLY: app-defined; otherwise 0 */
        uint32_t size;   /* payload bytes that follow the header */
} MsgHeader;

_Static_assert(sizeof(MsgHeader) == MSG_HEADER_SIZE, "wire header is 16 bytes");

/* A parsed frame. Pointers point into the caller's buffer. */
typedef struct MsgFrame {
        MsgHeader header;
        const uint8_t *payload;
        size_t size;
        bool has_fd;
        /* For PUBLISH and LOOKUP the protocol name, for CHANNEL the protocol. */
        char name[KOS_MSG_NAME_MAX + 1];
        /* For CHANNEL the client app; for a granted RESULT the publisher app. */
        char peer[KOS_MSG_NAME_MAX + 1];
} MsgFrame;

/* Which frame types a parser accepts, as a bit mask of (1 << type). */
#define MSG_ACCEPT(t) (1U << (t))
#define MSG_ACCEPT_SERVER \
        (MSG_ACCEPT(MSG_FRAME_PUBLISH) | MSG_ACCEPT(MSG_FRAME_LOOKUP) | MSG_ACCEPT(MSG_FRAME_CLOSED))
#define MSG_ACCEPT_APP_CONTROL (MSG_ACCEPT(MSG_FRAME_RESULT) | MSG_ACCEPT(MSG_FRAME_CHANNEL))
#define MSG_ACCEPT_PUBLISHER (MSG_ACCEPT(MSG_FRAME_CALL) | MSG_ACCEPT(MSG_FRAME_SEND))
#define MSG_ACCEPT_CLIENT MSG_ACCEPT(MSG_FRAME_REPLY)

/* True if name is 1..KOS_MSG_NAME_MAX characters of [A-Za-z0-9._,+-]. */
bool msg_name_is_valid(const char *name, size_t len);

/*
 * Parses size received bytes, n_fds of which descriptors came with them, as a frame of one
 * of the types in accept. Returns 0 and fills *framep, or -EBADMSG for anything malformed.
 */
int msg_frame_parse(const void *buf, size_t size, unsigned n_fds, uint32_t accept, MsgFrame *framep);

/* Fills a header for a frame of type with size payload bytes. */
void msg_header_init(MsgHeader *h, MsgFrameType type, uint32_t serial, uint32_t status, size_t size,
                     bool has_fd);

/*
 * Sends one frame: header, payload, and fd unless it is -1, through ipc_frame_send()
 * (ipc/frame.h: one SOCK_SEQPACKET message). flags are passed to sendmsg (MSG_DONTWAIT for
 * the server). Returns 0 or a negative errno (-EAGAIN if it would block). Frames are
 * received with ipc_frame_receive() and then parsed with msg_frame_parse().
 */
int msg_frame_send(int sock, const MsgHeader *h, const void *payload, int fd, int flags);
