/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A multipart/byteranges body (RFC 9110 §14.6), as a server answers a request for
 * several byte ranges of a file: parts separated by "--BOUNDARY" lines, each with its
 * own headers (a Content-Range among them) and then exactly the bytes that range names.
 *
 * The body comes from the network: the parser is fed it in pieces of any size, keeps at
 * most one header line (UPDATE_BYTERANGES_LINE_MAX bytes) and never reads past what it
 * is given; it hands each part's bytes to a callback with their file offset, and refuses
 * (-EPROTO) a part without a valid Content-Range, an over-long line, more header lines
 * than UPDATE_BYTERANGES_HEADERS_MAX, anything but a delimiter after a part's bytes, and,
 * at the end (update_byteranges_finish()), a body that stopped before its closing
 * delimiter. Which ranges are acceptable is the caller's business: the parser checks
 * only that each is well-formed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPDATE_BYTERANGES_BOUNDARY_MAX 70 /* RFC 2046 */
#define UPDATE_BYTERANGES_LINE_MAX 1024
#define UPDATE_BYTERANGES_HEADERS_MAX 16

/* Receives size bytes of the file at offset; a negative return stops the parse. */
typedef int (*UpdateByterangesSink)(uint64_t offset, const void *data, size_t size, void *userdata);

typedef enum UpdateByterangesState {
        UPDATE_BYTERANGES_PREAMBLE, /* before the first delimiter */
        UPDATE_BYTERANGES_HEADERS,  /* a part's header lines */
        UPDATE_BYTERANGES_DATA,     /* a part's bytes */
        UPDATE_BYTERANGES_AFTER,    /* between a part's bytes and the next delimiter */
        UPDATE_BYTERANGES_CLOSED,   /* after the closing delimiter: the rest is ignored */
} UpdateByterangesState;

typedef struct UpdateByteranges {
        UpdateByterangesState state;
        char boundary[UPDATE_BYTERANGES_BOUNDARY_MAX + 1];
        char line[UPDATE_BYTERANGES_LINE_MAX];
        size_t line_size;
        unsigned lines;      /* header lines of this part, or blank lines after its bytes */
        bool have_range;     /* this part's Content-Range */
        uint64_t offset;     /* file offset of the part's next byte */
        uint64_t remaining;  /* bytes of the part still to come */
        unsigned parts;      /* parts seen */
} UpdateByteranges;

/*
 * Finds the boundary in a Content-Type header value (size bytes, no NUL needed):
 * "multipart/byteranges; boundary=B" or boundary="B", parameters in any order, names in
 * any case. -EBADMSG if the type is another or the boundary is missing, empty, longer
 * than 70 characters or holds a character RFC 2046 does not allow.
 */
int update_byteranges_boundary(const char *content_type, size_t size, char boundary[static UPDATE_BYTERANGES_BOUNDARY_MAX + 1]);

void update_byteranges_init(UpdateByteranges *p, const char *boundary);

/* Parses the next size bytes of the body. Returns 0, -EPROTO, or the sink's error. */
int update_byteranges_feed(UpdateByteranges *p, const void *data, size_t size, UpdateByterangesSink sink, void *userdata);

/* 0 if the body ended after its closing delimiter, -EPROTO otherwise (cut short). */
int update_byteranges_finish(const UpdateByteranges *p);
