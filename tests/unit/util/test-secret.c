// SPDX-License-Identifier: Apache-2.0
/*
 * Secret memory: kept out of core dumps, locked, wiped when freed (secret.h invariants
 * 2 and 3), and whole-file reads that leave no unwiped copy behind (invariant 4).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/secret.h"

/* The VmFlags of the mapping that holds addr, from /proc/self/smaps. */
static void vm_flags_of(const void *addr, char *flags, size_t size) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool inside = false;

        CHECK(f);
        flags[0] = '\0';
        while (fgets(line, sizeof(line), f)) {
                unsigned long start, end;

                if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
                        inside = (uintptr_t)addr >= start && (uintptr_t)addr < end;
                        continue;
                }
                if (inside && strncmp(line, "VmFlags:", 8) == 0) {
                        snprintf(flags, size, "%s", line + 8);
                        return;
                }
        }
        TEST_FAIL("no mapping holds %p", addr);
}

static bool has_flag(const char *flags, const char *flag) {
        char padded[8];
        char spaced[600];

        snprintf(padded, sizeof(padded), " %s ", flag);
        snprintf(spaced, sizeof(spaced), " %s", flags);
        spaced[strcspn(spaced, "\n")] = ' ';
        return strstr(spaced, padded) != NULL;
}

TEST(alloc_is_zeroed_undumpable_and_locked) {
        char flags[512];
        uint8_t *mem = NULL;

        CHECK_OK(secret_alloc((void **)&mem, 100));
        for (size_t i = 0; i < 100; i++)
                CHECK_EQ_INT(mem[i], 0);
        vm_flags_of(mem, flags, sizeof(flags));
        CHECK(has_flag(flags, "dd"));
        /* RLIMIT_MEMLOCK (8 MiB by default) or CAP_IPC_LOCK allows two pages. */
        if (!has_flag(flags, "lo"))
                TEST_FAIL("not locked; VmFlags:%s", flags);
        CHECK(!secret_free(mem));
}

TEST(free_accepts_null) {
        CHECK(!secret_free(NULL));
}

/* What the unmap hook saw: the mapping's size and whether every byte was zero. */
static size_t unmapped_size;
static bool unmapped_all_zero;

static void record_unmap(const void *map, size_t size) {
        const uint8_t *p = map;

        unmapped_size = size;
        unmapped_all_zero = true;
        for (size_t i = 0; i < size; i++)
                if (p[i] != 0)
                        unmapped_all_zero = false;
}

TEST(free_wipes_every_byte) {
        uint8_t *mem = NULL;

        CHECK_OK(secret_alloc((void **)&mem, 5000));
        memset(mem, 0xa5, 5000);
        secret_set_unmap_hook(record_unmap);
        unmapped_size = 0;
        secret_free(mem);
        secret_set_unmap_hook(NULL);
        CHECK(unmapped_size >= 5000);
        CHECK(unmapped_all_zero);
}

static char *make_file(const char *data, size_t size) {
        char *path = strdup("/tmp/kos-test-secret.XXXXXX");
        int fd;

        CHECK(path);
        fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(write(fd, data, size) == (ssize_t)size);
        close(fd);
        return path;
}

TEST(read_file_whole) {
        _cleanup_free_ char *path = make_file("-----BEGIN PRIVATE KEY-----\n", 28);
        _cleanup_secret_ char *data = NULL;
        char flags[512];
        size_t size;

        CHECK_OK(secret_read_file(path, 64, &data, &size));
        CHECK_EQ_INT(size, 28);
        CHECK_EQ_STR(data, "-----BEGIN PRIVATE KEY-----\n");
        vm_flags_of(data, flags, sizeof(flags));
        CHECK(has_flag(flags, "dd"));
        unlink(path);
}

TEST(read_file_limit_writes_nothing) {
        _cleanup_free_ char *path = make_file("0123456789", 10);
        char *data = NULL;
        size_t size = 77;

        CHECK_EQ_INT(secret_read_file(path, 9, &data, &size), -EFBIG);
        CHECK(!data);
        CHECK_EQ_INT(size, 77);
        CHECK_OK(secret_read_file(path, 10, &data, &size));
        CHECK_EQ_INT(size, 10);
        data = secret_free(data);
        CHECK_EQ_INT(secret_read_file("/nonexistent/kos-test", 10, &data, &size), -ENOENT);
        unlink(path);
}

TEST(read_empty_file) {
        _cleanup_free_ char *path = make_file("", 0);
        _cleanup_secret_ char *data = NULL;
        size_t size;

        CHECK_OK(secret_read_file(path, 10, &data, &size));
        CHECK_EQ_INT(size, 0);
        CHECK_EQ_STR(data, "");
        unlink(path);
}

/*
 * A pipe has no size up front, like a file that grows while it is read: the reader grows
 * its buffer, and every smaller buffer it leaves is wiped before it is unmapped.
 */
static size_t unmaps, unmaps_not_zero;

static void count_unmap(const void *map, size_t size) {
        const uint8_t *p = map;

        unmaps++;
        for (size_t i = 0; i < size; i++)
                if (p[i] != 0) {
                        unmaps_not_zero++;
                        break;
                }
}

typedef struct Feed {
        int fd;
        size_t size;
} Feed;

static void *feed_pipe(void *userdata) {
        Feed *f = userdata;
        char block[1000];

        memset(block, 'k', sizeof(block));
        for (size_t done = 0; done < f->size;) {
                size_t n = f->size - done < sizeof(block) ? f->size - done : sizeof(block);
                if (write(f->fd, block, n) != (ssize_t)n)
                        break; /* the reader gave up (EPIPE) */
                done += n;
        }
        close(f->fd);
        return NULL;
}

static int read_pipe(size_t feed_size, size_t max_size, char **datap, size_t *sizep) {
        int fds[2];
        pthread_t thread;
        Feed f;
        int r;

        signal(SIGPIPE, SIG_IGN);
        CHECK(pipe2(fds, O_CLOEXEC) == 0);
        f = (Feed){ fds[1], feed_size };
        CHECK(pthread_create(&thread, NULL, feed_pipe, &f) == 0);
        r = secret_read_fd(fds[0], max_size, datap, sizep);
        close(fds[0]); /* ends a writer the reader gave up on */
        CHECK(pthread_join(thread, NULL) == 0);
        return r;
}

TEST(read_growing_input_wipes_each_smaller_copy) {
        char *data = NULL;
        size_t size;

        secret_set_unmap_hook(count_unmap);
        unmaps = unmaps_not_zero = 0;
        CHECK_OK(read_pipe(100000, 200000, &data, &size));
        CHECK_EQ_INT(size, 100000);
        CHECK(unmaps >= 2);
        for (size_t i = 0; i < size; i++)
                if (data[i] != 'k')
                        TEST_FAIL("byte %zu is %d", i, data[i]);
        CHECK_EQ_INT(data[size], '\0');
        secret_free(data);
        secret_set_unmap_hook(NULL);
        CHECK_EQ_INT(unmaps_not_zero, 0);
}

TEST(read_growing_input_limit) {
        char *data = NULL;
        size_t size;

        secret_set_unmap_hook(count_unmap);
        unmaps = unmaps_not_zero = 0;
        CHECK_EQ_INT(read_pipe(70000, 65536, &data, &size), -EFBIG);
        CHECK(!data);
        secret_set_unmap_hook(NULL);
        CHECK(unmaps >= 1);
        CHECK_EQ_INT(unmaps_not_zero, 0);
}

/* Fewer bytes than fstat() reported (here: read from an offset) are all there is. */
TEST(read_fd_from_offset) {
        _cleanup_free_ char *path = make_file("header:secret", 13);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_secret_ char *data = NULL;
        size_t size;

        CHECK(fd >= 0);
        CHECK(lseek(fd, 7, SEEK_SET) == 7);
        CHECK_OK(secret_read_fd(fd, 13, &data, &size));
        CHECK_EQ_INT(size, 6);
        CHECK_EQ_STR(data, "secret");
        unlink(path);
}

TEST_MAIN()
