// SPDX-License-Identifier: Apache-2.0
/*
 * Parsing an HTTP Content-Range value.
 *
 * Invariant: never reads past value + size, and accepts only a range that could describe
 * a real file: FIRST <= LAST, and LAST < LENGTH when LENGTH is known.
 */
#include <errno.h>
#include <strings.h>

#include "update/content-range.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads a decimal number of at most 19 digits (so it fits in uint64_t without checks on
 * every step beyond the digit count). */
static bool parse_number(const char **p, const char *end, uint64_t *np) {
        uint64_t n = 0;
        unsigned digits = 0;

        while (*p < end && **p >= '0' && **p <= '9') {
                if (++digits > 19)
                        return false;
                n = n * 10 + (uint64_t)(**p - '0');
                (*p)++;
        }
        if (digits == 0)
                return false;
        *np = n;
        return true;
}

int update_content_range_parse(const char *value, size_t size, UpdateContentRange *rangep) {
        const char *p = value, *end = value + size;
        UpdateContentRange range = {};

        while (p < end && is_blank(*p))
                p++;
        while (end > p && is_blank(end[-1]))
                end--;

        if (end - p < 6 || strncasecmp(p, "bytes ", 6) != 0)
                return -EBADMSG;
        p += 6;
        while (p < end && *p == ' ')
                p++;
        if (!parse_number(&p, end, &range.first))
                return -EBADMSG;
        if (p >= end || *p++ != '-')
                return -EBADMSG;
        if (!parse_number(&p, end, &range.last) || range.last < range.first)
                return -EBADMSG;
        if (p >= end || *p++ != '/')
                return -EBADMSG;
        if (p < end && *p == '*' && p + 1 == end) {
                *rangep = range;
                return 0;
        }
        if (!parse_number(&p, end, &range.length) || p != end || range.length <= range.last)
                return -EBADMSG;
        range.has_length = true;
        *rangep = range;
        return 0;
}
