// SPDX-License-Identifier: Apache-2.0
/*
 * The KOS message wire format: parsing and sending frames.
 *
 * Invariants: msg_frame_parse() reads only the size bytes it is given, accepts a frame
 * only if every header field is defined and consistent with the received bytes and
 * descriptors, and copies names out NUL-terminated. Moving frames whole, with their
 * descriptor, is the IPC layer's (ipc/frame.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "ipc/frame.h"
#include "msg/wire.h"

bool msg_name_is_valid(const char *name, size_t len) {
        if (len == 0 || len > KOS_MSG_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ',' || c == '+' || c == '-'))
                        return false;
        }
        return true;
}

/* Copies a valid name of len bytes from p into out (KOS_MSG_NAME_MAX + 1 bytes). */
static int msg_copy_name(char *out, const uint8_t *p, size_t len) {
        if (!msg_name_is_valid((const char *)p, len))
                return -EBADMSG;
        memcpy(out, p, len);
        out[len] = '\0';
        return 0;
}

/* Parses "first\0second" (both names) from a payload of size bytes. */
static int msg_parse_name_pair(MsgFrame *f, const uint8_t *p, size_t size) {
        const uint8_t *sep = memchr(p, '\0', size);
        if (!sep)
                return -EBADMSG;
        if (msg_copy_name(f->name, p, (size_t)(sep - p)) < 0)
                return -EBADMSG;
        return msg_copy_name(f->peer, sep + 1, size - (size_t)(sep - p) - 1);
}

int msg_frame_parse(const void *buf, size_t size, unsigned n_fds, uint32_t accept, MsgFrame *framep) {
        MsgFrame f = { 0 };

        if (size < MSG_HEADER_SIZE || size > MSG_FRAME_MAX || n_fds > 1)
                return -EBADMSG;
        memcpy(&f.header, buf, MSG_HEADER_SIZE);
        if (f.header.version != MSG_WIRE_VERSION)
                return -EBADMSG;
        if (f.header.type >= 32 || !(accept & MSG_ACCEPT(f.header.type)))
                return -EBADMSG;
        if (f.header.flags & ~MSG_FLAGS_KNOWN)
                return -EBADMSG;
        if (f.header.size != size - MSG_HEADER_SIZE)
                return -EBADMSG;
        f.has_fd = f.header.flags & MSG_FLAG_FD;
        if (f.has_fd != (n_fds == 1))
                return -EBADMSG;
        f.payload = (const uint8_t *)buf + MSG_HEADER_SIZE;
        f.size = f.header.size;

        switch (f.header.type) {
        case MSG_FRAME_PUBLISH:
        case MSG_FRAME_LOOKUP:
                if (f.has_fd || f.header.status != 0)
                        return -EBADMSG;
                if (msg_copy_name(f.name, f.payload, f.size) < 0)
                        return -EBADMSG;
                break;
        case MSG_FRAME_RESULT:
                if (f.header.status >= _MSG_STATUS_MAX)
                        return -EBADMSG;
                /* A grant carries the channel and the publisher's name; nothing else does. */
                if (f.has_fd) {
                        if (f.header.status != MSG_STATUS_OK ||
                            msg_copy_name(f.peer, f.payload, f.size) < 0)
                                return -EBADMSG;
                } else if (f.size != 0)
                        return -EBADMSG;
                break;
        case MSG_FRAME_CHANNEL:
                if (!f.has_fd || f.header.status != 0 || f.size > MSG_CONTROL_PAYLOAD_MAX)
                        return -EBADMSG;
                if (msg_parse_name_pair(&f, f.payload, f.size) < 0)
                        return -EBADMSG;
                break;
        case MSG_FRAME_CLOSED:
                if (f.has_fd || f.header.status != 0 || f.size != 0)
                        return -EBADMSG;
                break;
        case MSG_FRAME_CALL:
        case MSG_FRAME_SEND:
                if (f.header.status != 0)
                        return -EBADMSG;
                break;
        case MSG_FRAME_REPLY:
                break;
        default:
                return -EBADMSG;
        }
        *framep = f;
        return 0;
}

void msg_header_init(MsgHeader *h, MsgFrameType type, uint32_t serial, uint32_t status, size_t size,
                     bool has_fd) {
        *h = (MsgHeader){
                .version = MSG_WIRE_VERSION,
                .type = (uint8_t)type,
                .flags = has_fd ? MSG_FLAG_FD : 0,
                .serial = serial,
                .status = status,
                .size = (uint32_t)size,
        };
}

int msg_frame_send(int sock, const MsgHeader *h, const void *payload, int fd, int flags) {
        struct iovec iov[2] = {
                { .iov_base = (void *)h, .iov_len = MSG_HEADER_SIZE },
                { .iov_base = (void *)payload, .iov_len = h->size },
        };

        return ipc_frame_send(sock, iov, h->size > 0 ? 2 : 1, fd, flags);
}
