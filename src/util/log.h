/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr, one line a message, prefixed with the program's name: "kos: ...".
 * Control characters in a message are escaped (newlines and tabs become spaces, others
 * "\xNN"), so text from files, manifests and peers can be logged as it is.
 * Daemons that log to the journal get a syslog priority prefix ("<3>") instead, which
 * journald strips and turns into the message's priority.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

typedef enum LogLevel {
        LOG_LEVEL_ERROR = 3,
        LOG_LEVEL_WARNING = 4,
        LOG_LEVEL_NOTICE = 5,
        LOG_LEVEL_INFO = 6,
        LOG_LEVEL_DEBUG = 7,
} LogLevel;

/* Sets the name that prefixes every message. The string must outlive all logging. */
void log_set_program(const char *name);
/* Messages above level (less severe) are dropped; the default is LOG_LEVEL_INFO. */
void log_set_max_level(LogLevel level);
/* The level set by log_set_max_level(). */
LogLevel log_get_max_level(void);
/* With prefix set, lines start with "<N>" (sd-daemon(3) style) for journald. */
void log_set_priority_prefix(bool prefix);

/* Logs one line at level, prefixed with the program's name; errno is left as it was. */
void log_msgv(LogLevel level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void log_msg(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs at error level and returns r (a negative errno), for `return log_error_errno(r, ...)`. */
int log_error_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
