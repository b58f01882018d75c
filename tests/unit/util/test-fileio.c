// SPDX-License-Identifier: Apache-2.0
/* Whole-file reads with limits, and atomic replacement. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/fileio.h"

static char *make_dir(void) {
        char tmpl[] = "/tmp/kos-test-fileio.XXXXXX";
        char *d = mkdtemp(tmpl);

        CHECK(d);
        return strdup(d);
}

TEST(atomic_write_replaces_whole_file) {
        _cleanup_free_ char *dir = make_dir(), *path = NULL, *buf = NULL;
        size_t size;
        struct stat st;

        CHECK(asprintf(&path, "%s/f", dir) > 0);
        CHECK_OK(write_file_atomic(path, "old contents", 12, 0644));
        CHECK_OK(write_file_atomic(path, "new", 3, 0600));
        CHECK_OK(read_file_full(path, 100, &buf, &size));
        CHECK_EQ_INT(size, 3);
        CHECK_EQ_STR(buf, "new");
        CHECK(stat(path, &st) == 0);
        CHECK_EQ_INT(st.st_mode & 0777, 0600);
        unlink(path);
        rmdir(dir);
}

TEST(atomic_write_failure_leaves_target) {
        _cleanup_free_ char *dir = make_dir(), *path = NULL;

        CHECK(asprintf(&path, "%s/missing-dir/f", dir) > 0);
        CHECK_EQ_INT(write_file_atomic(path, "x", 1, 0644), -ENOENT);
        rmdir(dir);
}

TEST(read_limit) {
        _cleanup_free_ char *dir = make_dir(), *path = NULL, *buf = NULL;
        size_t size;

        CHECK(asprintf(&path, "%s/f", dir) > 0);
        CHECK_OK(write_file_atomic(path, "0123456789", 10, 0644));
        CHECK_EQ_INT(read_file_full(path, 9, &buf, &size), -EFBIG);
        CHECK(!buf);
        CHECK_OK(read_file_full(path, 10, &buf, &size));
        CHECK_EQ_INT(size, 10);
        unlink(path);
        rmdir(dir);
}

TEST(read_empty_file) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 99;

        CHECK_OK(read_file_full("/dev/null", 10, &buf, &size));
        CHECK_EQ_INT(size, 0);
        CHECK_EQ_STR(buf, "");
}

/* Many writers of one path: each write succeeds whole; no temporary file is left. */
static void *write_many(void *path) {
        char data[64];

        for (int i = 0; i < 200; i++) {
                int n = snprintf(data, sizeof(data), "writer %p round %d", (void *)pthread_self(), i);
                if (write_file_atomic(path, data, (size_t)n, 0644) < 0)
                        return (void *)1;
        }
        return NULL;
}

TEST(atomic_write_concurrent_writers) {
        _cleanup_free_ char *dir = make_dir(), *path = NULL, *buf = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        pthread_t threads[4];
        struct dirent *de;
        size_t size;

        CHECK(asprintf(&path, "%s/f", dir) > 0);
        for (size_t i = 0; i < ELEMENTSOF(threads); i++)
                CHECK(pthread_create(&threads[i], NULL, write_many, path) == 0);
        for (size_t i = 0; i < ELEMENTSOF(threads); i++) {
                void *failed;

                CHECK(pthread_join(threads[i], &failed) == 0);
                CHECK(!failed);
        }
        CHECK_OK(read_file_full(path, 100, &buf, &size));
        CHECK(strstr(buf, " round 199"));
        d = opendir(dir);
        CHECK(d);
        while ((de = readdir(d)))
                CHECK(de->d_name[0] == '.' || strcmp(de->d_name, "f") == 0);
        unlink(path);
        rmdir(dir);
}

/* The old temporary name "PATH.tmp.PID" of another writer is neither used nor removed. */
TEST(atomic_write_leaves_others_files) {
        _cleanup_free_ char *dir = make_dir(), *path = NULL, *other = NULL;
        struct stat st;

        CHECK(asprintf(&path, "%s/f", dir) > 0);
        CHECK(asprintf(&other, "%s/f.tmp.%ld", dir, (long)getpid()) > 0);
        CHECK_OK(write_file_atomic(other, "theirs", 6, 0644));
        CHECK_OK(write_file_atomic(path, "ours", 4, 0644));
        CHECK(stat(other, &st) == 0 && st.st_size == 6);
        unlink(other);
        unlink(path);
        rmdir(dir);
}

TEST(new_file_never_replaces) {
        _cleanup_free_ char *dir = make_dir(), *path = NULL, *buf = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        struct stat st;
        size_t size;

        CHECK(asprintf(&path, "%s/f", dir) > 0);
        CHECK_OK(write_file_new(path, "first", 5, 0600));
        CHECK(stat(path, &st) == 0);
        CHECK_EQ_INT(st.st_mode & 0077, 0);
        CHECK_EQ_INT(write_file_new(path, "second", 6, 0600), -EEXIST);
        CHECK_OK(read_file_full(path, 100, &buf, &size));
        CHECK_EQ_STR(buf, "first");
        d = opendir(dir);
        CHECK(d);
        while ((de = readdir(d)))
                CHECK(de->d_name[0] == '.' || strcmp(de->d_name, "f") == 0);
        unlink(path);
        rmdir(dir);
}

TEST_MAIN()
