/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encrypted component images, made on the build host: dm-crypt plain mode, the cipher
 * aes-xts-plain64 with a 64-byte key (AES-256-XTS), sectors of 512 to 4096 bytes, the IV of
 * each sector its number in 512-byte units (little-endian), no header. What
 * `cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --sector-size N`
 * and kos-init's dm-crypt device (boot/crypt.h) read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_ENCRYPT_KEY_SIZE 64U

/* True for the sector sizes dm-crypt takes: 512, 1024, 2048, 4096. */
bool image_encrypt_sector_size_is_valid(unsigned sector_size);

/*
 * Encrypts the image in into out, zero-padded to a whole number of sectors, with data_key.
 * out is written whole or not at all (a temporary name beside it, fsync, rename). Returns 0
 * and the encrypted size in *sizep, or a negative errno with whatbuf saying what failed:
 * -EINVAL for an empty input or a bad sector size.
 */
int image_encrypt(const char *in, const char *out, const uint8_t data_key[IMAGE_ENCRYPT_KEY_SIZE],
                  unsigned sector_size, uint64_t *sizep, char *whatbuf, size_t whatsize);
