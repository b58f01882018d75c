// SPDX-License-Identifier: Apache-2.0
/*
 * Component images (see component.h for the invariant).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "boot/component.h"
#include "boot/crypt.h"
#include "boot/loop.h"
#include "boot/verity.h"
#include "crypto/sha256.h"
#include "store/object.h"
#include "util/cleanup.h"

/* Opens object hex; with hash, checks it hashes to its name through the descriptor. */
static int component_object_open(const Store *store, const char *hex, bool hash, int *fdp) {
        Sha256Digest want;

        return hash ? store_object_open_verified(store, hex, fdp) : store_object_open(store, hex, &want, fdp);
}

void boot_component_files_close(BootComponentFiles *files) {
        if (files->image_fd >= 0)
                close(files->image_fd);
        if (files->tree_fd >= 0)
                close(files->tree_fd);
        files->image_fd = files->tree_fd = -1;
}

int boot_component_open(const Store *store, const ManifestComponent *c, BootComponentFiles *filesp, char *bad) {
        BootComponentFiles files = { .image_fd = -1, .tree_fd = -1 };
        bool verity = c->verity_hash_tree[0] != '\0';
        int r;

        r = component_object_open(store, c->sha256, !verity, &files.image_fd);
        if (r != 0) {
                snprintf(bad, SHA256_HEX_LEN + 1, "%s", c->sha256);
                return r;
        }
        if (verity) {
                r = component_object_open(store, c->verity_hash_tree, true, &files.tree_fd);
                if (r != 0) {
                        snprintf(bad, SHA256_HEX_LEN + 1, "%s", c->verity_hash_tree);
                        boot_component_files_close(&files);
                        return r;
                }
        }
        *filesp = files;
        return 0;
}

int boot_component_mount(const ManifestComponent *c, const BootComponentFiles *files, const char *target,
                         char *dev, size_t size) {
        _cleanup_close_ int loop = -1;
        char name[128];
        int r;

        if (files->tree_fd >= 0) {
                snprintf(name, sizeof(name), "kos-%s", c->name);
                r = boot_verity_open(name, files->image_fd, files->tree_fd, c->verity_root_hash, c->verity_salt, dev,
                                     size);
        } else
                r = boot_loop_attach(files->image_fd, &loop, dev, size);
        if (r < 0)
                return r;
        /* A loop device lives while loop is open (LO_FLAGS_AUTOCLEAR): mount first. */
        if (mount(dev, target, c->format, MS_RDONLY, NULL) < 0)
                return -errno;
        return 0;
}

int boot_component_mount_encrypted(const ManifestComponent *c, const BootComponentFiles *files,
                                   const uint8_t *data_key, size_t key_size, const char *target, char *dev,
                                   size_t size) {
        char name[128];
        int r;

        snprintf(name, sizeof(name), "kos-%s", c->name);
        r = boot_crypt_open(name, files->image_fd, c->encryption_cipher, data_key, key_size, c->encryption_sector_size,
                            dev, size);
        if (r < 0)
                return r;
        if (mount(dev, target, c->format, MS_RDONLY, NULL) < 0)
                return -errno;
        return 0;
}
