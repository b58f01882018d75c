/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An app's output, made safe for kosd's log.
 *
 * Apps write anything to stdout and stderr: terminal escape sequences, carriage returns
 * that would overwrite a log line on a console, NUL bytes, lines longer than any log line.
 * kosd logs each line under the app's name; this file turns a line's bytes into text that
 * cannot pass for something else: every control character except TAB, and DEL, becomes
 * "\xNN", and a long line is cut into pieces that each fit one log line, so nothing is lost
 * to truncation.
 */
#pragma once

#include <stddef.h>

/* Escaped text of one log line, NUL included: well below util/log.c's 2048-byte line. */
#define OUTPUT_LOG_TEXT_MAX 1024

/*
 * Escapes a prefix of data[0..size) into out (NUL-terminated, at most out_size bytes, which
 * must be at least 5). Returns how many input bytes it consumed: all of them if they fit,
 * else as many as fit whole (an escape is never split); at least 1 if size > 0.
 */
size_t output_escape(const char *data, size_t size, char *out, size_t out_size);
