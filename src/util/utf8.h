/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 validation for text that reaches people: logs, JSON, terminals.
 *
 * Invariant: what utf8_is_printable() accepts can be printed to a terminal without
 * changing its state, and embedded in JSON after the usual quote and backslash escapes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * True if s (NUL-terminated) is well-formed UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF) and holds no control character (C0 U+0000-U+001F, U+007F, and
 * C1 U+0080-U+009F, which terminals obey as escape sequences: U+009B is CSI).
 */
bool utf8_is_printable(const char *s);
