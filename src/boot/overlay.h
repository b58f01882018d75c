/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OverlayFS root: read-only components under a read-write layer.
 *
 * Invariants: 1. The manifest lists components bottom first; OverlayFS's lowerdir lists
 * the top first: the options reverse the order, so the last component wins. 2. Every path
 * in the options is escaped, so ':' ',' and '\' in a path are never read as separators.
 */
#pragma once

#include <stddef.h>

/*
 * Appends path to the NUL-terminated *textp (reallocated), with '\' before every ':', ','
 * and '\'. Returns 0 or -ENOMEM (*textp as it was).
 */
int boot_overlay_escape(char **textp, const char *path);

/*
 * "lowerdir=<top>:...:<bottom>" from lower (n paths, bottom first). Returns 0 with
 * *lowerdirp (owned), -EINVAL if n is 0, -ENOMEM.
 */
int boot_overlay_lowerdir(char *const *lower, size_t n, char **lowerdirp);

/*
 * The whole option string: lowerdir as above, then ",upperdir=<upper>,workdir=<work>".
 * Returns 0 with *optionsp (owned), -EINVAL, -ENOMEM.
 */
int boot_overlay_options(char *const *lower, size_t n, const char *upper, const char *work, char **optionsp);

/* Mounts overlay with options at target. Returns 0 or a negative errno. */
int boot_overlay_mount(const char *options, const char *target);
