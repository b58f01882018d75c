/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running the host tools an image is made with (mkfs.ext4, sfdisk, qemu).
 */
#pragma once

/*
 * Runs argv[0] (found in PATH) with argv, stdin from input (NULL: /dev/null), stdout and
 * stderr kept. Returns 0 if it exited 0; -ENOENT if it is not installed; -EPROTO if it
 * failed (its stderr has said why); other negative errnos for spawn errors. *statusp, if
 * not NULL, gets the exit status (128 + signal for a signal).
 */
int image_run(char *const *argv, const char *input, int *statusp);
