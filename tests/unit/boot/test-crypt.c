// SPDX-License-Identifier: Apache-2.0
/* The dm-crypt table: cipher, hex key, device, sector size; images that are not whole sectors. */
#include <fcntl.h>
#include <unistd.h>

#include "boot/crypt.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/secret.h"

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
                "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

TEST(params) {
        _cleanup_secret_ char *p4096 = NULL, *p512 = NULL;
        uint8_t key[64];

        for (size_t i = 0; i < sizeof(key); i++)
                key[i] = (uint8_t)i;
        CHECK_OK(boot_crypt_params("aes-xts-plain64", key, sizeof(key), "7:3", 4096, &p4096));
        CHECK_EQ_STR(p4096, "aes-xts-plain64 " KEY_HEX " 0 7:3 0 1 sector_size:4096");
        /* 512-byte sectors are dm-crypt's default: no optional argument. */
        CHECK_OK(boot_crypt_params("aes-xts-plain64", key, sizeof(key), "7:3", 512, &p512));
        CHECK_EQ_STR(p512, "aes-xts-plain64 " KEY_HEX " 0 7:3 0");
}

TEST(image_must_be_whole_sectors) {
        char path[] = "/tmp/kos-test-crypt.XXXXXX";
        uint8_t key[64] = {};
        char dev[64];
        int fd = mkstemp(path);

        CHECK(fd >= 0);
        unlink(path);
        CHECK(ftruncate(fd, 4096 + 512) == 0);
        /* Refused before any device is touched. */
        CHECK_EQ_INT(boot_crypt_open("kos-test", fd, "aes-xts-plain64", key, 64, 4096, dev, sizeof(dev)), -EINVAL);
        CHECK(ftruncate(fd, 0) == 0);
        CHECK_EQ_INT(boot_crypt_open("kos-test", fd, "aes-xts-plain64", key, 64, 512, dev, sizeof(dev)), -EINVAL);
        close(fd);
}

TEST_MAIN()
