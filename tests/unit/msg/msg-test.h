/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers shared by the message unit tests and msg-launch (which plays kosd): handing
 * a connection to a message server the way kosd does, and capturing what a test's own
 * process logs. Header-only, so each test program takes only what it uses.
 */
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * As kosd: sends one control message, size bytes of name (the app's name) with fd in
 * SCM_RIGHTS, over control. Returns 0 or a negative errno; the caller keeps fd.
 */
static inline int msg_test_send_connection(int control, const void *name, size_t size, int fd) {
        struct iovec iov = { .iov_base = (void *)name, .iov_len = size };
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } cbuf;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
                             .msg_controllen = sizeof(cbuf.buf) };

        memset(&cbuf, 0, sizeof(cbuf));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(control, &mh, MSG_NOSIGNAL) == (ssize_t)size ? 0 : -errno;
}

/* Standard error redirected into a temporary file, until msg_test_log_end(). */
typedef struct MsgTestLog {
        FILE *file;
        int saved_stderr;
} MsgTestLog;

static MsgTestLog *msg_test_log_active;

/* A check that fails while stderr is captured aborts: show what was captured, then abort. */
static inline void msg_test_log_on_abort(int sig) {
        MsgTestLog *l = msg_test_log_active;
        char buf[4096];
        ssize_t n;

        if (l && lseek(fileno(l->file), 0, SEEK_SET) == 0)
                while ((n = read(fileno(l->file), buf, sizeof(buf))) > 0)
                        (void)!write(l->saved_stderr, buf, (size_t)n);
        signal(sig, SIG_DFL);
        raise(sig);
}

static inline int msg_test_log_begin(MsgTestLog *l) {
        fflush(stderr);
        l->file = tmpfile();
        if (!l->file)
                return -errno;
        l->saved_stderr = dup(STDERR_FILENO);
        if (l->saved_stderr < 0 || dup2(fileno(l->file), STDERR_FILENO) < 0) {
                fclose(l->file);
                return -errno;
        }
        msg_test_log_active = l;
        signal(SIGABRT, msg_test_log_on_abort);
        return 0;
}

/* Restores standard error; returns what was logged meanwhile (malloc'ed, NUL-terminated). */
static inline char *msg_test_log_end(MsgTestLog *l) {
        fflush(stderr);
        signal(SIGABRT, SIG_DFL);
        msg_test_log_active = NULL;
        dup2(l->saved_stderr, STDERR_FILENO);
        close(l->saved_stderr);
        long size = ftell(l->file);
        char *text = calloc(1, size > 0 ? (size_t)size + 1 : 1);
        rewind(l->file);
        if (text && size > 0 && fread(text, 1, (size_t)size, l->file) != (size_t)size)
                text[0] = '\0';
        fclose(l->file);
        return text;
}

/* Number of lines of text that contain needle. */
static inline unsigned msg_test_count_lines(const char *text, const char *needle) {
        unsigned n = 0;
        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                const char *hit = strstr(line, needle);
                if (hit && hit < line + len)
                        n++;
                line = end ? end + 1 : NULL;
        }
        return n;
}
