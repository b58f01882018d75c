// SPDX-License-Identifier: Apache-2.0
/*
 * Block device discovery (see blockdev.h for the invariants).
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot/blockdev.h"
#include "util/cleanup.h"
#include "util/clock.h"

#define EXT4_SUPERBLOCK_OFFSET 1024
#define EXT4_MAGIC_OFFSET 56
#define EXT4_LABEL_OFFSET 120
#define EXT4_MAGIC 0xef53

int boot_blockdev_spec_parse(const char *text, BootBlockdevSpec *specp) {
        BootBlockdevSpec spec = {};
        size_t n;

        if (strncmp(text, "LABEL=", 6) == 0) {
                n = strlen(text + 6);
                if (n == 0 || n > BOOT_BLOCKDEV_LABEL_MAX)
                        return -EINVAL;
                memcpy(spec.label, text + 6, n + 1);
        } else if (strncmp(text, "/dev/", 5) == 0) {
                n = strlen(text + 5);
                if (n == 0 || n >= sizeof(spec.name) || strchr(text + 5, '/') || strcmp(text + 5, "..") == 0 ||
                    strcmp(text + 5, ".") == 0)
                        return -EINVAL;
                memcpy(spec.name, text + 5, n + 1);
        } else
                return -EINVAL;
        *specp = spec;
        return 0;
}

int boot_blockdev_read_ext4_label(const char *path, char label[BOOT_BLOCKDEV_LABEL_MAX + 1]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        unsigned char sb[EXT4_LABEL_OFFSET + BOOT_BLOCKDEV_LABEL_MAX];
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = pread(fd, sb, sizeof(sb), EXT4_SUPERBLOCK_OFFSET);
        if (n < 0)
                return -errno;
        if ((size_t)n < sizeof(sb))
                return -EMEDIUMTYPE;
        if ((sb[EXT4_MAGIC_OFFSET] | sb[EXT4_MAGIC_OFFSET + 1] << 8) != EXT4_MAGIC)
                return -EMEDIUMTYPE;
        memcpy(label, sb + EXT4_LABEL_OFFSET, BOOT_BLOCKDEV_LABEL_MAX);
        label[BOOT_BLOCKDEV_LABEL_MAX] = '\0';
        return 0;
}

/*
 * Devices the boot programs make themselves (loop devices over components, device-mapper
 * targets) or that hold no disk: never what a label search means, even if a signed
 * component's file system happens to carry the label.
 */
static bool blockdev_is_virtual(const char *name) {
        return strncmp(name, "loop", 4) == 0 || strncmp(name, "dm-", 3) == 0 || strncmp(name, "ram", 3) == 0 ||
               strncmp(name, "zram", 4) == 0;
}

static int blockdev_compare_names(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* One look at /sys/class/block. 0 with name filled in if found, 1 if not (yet). */
static int blockdev_look(const BootBlockdevSpec *spec, char name[256]) {
        struct dirent **entries = NULL;
        char path[320], label[BOOT_BLOCKDEV_LABEL_MAX + 1];
        int n, found = -1;

        n = scandir("/sys/class/block", &entries, NULL, blockdev_compare_names);
        if (n < 0)
                return errno == ENOENT ? 1 : -errno;
        for (int i = 0; i < n; i++) {
                const char *d = entries[i]->d_name;

                if (found < 0 && d[0] != '.' && (spec->name[0] || !blockdev_is_virtual(d))) {
                        snprintf(path, sizeof(path), "/dev/%s", d);
                        if (spec->name[0] ? strcmp(d, spec->name) == 0 && access(path, F_OK) == 0
                                          : boot_blockdev_read_ext4_label(path, label) == 0 &&
                                                    strcmp(label, spec->label) == 0) {
                                snprintf(name, 256, "%s", d);
                                found = i;
                        }
                }
                free(entries[i]);
        }
        free(entries);
        return found >= 0 ? 0 : 1;
}

/* A socket that receives the kernel's device events, or -1 (then waits poll /sys). */
static int blockdev_uevent_open(void) {
        struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);

        if (fd < 0)
                return -1;
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Waits for a device event until deadline_ms; drains what came. */
static void blockdev_wait_event(int fd, uint64_t deadline_ms) {
        uint64_t now = now_ms();
        int timeout = now >= deadline_ms ? 0 : (int)(deadline_ms - now);
        char buf[8192];

        if (fd < 0) {
                /* No event source: look again after a short while, until the deadline. */
                poll(NULL, 0, timeout < 50 ? timeout : 50);
                return;
        }
        if (poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, timeout) <= 0)
                return;
        while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                ;
}

int boot_blockdev_wait(const BootBlockdevSpec *spec, uint64_t deadline_ms, char *dev, size_t size, char *how,
                       size_t how_size) {
        _cleanup_close_ int fd = blockdev_uevent_open();
        char name[256];
        int r;

        for (;;) {
                r = blockdev_look(spec, name);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (now_ms() >= deadline_ms)
                        return -ETIMEDOUT;
                blockdev_wait_event(fd, deadline_ms);
        }
        snprintf(dev, size, "/dev/%s", name);
        if (spec->label[0])
                snprintf(how, how_size, "label %s", spec->label);
        else
                snprintf(how, how_size, "device");
        return 0;
}
