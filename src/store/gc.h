/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Garbage collection: removes generations no longer kept and objects nothing kept needs.
 *
 * Kept: every pending generation, the current one (refs/current), the last `keep` good
 * ones by number, the generation the last boot select chose (refs/booted), and everything any ref
 * points at (a store also serves upgrades). Bad generations and older good ones are
 * removed first, then unreferenced objects, then stale store.* files in tmp/. A crash at
 * any point leaves garbage that the next gc removes, never a kept generation without its
 * objects.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define STORE_GC_KEEP_DEFAULT 2U

typedef struct Store Store;

typedef struct StoreGcStats {
        size_t n_generations_removed;
        size_t n_objects_removed;
        uint64_t n_bytes_freed;
} StoreGcStats;

/* Needs a store opened with STORE_OPEN_WRITE. statsp may be NULL. */
int store_gc(Store *store, unsigned keep, StoreGcStats *statsp);
