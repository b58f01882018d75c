/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lowercase hexadecimal encoding, as used for digests and key ids everywhere in KOS.
 *
 * Invariant: KOS writes lowercase only, and accepts only lowercase where a digest names
 * something (hex_is_sha256()), so every object and key has exactly one spelling.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

/* Writes 2*size lowercase hex digits and a NUL to out (2*size+1 bytes). */
void hex_encode(char *out, const void *data, size_t size);

/*
 * Decodes exactly 2*size hex digits (either case) from in into size bytes at out. Returns
 * 0, or -EINVAL (out untouched) if any of those characters is not a hex digit.
 */
int hex_decode(void *out, size_t size, const char *in);

/* True if s is exactly 64 lowercase hex digits: the only form of digest KOS accepts. */
bool hex_is_sha256(const char *s);
