// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel command line parsing (see cmdline.h for the invariants).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/cmdline.h"

static bool cmdline_is_blank(char ch) {
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/*
 * Reads one word from text[*posp, size) into word (size + 1 bytes), dropping quotes.
 * Returns false at the end of the text.
 */
static bool cmdline_next_word(const char *text, size_t size, size_t *posp, char *word) {
        size_t pos = *posp, n = 0;
        bool quoted = false;

        while (pos < size && cmdline_is_blank(text[pos]))
                pos++;
        if (pos >= size)
                return false;
        for (; pos < size && (quoted || !cmdline_is_blank(text[pos])); pos++) {
                if (text[pos] == '"')
                        quoted = !quoted;
                else
                        word[n++] = text[pos];
        }
        word[n] = '\0';
        *posp = pos;
        return true;
}

static int cmdline_add(BootCmdline *c, const char *word) {
        const char *eq = strchr(word, '=');
        BootCmdlineEntry *e, *p;

        if (eq == word || word[0] == '\0')
                return 0; /* no key: nothing anyone could look up */
        p = reallocarray(c->entries, c->n + 1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        c->entries = p;
        e = &c->entries[c->n];
        *e = (BootCmdlineEntry){};
        e->key = eq ? strndup(word, (size_t)(eq - word)) : strdup(word);
        if (!e->key)
                return -ENOMEM;
        c->n++;
        if (eq && !(e->value = strdup(eq + 1)))
                return -ENOMEM;
        return 0;
}

int boot_cmdline_parse(BootCmdline **cmdlinep, const char *text, size_t size) {
        _cleanup_(boot_cmdline_freep) BootCmdline *c = NULL;
        _cleanup_free_ char *word = NULL;
        const char *nul;
        size_t pos = 0;
        int r;

        if (size > BOOT_CMDLINE_MAX)
                return -E2BIG;
        nul = memchr(text, '\0', size);
        if (nul)
                size = (size_t)(nul - text);
        c = calloc(1, sizeof(*c));
        word = malloc(size + 1);
        if (!c || !word)
                return -ENOMEM;
        while (cmdline_next_word(text, size, &pos, word)) {
                if (strcmp(word, "--") == 0)
                        break;
                r = cmdline_add(c, word);
                if (r < 0)
                        return r;
        }
        *cmdlinep = steal_ptr(&c);
        return 0;
}

BootCmdline *boot_cmdline_free(BootCmdline *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                free(c->entries[i].key);
                free(c->entries[i].value);
        }
        free(c->entries);
        free(c);
        return NULL;
}

const BootCmdlineEntry *boot_cmdline_find(const BootCmdline *c, const char *key) {
        for (size_t i = c->n; i-- > 0;)
                if (strcmp(c->entries[i].key, key) == 0)
                        return &c->entries[i];
        return NULL;
}

const char *boot_cmdline_value(const BootCmdline *c, const char *key) {
        const BootCmdlineEntry *e = boot_cmdline_find(c, key);

        return e ? e->value : NULL;
}

static bool cmdline_has_blank(const char *s) {
        for (; *s; s++)
                if (cmdline_is_blank(*s))
                        return true;
        return false;
}

int boot_cmdline_append(char **textp, const char *key, const char *value) {
        size_t old = *textp ? strlen(*textp) : 0, n;
        bool quote;
        char *p;

        if (!key[0] || strpbrk(key, "\"=") || (value && strchr(value, '"')))
                return -EINVAL;
        quote = cmdline_has_blank(key) || (value && cmdline_has_blank(value));
        /* blank, quote, key, '=', value, quote, NUL */
        n = old + 1 + 1 + strlen(key) + 1 + (value ? strlen(value) : 0) + 1 + 1;
        p = realloc(*textp, n);
        if (!p)
                return -ENOMEM;
        p[old] = '\0';
        strcat(p, old ? " " : "");
        strcat(p, quote ? "\"" : "");
        strcat(p, key);
        if (value) {
                strcat(p, "=");
                strcat(p, value);
        }
        strcat(p, quote ? "\"" : "");
        *textp = p;
        return 0;
}
