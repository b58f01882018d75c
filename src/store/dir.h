/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listing a directory of the store: the one readdir() loop of src/store. Internal to
 * src/store.
 *
 * Invariants: "." and ".." are never listed; a list is complete or the call fails, never
 * partial; names come sorted by strcmp(), so every caller walks a stable order.
 */
#pragma once

#include <dirent.h>
#include <stdbool.h>

/* Decides from a directory entry whether it is listed (d_type may be DT_UNKNOWN). */
typedef bool (*StoreDirFilter)(const struct dirent *de);

/*
 * The names in dirfd/relpath that keep accepts (every name if keep is NULL), sorted. The
 * caller owns *namesp, a strv that is never NULL on success (empty if nothing matched).
 */
int store_dir_list_at(int dirfd, const char *relpath, StoreDirFilter keep, char ***namesp);
