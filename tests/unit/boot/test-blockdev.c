// SPDX-License-Identifier: Apache-2.0
/* Block device specs from the command line, and the ext4 label read from a superblock. */
#include <fcntl.h>
#include <unistd.h>

#include "boot/blockdev.h"
#include "test.h"

TEST(spec_by_label_or_device) {
        BootBlockdevSpec s;

        CHECK_OK(boot_blockdev_spec_parse("LABEL=KOS-IMAGEFS", &s));
        CHECK_EQ_STR(s.label, "KOS-IMAGEFS");
        CHECK_EQ_STR(s.name, "");
        CHECK_OK(boot_blockdev_spec_parse("LABEL=0123456789abcdef", &s));
        CHECK_OK(boot_blockdev_spec_parse("/dev/vda1", &s));
        CHECK_EQ_STR(s.name, "vda1");
        CHECK_EQ_STR(s.label, "");

        CHECK_EQ_INT(boot_blockdev_spec_parse("LABEL=", &s), -EINVAL);
        CHECK_EQ_INT(boot_blockdev_spec_parse("LABEL=0123456789abcdefX", &s), -EINVAL);
        CHECK_EQ_INT(boot_blockdev_spec_parse("/dev/", &s), -EINVAL);
        CHECK_EQ_INT(boot_blockdev_spec_parse("/dev/../etc/x", &s), -EINVAL);
        CHECK_EQ_INT(boot_blockdev_spec_parse("/dev/..", &s), -EINVAL);
        CHECK_EQ_INT(boot_blockdev_spec_parse("UUID=1234", &s), -EINVAL);
        CHECK_EQ_INT(boot_blockdev_spec_parse("vda1", &s), -EINVAL);
}

/* A file holding an ext4-like superblock with magic and label. */
static void write_superblock(const char *path, unsigned magic, const char *label) {
        unsigned char block[4096] = {0};
        int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

        CHECK(fd >= 0);
        block[1024 + 56] = magic & 0xff;
        block[1024 + 57] = magic >> 8;
        memcpy(block + 1024 + 120, label, strlen(label));
        CHECK(write(fd, block, sizeof(block)) == sizeof(block));
        close(fd);
}

TEST(ext4_label) {
        char path[] = "/tmp/kos-test-blockdev.XXXXXX";
        char label[BOOT_BLOCKDEV_LABEL_MAX + 1];
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        close(fd);
        write_superblock(path, 0xef53, "KOS-IMAGEFS");
        CHECK_OK(boot_blockdev_read_ext4_label(path, label));
        CHECK_EQ_STR(label, "KOS-IMAGEFS");

        write_superblock(path, 0xef53, "0123456789abcdef"); /* 16 bytes: no NUL on disk */
        CHECK_OK(boot_blockdev_read_ext4_label(path, label));
        CHECK_EQ_STR(label, "0123456789abcdef");

        write_superblock(path, 0x1234, "KOS-IMAGEFS");
        CHECK_EQ_INT(boot_blockdev_read_ext4_label(path, label), -EMEDIUMTYPE);

        CHECK(truncate(path, 1100) == 0);
        CHECK_EQ_INT(boot_blockdev_read_ext4_label(path, label), -EMEDIUMTYPE);
        unlink(path);
        CHECK_EQ_INT(boot_blockdev_read_ext4_label(path, label), -ENOENT);
}

TEST_MAIN()
