/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upgrade sources: another store, read as a directory or over HTTP(S).
 *
 * A source is addressed by paths relative to the store's root ("refs/latest",
 * "objects/ab/cdef…"). Everything read from a source is untrusted: every read is bounded
 * by the caller's max_size, and paths are built by KOS from validated names only, never
 * taken from the source (update_source_path_is_safe() enforces it once more).
 *
 * Errors every backend reports the same way:
 *   -ENOENT        the path does not exist at the source (HTTP 404/410)
 *   -EFBIG         the file holds more than max_size bytes
 *   -ERANGE        offset is at or past the end of the file (HTTP 416)
 *   -ECONNABORTED  the transfer broke off midway: the source disappeared
 *   -ECONNREFUSED  the source cannot be reached at all
 *   -EPROTO        the source answered something that is not a file (HTTP 5xx, a bad
 *                  Content-Range, a directory where a file should be)
 *   any error the sink returned, unchanged (-ENOSPC from a full disk)
 * and leaves a one-line explanation in update_source_last_error().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"

/* Receives the bytes of a file in order. A negative return aborts the transfer and is
 * passed up by update_source_fetch(). */
typedef int (*UpdateSink)(const void *data, size_t size, void *userdata);

typedef struct UpdateSource UpdateSource;

/*
 * Opens a source: "http://…" or "https://…" for a store served over HTTP, anything else
 * a directory path. Only the URL's syntax is checked here; nothing is fetched. Returns
 * -EINVAL for an unusable location (another URL scheme, a URL with a query or fragment),
 * -ENOENT/-ENOTDIR for a directory that is not there. The caller owns *sourcep.
 */
int update_source_open(UpdateSource **sourcep, const char *location);
UpdateSource *update_source_free(UpdateSource *s);

/*
 * Streams the bytes of path from offset on to sink. At most max_size bytes of the file
 * (counting from its start, not from offset) are accepted. Errors as above.
 */
int update_source_fetch(UpdateSource *s, const char *path, uint64_t offset, uint64_t max_size,
                        UpdateSink sink, void *userdata);

/* An inclusive range of a file's bytes, as in HTTP: first..last. */
typedef struct UpdateRange {
        uint64_t first, last;
} UpdateRange;

/* At most this many ranges go into one request (the Range header stays under 3 KiB). */
#define UPDATE_SOURCE_RANGES_MAX 64

/* Receives size bytes of the file starting at offset. A negative return aborts. */
typedef int (*UpdateRangeSink)(uint64_t offset, const void *data, size_t size, void *userdata);

/*
 * Fetches n (1..UPDATE_SOURCE_RANGES_MAX) ranges of path, ascending and not overlapping,
 * in one request where the source can: over HTTP one "Range: bytes=a-b,c-d,..." request,
 * answered as multipart/byteranges (byteranges.h), a single 206 part, or 200 with the
 * whole file. The sink may so see bytes outside the ranges and must ignore what it does
 * not need; it never sees a byte at or past max_size. Checking that every range arrived
 * is the caller's business: a server may send less than it was asked for. Errors as for
 * update_source_fetch().
 */
int update_source_fetch_ranges(UpdateSource *s, const char *path, const UpdateRange *ranges, size_t n,
                               uint64_t max_size, UpdateRangeSink sink, void *userdata);

/* Reads a whole small file into a new NUL-terminated buffer owned by the caller. */
int update_source_read(UpdateSource *s, const char *path, size_t max_size, char **bufp, size_t *sizep);

/*
 * Trusts only the CA certificates in path (PEM) for an https source's server, instead of
 * the system's. No effect on directory or plain http sources. -ENOENT/-EACCES if the file
 * cannot be read.
 */
int update_source_set_ca_file(UpdateSource *s, const char *path);

/* Bytes received from the source so far, protocol overhead (HTTP headers) included. */
uint64_t update_source_bytes_received(const UpdateSource *s);

/* What one update_source_fetch() received, also when it failed. */
typedef struct UpdateSourceFetched {
        uint64_t start;    /* file offset of the first byte the source sent: the offset asked
                            * for, or 0 if the source sent the file from its start (an HTTP
                            * server that ignored the Range and answered 200) */
        uint64_t received; /* bytes of the file received, those before the offset included;
                            * no protocol overhead, no error bodies */
} UpdateSourceFetched;

/* What the last update_source_fetch() received ({ offset, 0 } until the source sends). */
UpdateSourceFetched update_source_last_fetched(const UpdateSource *s);

/* The source as the user wrote it, for messages, with a URL's password (if any) as "***". */
const char *update_source_location(const UpdateSource *s);

/* Writes location as messages show it (a URL's password as "***") to *shownp (owned). */
int update_source_location_shown(const char *location, char **shownp);

/* A one-line explanation of the last failure, "" if none. */
const char *update_source_last_error(const UpdateSource *s);

/* True if path is relative, made only of [A-Za-z0-9._-] components separated by single
 * '/', with no component starting with '.'. */
bool update_source_path_is_safe(const char *path);

DEFINE_CLEANUP_FUNC(UpdateSource, update_source_free)
