// SPDX-License-Identifier: Apache-2.0
/*
 * dm-crypt devices by device-mapper ioctls (see crypt.h for the invariants).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "boot/crypt.h"
#include "boot/dm.h"
#include "boot/loop.h"
#include "util/cleanup.h"
#include "util/hex.h"
#include "util/secret.h"

int boot_crypt_params(const char *cipher, const uint8_t *key, size_t key_size, const char *device,
                      unsigned sector_size, char **paramsp) {
        _cleanup_secret_ char *params = NULL;
        size_t size = strlen(cipher) + 2 * key_size + strlen(device) + 64, n;
        int r;

        r = secret_alloc((void **)&params, size);
        if (r < 0)
                return r;
        n = (size_t)snprintf(params, size, "%s ", cipher);
        hex_encode(params + n, key, key_size);
        n += 2 * key_size;
        if (sector_size == 512)
                snprintf(params + n, size - n, " 0 %s 0", device);
        else
                snprintf(params + n, size - n, " 0 %s 0 1 sector_size:%u", device, sector_size);
        *paramsp = steal_ptr(&params);
        return 0;
}

int boot_crypt_open(const char *name, int image_fd, const char *cipher, const uint8_t *key, size_t key_size,
                    unsigned sector_size, char *dev, size_t size) {
        _cleanup_close_ int loop = -1;
        _cleanup_secret_ char *params = NULL;
        char loop_dev[32], device[32];
        struct stat st;
        int r;

        if (fstat(image_fd, &st) < 0)
                return -errno;
        if (sector_size == 0 || st.st_size <= 0 || st.st_size % sector_size != 0)
                return -EINVAL;
        r = boot_loop_attach(image_fd, &loop, loop_dev, sizeof(loop_dev));
        if (r >= 0)
                r = boot_dm_device_name(loop, device);
        if (r >= 0)
                r = boot_crypt_params(cipher, key, key_size, device, sector_size, &params);
        if (r >= 0)
                r = boot_dm_create(name, "crypt", (uint64_t)st.st_size / 512, params, true, dev, size);
        /* On success the table holds the loop device open: closing ours keeps it. */
        return r;
}
