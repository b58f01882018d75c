// SPDX-License-Identifier: Apache-2.0
/*
 * UTF-8 validation, after RFC 3629 section 4 (the well-formed byte sequences table).
 *
 * Invariant: never reads past the NUL: a continuation byte is compared before the next is
 * read, and NUL fails every continuation range.
 */
#include <stdint.h>

#include "util/utf8.h"

bool utf8_is_printable(const char *s) {
        const uint8_t *p = (const uint8_t *)s;

        while (*p) {
                uint8_t c = *p;
                unsigned n;
                uint8_t lo = 0x80, hi = 0xbf;

                if (c < 0x20 || c == 0x7f)
                        return false;
                if (c < 0x80) {
                        p++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        n = 1;
                        if (c == 0xc2)
                                lo = 0xa0; /* no C1 controls U+0080-U+009F: 0x9b is CSI */
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 2;
                        if (c == 0xe0)
                                lo = 0xa0; /* no overlong forms */
                        if (c == 0xed)
                                hi = 0x9f; /* no surrogates */
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 3;
                        if (c == 0xf0)
                                lo = 0x90;
                        if (c == 0xf4)
                                hi = 0x8f; /* nothing above U+10FFFF */
                } else
                        return false;
                p++;
                for (unsigned i = 0; i < n; i++, p++) {
                        if (*p < lo || *p > hi)
                                return false;
                        lo = 0x80;
                        hi = 0xbf;
                }
        }
        return true;
}
