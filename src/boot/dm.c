// SPDX-License-Identifier: Apache-2.0
/*
 * Device-mapper devices by ioctls (see dm.h for the invariants).
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

#include "boot/dm.h"
#include "util/cleanup.h"

#define DM_CONTROL "/dev/" DM_DIR "/" DM_CONTROL_NODE
#define DM_ALIGN(n) (((n) + 7) & ~(size_t)7)

static void dm_header(struct dm_ioctl *io, size_t size, const char *name) {
        memset(io, 0, sizeof(*io));
        io->version[0] = DM_VERSION_MAJOR;
        io->version[1] = 0;
        io->version[2] = 0;
        io->data_size = (uint32_t)size;
        io->data_start = sizeof(*io);
        snprintf(io->name, sizeof(io->name), "%s", name);
}

static int dm_simple(int control, unsigned long request, const char *name, uint64_t *devp) {
        struct dm_ioctl io;

        dm_header(&io, sizeof(io), name);
        if (ioctl(control, request, &io) < 0)
                return -errno;
        if (devp)
                *devp = io.dev;
        return 0;
}

/* Loads the one-target read-only table (invariant 2 for a secret one). */
static int dm_load(int control, const char *name, const char *target_type, uint64_t sectors, const char *params,
                   bool secret) {
        size_t spec_size = DM_ALIGN(sizeof(struct dm_target_spec) + strlen(params) + 1);
        size_t size = sizeof(struct dm_ioctl) + spec_size;
        char *buf = calloc(1, size);
        struct dm_ioctl *io = (struct dm_ioctl *)buf;
        struct dm_target_spec *spec;
        int r;

        if (!buf)
                return -ENOMEM;
        dm_header(io, size, name);
        io->target_count = 1;
        io->flags = DM_READONLY_FLAG | (secret ? DM_SECURE_DATA_FLAG : 0);
        spec = (struct dm_target_spec *)(buf + sizeof(*io));
        spec->sector_start = 0;
        spec->length = sectors;
        spec->next = (uint32_t)spec_size;
        snprintf(spec->target_type, sizeof(spec->target_type), "%s", target_type);
        strcpy((char *)(spec + 1), params);
        r = ioctl(control, DM_TABLE_LOAD, io) < 0 ? -errno : 0;
        explicit_bzero(buf, size);
        free(buf);
        return r;
}

int boot_dm_device_name(int fd, char name[32]) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        snprintf(name, 32, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
        return 0;
}

int boot_dm_create(const char *name, const char *target_type, uint64_t sectors, const char *params, bool secret,
                   char *dev, size_t size) {
        _cleanup_close_ int control = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
        uint64_t devnum;
        int r;

        if (control < 0)
                return -errno;
        r = dm_simple(control, DM_DEV_CREATE, name, &devnum);
        if (r < 0)
                return r;
        r = dm_load(control, name, target_type, sectors, params, secret);
        if (r >= 0)
                r = dm_simple(control, DM_DEV_SUSPEND, name, NULL); /* no DM_SUSPEND_FLAG: resume */
        if (r < 0) {
                (void)dm_simple(control, DM_DEV_REMOVE, name, NULL);
                return r;
        }
        snprintf(dev, size, "/dev/dm-%u", minor((dev_t)devnum));
        return 0;
}
