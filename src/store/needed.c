// SPDX-License-Identifier: Apache-2.0
/*
 * The set of objects that generations and refs need (see needed.h).
 *
 * Invariant: after store_need_set_sort() each digest appears once, its needed_by naming
 * every generation that needs it, once each, in the order they were added; or, if no
 * generation needs it, the first ref that was added for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "store/needed.h"
#include "util/cleanup.h"
#include "util/strv.h"

static int store_need_set_add(StoreNeedSet *set, const char *digest, const char *needed_by,
                              bool by_generation) {
        StoreNeed *n;

        if (set->n_items == set->allocated) {
                size_t a = set->allocated ? set->allocated * 2 : 64;
                StoreNeed *p = reallocarray(set->items, a, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                set->items = p;
                set->allocated = a;
        }
        n = &set->items[set->n_items];
        snprintf(n->digest, sizeof(n->digest), "%s", digest);
        n->order = set->n_items;
        n->by_generation = by_generation;
        n->needed_by = strdup(needed_by);
        if (!n->needed_by)
                return -ENOMEM;
        set->n_items++;
        return 0;
}

static int store_need_set_add_manifest(StoreNeedSet *set, const Store *store,
                                       const Sha256Digest *manifest, bool has_signatures,
                                       const Sha256Digest *signatures, const char *needed_by,
                                       bool by_generation) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_strv_free_ char **objects = NULL;
        _cleanup_free_ char *dtb = NULL;
        char hex[SHA256_HEX_LEN + 1];
        size_t size;
        int r;

        sha256_to_hex(manifest, hex);
        r = store_need_set_add(set, hex, needed_by, by_generation);
        if (r < 0)
                return r;
        if (has_signatures) {
                char shex[SHA256_HEX_LEN + 1];
                sha256_to_hex(signatures, shex);
                r = store_need_set_add(set, shex, needed_by, by_generation);
                if (r < 0)
                        return r;
        }
        r = store_object_read(store, hex, MANIFEST_MAX_SIZE, &dtb, &size);
        if (r != 0)
                return r < 0 ? r : 0; /* missing or corrupt: reported as the manifest itself */
        if (manifest_parse(&m, dtb, size, NULL) < 0)
                return 0;
        r = manifest_objects(m, &objects);
        if (r < 0)
                return r;
        for (char **o = objects; *o; o++) {
                r = store_need_set_add(set, *o, needed_by, by_generation);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_need_set_add_generation(StoreNeedSet *set, const Store *store, const StoreGeneration *gen,
                                  bool current) {
        char by[48];

        snprintf(by, sizeof(by), "generation %u%s", gen->number, current ? " (current)" : "");
        return store_need_set_add_manifest(set, store, &gen->manifest, gen->has_signatures,
                                           &gen->signatures, by, true);
}

int store_need_set_add_ref(StoreNeedSet *set, const Store *store, const char *name) {
        char by[8 + STORE_REF_NAME_MAX];
        StoreRef ref;

        if (store_ref_read(store, name, &ref) < 0)
                return 0;
        snprintf(by, sizeof(by), "refs/%s", name);
        return store_need_set_add_manifest(set, store, &ref.manifest, ref.has_signatures,
                                           &ref.signatures, by, false);
}

int store_need_set_build(StoreNeedSet *set, const Store *store, const StoreGeneration *gens,
                         size_t n_gens, const bool *kept, char **refs) {
        int r;

        for (size_t i = 0; i < n_gens; i++) {
                if (kept && !kept[i])
                        continue;
                r = store_need_set_add_generation(set, store, &gens[i], false);
                if (r < 0)
                        return r;
        }
        for (char **n = refs; n && *n; n++) {
                r = store_need_set_add_ref(set, store, *n);
                if (r < 0)
                        return r;
        }
        return store_need_set_sort(set);
}

static int store_need_cmp(const void *a, const void *b) {
        const StoreNeed *x = a, *y = b;
        int c = strcmp(x->digest, y->digest);

        if (c != 0)
                return c;
        return x->order < y->order ? -1 : x->order > y->order;
}

/* True if the list "a, b, c" ends with the entry name (entries of one generation are added
 * one after another, so a repeat is always the last one). */
static bool store_need_ends_with(const char *list, const char *name) {
        size_t l = strlen(list), n = strlen(name);

        return l >= n && strcmp(list + l - n, name) == 0 &&
               (l == n || (l >= n + 2 && memcmp(list + l - n - 2, ", ", 2) == 0));
}

/* Adds the generation that next names to kept's list: "generation 3, generation 2". */
static int store_need_merge(StoreNeed *kept, StoreNeed *next) {
        char *joined;

        if (!next->by_generation || !kept->by_generation ||
            store_need_ends_with(kept->needed_by, next->needed_by))
                return 0;
        if (asprintf(&joined, "%s, %s", kept->needed_by, next->needed_by) < 0)
                return -ENOMEM;
        free(kept->needed_by);
        kept->needed_by = joined;
        return 0;
}

int store_need_set_sort(StoreNeedSet *set) {
        size_t out = 0;
        int r = 0;

        if (set->n_items == 0)
                return 0;
        qsort(set->items, set->n_items, sizeof(StoreNeed), store_need_cmp);
        for (size_t i = 0; i < set->n_items; i++) {
                if (out > 0 && strcmp(set->items[out - 1].digest, set->items[i].digest) == 0) {
                        if (r == 0)
                                r = store_need_merge(&set->items[out - 1], &set->items[i]);
                        free(set->items[i].needed_by);
                        continue;
                }
                set->items[out++] = set->items[i];
        }
        set->n_items = out;
        return r;
}

static int store_need_digest_cmp(const void *key, const void *item) {
        return strcmp(key, ((const StoreNeed *)item)->digest);
}

const StoreNeed *store_need_set_find(const StoreNeedSet *set, const char *digest) {
        if (set->n_items == 0)
                return NULL;
        return bsearch(digest, set->items, set->n_items, sizeof(StoreNeed), store_need_digest_cmp);
}

void store_need_set_done(StoreNeedSet *set) {
        for (size_t i = 0; i < set->n_items; i++)
                free(set->items[i].needed_by);
        free(set->items);
        *set = (StoreNeedSet){};
}
