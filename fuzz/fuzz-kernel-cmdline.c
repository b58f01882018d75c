// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target: the kernel command line parser, which kos-init reads from a command line
 * the previous stage wrote. Every parsed word has a key that is neither empty nor holds a
 * quote or NUL; written back with boot_cmdline_append(), the words parse to the same pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const BootCmdline *a, const BootCmdline *b) {
        if (a->n != b->n)
                abort();
        for (size_t i = 0; i < a->n; i++) {
                const BootCmdlineEntry *x = &a->entries[i], *y = &b->entries[i];

                if (strcmp(x->key, y->key) != 0 || !x->value != !y->value ||
                    (x->value && strcmp(x->value, y->value) != 0))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(boot_cmdline_freep) BootCmdline *c = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;

        if (boot_cmdline_parse(&c, (const char *)data, size) < 0)
                return 0;
        for (size_t i = 0; i < c->n; i++) {
                const BootCmdlineEntry *e = &c->entries[i];

                if (!e->key[0] || strchr(e->key, '"') || strchr(e->key, '=') || (e->value && strchr(e->value, '"')))
                        abort();
                /* A word "--" ends the kernel's words: it cannot be one of them. */
                if (!e->value && strcmp(e->key, "--") == 0)
                        abort();
                if (boot_cmdline_append(&text, e->key, e->value) < 0)
                        abort();
                (void)boot_cmdline_value(c, e->key);
        }
        if (boot_cmdline_parse(&again, text ? text : "", text ? strlen(text) : 0) < 0)
                abort();
        check_same(c, again);
        return 0;
}
