// SPDX-License-Identifier: Apache-2.0
/*
 * Absolute file names (see path.h).
 * Invariant: the result is path itself when it is absolute, else the current directory,
 * one slash, and path; nothing else is normalised.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"

int path_make_absolute(const char *path, char **absolutep) {
        _cleanup_free_ char *cwd = NULL;
        char *absolute;

        if (!path || !*path)
                return -EINVAL;
        if (path[0] == '/') {
                absolute = strdup(path);
                if (!absolute)
                        return -ENOMEM;
                *absolutep = absolute;
                return 0;
        }
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return -errno;
        if (asprintf(&absolute, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path) < 0)
                return -ENOMEM;
        *absolutep = absolute;
        return 0;
}
