// SPDX-License-Identifier: Apache-2.0
/*
 * kosd control protocol: request parsing and formatting, ps rows, and the client call.
 * Invariant: the request parser reads only data[0..size) and accepts exactly the forms in
 * control-protocol.h; anything else is -EBADMSG.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor/control-protocol.h"
#include "util/cleanup.h"

static const struct {
        const char *word;
        ControlVerb verb;
        int takes_name;
} control_verbs[] = {
        { "ps", CONTROL_PS, 0 },
        { "start", CONTROL_START, 1 },
        { "stop", CONTROL_STOP, 1 },
        { "restart", CONTROL_RESTART, 1 },
};

int control_request_parse(const void *data, size_t size, ControlRequest *requestp) {
        const char *p = data;
        ControlRequest req = { 0 };

        if (size == 0 || size >= CONTROL_REQUEST_MAX)
                return -EBADMSG;
        for (size_t v = 0; v < ELEMENTSOF(control_verbs); v++) {
                size_t wlen = strlen(control_verbs[v].word);
                size_t nlen;

                if (size < wlen || memcmp(p, control_verbs[v].word, wlen) != 0)
                        continue;
                if (!control_verbs[v].takes_name) {
                        if (size != wlen)
                                return -EBADMSG;
                        req.verb = control_verbs[v].verb;
                        *requestp = req;
                        return 0;
                }
                if (size < wlen + 2 || p[wlen] != ' ')
                        return -EBADMSG;
                nlen = size - wlen - 1;
                if (nlen >= CONTROL_NAME_MAX)
                        return -EBADMSG;
                for (size_t i = 0; i < nlen; i++) {
                        unsigned char c = (unsigned char)p[wlen + 1 + i];
                        if (c <= 0x20 || c >= 0x7f)
                                return -EBADMSG;
                }
                memcpy(req.name, p + wlen + 1, nlen);
                req.name[nlen] = '\0';
                req.verb = control_verbs[v].verb;
                *requestp = req;
                return 0;
        }
        return -EBADMSG;
}

int control_request_format(const ControlRequest *request, char *buf, size_t size) {
        for (size_t v = 0; v < ELEMENTSOF(control_verbs); v++) {
                int n;

                if (control_verbs[v].verb != request->verb)
                        continue;
                if (control_verbs[v].takes_name)
                        n = snprintf(buf, size, "%s %s", control_verbs[v].word, request->name);
                else
                        n = snprintf(buf, size, "%s", control_verbs[v].word);
                if (n < 0 || (size_t)n >= size)
                        return -ENOBUFS;
                return n;
        }
        return -EINVAL;
}

int control_ps_parse_line(char *line, ControlPsRow *rowp) {
        char *fields[6];
        char *p = line, *end;
        ControlPsRow row;

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                fields[i] = p;
                p = strchr(p, '\t');
                if (i < ELEMENTSOF(fields) - 1) {
                        if (!p)
                                return -EBADMSG;
                        *p++ = '\0';
                }
        }
        row.name = fields[0];
        row.state = fields[1];
        errno = 0;
        row.pid = strtol(fields[2], &end, 10);
        if (errno || *end || end == fields[2])
                return -EBADMSG;
        row.restarts = strtoul(fields[3], &end, 10);
        if (errno || *end || end == fields[3])
                return -EBADMSG;
        row.uptime_ms = strtoull(fields[4], &end, 10);
        if (errno || *end || end == fields[4])
                return -EBADMSG;
        row.status = fields[5];
        *rowp = row;
        return 0;
}

int control_call(const char *run_dir, const ControlRequest *request, char **bodyp) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char req[CONTROL_REQUEST_MAX];
        _cleanup_free_ char *reply = NULL;
        _cleanup_close_ int fd = -1;
        char *body;
        ssize_t n;
        int len, verdict;

        len = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", run_dir, CONTROL_SOCKET_NAME);
        if (len < 0 || (size_t)len >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        len = control_request_format(request, req, sizeof(req));
        if (len < 0)
                return len;
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        if (send(fd, req, (size_t)len, MSG_NOSIGNAL) < 0)
                return -errno;
        reply = malloc(CONTROL_REPLY_MAX + 1);
        if (!reply)
                return -ENOMEM;
        do
                n = recv(fd, reply, CONTROL_REPLY_MAX, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        reply[n] = '\0';
        if (strncmp(reply, "ok\n", 3) == 0)
                verdict = 0;
        else if (strncmp(reply, "error\n", 6) == 0)
                verdict = CONTROL_E_REFUSED;
        else
                return -EBADMSG;
        body = strdup(reply + (verdict == 0 ? 3 : 6));
        if (!body)
                return -ENOMEM;
        *bodyp = body;
        return verdict;
}
