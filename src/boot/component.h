/* SPDX-License-Identifier: Apache-2.0 */
/*
 * System components: signed file system images from the store, mounted read-only.
 *
 * Invariant: what is mounted is what was hashed. A component is opened once; its digest is
 * computed through that descriptor, and the loop device is attached to the same
 * descriptor, never to a path looked up again.
 */
#pragma once

#include "manifest/manifest.h"
#include "store/store.h"

/*
 * Opens the store object c names and hashes it through the descriptor. Returns 0 with
 * *fdp (read-only, owned); STORE_E_MISSING or STORE_E_CORRUPT (positive); a negative errno.
 */
int boot_component_open(const Store *store, const ManifestComponent *c, int *fdp);

/*
 * Mounts the image behind fd read-only at target (which must exist), with c's file system
 * type (squashfs, erofs, ext4), over a loop device. Returns 0 with the loop device's path
 * in dev (size bytes), or a negative errno.
 */
int boot_component_mount(const ManifestComponent *c, int fd, const char *target, char *dev, size_t size);
