// SPDX-License-Identifier: Apache-2.0
/*
 * Store objects on a real temporary store: adding, publishing, verifying, and refusing
 * names that would leave the store.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"
#include "util/fileio.h"
#include "util/strv.h"

#define HELLO_SHA256 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" /* "hello" */

static char *make_store(void) {
        char *dir = strdup("/tmp/kos-test-object.XXXXXX");
        char *path;

        CHECK(dir && mkdtemp(dir));
        CHECK(asprintf(&path, "%s/s", dir) > 0);
        CHECK_OK(store_init(path));
        free(dir);
        return path;
}

static void write_text(const char *path, const char *text) {
        CHECK_OK(write_file_atomic(path, text, strlen(text), 0644));
}

TEST(object_path_layout) {
        _cleanup_free_ char *path = NULL;
        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];

        CHECK_OK(store_object_relative_path(HELLO_SHA256, rel));
        CHECK_EQ_STR(rel, "objects/2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        CHECK_EQ_INT(strlen(rel) + 1, STORE_OBJECT_RELATIVE_PATH_SIZE);
        CHECK_OK(store_object_path_join("/data/store", HELLO_SHA256, &path));
        CHECK_EQ_STR(path, "/data/store/objects/2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        /* Anything but 64 lowercase hex never becomes a path. */
        CHECK_EQ_INT(store_object_relative_path("../../etc/passwd", rel), -EINVAL);
        CHECK_EQ_INT(store_object_relative_path("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", rel),
                     -EINVAL);
        CHECK_EQ_INT(store_object_relative_path(NULL, rel), -EINVAL);
}

TEST(add_and_verify) {
        _cleanup_free_ char *dir = make_store(), *file = NULL, *objpath = NULL;
        _cleanup_store_close_ Store *s = NULL;
        char hex[SHA256_HEX_LEN + 1];
        Sha256Digest d;
        uint64_t size;

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        CHECK(asprintf(&file, "%s/../hello", dir) > 0);
        write_text(file, "hello");
        CHECK_OK(store_object_add_file(s, file, NULL, &d));
        sha256_to_hex(&d, hex);
        CHECK_EQ_STR(hex, HELLO_SHA256);
        CHECK(store_object_exists(s, HELLO_SHA256));
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, &size), STORE_OK);
        CHECK_EQ_INT(size, 5);
        /* Read-only, named objects/2c/f24d... */
        CHECK_OK(store_object_path(s, HELLO_SHA256, &objpath));
        CHECK(strstr(objpath, "/objects/2c/f24dba5fb0a30e26") != NULL);
        struct stat st;
        CHECK(stat(objpath, &st) == 0 && (st.st_mode & 0222) == 0);
        /* Adding again is success; a wrong claimed digest keeps nothing. */
        CHECK_OK(store_object_add_file(s, file, HELLO_SHA256, NULL));
        CHECK_EQ_INT(store_object_add_file(s, file, "0000000000000000000000000000000000000000000000000000000000000000", NULL),
                     -EBADMSG);
        /* Corrupt it: verify and a checked read notice. */
        CHECK(chmod(objpath, 0644) == 0);
        write_text(objpath, "jello");
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_E_CORRUPT);
        char *buf;
        size_t n;
        CHECK_EQ_INT(store_object_read(s, HELLO_SHA256, 1024, &buf, &n), STORE_E_CORRUPT);
        CHECK(unlink(objpath) == 0);
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_E_MISSING);
}

TEST(names_that_leave_the_store) {
        _cleanup_free_ char *dir = make_store(), *p = NULL;
        _cleanup_store_close_ Store *s = NULL;
        static const char *const bad[] = {
                "../../../../../../../../etc/passwd",
                "..",
                "/etc/passwd",
                "2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98",
                "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98244",
                "",
        };
        StoreRef ref = {};

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_EQ_INT(store_object_path(s, bad[i], &p), -EINVAL);
                CHECK(!store_object_exists(s, bad[i]));
                CHECK_EQ_INT(store_object_verify(s, bad[i], NULL), -EINVAL);
                CHECK_EQ_INT(store_object_remove(s, bad[i]), -EINVAL);
                CHECK_EQ_INT(store_object_add_fd(s, 0, bad[i], NULL), -EINVAL);
                unsigned number;
                CHECK_EQ_INT(store_commit_objects(s, bad[i], NULL, 3, NULL, &number, NULL), -EINVAL);
        }
        CHECK_EQ_INT(store_ref_write(s, "../escape", &ref), -EINVAL);
        CHECK_EQ_INT(store_ref_read(s, "../../etc/passwd", &ref), -EINVAL);
        CHECK_EQ_INT(store_commit_objects(s, HELLO_SHA256, NULL, 3, "current", NULL, NULL), -EPERM);
}

TEST(publish_from_tmp) {
        _cleanup_free_ char *dir = make_store(), *tmp = NULL, *outside = NULL;
        _cleanup_store_close_ Store *s = NULL;
        _cleanup_close_ int fd = -1;

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        CHECK_OK(store_tmp_create(s, "test", &fd, &tmp));
        CHECK_OK(write_full(fd, "hello", 5));
        /* A wrong digest leaves the file for the caller. */
        CHECK_EQ_INT(store_object_publish(s, tmp, "0000000000000000000000000000000000000000000000000000000000000000", NULL),
                     -EBADMSG);
        CHECK(access(tmp, F_OK) == 0);
        CHECK_OK(store_object_publish(s, tmp, HELLO_SHA256, NULL));
        CHECK(access(tmp, F_OK) < 0);
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_OK);
        /* Only files directly in <store>/tmp may be published. */
        CHECK(asprintf(&outside, "%s/../elsewhere", dir) > 0);
        write_text(outside, "hello");
        CHECK_EQ_INT(store_object_publish(s, outside, NULL, NULL), -EXDEV);
}

TEST(floor_only_rises) {
        _cleanup_free_ char *dir = make_store();
        _cleanup_store_close_ Store *s = NULL;
        uint32_t f;

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        CHECK_OK(store_floor_get(s, &f));
        CHECK_EQ_INT(f, 0);
        CHECK_OK(store_floor_raise(s, 5));
        CHECK_OK(store_floor_raise(s, 3));
        CHECK_OK(store_floor_get(s, &f));
        CHECK_EQ_INT(f, 5);
}

TEST(open_refuses_non_stores) {
        Store *s = NULL;

        CHECK_EQ_INT(store_open(&s, "/nonexistent/kos", STORE_OPEN_READ), -ENOENT);
        CHECK_EQ_INT(store_open(&s, "/tmp", STORE_OPEN_READ), -EMEDIUMTYPE);
        CHECK_EQ_INT(store_init("/proc"), -ENOTEMPTY);
}

/* Something other than a regular file at an object's name is corrupt: never a hang on a
 * FIFO, never an error that would stop verify or the boot decision. */
TEST(non_regular_objects_are_corrupt) {
        _cleanup_free_ char *dir = make_store(), *objpath = NULL, *target = NULL;
        _cleanup_store_close_ Store *s = NULL;
        char *buf;
        size_t n;

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        CHECK_OK(store_object_path(s, HELLO_SHA256, &objpath));
        CHECK(asprintf(&target, "%s/../hello", dir) > 0);
        write_text(target, "hello");
        CHECK(mkdir(dirname(strdupa(objpath)), 0755) == 0);

        CHECK(mkfifo(objpath, 0644) == 0);
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_E_CORRUPT);
        CHECK_EQ_INT(store_object_read(s, HELLO_SHA256, 1024, &buf, &n), STORE_E_CORRUPT);
        CHECK(unlink(objpath) == 0);

        CHECK(symlink(target, objpath) == 0); /* even to the right bytes */
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_E_CORRUPT);
        CHECK(unlink(objpath) == 0);

        CHECK(mkdir(objpath, 0755) == 0);
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_E_CORRUPT);
        CHECK(rmdir(objpath) == 0);
}

/* Adding an object that is present but damaged replaces it with the good copy. */
TEST(add_repairs_a_corrupt_object) {
        _cleanup_free_ char *dir = make_store(), *file = NULL, *objpath = NULL;
        _cleanup_store_close_ Store *s = NULL;

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        CHECK(asprintf(&file, "%s/../hello", dir) > 0);
        write_text(file, "hello");
        CHECK_OK(store_object_add_file(s, file, NULL, NULL));
        CHECK_OK(store_object_path(s, HELLO_SHA256, &objpath));
        CHECK(chmod(objpath, 0644) == 0 && truncate(objpath, 2) == 0);
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_E_CORRUPT);
        CHECK_OK(store_object_add_file(s, file, HELLO_SHA256, NULL));
        CHECK_EQ_INT(store_object_verify(s, HELLO_SHA256, NULL), STORE_OK);
}

static int add_text(Store *s, const char *dir, const char *text, char hex[SHA256_HEX_LEN + 1]) {
        _cleanup_free_ char *file = NULL;
        Sha256Digest d;
        int r;

        CHECK(asprintf(&file, "%s/../in", dir) > 0);
        write_text(file, text);
        r = store_object_add_file(s, file, NULL, &d);
        if (r >= 0)
                sha256_to_hex(&d, hex);
        return r;
}

/* The object list is complete, sorted, and holds nothing that is not an object's name. */
TEST(object_list_sorted) {
        _cleanup_free_ char *dir = make_store(), *stray = NULL;
        _cleanup_store_close_ Store *s = NULL;
        _cleanup_strv_free_ char **list = NULL;
        char hex[5][SHA256_HEX_LEN + 1];

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        CHECK_OK(store_object_list(s, &list));
        CHECK(list && !list[0]);
        list = strv_free(list);
        for (int i = 0; i < 5; i++) {
                char text[16];
                snprintf(text, sizeof(text), "object %d", i);
                CHECK_OK(add_text(s, dir, text, hex[i]));
        }
        CHECK(asprintf(&stray, "%s/objects/zz", dir) > 0);
        write_text(stray, "not an object directory");
        CHECK_OK(store_object_list(s, &list));
        CHECK_EQ_INT(strv_length(list), 5);
        for (size_t i = 0; i < 5; i++) {
                CHECK(strv_contains(list, hex[i]));
                if (i > 0)
                        CHECK(strcmp(list[i - 1], list[i]) < 0);
        }
}

/* State files that are not regular files (a FIFO, a directory) are malformed: readers
 * neither hang nor fail as a whole. The marker must be exactly the marker. */
TEST(state_files_that_are_not_files) {
        _cleanup_free_ char *dir = make_store(), *p = NULL;
        _cleanup_free_ StoreGeneration *gens = NULL;
        _cleanup_store_close_ Store *s = NULL;
        StoreGeneration gen;
        StoreRef ref;
        uint32_t f;
        size_t n;

        CHECK_OK(store_open(&s, dir, STORE_OPEN_WRITE));
        CHECK(asprintf(&p, "%s/refs/fifo", dir) > 0);
        CHECK(mkfifo(p, 0644) == 0);
        CHECK_EQ_INT(store_ref_read(s, "fifo", &ref), -EBADMSG);
        free(p);
        CHECK(asprintf(&p, "%s/generations/3", dir) > 0);
        CHECK(mkdir(p, 0755) == 0);
        CHECK_EQ_INT(store_generation_load(s, 3, &gen), -EBADMSG);
        CHECK_OK(store_generation_list(s, &gens, &n));
        CHECK_EQ_INT(n, 0);
        free(p);
        CHECK(asprintf(&p, "%s/floor", dir) > 0);
        CHECK(mkfifo(p, 0644) == 0);
        CHECK_EQ_INT(store_floor_get(s, &f), -EBADMSG);
        /* A malformed floor is replaced by the next raise. */
        CHECK(unlink(p) == 0);
        write_text(p, "7x\n");
        CHECK_EQ_INT(store_floor_get(s, &f), -EBADMSG);
        CHECK_OK(store_floor_raise(s, 2));
        CHECK_OK(store_floor_get(s, &f));
        CHECK_EQ_INT(f, 2);
        free(p);
        CHECK(asprintf(&p, "%s/kos-store", dir) > 0);
        CHECK(chmod(p, 0644) == 0);
        write_text(p, "kos-store 1garbage\n");
        s = store_close(s);
        CHECK_EQ_INT(store_open(&s, dir, STORE_OPEN_READ), -EMEDIUMTYPE);
        write_text(p, "kos-store 2\n");
        CHECK_EQ_INT(store_open(&s, dir, STORE_OPEN_READ), -EPROTONOSUPPORT);
        write_text(p, "kos-store 1\n");
        CHECK_OK(store_open(&s, dir, STORE_OPEN_CONSISTENT));
}

TEST_MAIN()
