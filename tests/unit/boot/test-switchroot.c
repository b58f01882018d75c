// SPDX-License-Identifier: Apache-2.0
/* Freeing the initramfs: everything on the device goes, links are not followed. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/switchroot.h"
#include "test.h"

static void touch(int dirfd, const char *path) {
        int fd = openat(dirfd, path, O_CREAT | O_WRONLY, 0644);

        CHECK(fd >= 0);
        close(fd);
}

TEST(delete_stays_on_its_device_and_never_follows_links) {
        char root[] = "/tmp/kos-test-switchroot.XXXXXX", keep[] = "/tmp/kos-test-keep.XXXXXX";
        struct stat st;
        int rootfd, keepfd;

        CHECK(mkdtemp(root) && mkdtemp(keep));
        rootfd = open(root, O_RDONLY | O_DIRECTORY);
        keepfd = open(keep, O_RDONLY | O_DIRECTORY);
        CHECK(rootfd >= 0 && keepfd >= 0);
        touch(keepfd, "precious");
        CHECK(mkdirat(rootfd, "etc", 0755) == 0);
        CHECK(mkdirat(rootfd, "etc/kos", 0755) == 0);
        touch(rootfd, "init");
        touch(rootfd, "etc/kos/key.pub");
        CHECK(symlinkat(keep, rootfd, "link-to-keep") == 0);
        CHECK(symlinkat(keep, rootfd, "etc/kos/link") == 0);
        CHECK(fstat(rootfd, &st) == 0);

        CHECK_OK(boot_switch_root_delete(rootfd, st.st_dev));
        CHECK(faccessat(rootfd, "init", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        CHECK(faccessat(rootfd, "etc", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        CHECK(faccessat(rootfd, "link-to-keep", F_OK, AT_SYMLINK_NOFOLLOW) < 0);
        CHECK(faccessat(keepfd, "precious", F_OK, 0) == 0);

        /* Another device number: nothing is on "its" device, so nothing goes. */
        touch(rootfd, "other");
        CHECK_OK(boot_switch_root_delete(rootfd, st.st_dev + 1));
        CHECK(faccessat(rootfd, "other", F_OK, 0) == 0);

        unlinkat(rootfd, "other", 0);
        unlinkat(keepfd, "precious", 0);
        close(rootfd);
        close(keepfd);
        CHECK(rmdir(root) == 0);
        CHECK(rmdir(keep) == 0);
}

TEST_MAIN()
