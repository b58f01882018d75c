// SPDX-License-Identifier: Apache-2.0
/* Tests for upgrade sources: path guards, locations, and the directory backend. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "update/source.h"
#include "util/fileio.h"

static char *make_dir(void) {
        char tmpl[] = "/tmp/kos-test-source.XXXXXX";
        char *d = mkdtemp(tmpl);

        CHECK(d);
        return strdup(d);
}

/* dir/rel in a static buffer: valid until the next call. */
static const char *join(const char *dir, const char *rel) {
        static char path[512];

        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        return path;
}

static void put(const char *dir, const char *rel, const char *data) {
        CHECK_OK(write_file_atomic(join(dir, rel), data, strlen(data), 0644));
}

static void cleanup_dir(const char *dir) {
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        CHECK_EQ_INT(system(cmd), 0);
}

TEST(path_safety) {
        CHECK(update_source_path_is_safe("refs/latest"));
        CHECK(update_source_path_is_safe("objects/ab/cdef0123"));
        CHECK(update_source_path_is_safe("a"));
        CHECK(!update_source_path_is_safe(""));
        CHECK(!update_source_path_is_safe("/etc/passwd"));
        CHECK(!update_source_path_is_safe("refs/../../etc"));
        CHECK(!update_source_path_is_safe("refs/.."));
        CHECK(!update_source_path_is_safe("refs/.hidden"));
        CHECK(!update_source_path_is_safe("refs//latest"));
        CHECK(!update_source_path_is_safe("refs/latest/"));
        CHECK(!update_source_path_is_safe("refs/la test"));
        CHECK(!update_source_path_is_safe("refs/latest?x=1"));
        CHECK(!update_source_path_is_safe("refs/%2e%2e"));
}

TEST(locations) {
        UpdateSource *s = NULL;

        CHECK_EQ_INT(update_source_open(&s, "ftp://example.org/store"), -EINVAL);
        CHECK_EQ_INT(update_source_open(&s, "file:///store"), -EINVAL);
        CHECK_EQ_INT(update_source_open(&s, "http://127.0.0.1:1/store?x=1"), -EINVAL);
        CHECK_EQ_INT(update_source_open(&s, "http://127.0.0.1:1/store#frag"), -EINVAL);
        CHECK_EQ_INT(update_source_open(&s, "/nonexistent/kos-store"), -ENOENT);
        CHECK_EQ_INT(update_source_open(&s, ""), -EINVAL);
        CHECK(!s);

        CHECK_OK(update_source_open(&s, "http://127.0.0.1:1/store/"));
        CHECK_EQ_STR(update_source_location(s), "http://127.0.0.1:1/store");
        s = update_source_free(s);
}

TEST(passwords_are_not_shown) {
        static const char *const cases[][2] = {
                { "https://kos:hunter2@orbit.example/store", "https://kos:***@orbit.example/store" },
                { "http://a:b:c@h:8080", "http://a:***@h:8080" },
                { "http://kos@host/x", "http://kos@host/x" },
                { "http://host/p@th:x", "http://host/p@th:x" },
                { "ftp://u:p@host", "ftp://u:***@host" },
                { "/srv/store", "/srv/store" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *shown = NULL;

                CHECK_OK(update_source_location_shown(cases[i][0], &shown));
                CHECK_EQ_STR(shown, cases[i][1]);
                free(shown);
        }
}

TEST(unreachable_http) {
        _cleanup_(update_source_freep) UpdateSource *s = NULL;
        char *buf = NULL;
        size_t size;

        /* Port 1 on loopback: nothing listens there. */
        CHECK_OK(update_source_open(&s, "http://127.0.0.1:1"));
        CHECK_EQ_INT(update_source_read(s, "refs/latest", 4096, &buf, &size), -ECONNREFUSED);
        CHECK(*update_source_last_error(s));
        CHECK(!buf);
}

TEST(directory_read) {
        char *dir = make_dir();
        _cleanup_(update_source_freep) UpdateSource *s = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;

        CHECK_EQ_INT(mkdir(join(dir, "refs"), 0755), 0);
        put(dir, "refs/latest", "hello\n");
        CHECK_OK(update_source_open(&s, dir));
        CHECK_OK(update_source_read(s, "refs/latest", 100, &buf, &size));
        CHECK_EQ_INT(size, 6);
        CHECK_EQ_STR(buf, "hello\n");
        CHECK_EQ_INT(update_source_bytes_received(s), 6);

        free(buf);
        buf = NULL;
        CHECK_EQ_INT(update_source_read(s, "refs/latest", 5, &buf, &size), -EFBIG);
        CHECK_EQ_INT(update_source_read(s, "refs/missing", 5, &buf, &size), -ENOENT);
        CHECK_EQ_INT(update_source_read(s, "../etc/passwd", 5, &buf, &size), -EINVAL);
        CHECK_EQ_INT(update_source_read(s, "refs", 5, &buf, &size), -EPROTO);
        cleanup_dir(dir);
        free(dir);
}

typedef struct Collect {
        char data[64];
        size_t size;
} Collect;

static int collect(const void *data, size_t size, void *userdata) {
        Collect *c = userdata;

        if (size > sizeof(c->data) - c->size)
                return -ENOBUFS;
        memcpy(c->data + c->size, data, size);
        c->size += size;
        return 0;
}

static int refuse(const void *data, size_t size, void *userdata) {
        return -ENOSPC;
}

TEST(directory_offset_and_sink_errors) {
        char *dir = make_dir();
        _cleanup_(update_source_freep) UpdateSource *s = NULL;
        Collect c = {};

        put(dir, "blob", "0123456789");
        CHECK_EQ_INT(symlink("/etc/passwd", join(dir, "link")), 0);
        CHECK_OK(update_source_open(&s, dir));
        CHECK_OK(update_source_fetch(s, "blob", 4, 100, collect, &c));
        CHECK_EQ_INT(c.size, 6);
        CHECK(memcmp(c.data, "456789", 6) == 0);
        CHECK_EQ_INT(update_source_fetch(s, "blob", 10, 100, collect, &c), -ERANGE);
        CHECK_EQ_INT(update_source_fetch(s, "blob", 0, 9, collect, &c), -EFBIG);
        CHECK_EQ_INT(update_source_fetch(s, "blob", 0, 100, refuse, NULL), -ENOSPC);
        CHECK_EQ_INT(update_source_fetch(s, "link", 0, 100, collect, &c), -EPROTO);
        cleanup_dir(dir);
        free(dir);
}

TEST_MAIN()
