/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dm-verity over a component image: every block is checked against the hash tree as it is
 * read, and the tree against the signed root hash, so the boot never hashes the whole
 * image first (docs/manifest.md, components).
 *
 * Invariants: 1. The device is read-only and set up with device-mapper ioctls alone
 * (DM_DEV_CREATE, DM_TABLE_LOAD, DM_DEV_SUSPEND to resume); one that fails half-way is
 * removed. 2. The format is fixed: data and hash blocks of 4096 bytes, SHA-256, the tree
 * from its first block (no superblock); the image must be a whole number of blocks, so no
 * byte of it goes unchecked.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BOOT_VERITY_BLOCK_SIZE 4096

/*
 * The dm-verity table parameters for data and hash devices ("major:minor") of data_blocks
 * blocks: "1 <data> <hash> 4096 4096 <blocks> 0 sha256 <root> <salt or ->". Returns 0 with
 * *paramsp (owned), or -ENOMEM.
 */
int boot_verity_params(const char *data_dev, const char *hash_dev, uint64_t data_blocks, const char *root_hash,
                       const char *salt, char **paramsp);

/*
 * Maps the device-mapper device name over the image behind data_fd and the tree behind
 * tree_fd (regular files; each gets a read-only loop device). Returns 0 with "/dev/dm-N"
 * in dev (size bytes); -EINVAL if the image is not a whole number of blocks (invariant 2);
 * another negative errno.
 */
int boot_verity_open(const char *name, int data_fd, int tree_fd, const char *root_hash, const char *salt,
                     char *dev, size_t size);
