/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two backends behind UpdateSource. Internal to src/update: source.c picks one by the
 * location's form and calls it through UpdateSourceBackend; each keeps its own state in
 * source->backend_data.
 *
 * Invariants: a backend's fetch adds every byte it receives to s->bytes_received, and
 * every byte of the file (not headers, not error bodies) to s->fetched.received; if the
 * file comes from its start rather than from the offset asked for, it sets
 * s->fetched.start to 0 (update_source_fetch() set it to the offset); on failure, it
 * writes one line to s->error.
 */
#pragma once

#include <stdint.h>

#include "update/source.h"

#define UPDATE_SOURCE_ERROR_MAX 256

typedef struct UpdateSourceBackend {
        const char *kind; /* "directory" or "http" */
        int (*open)(UpdateSource *s);
        void (*close)(UpdateSource *s);
        int (*fetch)(UpdateSource *s, const char *path, uint64_t offset, uint64_t max_size,
                     UpdateSink sink, void *userdata);
        int (*fetch_ranges)(UpdateSource *s, const char *path, const UpdateRange *ranges, size_t n,
                            uint64_t max_size, UpdateRangeSink sink, void *userdata);
        int (*set_ca_file)(UpdateSource *s, const char *path); /* NULL: no TLS */
} UpdateSourceBackend;

struct UpdateSource {
        const UpdateSourceBackend *backend;
        char *location; /* owned; as given, less trailing slashes */
        char *shown;    /* owned: location with any URL password replaced, for messages */
        uint64_t bytes_received;
        UpdateSourceFetched fetched; /* by the last fetch */
        char error[UPDATE_SOURCE_ERROR_MAX];
        void *backend_data; /* owned by the backend */
};

extern const UpdateSourceBackend update_source_directory_backend;
extern const UpdateSourceBackend update_source_http_backend;

/* Formats the last error, printf-style, and returns r. */
int update_source_fail(UpdateSource *s, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
