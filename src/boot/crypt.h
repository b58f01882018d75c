/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dm-crypt over an encrypted component image: plain mode (no header), read-only, the
 * format `kos image encrypt` writes and `cryptsetup open --type plain` reads
 * (docs/manifest.md, components).
 *
 * Invariants: 1. The data key appears only in the table parameters, built in secret memory
 * (util/secret.h) and passed as a secret table (dm.h, invariant 2), both wiped after the
 * ioctl; the caller wipes its own copy. 2. The image must be a whole number of sectors, so
 * no byte of it is left out of the device.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The dm-crypt table parameters "<cipher> <hex key> 0 <device> 0[ 1 sector_size:<n>]" in new
 * secret memory (free with secret_free()). Returns 0 with *paramsp, or a negative errno.
 */
int boot_crypt_params(const char *cipher, const uint8_t *key, size_t key_size, const char *device,
                      unsigned sector_size, char **paramsp);

/*
 * Maps the device-mapper device name over the image behind image_fd (a regular file; it
 * gets a read-only loop device), decrypting with cipher and key in sectors of sector_size.
 * Returns 0 with "/dev/dm-N" in dev (size bytes); -EINVAL if the image is not a whole
 * number of sectors (invariant 2); another negative errno.
 */
int boot_crypt_open(const char *name, int image_fd, const char *cipher, const uint8_t *key, size_t key_size,
                    unsigned sector_size, char *dev, size_t size);
