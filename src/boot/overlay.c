// SPDX-License-Identifier: Apache-2.0
/*
 * OverlayFS options and mount (see overlay.h for the invariants).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "boot/overlay.h"
#include "util/cleanup.h"

static int overlay_append(char **textp, const char *s, size_t n) {
        size_t old = *textp ? strlen(*textp) : 0;
        char *p = realloc(*textp, old + n + 1);

        if (!p)
                return -ENOMEM;
        memcpy(p + old, s, n);
        p[old + n] = '\0';
        *textp = p;
        return 0;
}

int boot_overlay_escape(char **textp, const char *path) {
        size_t n = strlen(path), special = 0, k = 0;
        _cleanup_free_ char *escaped = NULL;

        for (size_t i = 0; i < n; i++)
                special += strchr(":,\\", path[i]) != NULL;
        escaped = malloc(n + special + 1);
        if (!escaped)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (strchr(":,\\", path[i]))
                        escaped[k++] = '\\';
                escaped[k++] = path[i];
        }
        return overlay_append(textp, escaped, k);
}

int boot_overlay_lowerdir(char *const *lower, size_t n, char **lowerdirp) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (n == 0)
                return -EINVAL;
        r = overlay_append(&text, "lowerdir=", 9);
        for (size_t i = n; r >= 0 && i-- > 0;) {
                r = boot_overlay_escape(&text, lower[i]);
                if (r >= 0 && i > 0)
                        r = overlay_append(&text, ":", 1);
        }
        if (r < 0)
                return r;
        *lowerdirp = steal_ptr(&text);
        return 0;
}

int boot_overlay_options(char *const *lower, size_t n, const char *upper, const char *work, char **optionsp) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = boot_overlay_lowerdir(lower, n, &text);
        if (r >= 0)
                r = overlay_append(&text, ",upperdir=", 10);
        if (r >= 0)
                r = boot_overlay_escape(&text, upper);
        if (r >= 0)
                r = overlay_append(&text, ",workdir=", 9);
        if (r >= 0)
                r = boot_overlay_escape(&text, work);
        if (r < 0)
                return r;
        *optionsp = steal_ptr(&text);
        return 0;
}

int boot_overlay_mount(const char *options, const char *target) {
        return mount("overlay", target, "overlay", 0, options) < 0 ? -errno : 0;
}
