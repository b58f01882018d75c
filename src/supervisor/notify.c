// SPDX-License-Identifier: Apache-2.0
/*
 * NOTIFY_SOCKET receiver (see notify.h).
 * Invariants: the parser reads only data[0..size); file descriptors a sender attaches
 * (systemd-notify's BARRIER=1 pipe) are received close-on-exec and closed before the next
 * datagram is read, so a sender can neither make kosd leak fds nor pass one to an app; a
 * datagram counts only if its kernel-stamped sender is in the expected process group,
 * checked while that sender still waits on its barrier.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/credentials.h"
#include "supervisor/notify.h"
#include "util/cleanup.h"

static void notify_assignment(const char *line, size_t len, NotifyMessage *msg) {
        static const char status_key[] = "STATUS=";
        size_t klen = sizeof(status_key) - 1;

        if (len == 7 && memcmp(line, "READY=1", 7) == 0) {
                msg->ready = true;
        } else if (len >= klen && memcmp(line, status_key, klen) == 0) {
                size_t n = len - klen;

                if (n > NOTIFY_STATUS_MAX - 1)
                        n = NOTIFY_STATUS_MAX - 1;
                for (size_t i = 0; i < n; i++) {
                        unsigned char c = (unsigned char)line[klen + i];
                        msg->status[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
                }
                msg->status[n] = '\0';
                msg->has_status = true;
        }
}

void notify_message_parse(const void *data, size_t size, NotifyMessage *msgp) {
        const char *p = data, *end = p + size;
        NotifyMessage msg = { 0 };

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *stop = nl ? nl : end;

                notify_assignment(p, (size_t)(stop - p), &msg);
                p = nl ? nl + 1 : end;
        }
        *msgp = msg;
}

int notify_socket_open(const char *path, int *fdp) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        size_t len = strlen(path);

        if (len >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, len + 1);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        if (bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1)) < 0)
                return -errno;
        if (chmod(path, 0600) < 0)
                return -errno;
        int r = ipc_credentials_enable(fd);
        if (r < 0)
                return r;
        *fdp = steal_fd(&fd);
        return 0;
}

static bool notify_sender_in_group(pid_t pid, pid_t pgid) {
        if (pgid <= 0 || pid <= 0)
                return false;
        return pid == pgid || getpgid(pid) == pgid;
}

int notify_socket_drain(int fd, pid_t pgid, NotifyMessage *msgp) {
        char buf[NOTIFY_MESSAGE_MAX];
        NotifyMessage merged = *msgp;
        int n = 0;

        for (;;) {
                NotifyMessage one;
                struct ucred cred;
                /* Descriptors a sender attached are closed; cred.pid is 0 if not stamped. */
                ssize_t k = ipc_credentials_receive(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC, &cred);
                pid_t sender;

                if (k < 0) {
                        if (k == -EAGAIN)
                                break;
                        return (int)k;
                }
                n++;
                sender = cred.pid;
                if (!notify_sender_in_group(sender, pgid)) {
                        merged.rejected++;
                        merged.rejected_pid = sender;
                        continue;
                }
                if ((size_t)k > sizeof(buf))
                        continue; /* longer than any honest message: ignored whole */
                notify_message_parse(buf, (size_t)k, &one);
                merged.ready = merged.ready || one.ready;
                if (one.has_status) {
                        merged.has_status = true;
                        memcpy(merged.status, one.status, sizeof(merged.status));
                }
        }
        *msgp = merged;
        return n;
}
