/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The value of an HTTP Content-Range header, as a server sends it with 206 Partial
 * Content (RFC 9110 §14.4): "bytes FIRST-LAST/LENGTH", or with LENGTH unknown, a star.
 * The text comes from the network: the parser reads at most size bytes, needs no NUL,
 * and refuses numbers that overflow, LAST below FIRST, and LENGTH not above LAST.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct UpdateContentRange {
        uint64_t first, last;
        bool has_length;
        uint64_t length;
} UpdateContentRange;

/* Parses the header's value (leading and trailing blanks and CR LF allowed). -EBADMSG if
 * malformed. */
int update_content_range_parse(const char *value, size_t size, UpdateContentRange *rangep);
