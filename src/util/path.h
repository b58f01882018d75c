/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File names resolved once, at a program's start.
 *
 * Invariant: a path a daemon hands to its children, or keeps past a chdir (children start
 * in "/"), is absolute: a relative one would name another file, or none, there.
 */
#pragma once

/*
 * Makes path absolute against the current directory, without touching the file system
 * beyond getcwd() (the file need not exist yet) and without resolving symlinks.
 * Returns 0 and *absolutep (the caller frees it), or a negative errno.
 */
int path_make_absolute(const char *path, char **absolutep);
