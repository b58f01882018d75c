/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolving a path beneath a store's directory: the one way src/store (and a directory
 * upgrade source, which is a store too) turns a relative path into an open file.
 *
 * Invariants: a path is resolved relative to a root directory fd and never leaves it: an
 * absolute path, a ".." component or a symbolic link anywhere on the path (also a
 * directory in the middle, e.g. objects/ab -> /etc) fails with -ELOOP or -EXDEV before
 * anything past it is opened; "magic" links (/proc/self/fd/N) are never followed either.
 * The root itself may be reached through symlinks (the caller chose it); what lies beneath
 * it is trusted only as far as its contents verify.
 *
 * openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS does this
 * in one call on Linux 5.6 and newer. Where it fails with ENOSYS (Linux 5.4, or a seccomp
 * filter that does not know it) the path is walked one component at a time with
 * O_NOFOLLOW | O_DIRECTORY, which refuses the same paths with the same errors.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Opens rootfd/relpath with openat() flags and mode (mode only with O_CREAT or O_TMPFILE)
 * and O_CLOEXEC | O_NOFOLLOW added. Returns the fd (owned by the caller) or a negative
 * errno: -ELOOP if a component is a symbolic link, -EXDEV if relpath is absolute or has a
 * ".." component, -ENOTDIR if a directory component is not one, -ENOENT, ...
 * relpath "." opens rootfd's directory again.
 */
int store_resolve_open(int rootfd, const char *relpath, int flags, mode_t mode);

/* store_resolve_open() of a directory, read-only: for listing, fsync and as an *at() base. */
int store_resolve_open_dir(int rootfd, const char *relpath);

/*
 * Opens the directory that holds relpath's last component (rootfd's own directory for a
 * name without '/') beneath rootfd, for an *at() call on that one component (create,
 * rename, unlink, mkdir): returns the fd and sets *namep to the last component, a pointer
 * into relpath. A last component that is empty, "." or ".." is -EINVAL.
 */
int store_resolve_parent(int rootfd, const char *relpath, const char **namep);

/*
 * The fallback on its own: resolves relpath by walking it component by component. Used
 * when openat2() is not available; exported so that tests prove it on any kernel.
 */
int store_resolve_open_walk(int rootfd, const char *relpath, int flags, mode_t mode);
