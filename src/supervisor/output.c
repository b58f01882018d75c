// SPDX-License-Identifier: Apache-2.0
/*
 * App output escaping (see output.h).
 * Invariant: out always holds a NUL-terminated string of printable bytes, TAB, and bytes
 * >= 0x80 (UTF-8 text passes unchanged); never more than out_size bytes are written.
 */
#include <stdbool.h>

#include "supervisor/output.h"

static bool output_byte_is_safe(unsigned char c) {
        return c == '\t' || (c >= 0x20 && c != 0x7f);
}

size_t output_escape(const char *data, size_t size, char *out, size_t out_size) {
        static const char hex[] = "0123456789abcdef";
        size_t i = 0, n = 0;

        for (; i < size; i++) {
                unsigned char c = (unsigned char)data[i];

                if (output_byte_is_safe(c)) {
                        if (n + 1 >= out_size)
                                break;
                        out[n++] = (char)c;
                } else {
                        if (n + 4 >= out_size)
                                break;
                        out[n++] = '\\';
                        out[n++] = 'x';
                        out[n++] = hex[c >> 4];
                        out[n++] = hex[c & 0xf];
                }
        }
        out[n] = '\0';
        return i;
}
