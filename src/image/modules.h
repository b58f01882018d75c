/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which kernel modules an initramfs carries: the ones asked for by name and everything
 * they depend on, as the kernel's own modules.dep (written by depmod) says. Nothing here
 * keeps a list of dependencies by hand, so a kernel update cannot leave one stale.
 */
#pragma once

/*
 * The modules named (e.g. "ext4", "virtio_blk"; '-' and '_' are the same) and their
 * dependencies, from moddir/modules.dep, each once, dependencies before the modules that
 * need them. *pathsp is a strv of paths relative to moddir ("kernel/fs/ext4/ext4.ko"),
 * *depp the lines of modules.dep for exactly those modules (a modules.dep of the subset).
 * -ENOENT with *missingp set (owned by the caller) names a module modules.dep lacks.
 */
int image_modules_closure(const char *moddir, char *const *names, char ***pathsp, char **depp,
                          char **missingp);
