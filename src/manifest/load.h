/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manifest of a core service (kos-msgd, kos-keystored, kos-traced): the bytes kosd
 * validated and handed over as a sealed memfd, or, run by hand, a DTB file.
 *
 * Invariant: a handed-over manifest is read only from a memfd sealed against every change
 * (src/ipc/handover.h), so a service runs on exactly the bytes kosd checked.
 */
#pragma once

#include "manifest/manifest.h"

/*
 * Reads and parses the manifest from fd (>= 0) or else from the file at path. On failure
 * logs one line naming the source ("manifest fd 4: not sealed against changes; refusing
 * it", "FILE: what is wrong") and returns a negative errno; 0 and *mp otherwise.
 */
int manifest_load_handed(const char *path, int fd, Manifest **mp);
