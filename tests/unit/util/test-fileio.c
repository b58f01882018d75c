// SPDX-License-Identifier: Apache-2.0
/* Whole-file reads with limits, and atomic replacement. */
#include <fcntl.h>
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

TEST_MAIN()
