// SPDX-License-Identifier: Apache-2.0
/* Logging to stderr: one message, one line, written with a single write(2). */
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

void log_set_priority_prefix(bool prefix) {
        log_priority_prefix = prefix;
}

void log_msgv(LogLevel level, const char *fmt, va_list ap) {
        char line[2048];
        int saved = errno;
        int n = 0, m;

        if (level > log_max_level)
                return;
        if (log_priority_prefix)
                n = snprintf(line, sizeof(line), "<%d>", (int)level);
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s: ", log_program);
        m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
        if (m < 0)
                m = 0;
        n += m;
        if ((size_t)n > sizeof(line) - 2)
                n = (int)sizeof(line) - 2;
        /* Keep the one-line promise even for messages that embed newlines. */
        for (int i = 0; i < n; i++)
                if (line[i] == '\n')
                        line[i] = ' ';
        line[n++] = '\n';
        (void)!write(STDERR_FILENO, line, (size_t)n);
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
