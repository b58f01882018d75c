// SPDX-License-Identifier: Apache-2.0
/* Tests for downloading objects into a store's tmp/: checking, resuming, bounds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/sha256.h"
#include "store/store.h"
#include "test.h"
#include "update/download.h"
#include "update/source-backend.h"
#include "update/source.h"
#include "util/fileio.h"

#define OBJECT_SIZE (300U * 1024U + 17U)

typedef struct Fixture {
        char root[64];
        char store_path[128];
        char source_path[128];
        Store *store;
        UpdateSource *source;
        char *data; /* OBJECT_SIZE pseudo-random bytes */
        char digest[SHA256_HEX_LEN + 1];
} Fixture;

static const char *join(const char *a, const char *b) {
        static char path[512];

        snprintf(path, sizeof(path), "%s/%s", a, b);
        return path;
}

/* Puts data at the source as objects/ab/cdef… under digest (which need not match). */
static void source_put(Fixture *f, const char *digest, const void *data, size_t size) {
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];

        CHECK_OK(store_object_relative_path(digest, rel));
        (void)mkdir(join(f->source_path, "objects"), 0755);
        *strrchr(rel, '/') = '\0';
        (void)mkdir(join(f->source_path, rel), 0755);
        CHECK_OK(store_object_relative_path(digest, rel));
        CHECK_OK(write_file_atomic(join(f->source_path, rel), data, size, 0644));
}

static void fixture_setup(Fixture *f) {
        Sha256Digest d;
        uint32_t x = 2463534242U;

        memset(f, 0, sizeof(*f));
        strcpy(f->root, "/tmp/kos-test-download.XXXXXX");
        CHECK(mkdtemp(f->root));
        snprintf(f->store_path, sizeof(f->store_path), "%s/store", f->root);
        snprintf(f->source_path, sizeof(f->source_path), "%s/source", f->root);
        CHECK_OK(store_init(f->store_path));
        CHECK_EQ_INT(mkdir(f->source_path, 0755), 0);
        CHECK_OK(store_open(&f->store, f->store_path, STORE_OPEN_READ));
        CHECK_OK(update_source_open(&f->source, f->source_path));

        f->data = malloc(OBJECT_SIZE);
        CHECK(f->data);
        for (size_t i = 0; i < OBJECT_SIZE; i++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                f->data[i] = (char)x;
        }
        CHECK_OK(sha256_buffer(f->data, OBJECT_SIZE, &d));
        sha256_to_hex(&d, f->digest);
        source_put(f, f->digest, f->data, OBJECT_SIZE);
}

static void fixture_teardown(Fixture *f) {
        char cmd[128];

        update_source_free(f->source);
        store_close(f->store);
        free(f->data);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
        CHECK_EQ_INT(system(cmd), 0);
}

static void put_partial(Fixture *f, const void *data, size_t size) {
        _cleanup_free_ char *path = NULL;

        CHECK_OK(update_download_path(f->store, f->digest, &path));
        CHECK_OK(write_file_atomic(path, data, size, 0600));
}

static void check_file_is_object(Fixture *f, const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;

        CHECK_OK(read_file_full(path, OBJECT_SIZE * 2, &buf, &size));
        CHECK_EQ_INT(size, OBJECT_SIZE);
        CHECK(memcmp(buf, f->data, OBJECT_SIZE) == 0);
}

TEST(full_download_then_publish) {
        Fixture f;
        UpdateDownload d = {};

        fixture_setup(&f);
        CHECK_OK(update_download_object(f.store, f.source, f.digest, OBJECT_SIZE, NULL, &d));
        CHECK_EQ_INT(d.size, OBJECT_SIZE);
        CHECK_EQ_INT(d.resumed, 0);
        CHECK_EQ_INT(d.received, OBJECT_SIZE);
        CHECK_EQ_INT(update_source_bytes_received(f.source), OBJECT_SIZE);
        check_file_is_object(&f, d.path);
        CHECK_OK(store_object_publish(f.store, d.path, f.digest, NULL));
        CHECK(store_object_exists(f.store, f.digest));
        CHECK(access(d.path, F_OK) < 0);
        update_download_done(&d);
        fixture_teardown(&f);
}

TEST(resume_transfers_only_the_rest) {
        Fixture f;
        UpdateDownload d = {};

        fixture_setup(&f);
        put_partial(&f, f.data, 100000);
        CHECK_OK(update_download_object(f.store, f.source, f.digest, OBJECT_SIZE, NULL, &d));
        CHECK_EQ_INT(d.resumed, 100000);
        CHECK_EQ_INT(d.received, OBJECT_SIZE - 100000);
        CHECK_EQ_INT(update_source_bytes_received(f.source), OBJECT_SIZE - 100000);
        check_file_is_object(&f, d.path);
        update_download_done(&d);
        fixture_teardown(&f);
}

/* A source that sends the whole file whatever offset it is asked for, as an HTTP server
 * that ignores Range and answers 200. Like the HTTP backend, it drops what precedes the
 * offset before the sink. */
static const char *whole_file_data;
static size_t whole_file_size;

static int whole_file_open(UpdateSource *s) {
        (void)s;
        return 0;
}

static void whole_file_close(UpdateSource *s) {
        (void)s;
}

static int whole_file_fetch(UpdateSource *s, const char *path, uint64_t offset, uint64_t max_size,
                            UpdateSink sink, void *userdata) {
        (void)path;
        (void)max_size;
        s->bytes_received += whole_file_size;
        s->fetched.start = 0;
        s->fetched.received = whole_file_size;
        if (offset >= whole_file_size)
                return -ERANGE;
        return sink(whole_file_data + offset, whole_file_size - offset, userdata);
}

static const UpdateSourceBackend whole_file_backend = {
        .kind = "whole-file",
        .open = whole_file_open,
        .close = whole_file_close,
        .fetch = whole_file_fetch,
};

TEST(source_ignoring_the_range_resumes_nothing) {
        Fixture f;
        UpdateDownload d = {};
        UpdateSource *source;

        fixture_setup(&f);
        whole_file_data = f.data;
        whole_file_size = OBJECT_SIZE;
        source = calloc(1, sizeof(*source));
        CHECK(source);
        source->backend = &whole_file_backend;
        put_partial(&f, f.data, 100000);
        CHECK_OK(update_download_object(f.store, source, f.digest, OBJECT_SIZE, NULL, &d));
        check_file_is_object(&f, d.path);
        CHECK_EQ_INT(d.size, OBJECT_SIZE);
        CHECK_EQ_INT(d.resumed, 0);
        CHECK_EQ_INT(d.received, OBJECT_SIZE);
        update_download_done(&d);
        update_source_free(source);
        fixture_teardown(&f);
}

TEST(complete_partial_transfers_nothing) {
        Fixture f;
        UpdateDownload d = {};

        fixture_setup(&f);
        put_partial(&f, f.data, OBJECT_SIZE);
        CHECK_OK(update_download_object(f.store, f.source, f.digest, OBJECT_SIZE, NULL, &d));
        CHECK_EQ_INT(d.resumed, OBJECT_SIZE);
        CHECK_EQ_INT(d.received, 0);
        CHECK_EQ_INT(update_source_bytes_received(f.source), 0);
        update_download_done(&d);
        fixture_teardown(&f);
}

TEST(garbage_partial_is_replaced) {
        Fixture f;
        UpdateDownload d = {};
        char garbage[5000];

        fixture_setup(&f);
        memset(garbage, 'x', sizeof(garbage));
        put_partial(&f, garbage, sizeof(garbage));
        CHECK_OK(update_download_object(f.store, f.source, f.digest, OBJECT_SIZE, NULL, &d));
        CHECK_EQ_INT(d.resumed, 0);
        /* The rest after the garbage, then the whole object from zero. */
        CHECK_EQ_INT(d.received, OBJECT_SIZE - sizeof(garbage) + OBJECT_SIZE);
        check_file_is_object(&f, d.path);
        update_download_done(&d);
        fixture_teardown(&f);
}

TEST(overlong_garbage_partial_is_replaced) {
        Fixture f;
        UpdateDownload d = {};
        _cleanup_free_ char *garbage = malloc(OBJECT_SIZE + 10);

        fixture_setup(&f);
        memset(garbage, 'y', OBJECT_SIZE + 10);
        put_partial(&f, garbage, OBJECT_SIZE + 10);
        CHECK_OK(update_download_object(f.store, f.source, f.digest, OBJECT_SIZE + 10, NULL, &d));
        check_file_is_object(&f, d.path);
        update_download_done(&d);
        fixture_teardown(&f);
}

TEST(mismatching_bytes_are_refused_and_removed) {
        Fixture f;
        UpdateDownload d = {};
        _cleanup_free_ char *path = NULL;

        fixture_setup(&f);
        f.data[1234] ^= 1;
        source_put(&f, f.digest, f.data, OBJECT_SIZE);
        CHECK_EQ_INT(update_download_object(f.store, f.source, f.digest, OBJECT_SIZE, NULL, &d), -EBADMSG);
        CHECK(!d.path);
        CHECK_OK(update_download_path(f.store, f.digest, &path));
        CHECK(access(path, F_OK) < 0);
        fixture_teardown(&f);
}

TEST(bounds_and_missing) {
        Fixture f;
        UpdateDownload d = {};
        char other[SHA256_HEX_LEN + 1];

        fixture_setup(&f);
        CHECK_EQ_INT(update_download_object(f.store, f.source, f.digest, OBJECT_SIZE - 1, NULL, &d), -EFBIG);
        memset(other, 'a', SHA256_HEX_LEN);
        other[SHA256_HEX_LEN] = '\0';
        CHECK_EQ_INT(update_download_object(f.store, f.source, other, OBJECT_SIZE, NULL, &d), -ENOENT);
        CHECK_EQ_INT(update_download_object(f.store, f.source, "../../etc/passwd", OBJECT_SIZE, NULL, &d), -EINVAL);
        fixture_teardown(&f);
}

TEST_MAIN()
