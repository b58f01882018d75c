/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Containment: one cgroup v2 per unit, so every process a unit made is found and stopped,
 * also one that left the unit's process group (setsid) or was reparented.
 *
 * Layout, under kosd's own cgroup in the cgroup2 hierarchy (found in /proc/self/mountinfo,
 * not assumed at /sys/fs/cgroup: hybrid systems mount it at /sys/fs/cgroup/unified):
 *
 *   <kosd's cgroup>/kosd-<hash of the run directory's id>/u-<unit name>/
 *
 * The run directory names one kosd (kosd holds an flock in it for its life), and its id is
 * its device and inode, however its path is spelled; so the hash keeps two kosds' units
 * apart, and a kosd started after one that was killed (from the same cgroup) finds what
 * that one left. The "u-" prefix keeps a unit name from being an interface file's.
 *
 * This contains apps against accidents and ordinary forks, not against an app running as
 * root that moves itself into another cgroup on purpose.
 *
 * Invariants:
 *  1. A unit's process is born in its cgroup (clone3 CLONE_INTO_CGROUP), or on kernels
 *     before 5.7 joins it in the child before exec: nothing it runs can start outside it.
 *  2. A unit cgroup holds the processes of that unit only; after its main process exits,
 *     every process left in it is killed (SIGKILL to each in cgroup.procs, twice).
 *  3. Where cgroup2 is missing or not writable, kosd runs without it (process groups only)
 *     and says so once; nothing else changes.
 */
#pragma once

#include <stddef.h>

#include "util/cleanup.h"

typedef struct CgroupTree CgroupTree;

/*
 * Opens (creating it) kosd's cgroup tree for the run directory whose id (device:inode) is
 * id. Returns 0 and *treep, -EOPNOTSUPP if there is no usable cgroup2 hierarchy (no
 * mount, not writable), or another negative errno.
 */
int cgroup_tree_open(CgroupTree **treep, const char *id);

/* Removes the unit cgroups that are empty, and the tree's own if then empty; frees. Accepts
 * NULL; returns NULL. */
CgroupTree *cgroup_tree_free(CgroupTree *tree);

/*
 * Kills every process in every unit cgroup of the tree (left by an earlier kosd on the
 * same run directory) and waits, at most timeout_ms, until they are gone. Returns the
 * number of processes it killed, or a negative errno (-ETIMEDOUT if some remain).
 */
int cgroup_tree_stop_leftovers(CgroupTree *tree, unsigned timeout_ms);

/*
 * Creates the cgroup of unit (if needed) and opens its directory: the fd a child is
 * cloned into (CLONE_INTO_CGROUP). Returns 0 and *dir_fdp (close-on-exec), or -errno.
 */
int cgroup_unit_open(CgroupTree *tree, const char *unit, int *dir_fdp);

/* Sends sig to every process in unit's cgroup (SIGKILL in two passes). Returns how many
 * were signalled in the first, or -errno. */
int cgroup_unit_kill(CgroupTree *tree, const char *unit, int sig);

DEFINE_CLEANUP_FUNC(CgroupTree, cgroup_tree_free)
