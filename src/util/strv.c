// SPDX-License-Identifier: Apache-2.0
/*
 * NULL-terminated arrays of owned strings.
 *
 * Invariant: strv_push() replaces *l only once the larger array exists, so on -ENOMEM the
 * vector is as it was (and the string handed over is freed, as promised).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strv.h"

size_t strv_length(char *const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

bool strv_contains(char *const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (strcmp(l[i], s) == 0)
                        return true;
        return false;
}

char **strv_free(char **l) {
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
        return NULL;
}

int strv_push(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **p = realloc(*l, (n + 2) * sizeof(char *));

        if (!p) {
                free(s);
                return -ENOMEM;
        }
        p[n] = s;
        p[n + 1] = NULL;
        *l = p;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        return strv_push(l, copy);
}
