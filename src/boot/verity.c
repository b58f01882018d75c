// SPDX-License-Identifier: Apache-2.0
/*
 * dm-verity devices by device-mapper ioctls (see verity.h for the invariants).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/dm.h"
#include "boot/loop.h"
#include "boot/verity.h"
#include "util/cleanup.h"

int boot_verity_params(const char *data_dev, const char *hash_dev, uint64_t data_blocks, const char *root_hash,
                       const char *salt, char **paramsp) {
        char *params = NULL;

        if (asprintf(&params, "1 %s %s %u %u %llu 0 sha256 %s %s", data_dev, hash_dev, BOOT_VERITY_BLOCK_SIZE,
                     BOOT_VERITY_BLOCK_SIZE, (unsigned long long)data_blocks, root_hash,
                     salt && salt[0] ? salt : "-") < 0)
                return -ENOMEM;
        *paramsp = params;
        return 0;
}

/* The table's device arguments, then the device; the table holds the loop devices open. */
static int verity_create(const char *name, uint64_t blocks, int data_loop, int tree_loop, const char *root_hash,
                         const char *salt, char *dev, size_t size) {
        _cleanup_free_ char *params = NULL;
        char data_dev[32], tree_dev[32];
        int r;

        r = boot_dm_device_name(data_loop, data_dev);
        if (r >= 0)
                r = boot_dm_device_name(tree_loop, tree_dev);
        if (r >= 0)
                r = boot_verity_params(data_dev, tree_dev, blocks, root_hash, salt, &params);
        if (r < 0)
                return r;
        return boot_dm_create(name, "verity", blocks * (BOOT_VERITY_BLOCK_SIZE / 512), params, false, dev, size);
}

int boot_verity_open(const char *name, int data_fd, int tree_fd, const char *root_hash, const char *salt,
                     char *dev, size_t size) {
        _cleanup_close_ int data_loop = -1, tree_loop = -1;
        char loop_dev[32];
        struct stat st;
        int r;

        if (fstat(data_fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0 || st.st_size % BOOT_VERITY_BLOCK_SIZE != 0)
                return -EINVAL;
        r = boot_loop_attach(data_fd, &data_loop, loop_dev, sizeof(loop_dev));
        if (r >= 0)
                r = boot_loop_attach(tree_fd, &tree_loop, loop_dev, sizeof(loop_dev));
        if (r >= 0)
                r = verity_create(name, (uint64_t)st.st_size / BOOT_VERITY_BLOCK_SIZE, data_loop, tree_loop, root_hash,
                                  salt, dev, size);
        /* On success the table holds both loop devices open: closing ours keeps them. */
        return r;
}
