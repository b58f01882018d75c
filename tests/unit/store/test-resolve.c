// SPDX-License-Identifier: Apache-2.0
/*
 * Resolving paths beneath a store's directory: both ways (openat2(), and the walk used on
 * kernels without it) open what lies beneath and refuse, with the same errors, a symlink
 * at any component, a magic link, "..", and an absolute path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/resolve.h"
#include "test.h"
#include "util/cleanup.h"

typedef int (*ResolveFn)(int rootfd, const char *relpath, int flags, mode_t mode);

static const ResolveFn resolvers[] = { store_resolve_open, store_resolve_open_walk };

/*
 * root/                         outside/
 *   objects/ab/file  "x"          ab/file "y"
 *   objects/cd -> ../../outside/ab
 *   refs -> outside (absolute)
 *   link -> objects/ab/file
 *   proc -> /proc/self/fd
 */
static int make_tree(char **basep) {
        char *base = strdup("/tmp/kos-test-resolve.XXXXXX"), path[512];
        int rootfd, fd;

        CHECK(base && mkdtemp(base));
        snprintf(path, sizeof(path), "%s/outside", base);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/outside/ab", base);
        CHECK(mkdir(path, 0755) == 0);
        snprintf(path, sizeof(path), "%s/root", base);
        CHECK(mkdir(path, 0755) == 0);
        rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(rootfd >= 0);
        CHECK(mkdirat(rootfd, "objects", 0755) == 0);
        CHECK(mkdirat(rootfd, "objects/ab", 0755) == 0);
        fd = openat(rootfd, "objects/ab/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0 && write(fd, "x", 1) == 1);
        close(fd);
        snprintf(path, sizeof(path), "%s/outside/ab/file", base);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0 && write(fd, "y", 1) == 1);
        close(fd);
        CHECK(symlinkat("../../outside/ab", rootfd, "objects/cd") == 0);
        snprintf(path, sizeof(path), "%s/outside", base);
        CHECK(symlinkat(path, rootfd, "refs") == 0);
        CHECK(symlinkat("objects/ab/file", rootfd, "link") == 0);
        CHECK(symlinkat("/proc/self/fd", rootfd, "proc") == 0);
        *basep = base;
        return rootfd;
}

TEST(opens_what_lies_beneath) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int rootfd = make_tree(&base);

        for (size_t i = 0; i < 2; i++) {
                char c = 0;
                int fd = resolvers[i](rootfd, "objects/ab/file", O_RDONLY, 0);

                CHECK(fd >= 0);
                CHECK(read(fd, &c, 1) == 1 && c == 'x');
                close(fd);
                fd = resolvers[i](rootfd, "./objects//ab/", O_RDONLY | O_DIRECTORY, 0);
                CHECK(fd >= 0);
                close(fd);
                fd = resolvers[i](rootfd, ".", O_RDONLY | O_DIRECTORY, 0);
                CHECK(fd >= 0);
                close(fd);
                CHECK_EQ_INT(resolvers[i](rootfd, "objects/ab/none", O_RDONLY, 0), -ENOENT);
                CHECK_EQ_INT(resolvers[i](rootfd, "objects/ab/file/x", O_RDONLY, 0), -ENOTDIR);
                CHECK_EQ_INT(resolvers[i](rootfd, "", O_RDONLY, 0), -ENOENT);
        }
}

TEST(creates_beneath) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int rootfd = make_tree(&base);
        struct stat st;

        for (size_t i = 0; i < 2; i++) {
                char name[32];
                int fd;

                snprintf(name, sizeof(name), "objects/ab/new%zu", i);
                fd = resolvers[i](rootfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
                CHECK(fd >= 0);
                close(fd);
                CHECK(fstatat(rootfd, name, &st, 0) == 0 && (st.st_mode & 0777) == 0600);
                /* Creating through a symlinked directory fails and creates nothing outside. */
                snprintf(name, sizeof(name), "objects/cd/new%zu", i);
                CHECK_EQ_INT(resolvers[i](rootfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600), -ELOOP);
                snprintf(name, sizeof(name), "refs/new%zu", i);
                CHECK_EQ_INT(resolvers[i](rootfd, name, O_WRONLY | O_CREAT, 0600), -ELOOP);
        }
        {
                char path[512];

                snprintf(path, sizeof(path), "%s/outside/ab/new0", base);
                CHECK(access(path, F_OK) < 0);
                snprintf(path, sizeof(path), "%s/outside/new1", base);
                CHECK(access(path, F_OK) < 0);
        }
}

TEST(refuses_every_way_out) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int rootfd = make_tree(&base);

        for (size_t i = 0; i < 2; i++) {
                ResolveFn f = resolvers[i];

                /* A symlinked directory in the middle, relative or absolute. */
                CHECK_EQ_INT(f(rootfd, "objects/cd/file", O_RDONLY, 0), -ELOOP);
                CHECK_EQ_INT(f(rootfd, "refs/ab/file", O_RDONLY, 0), -ELOOP);
                /* A symlink at the end, even to a file beneath; as a directory too. */
                CHECK_EQ_INT(f(rootfd, "link", O_RDONLY, 0), -ELOOP);
                CHECK_EQ_INT(f(rootfd, "refs", O_RDONLY | O_DIRECTORY, 0), -ELOOP);
                CHECK_EQ_INT(f(rootfd, "objects/cd", O_PATH, 0), -ELOOP);
                /* A symlink to where magic links live. */
                CHECK_EQ_INT(f(rootfd, "proc/0", O_RDONLY, 0), -ELOOP);
                /* "..", absolute. */
                CHECK_EQ_INT(f(rootfd, "../outside/ab/file", O_RDONLY, 0), -EXDEV);
                CHECK_EQ_INT(f(rootfd, "objects/../objects/ab/file", O_RDONLY, 0), -EXDEV);
                CHECK_EQ_INT(f(rootfd, "/etc/passwd", O_RDONLY, 0), -EXDEV);
        }
}

TEST(parent) {
        _cleanup_free_ char *base = NULL;
        _cleanup_close_ int rootfd = make_tree(&base);
        const char *name = NULL;
        int fd;

        fd = store_resolve_parent(rootfd, "objects/ab/file", &name);
        CHECK(fd >= 0);
        CHECK_EQ_STR(name, "file");
        CHECK(faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
        close(fd);
        fd = store_resolve_parent(rootfd, "kos-store", &name);
        CHECK(fd >= 0);
        CHECK_EQ_STR(name, "kos-store");
        close(fd);
        CHECK_EQ_INT(store_resolve_parent(rootfd, "objects/cd/file", &name), -ELOOP);
        CHECK_EQ_INT(store_resolve_parent(rootfd, "refs/latest", &name), -ELOOP);
        CHECK_EQ_INT(store_resolve_parent(rootfd, "objects/..", &name), -EINVAL);
        CHECK_EQ_INT(store_resolve_parent(rootfd, "objects/", &name), -EINVAL);
}

TEST_MAIN()
