// SPDX-License-Identifier: Apache-2.0
/*
 * dm-verity devices by device-mapper ioctls (see verity.h for the invariants).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "boot/loop.h"
#include "boot/verity.h"
#include "util/cleanup.h"

#define VERITY_CONTROL "/dev/" DM_DIR "/" DM_CONTROL_NODE
#define VERITY_ALIGN(n) (((n) + 7) & ~(size_t)7)

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

static void verity_header(struct dm_ioctl *io, size_t size, const char *name) {
        memset(io, 0, sizeof(*io));
        io->version[0] = DM_VERSION_MAJOR;
        io->version[1] = 0;
        io->version[2] = 0;
        io->data_size = (uint32_t)size;
        io->data_start = sizeof(*io);
        snprintf(io->name, sizeof(io->name), "%s", name);
}

static int verity_simple(int control, unsigned long request, const char *name, uint64_t *devp) {
        struct dm_ioctl io;

        verity_header(&io, sizeof(io), name);
        if (ioctl(control, request, &io) < 0)
                return -errno;
        if (devp)
                *devp = io.dev;
        return 0;
}

/* Loads the one-target read-only verity table of sectors sectors. */
static int verity_load(int control, const char *name, uint64_t sectors, const char *params) {
        size_t spec_size = VERITY_ALIGN(sizeof(struct dm_target_spec) + strlen(params) + 1);
        size_t size = sizeof(struct dm_ioctl) + spec_size;
        _cleanup_free_ char *buf = calloc(1, size);
        struct dm_ioctl *io = (struct dm_ioctl *)buf;
        struct dm_target_spec *spec;

        if (!buf)
                return -ENOMEM;
        verity_header(io, size, name);
        io->target_count = 1;
        io->flags = DM_READONLY_FLAG;
        spec = (struct dm_target_spec *)(buf + sizeof(*io));
        spec->sector_start = 0;
        spec->length = sectors;
        spec->next = (uint32_t)spec_size;
        snprintf(spec->target_type, sizeof(spec->target_type), "verity");
        strcpy((char *)(spec + 1), params);
        return ioctl(control, DM_TABLE_LOAD, io) < 0 ? -errno : 0;
}

/* "major:minor" of the loop device behind fd. */
static int verity_device_name(int fd, char name[32]) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        snprintf(name, 32, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
        return 0;
}

/* Creates name with the table and resumes it; removes it again on failure. */
static int verity_create(int control, const char *name, uint64_t blocks, int data_loop, int tree_loop,
                         const char *root_hash, const char *salt, uint64_t *devp) {
        _cleanup_free_ char *params = NULL;
        char data_dev[32], tree_dev[32];
        int r;

        r = verity_device_name(data_loop, data_dev);
        if (r >= 0)
                r = verity_device_name(tree_loop, tree_dev);
        if (r >= 0)
                r = boot_verity_params(data_dev, tree_dev, blocks, root_hash, salt, &params);
        if (r < 0)
                return r;
        r = verity_simple(control, DM_DEV_CREATE, name, devp);
        if (r < 0)
                return r;
        r = verity_load(control, name, blocks * (BOOT_VERITY_BLOCK_SIZE / 512), params);
        if (r >= 0)
                r = verity_simple(control, DM_DEV_SUSPEND, name, NULL); /* no DM_SUSPEND_FLAG: resume */
        if (r < 0)
                (void)verity_simple(control, DM_DEV_REMOVE, name, NULL);
        return r;
}

int boot_verity_open(const char *name, int data_fd, int tree_fd, const char *root_hash, const char *salt,
                     char *dev, size_t size) {
        _cleanup_close_ int control = -1, data_loop = -1, tree_loop = -1;
        char loop_dev[32];
        struct stat st;
        uint64_t devnum;
        int r;

        if (fstat(data_fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0 || st.st_size % BOOT_VERITY_BLOCK_SIZE != 0)
                return -EINVAL;
        control = open(VERITY_CONTROL, O_RDWR | O_CLOEXEC);
        if (control < 0)
                return -errno;
        r = boot_loop_attach(data_fd, &data_loop, loop_dev, sizeof(loop_dev));
        if (r >= 0)
                r = boot_loop_attach(tree_fd, &tree_loop, loop_dev, sizeof(loop_dev));
        if (r >= 0)
                r = verity_create(control, name, (uint64_t)st.st_size / BOOT_VERITY_BLOCK_SIZE, data_loop,
                                  tree_loop, root_hash, salt, &devnum);
        if (r < 0)
                return r;
        /* The table holds both loop devices open now: closing ours keeps them. */
        snprintf(dev, size, "/dev/dm-%u", minor((dev_t)devnum));
        return 0;
}
