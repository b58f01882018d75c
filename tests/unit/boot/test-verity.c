// SPDX-License-Identifier: Apache-2.0
/* The dm-verity table: the fixed format, the salt or "-", and images that are not whole blocks. */
#include <fcntl.h>
#include <unistd.h>

#include "boot/verity.h"
#include "test.h"
#include "util/cleanup.h"

#define ROOT "37f05d12dcc39feff67ef284d73b5488ef7b9a15f05b10eac1af10eaa7a6e6bb"

TEST(params) {
        _cleanup_free_ char *with_salt = NULL, *without = NULL, *empty = NULL;

        CHECK_OK(boot_verity_params("7:0", "7:1", 256, ROOT, "00ff", &with_salt));
        CHECK_EQ_STR(with_salt, "1 7:0 7:1 4096 4096 256 0 sha256 " ROOT " 00ff");
        CHECK_OK(boot_verity_params("7:0", "7:1", 1, ROOT, NULL, &without));
        CHECK_EQ_STR(without, "1 7:0 7:1 4096 4096 1 0 sha256 " ROOT " -");
        CHECK_OK(boot_verity_params("7:0", "7:1", 1, ROOT, "", &empty));
        CHECK_EQ_STR(empty, "1 7:0 7:1 4096 4096 1 0 sha256 " ROOT " -");
}

TEST(image_must_be_whole_blocks) {
        char path[] = "/tmp/kos-test-verity.XXXXXX";
        char dev[64];
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        unlink(path);
        CHECK(ftruncate(fd, 4096 + 512) == 0);
        /* Refused before any device is touched. */
        CHECK_EQ_INT(boot_verity_open("kos-test", fd, fd, ROOT, NULL, dev, sizeof(dev)), -EINVAL);
        CHECK(ftruncate(fd, 0) == 0);
        CHECK_EQ_INT(boot_verity_open("kos-test", fd, fd, ROOT, NULL, dev, sizeof(dev)), -EINVAL);
        close(fd);
}

TEST_MAIN()
