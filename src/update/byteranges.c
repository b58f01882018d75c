// SPDX-License-Identifier: Apache-2.0
/*
 * Parsing a multipart/byteranges body, fed in pieces (see byteranges.h).
 *
 *   PREAMBLE ──"--B"──▶ HEADERS ──blank line──▶ DATA ──last byte──▶ AFTER ──"--B"──▶ HEADERS
 *      │                (Content-Range                               │
 *      │                 required)                                   └──"--B--"──▶ CLOSED
 *      └──"--B--"──▶ CLOSED (no parts)
 *
 * Invariants:
 *  1. No byte beyond data + size is read; a line longer than UPDATE_BYTERANGES_LINE_MAX
 *     is refused, not truncated.
 *  2. The sink sees exactly the bytes each part's Content-Range announces, at the offsets
 *     it names, and no others (no header or delimiter byte, no byte of a part cut short
 *     that the finish does not then refuse).
 *  3. Every refusal is -EPROTO; the parser is dead after one (it stays in its state and
 *     the caller stops).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "update/byteranges.h"
#include "update/content-range.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* RFC 2046 bchars, less the space (which may not end a boundary anyway). */
static bool is_boundary_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr("'()+_,-./:=?", c) != NULL);
}

int update_byteranges_boundary(const char *value, size_t size, char boundary[static UPDATE_BYTERANGES_BOUNDARY_MAX + 1]) {
        static const char type[] = "multipart/byteranges";
        const char *p = value, *end = value + size;

        while (p < end && is_blank(*p))
                p++;
        if ((size_t)(end - p) < sizeof(type) - 1 || strncasecmp(p, type, sizeof(type) - 1) != 0)
                return -EBADMSG;
        p += sizeof(type) - 1;
        while (p < end) {
                const char *name, *v;
                size_t name_size, n = 0;
                bool quoted;

                while (p < end && is_blank(*p))
                        p++;
                if (p == end)
                        break;
                if (*p++ != ';')
                        return -EBADMSG;
                while (p < end && is_blank(*p))
                        p++;
                name = p;
                while (p < end && *p != '=' && *p != ';' && !is_blank(*p))
                        p++;
                name_size = (size_t)(p - name);
                if (p == end || *p != '=')
                        return -EBADMSG;
                p++;
                quoted = p < end && *p == '"';
                if (quoted)
                        p++;
                v = p;
                while (p < end && (quoted ? *p != '"' : (*p != ';' && !is_blank(*p))))
                        p++;
                n = (size_t)(p - v);
                if (quoted) {
                        if (p == end)
                                return -EBADMSG; /* no closing quote */
                        p++;
                }
                if (name_size != 8 || strncasecmp(name, "boundary", 8) != 0)
                        continue;
                if (n == 0 || n > UPDATE_BYTERANGES_BOUNDARY_MAX)
                        return -EBADMSG;
                for (size_t i = 0; i < n; i++)
                        if (!is_boundary_char(v[i]) && !(quoted && v[i] == ' ' && i + 1 < n))
                                return -EBADMSG;
                memcpy(boundary, v, n);
                boundary[n] = '\0';
                return 0;
        }
        return -EBADMSG;
}

void update_byteranges_init(UpdateByteranges *p, const char *boundary) {
        *p = (UpdateByteranges){};
        strncpy(p->boundary, boundary, UPDATE_BYTERANGES_BOUNDARY_MAX);
}

/* 1 for "--B", 2 for "--B--" (transport padding after either allowed), 0 otherwise. */
static int line_delimiter(const UpdateByteranges *p, const char *line, size_t size) {
        size_t b = strlen(p->boundary);
        int kind = 1;

        if (size < 2 + b || line[0] != '-' || line[1] != '-' || memcmp(line + 2, p->boundary, b) != 0)
                return 0;
        line += 2 + b;
        size -= 2 + b;
        if (size >= 2 && line[0] == '-' && line[1] == '-') {
                kind = 2;
                line += 2;
                size -= 2;
        }
        for (size_t i = 0; i < size; i++)
                if (!is_blank(line[i]))
                        return 0;
        return kind;
}

/* Acts on one complete line (without its "\n", or "\r\n"). */
static int on_line(UpdateByteranges *p, const char *line, size_t size) {
        int delimiter;

        switch (p->state) {
        case UPDATE_BYTERANGES_PREAMBLE:
        case UPDATE_BYTERANGES_AFTER:
                delimiter = line_delimiter(p, line, size);
                if (delimiter == 2) {
                        p->state = UPDATE_BYTERANGES_CLOSED;
                        return 0;
                }
                if (delimiter == 1) {
                        p->state = UPDATE_BYTERANGES_HEADERS;
                        p->lines = 0;
                        p->have_range = false;
                        return 0;
                }
                /* A preamble may hold anything; after a part only the CRLF that ends it. */
                if (p->state == UPDATE_BYTERANGES_AFTER && (size > 0 || ++p->lines > 1))
                        return -EPROTO;
                if (p->state == UPDATE_BYTERANGES_PREAMBLE && ++p->lines > UPDATE_BYTERANGES_HEADERS_MAX)
                        return -EPROTO;
                return 0;
        case UPDATE_BYTERANGES_HEADERS:
                if (size == 0) {
                        if (!p->have_range)
                                return -EPROTO;
                        p->state = UPDATE_BYTERANGES_DATA;
                        p->parts++;
                        return 0;
                }
                if (++p->lines > UPDATE_BYTERANGES_HEADERS_MAX)
                        return -EPROTO;
                if (size >= 14 && strncasecmp(line, "Content-Range:", 14) == 0) {
                        UpdateContentRange range;

                        if (p->have_range || update_content_range_parse(line + 14, size - 14, &range) < 0)
                                return -EPROTO;
                        p->have_range = true;
                        p->offset = range.first;
                        p->remaining = range.last - range.first + 1;
                }
                return 0;
        default:
                return -EPROTO;
        }
}

int update_byteranges_feed(UpdateByteranges *p, const void *data, size_t size, UpdateByterangesSink sink, void *userdata) {
        const char *d = data, *end = d + size;
        int r;

        while (d < end) {
                if (p->state == UPDATE_BYTERANGES_CLOSED)
                        return 0; /* an epilogue: ignored */
                if (p->state == UPDATE_BYTERANGES_DATA) {
                        size_t n = (size_t)(end - d) < p->remaining ? (size_t)(end - d) : (size_t)p->remaining;

                        r = sink(p->offset, d, n, userdata);
                        if (r < 0)
                                return r;
                        p->offset += n;
                        p->remaining -= n;
                        d += n;
                        if (p->remaining == 0) {
                                p->state = UPDATE_BYTERANGES_AFTER;
                                p->lines = 0;
                                p->line_size = 0;
                        }
                        continue;
                }
                {
                        const char *nl = memchr(d, '\n', (size_t)(end - d));
                        size_t n = nl ? (size_t)(nl - d) : (size_t)(end - d);

                        if (n > sizeof(p->line) - p->line_size)
                                return -EPROTO;
                        memcpy(p->line + p->line_size, d, n);
                        p->line_size += n;
                        d += n;
                        if (!nl)
                                break;
                        d++; /* the '\n' */
                        n = p->line_size;
                        if (n > 0 && p->line[n - 1] == '\r')
                                n--;
                        p->line_size = 0;
                        r = on_line(p, p->line, n);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int update_byteranges_finish(const UpdateByteranges *p) {
        size_t n = p->line_size;

        if (p->state == UPDATE_BYTERANGES_CLOSED)
                return 0;
        /* The closing delimiter needs no line break after it. */
        if (n > 0 && p->line[n - 1] == '\r')
                n--;
        if ((p->state == UPDATE_BYTERANGES_AFTER || p->state == UPDATE_BYTERANGES_PREAMBLE) &&
            line_delimiter(p, p->line, n) == 2)
                return 0;
        return -EPROTO;
}
