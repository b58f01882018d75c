/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The objects that generations and refs need: shared by fsck and gc. Internal to
 * src/store.
 *
 * Invariant: a manifest that cannot be read or parsed contributes only itself (and its
 * signatures) to the set, never a guess at what it would have referenced.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

typedef struct StoreNeed {
        char digest[SHA256_HEX_LEN + 1];
        char *needed_by; /* owned: who needs it: "generation 3 (current), generation 2" (each
                          * generation, in the order added) or, if no generation does,
                          * "refs/latest" (the first ref) */
        bool by_generation; /* needed_by names generations */
        size_t order;    /* position of addition, so sorting keeps the first needed_by */
} StoreNeed;

typedef struct StoreNeedSet {
        StoreNeed *items; /* owned, sorted by digest once store_need_set_sort() ran */
        size_t n_items, allocated;
} StoreNeedSet;

/*
 * Adds everything gen needs: its manifest, signatures and the manifest's objects; current
 * marks it "(current)" where it is named.
 */
int store_need_set_add_generation(StoreNeedSet *set, const Store *store, const StoreGeneration *gen,
                                  bool current);
/* Adds everything refs/name needs. A ref that cannot be read adds nothing. */
int store_need_set_add_ref(StoreNeedSet *set, const Store *store, const char *name);
/* Sorts by digest and merges entries of one digest (see needed_by). 0 or -ENOMEM. */
int store_need_set_sort(StoreNeedSet *set);
/*
 * Adds what gens[i] needs for each i with kept[i] (every i if kept is NULL) and what each
 * ref in refs (a strv) needs, then sorts: the set fsck and gc both judge objects by.
 */
int store_need_set_build(StoreNeedSet *set, const Store *store, const StoreGeneration *gens,
                         size_t n_gens, const bool *kept, char **refs);
/* After sorting: the entry for digest, or NULL. */
const StoreNeed *store_need_set_find(const StoreNeedSet *set, const char *digest);
void store_need_set_done(StoreNeedSet *set);
