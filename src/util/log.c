// SPDX-License-Identifier: Apache-2.0
/*
 * Logging to stderr: one message, one line, written with a single write(2).
 *
 * Invariant: a message is exactly one line, whatever it embeds; no control character a
 * message carries (from a file name, a manifest, a peer) reaches the terminal or journal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static const char *log_program = "kos";
static LogLevel log_max_level = LOG_LEVEL_INFO;
static bool log_priority_prefix;

void log_set_program(const char *name) {
        log_program = name;
}

void log_set_max_level(LogLevel level) {
        log_max_level = level;
}

LogLevel log_get_max_level(void) {
        return log_max_level;
}

void log_set_priority_prefix(bool prefix) {
        log_priority_prefix = prefix;
}

/*
 * Appends the formatted message to line, escaped so that what a message embeds (a file name,
 * a value from a manifest) cannot end the line or drive a terminal: newlines and tabs become
 * spaces, other C0 controls, DEL and C1 controls (UTF-8 C2 80-9F; C2 9B is CSI) become \xNN.
 */
static size_t log_escape(char *line, size_t n, size_t size, const char *msg) {
        static const char digits[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *)msg;

        for (; *p && n + 1 < size; p++) {
                bool c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;

                if (*p == '\n' || *p == '\t')
                        line[n++] = ' ';
                else if (*p >= 0x20 && *p != 0x7f && !c1)
                        line[n++] = (char)*p;
                else {
                        size_t len = c1 ? 8 : 4;

                        if (n + len + 1 > size)
                                break;
                        for (size_t i = 0; i < len / 4; i++) {
                                line[n++] = '\\';
                                line[n++] = 'x';
                                line[n++] = digits[p[i] >> 4];
                                line[n++] = digits[p[i] & 0xf];
                        }
                        p += len / 4 - 1;
                }
        }
        return n;
}

void log_msgv(LogLevel level, const char *fmt, va_list ap) {
        char msg[2048], line[2048];
        int saved = errno;
        int m;
        size_t n = 0;

        if (level > log_max_level)
                return;
        if (log_priority_prefix)
                n = (size_t)snprintf(line, sizeof(line), "<%d>", (int)level);
        m = snprintf(line + n, sizeof(line) - n, "%s: ", log_program);
        n = m < 0 ? n : n + (size_t)m;
        if (n > sizeof(line) / 2)
                n = sizeof(line) / 2;
        if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
                msg[0] = '\0';
        /* One line, written whole: room is kept for the newline. */
        n = log_escape(line, n, sizeof(line) - 1, msg);
        line[n++] = '\n';
        (void)!write(STDERR_FILENO, line, n);
        errno = saved;
}

void log_msg(LogLevel level, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_msgv(level, fmt, ap);
        va_end(ap);
}

int log_error_errno(int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_msgv(LOG_LEVEL_ERROR, fmt, ap);
        va_end(ap);
        return r;
}
