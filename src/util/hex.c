// SPDX-License-Identifier: Apache-2.0
/*
 * Lowercase hexadecimal encoding.
 *
 * Invariants: hex_encode() always writes exactly 2*size digits and a NUL; hex_decode()
 * reads at most 2*size characters of its input and writes its output only when every
 * one of them is a hex digit; hex_is_sha256() accepts the lowercase form alone, so one
 * digest has one name.
 */
#include <errno.h>
#include <string.h>

#include "util/hex.h"

void hex_encode(char *out, const void *data, size_t size) {
        static const char digits[] = "0123456789abcdef";
        const uint8_t *p = data;

        for (size_t i = 0; i < size; i++) {
                out[2 * i] = digits[p[i] >> 4];
                out[2 * i + 1] = digits[p[i] & 0xf];
        }
        out[2 * size] = '\0';
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int hex_decode(void *out, size_t size, const char *in) {
        uint8_t *p = out;

        /* Checked in full first, so a caller's buffer is untouched by bad input. */
        for (size_t i = 0; i < 2 * size; i++)
                if (hex_digit(in[i]) < 0)
                        return -EINVAL;
        for (size_t i = 0; i < size; i++)
                p[i] = (uint8_t)(hex_digit(in[2 * i]) << 4 | hex_digit(in[2 * i + 1]));
        return 0;
}

bool hex_is_sha256(const char *s) {
        size_t i;

        for (i = 0; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return i == SHA256_HEX_LEN;
}
