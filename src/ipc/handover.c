// SPDX-License-Identifier: Apache-2.0
/*
 * The handover, kosd's half, the service's half and the app's environment (see handover.h
 * for the contract and its invariants).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/fd.h"
#include "ipc/frame.h"
#include "ipc/handover.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/memfd.h"

int ipc_handover_pair(int *kosd_fdp, int *service_fdp) {
        int a, b, r;

        r = ipc_socketpair(&a, &b);
        if (r < 0)
                return r;
        _cleanup_close_ int kosd_end = a, service_end = b;
        /* Only kosd's end is non-blocking (invariant 4). */
        r = ipc_fd_set_nonblock(kosd_end);
        if (r < 0)
                return r;
        *kosd_fdp = steal_fd(&kosd_end);
        *service_fdp = steal_fd(&service_end);
        return 0;
}

int ipc_handover_send(int control_fd, const char *app, int *app_fdp) {
        size_t len = strlen(app);
        int a, b, r;

        if (len == 0 || len > IPC_HANDOVER_NAME_MAX)
                return -EINVAL;
        r = ipc_socketpair(&a, &b);
        if (r < 0)
                return r;
        _cleanup_close_ int app_end = a, service_end = b;
        struct iovec iov = { .iov_base = (void *)app, .iov_len = len };
        r = ipc_frame_send(control_fd, &iov, 1, service_end, MSG_DONTWAIT);
        if (r < 0)
                return r;
        /* The service holds its own copy of service_end now; ours closes on return. */
        *app_fdp = steal_fd(&app_end);
        return 0;
}

int ipc_handover_receive(int control_fd, char *app, size_t app_size, int *fdp) {
        int fd = -1;
        ssize_t n;

        if (app_size < 2)
                return -EINVAL;
        /* The last byte is never received into, so the terminator always fits and a
         * message too long for app reads as truncated. */
        n = ipc_frame_receive(control_fd, app, app_size - 1, MSG_DONTWAIT, &fd);
        if (n <= 0)
                return (int)n; /* end, -EAGAIN, -EBADMSG (descriptors closed) or an error */
        _cleanup_close_ int conn = fd;
        size_t len = (size_t)n;
        if (app[len - 1] == '\0')
                len--;
        app[len] = '\0';
        /* Invariant 1: exactly one descriptor, no NUL inside the name. */
        if (conn < 0 || strlen(app) != len)
                return -EBADMSG;
        *fdp = steal_fd(&conn);
        return 1;
}

int ipc_handover_env_entry(char *const *services, char **entryp) {
        return ipc_handover_env_entry_named(IPC_HANDOVER_ENV, services, IPC_HANDOVER_FIRST_FD, entryp);
}

int ipc_handover_env_entry_named(const char *variable, char *const *services, int first_fd, char **entryp) {
        size_t size = strlen(variable) + 2;
        char *entry, *p;

        for (size_t i = 0; services[i]; i++)
                size += strlen(services[i]) + 16;
        entry = malloc(size);
        if (!entry)
                return -ENOMEM;
        p = entry + sprintf(entry, "%s=", variable);
        for (size_t i = 0; services[i]; i++)
                p += sprintf(p, "%s%s=%zu", i ? "," : "", services[i], (size_t)first_fd + i);
        *entryp = entry;
        return 0;
}

/* Service names in the environment: 1..IPC_HANDOVER_NAME_MAX of [A-Za-z0-9._+-] (',' and
 * '=' separate). */
static bool ipc_handover_name_is_valid(const char *name, size_t len) {
        if (len == 0 || len > IPC_HANDOVER_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '+' || c == '-'))
                        return false;
        }
        return true;
}

/* Fills err with "entry N \"ENTRY\": why", quoting the entry only if it is short and printable. */
__attribute__((format(printf, 6, 7))) static int env_refuse(IpcHandoverEnvError *err, int r, size_t index,
                                                            const char *entry, size_t len, const char *format, ...) {
        char why[128];
        va_list ap;
        bool quote = len <= 48;

        if (!err)
                return r;
        for (size_t i = 0; quote && i < len; i++)
                quote = entry[i] >= 0x20 && entry[i] < 0x7f;
        va_start(ap, format);
        vsnprintf(why, sizeof(why), format, ap);
        va_end(ap);
        if (quote)
                snprintf(err->message, sizeof(err->message), "entry %zu \"%.*s\": %s", index + 1,
                         (int)len, entry, why);
        else
                snprintf(err->message, sizeof(err->message), "entry %zu: %s", index + 1, why);
        return r;
}

int ipc_handover_env_parse(const char *value, IpcHandoverLink *links, size_t max, size_t *np,
                           IpcHandoverEnvError *err) {
        const char *p = value;
        size_t n = 0;

        while (*p) {
                const char *eq = strchr(p, '='), *end = strchr(p, ',');
                if (!end)
                        end = p + strlen(p);
                size_t len = (size_t)(end - p);
                if (n >= max) {
                        if (err)
                                snprintf(err->message, sizeof(err->message), "more than %zu entries", max);
                        return -EINVAL;
                }
                if (!eq || eq > end)
                        return env_refuse(err, -EINVAL, n, p, len, "expected NAME=FD");
                if (!ipc_handover_name_is_valid(p, (size_t)(eq - p)))
                        return env_refuse(err, -EINVAL, n, p, len, "invalid server name");
                for (size_t i = 0; i < n; i++)
                        if (strlen(links[i].name) == (size_t)(eq - p) && memcmp(links[i].name, p, (size_t)(eq - p)) == 0)
                                return env_refuse(err, -EINVAL, n, p, len, "server \"%s\" named twice",
                                                  links[i].name);
                /* At most 7 digits: no descriptor number is larger. */
                if (eq + 1 == end || end - eq > 8)
                        return env_refuse(err, -EINVAL, n, p, len, "FD is not a number");
                int fd = 0;
                for (const char *d = eq + 1; d < end; d++) {
                        if (*d < '0' || *d > '9')
                                return env_refuse(err, -EINVAL, n, p, len, "FD is not a number");
                        fd = fd * 10 + (*d - '0');
                }
                if (fcntl(fd, F_GETFD) < 0)
                        return env_refuse(err, -EBADF, n, p, len, "descriptor %d is not open", fd);
                if (!ipc_fd_is_seqpacket(fd))
                        return env_refuse(err, -EBADF, n, p, len,
                                          "descriptor %d is not a message server connection (not a SOCK_SEQPACKET socket)",
                                          fd);
                int r = ipc_fd_set_cloexec(fd);
                if (r < 0)
                        return env_refuse(err, r, n, p, len, "descriptor %d: %s", fd, strerror(-r));
                IpcHandoverLink *l = &links[n++];
                memcpy(l->name, p, (size_t)(eq - p));
                l->name[eq - p] = '\0';
                l->fd = fd;
                p = *end ? end + 1 : end;
        }
        *np = n;
        return 0;
}

int ipc_handover_seal(const void *data, size_t size, int *fdp) {
        _cleanup_close_ int fd = -1;
        int r;

        r = memfd_new_sealable("kos-manifest", false, &fd);
        if (r < 0)
                return r;
        r = write_full(fd, data, size);
        if (r < 0)
                return r;
        r = memfd_seal(fd);
        if (r < 0)
                return r;
        *fdp = steal_fd(&fd);
        return 0;
}

int ipc_handover_read_sealed(int fd, size_t max_size, char **datap, size_t *sizep) {
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t done = 0;

        if (!memfd_is_sealed(fd))
                return -EPERM;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t)st.st_size > max_size)
                return -EFBIG;
        buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        /* Sealed against shrinking and growing: the size read above is the size. */
        while (done < (size_t)st.st_size) {
                ssize_t n = pread(fd, buf + done, (size_t)st.st_size - done, (off_t)done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                done += (size_t)n;
        }
        buf[done] = '\0';
        *datap = steal_ptr(&buf);
        *sizep = done;
        return 0;
}
