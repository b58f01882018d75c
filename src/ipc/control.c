// SPDX-License-Identifier: Apache-2.0
/*
 * A service's end of kosd's control connection (see control.h for invariants 1-3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ipc/control.h"
#include "ipc/fd.h"
#include "ipc/handover.h"
#include "util/log.h"

struct IpcControl {
        int fd;               /* owned; -1 once ended */
        EventSource *source;  /* owned; NULL once ended */
        size_t name_max;
        const char *log_prefix; /* borrowed */
        IpcControlAppHandler on_app;
        IpcControlEndHandler on_end;
        void *userdata;
};

static void ipc_control_close(IpcControl *c) {
        c->source = event_source_free(c->source);
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

static int ipc_control_on_io(EventSource *source, int fd, uint32_t revents, void *userdata) {
        IpcControl *c = userdata;
        /* A name, its NUL and one byte more, so that a longer message reads as malformed. */
        char app[IPC_HANDOVER_NAME_MAX + 3];
        int conn = -1;
        int r = ipc_handover_receive(c->fd, app, c->name_max + 3, &conn);

        if (r == -EAGAIN)
                return 0;
        if (r == -EBADMSG) {
                /* Invariant 2: too long, or with other than one descriptor (closed). */
                log_error("%scontrol connection: malformed message ignored", c->log_prefix);
                return 0;
        }
        if (r <= 0) {
                /* Invariant 3. */
                if (r < 0)
                        log_error("%scontrol connection: %s", c->log_prefix, strerror(-r));
                ipc_control_close(c);
                c->on_end(c->userdata);
                return 0;
        }
        c->on_app(c->userdata, app, conn);
        return 0;
}

int ipc_control_new(IpcControl **controlp, EventLoop *loop, int control_fd, size_t name_max, const char *log_prefix,
                    IpcControlAppHandler on_app, IpcControlEndHandler on_end, void *userdata) {
        IpcControl *c;
        int r;

        if (name_max == 0 || name_max > IPC_HANDOVER_NAME_MAX) {
                close(control_fd);
                return -EINVAL;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(control_fd);
                return -ENOMEM;
        }
        *c = (IpcControl){ .fd = control_fd, .name_max = name_max, .log_prefix = log_prefix ? log_prefix : "",
                           .on_app = on_app, .on_end = on_end, .userdata = userdata };
        r = ipc_fd_set_cloexec(control_fd);
        if (r >= 0)
                r = event_loop_add_io(loop, &c->source, control_fd, EPOLLIN, ipc_control_on_io, c);
        if (r < 0) {
                ipc_control_free(c);
                return r;
        }
        *controlp = c;
        return 0;
}

IpcControl *ipc_control_free(IpcControl *c) {
        if (!c)
                return NULL;
        ipc_control_close(c);
        free(c);
        return NULL;
}

bool ipc_control_is_open(const IpcControl *c) {
        return c && c->fd >= 0;
}
