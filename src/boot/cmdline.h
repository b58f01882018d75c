/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel command line: "key=value" words, as the kernel and its PID 1 read them.
 *
 * Invariants: 1. Words are split on blanks outside double quotes; the quotes themselves
 * are dropped wherever they stand (`kos.x="a b"` and `"kos.x=a b"` both give "a b"), and an
 * unterminated quote runs to the end, as the kernel's own parser reads it. 2. A word "--"
 * ends the kernel's part: what follows belongs to init and is not read. 3. A key is
 * everything before the first '='; a word without '=' has no value (NULL), "key=" has the
 * empty value. 4. A key given more than once means its last value, as for the kernel.
 * 5. Keys and values never contain '"' or NUL, so boot_cmdline_append() can write any
 * parsed pair back and it parses to the same pair.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

#define BOOT_CMDLINE_MAX (64U * 1024U)

typedef struct BootCmdlineEntry {
        char *key;   /* owned, never empty */
        char *value; /* owned; NULL if the word had no '=' */
} BootCmdlineEntry;

typedef struct BootCmdline {
        BootCmdlineEntry *entries; /* owned array, in command line order */
        size_t n;
} BootCmdline;

/*
 * Parses size bytes of text (a NUL ends it early; a trailing newline, as /proc/cmdline
 * has, is a blank). Returns 0 with *cmdlinep (owned by the caller), -E2BIG if size
 * exceeds BOOT_CMDLINE_MAX, -ENOMEM.
 */
int boot_cmdline_parse(BootCmdline **cmdlinep, const char *text, size_t size);

/* Frees c. Accepts NULL; returns NULL. */
BootCmdline *boot_cmdline_free(BootCmdline *c);

/* The last word with key (invariant 4), or NULL if there is none. */
const BootCmdlineEntry *boot_cmdline_find(const BootCmdline *c, const char *key);

/* The value of the last word with key; NULL if key is absent or has no value. */
const char *boot_cmdline_value(const BootCmdline *c, const char *key);

/*
 * Appends " key=value" (no blank first if *textp is empty; the word quoted if it holds a blank)
 * to the NUL-terminated *textp, which is reallocated. value may be NULL (the word is the
 * key alone). Returns 0, -EINVAL if key is empty or holds '"' or '=', or value holds '"';
 * or -ENOMEM (then *textp is as it was).
 */
int boot_cmdline_append(char **textp, const char *key, const char *value);

DEFINE_CLEANUP_FUNC(BootCmdline, boot_cmdline_free)
