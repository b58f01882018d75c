// SPDX-License-Identifier: Apache-2.0
/*
 * The admin side of kos/trace.h: requests over kos_trace_admin_protocol.
 *
 * Invariants:
 *  1. A reply's status becomes -status when it is an errno (1..4095), -EPROTO otherwise; a
 *     reply that should carry a descriptor and does not is -EPROTO.
 *  2. A NULL handle or out-parameter is -EINVAL, never a crash (as in kos/msg.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kos/msg.h"
#include "kos/trace.h"
#include "trace/admin-protocol.h"

#define TRACE_ADMIN_TIMEOUT_MS 30000

struct KosTraceAdmin {
        KosMsgChannel *channel; /* owned */
};

int kos_trace_admin_open(int timeout_ms, KosTraceAdmin **adminp) {
        KosTraceAdmin *admin;
        int r;

        if (!adminp)
                return -EINVAL;
        admin = calloc(1, sizeof(*admin));
        if (!admin)
                return -ENOMEM;
        r = kos_msg_lookup(KOS_TRACE_ADMIN_PROTOCOL, timeout_ms, &admin->channel);
        if (r < 0) {
                free(admin);
                return r;
        }
        *adminp = admin;
        return 0;
}

KosTraceAdmin *kos_trace_admin_close(KosTraceAdmin *admin) {
        if (admin) {
                kos_msg_channel_free(admin->channel);
                free(admin);
        }
        return NULL;
}

static int trace_admin_call(KosTraceAdmin *admin, TraceAdminOp op, const char *app, const char *categories,
                            KosTraceMode mode, KosMsgMessage *replyp) {
        TraceAdminRequest req = { .op = op, .mode = mode, .app = app, .categories = categories };
        char buf[4 + TRACE_ADMIN_NAME_MAX + 1 + KOS_TRACE_MAX_CATEGORIES * (TRACE_CATEGORY_NAME_MAX + 1) + 1];
        KosMsgMessage reply;
        int n, r;

        /* Invariant 2. */
        if (!admin || !app)
                return -EINVAL;
        n = trace_admin_request_format(&req, buf, sizeof(buf));
        if (n < 0)
                return -EINVAL;
        r = kos_msg_call(admin->channel, buf, (size_t)n, -1, TRACE_ADMIN_TIMEOUT_MS, &reply);
        if (r < 0)
                return r;
        if (reply.status != 0) {
                if (reply.fd >= 0)
                        close(reply.fd);
                return reply.status < 4096 ? -(int)reply.status : -EPROTO;
        }
        *replyp = reply;
        return 0;
}

int kos_trace_admin_start(KosTraceAdmin *admin, const char *app, const char *categories, KosTraceMode mode) {
        KosMsgMessage reply;
        int r = trace_admin_call(admin, TRACE_ADMIN_START, app, categories ? categories : "", mode, &reply);

        if (r == 0 && reply.fd >= 0)
                close(reply.fd);
        return r;
}

int kos_trace_admin_stop(KosTraceAdmin *admin, const char *app) {
        KosMsgMessage reply;
        int r = trace_admin_call(admin, TRACE_ADMIN_STOP, app, "", KOS_TRACE_MODE_DISCARD, &reply);

        if (r == 0 && reply.fd >= 0)
                close(reply.fd);
        return r;
}

int kos_trace_admin_list(KosTraceAdmin *admin, char **textp) {
        KosMsgMessage reply;
        char *text;
        int r;

        if (!textp)
                return -EINVAL;
        r = trace_admin_call(admin, TRACE_ADMIN_LIST, "", "", KOS_TRACE_MODE_DISCARD, &reply);
        if (r < 0)
                return r;
        if (reply.fd >= 0)
                close(reply.fd);
        if (memchr(reply.data, '\0', reply.size))
                return -EPROTO;
        text = strndup(reply.data, reply.size);
        if (!text)
                return -ENOMEM;
        *textp = text;
        return 0;
}

int kos_trace_admin_collect(KosTraceAdmin *admin, const char *app, int *fdp) {
        KosMsgMessage reply;
        int r;

        if (!fdp)
                return -EINVAL;
        r = trace_admin_call(admin, TRACE_ADMIN_COLLECT, app ? app : "", "", KOS_TRACE_MODE_DISCARD, &reply);
        if (r < 0)
                return r;
        if (reply.fd < 0)
                return -EPROTO;
        if (lseek(reply.fd, 0, SEEK_SET) < 0) {
                r = -errno;
                close(reply.fd);
                return r;
        }
        *fdp = reply.fd;
        return 0;
}
