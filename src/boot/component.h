/* SPDX-License-Identifier: Apache-2.0 */
/*
 * System components: signed file system images from the store, mounted read-only.
 *
 * Invariant: what is mounted is what was checked. A component is opened once; without
 * dm-verity its digest is computed through that descriptor and the loop device attached to
 * the same descriptor, never to a path looked up again; with dm-verity its hash tree is
 * hashed that way, and the image is read through a dm-verity device keyed by the signed
 * root hash (verity.h), which checks every block as it is read; an encrypted one is read
 * through a dm-crypt device over the checked image (crypt.h).
 */
#pragma once

#include "manifest/manifest.h"
#include "store/store.h"

typedef struct BootComponentFiles {
        int image_fd; /* owned */
        int tree_fd;  /* owned; -1 without dm-verity */
} BootComponentFiles;

/*
 * Opens the store objects c names: the image (hashed, unless c has dm-verity) and the hash
 * tree (hashed). Returns 0 with *filesp (read-only descriptors, owned; free with
 * boot_component_files_close()); STORE_E_MISSING or STORE_E_CORRUPT (positive), with the
 * digest at fault in bad (SHA256_HEX_LEN + 1 bytes); or a negative errno.
 */
int boot_component_open(const Store *store, const ManifestComponent *c, BootComponentFiles *filesp, char *bad);

void boot_component_files_close(BootComponentFiles *files);

/*
 * Mounts the component read-only at target (which must exist), with c's file system type
 * (squashfs, erofs, ext4), over a loop device, or a dm-verity device over loop devices if c
 * has one. Returns 0 with the device mounted in dev (size bytes), or a negative errno.
 */
int boot_component_mount(const ManifestComponent *c, const BootComponentFiles *files, const char *target,
                         char *dev, size_t size);

/*
 * Mounts the encrypted component c read-only at target through a dm-crypt device over a loop
 * device, with data_key and c's cipher and sector size. Returns 0 with the dm-crypt device
 * in dev (size bytes), or a negative errno. The caller wipes data_key.
 */
int boot_component_mount_encrypted(const ManifestComponent *c, const BootComponentFiles *files,
                                   const uint8_t *data_key, size_t key_size, const char *target, char *dev,
                                   size_t size);
