// SPDX-License-Identifier: Apache-2.0
/*
 * Upgrade sources: picks the backend by the location's form and guards every path.
 *
 * Invariant: no backend ever sees a path that update_source_path_is_safe() rejects, so a
 * name that reached us from the network can never make us read outside the source store.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "update/source-backend.h"
#include "util/cleanup.h"

int update_source_fail(UpdateSource *s, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(s->error, sizeof(s->error), fmt, ap);
        va_end(ap);
        return r;
}

static bool path_char_is_safe(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
}

bool update_source_path_is_safe(const char *path) {
        bool component_start = true;

        if (!path || !*path)
                return false;
        for (const char *p = path; *p; p++) {
                if (*p == '/') {
                        if (component_start)
                                return false; /* leading '/' or "//" */
                        component_start = true;
                        continue;
                }
                if (!path_char_is_safe(*p))
                        return false;
                if (component_start && *p == '.')
                        return false; /* ".", "..", hidden names */
                component_start = false;
        }
        return !component_start; /* no trailing '/' */
}

static bool location_is_url(const char *location) {
        return strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0;
}

int update_source_location_shown(const char *location, char **shownp) {
        const char *authority, *end, *at, *colon;
        char *shown;

        authority = strstr(location, "://");
        if (!authority) {
                shown = strdup(location);
                if (!shown)
                        return -ENOMEM;
                *shownp = shown;
                return 0;
        }
        authority += 3;
        end = authority + strcspn(authority, "/?#");
        at = memrchr(authority, '@', (size_t)(end - authority));
        colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
        if (!colon)
                shown = strdup(location);
        else if (asprintf(&shown, "%.*s***%s", (int)(colon + 1 - location), location, at) < 0)
                shown = NULL;
        if (!shown)
                return -ENOMEM;
        *shownp = shown;
        return 0;
}

int update_source_open(UpdateSource **sourcep, const char *location) {
        _cleanup_(update_source_freep) UpdateSource *s = NULL;
        size_t n;
        int r;

        if (!location || !*location)
                return -EINVAL;
        if (strstr(location, "://") && !location_is_url(location))
                return -EINVAL; /* ftp://, file://, …: not a source */

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->location = strdup(location);
        if (!s->location)
                return -ENOMEM;
        n = strlen(s->location);
        while (n > 1 && s->location[n - 1] == '/')
                s->location[--n] = '\0';
        r = update_source_location_shown(s->location, &s->shown);
        if (r < 0)
                return r;

        s->backend = location_is_url(location) ? &update_source_http_backend
                                               : &update_source_directory_backend;
        r = s->backend->open(s);
        if (r < 0) {
                s->backend = NULL; /* nothing to close */
                return r;
        }
        *sourcep = steal_ptr(&s);
        return 0;
}

UpdateSource *update_source_free(UpdateSource *s) {
        if (!s)
                return NULL;
        if (s->backend)
                s->backend->close(s);
        free(s->location);
        free(s->shown);
        free(s);
        return NULL;
}

int update_source_fetch(UpdateSource *s, const char *path, uint64_t offset, uint64_t max_size,
                        UpdateSink sink, void *userdata) {
        if (!update_source_path_is_safe(path))
                return update_source_fail(s, -EINVAL, "refusing unsafe path \"%s\"", path);
        if (offset > max_size)
                return update_source_fail(s, -EFBIG, "%s: larger than %llu bytes", path,
                                          (unsigned long long)max_size);
        s->error[0] = '\0';
        s->fetched = (UpdateSourceFetched){ .start = offset };
        return s->backend->fetch(s, path, offset, max_size, sink, userdata);
}

int update_source_fetch_ranges(UpdateSource *s, const char *path, const UpdateRange *ranges, size_t n,
                               uint64_t max_size, UpdateRangeSink sink, void *userdata) {
        if (!update_source_path_is_safe(path))
                return update_source_fail(s, -EINVAL, "refusing unsafe path \"%s\"", path);
        if (n == 0 || n > UPDATE_SOURCE_RANGES_MAX)
                return update_source_fail(s, -EINVAL, "%s: %zu ranges in one request", path, n);
        for (size_t i = 0; i < n; i++)
                if (ranges[i].first > ranges[i].last || ranges[i].last >= max_size ||
                    (i > 0 && ranges[i].first <= ranges[i - 1].last))
                        return update_source_fail(s, -EINVAL, "%s: ranges out of order", path);
        s->error[0] = '\0';
        s->fetched = (UpdateSourceFetched){ .start = ranges[0].first };
        return s->backend->fetch_ranges(s, path, ranges, n, max_size, sink, userdata);
}

typedef struct MemorySink {
        char *buf; /* owned */
        size_t size, allocated, max_size;
} MemorySink;

static int memory_sink(const void *data, size_t size, void *userdata) {
        MemorySink *m = userdata;

        if (size > m->max_size - m->size)
                return -EFBIG;
        if (m->allocated - m->size < size + 1) {
                size_t n = m->allocated ? m->allocated : 4096;
                char *p;

                while (n - m->size < size + 1)
                        n *= 2;
                p = realloc(m->buf, n);
                if (!p)
                        return -ENOMEM;
                m->buf = p;
                m->allocated = n;
        }
        memcpy(m->buf + m->size, data, size);
        m->size += size;
        m->buf[m->size] = '\0';
        return 0;
}

int update_source_read(UpdateSource *s, const char *path, size_t max_size, char **bufp, size_t *sizep) {
        MemorySink m = { .max_size = max_size };
        _cleanup_free_ char *buf = NULL;
        int r;

        r = update_source_fetch(s, path, 0, max_size, memory_sink, &m);
        buf = m.buf;
        if (r == -EFBIG && !s->error[0])
                update_source_fail(s, r, "%s: larger than %zu bytes", path, max_size);
        if (r < 0)
                return r;
        if (!buf) {
                buf = calloc(1, 1);
                if (!buf)
                        return -ENOMEM;
        }
        *bufp = steal_ptr(&buf);
        *sizep = m.size;
        return 0;
}

int update_source_set_ca_file(UpdateSource *s, const char *path) {
        if (access(path, R_OK) < 0)
                return -errno;
        if (!s->backend->set_ca_file)
                return 0;
        return s->backend->set_ca_file(s, path);
}

uint64_t update_source_bytes_received(const UpdateSource *s) {
        return s->bytes_received;
}

UpdateSourceFetched update_source_last_fetched(const UpdateSource *s) {
        return s->fetched;
}

const char *update_source_location(const UpdateSource *s) {
        return s->shown;
}

const char *update_source_last_error(const UpdateSource *s) {
        return s->error;
}
