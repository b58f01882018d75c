/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which manifest `kosd --store DIR` runs: the one the last boot decision chose
 * (refs/booted, written by `kos boot select`). Confirming it is `kos boot confirm DIR`,
 * which kosd runs as a command once every app has settled (supervisor.c).
 */
#pragma once

/*
 * Opens the store at store_dir read-only and returns the path of the chosen generation's
 * manifest object in *manifest_pathp (owned by the caller). Logs and returns a negative
 * errno if there is no store, or no boot decision was made (-ENOENT).
 */
int boot_generation_manifest(const char *store_dir, char **manifest_pathp);
