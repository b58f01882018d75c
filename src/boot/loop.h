/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loop devices over image files, read-only, cleared automatically.
 *
 * Invariant: a loop device is configured in one step (LOOP_CONFIGURE) read-only with
 * LO_FLAGS_AUTOCLEAR, so it disappears with its last user: the caller keeps the loop
 * descriptor open until the mount that uses it succeeded, then closes it.
 */
#pragma once

#include <stddef.h>

/*
 * Attaches a free loop device to backing_fd (read-only). Returns 0 with *loopfdp (owned)
 * and "/dev/loopN" in dev (size bytes), or a negative errno.
 */
int boot_loop_attach(int backing_fd, int *loopfdp, char *dev, size_t size);
