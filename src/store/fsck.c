// SPDX-License-Identifier: Apache-2.0
/*
 * Store verification (see fsck.h).
 *
 * Invariants: read-only; every object file under objects/ is hashed exactly once; worker
 * threads share nothing but an atomic index into the object list and write only their own
 * slots of the verdict array.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/dir.h"
#include "store/fsck.h"
#include "store/needed.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define STORE_FSCK_THREADS_MAX 16U

typedef struct StoreFsckWork {
        const Store *store;
        char **digests;
        size_t n;
        atomic_size_t next;
        int *verdicts;       /* per object: STORE_OK, STORE_E_*, or negative errno */
        uint64_t *sizes;
} StoreFsckWork;

static void *store_fsck_worker(void *userdata) {
        StoreFsckWork *w = userdata;

        for (;;) {
                size_t i = atomic_fetch_add(&w->next, 1);
                if (i >= w->n)
                        break;
                w->verdicts[i] = store_object_verify(w->store, w->digests[i], &w->sizes[i]);
        }
        return NULL;
}

static int store_fsck_strcmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int store_fsck_add_problem(StoreFsckReport *report, const char *digest, int verdict,
                                  const char *needed_by) {
        StoreFsckProblem *p = reallocarray(report->problems, report->n_problems + 1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        report->problems = p;
        p = &report->problems[report->n_problems];
        snprintf(p->digest, sizeof(p->digest), "%s", digest);
        p->verdict = verdict;
        p->needed_by = NULL;
        if (needed_by) {
                p->needed_by = strdup(needed_by);
                if (!p->needed_by)
                        return -ENOMEM;
        }
        report->n_problems++;
        return 0;
}

static bool store_fsck_is_ref(const struct dirent *de) {
        return store_ref_name_is_valid(de->d_name);
}

static bool store_fsck_is_generation(const struct dirent *de) {
        unsigned number;

        return store_generation_name_parse(de->d_name, &number) >= 0;
}

/* Reports every generation or ref file that does not parse. */
static int store_fsck_files(const Store *store, const char *dir, StoreFsckReport *report) {
        bool refs = strcmp(dir, "refs") == 0;
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = store_dir_list_at(store_dirfd(store), dir, refs ? store_fsck_is_ref : store_fsck_is_generation,
                              &names);
        if (r < 0)
                return r;
        for (char **name = names; *name; name++) {
                char path[300];

                if (refs) {
                        StoreRef ref;
                        r = store_ref_read(store, *name, &ref);
                } else {
                        StoreGeneration gen;
                        unsigned number;
                        (void)store_generation_name_parse(*name, &number);
                        r = store_generation_load(store, number, &gen);
                }
                if (r != -EBADMSG)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, *name);
                r = store_fsck_add_problem(report, "", STORE_E_MALFORMED, path);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * What generations and refs need, each object naming every generation that needs it in the
 * order a reader wants: the current generation first, then the others newest first.
 */
static int store_fsck_need_set_build(StoreNeedSet *need, const Store *store, const StoreGeneration *gens,
                                     size_t n_gens, char **refs) {
        unsigned current = 0;
        StoreRef ref;
        int r;

        if (store_ref_read(store, STORE_REF_CURRENT, &ref) >= 0)
                current = ref.generation;
        for (size_t i = 0; i < n_gens; i++)
                if (gens[i].number == current) {
                        r = store_need_set_add_generation(need, store, &gens[i], true);
                        if (r < 0)
                                return r;
                }
        for (size_t i = n_gens; i-- > 0;)
                if (gens[i].number != current) {
                        r = store_need_set_add_generation(need, store, &gens[i], false);
                        if (r < 0)
                                return r;
                }
        for (char **n = refs; n && *n; n++) {
                r = store_need_set_add_ref(need, store, *n);
                if (r < 0)
                        return r;
        }
        return store_need_set_sort(need);
}

int store_fsck(const Store *store, unsigned n_threads, StoreFsckReport *reportp) {
        _cleanup_strv_free_ char **digests = NULL, **refs = NULL;
        _cleanup_free_ StoreGeneration *gens = NULL;
        _cleanup_free_ int *verdicts = NULL;
        _cleanup_free_ uint64_t *sizes = NULL;
        StoreNeedSet need = {};
        StoreFsckReport report = {};
        StoreFsckWork work = {};
        pthread_t threads[STORE_FSCK_THREADS_MAX];
        unsigned started = 0;
        size_t n_gens;
        int r;

        r = store_object_list(store, &digests);
        if (r < 0)
                return r;
        r = store_generation_list(store, &gens, &n_gens);
        if (r < 0)
                return r;
        r = store_ref_list(store, &refs);
        if (r < 0)
                return r;

        work.store = store;
        work.digests = digests;
        work.n = strv_length(digests);
        verdicts = calloc(work.n + 1, sizeof(int));
        sizes = calloc(work.n + 1, sizeof(uint64_t));
        if (!verdicts || !sizes)
                return -ENOMEM;
        work.verdicts = verdicts;
        work.sizes = sizes;
        atomic_init(&work.next, 0);

        if (n_threads == 0)
                n_threads = 1;
        if (n_threads > STORE_FSCK_THREADS_MAX)
                n_threads = STORE_FSCK_THREADS_MAX;
        if (n_threads > work.n)
                n_threads = work.n > 0 ? (unsigned)work.n : 1;
        for (unsigned i = 1; i < n_threads; i++) {
                if (pthread_create(&threads[i], NULL, store_fsck_worker, &work) != 0)
                        break;
                started++;
        }
        store_fsck_worker(&work);
        for (unsigned i = 0; i < started; i++)
                pthread_join(threads[i + 1], NULL);

        r = store_fsck_need_set_build(&need, store, gens, n_gens, refs);
        if (r < 0)
                goto fail;

        for (size_t i = 0; i < work.n; i++) {
                const StoreNeed *n;

                if (verdicts[i] == -ENOMEM) {
                        r = verdicts[i];
                        goto fail;
                }
                report.n_objects++;
                report.n_bytes += sizes[i];
                if (verdicts[i] == STORE_OK)
                        continue;
                n = store_need_set_find(&need, digests[i]);
                r = store_fsck_add_problem(&report, digests[i], verdicts[i], n ? n->needed_by : NULL);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < need.n_items; i++) {
                /* digests is sorted: a needed digest absent from it is missing. */
                const char *d = need.items[i].digest;
                char **hit = work.n == 0 ? NULL : bsearch(&d, digests, work.n, sizeof(char *), store_fsck_strcmp);
                if (hit)
                        continue;
                r = store_fsck_add_problem(&report, d, STORE_E_MISSING, need.items[i].needed_by);
                if (r < 0)
                        goto fail;
        }
        r = store_fsck_files(store, "generations", &report);
        if (r < 0)
                goto fail;
        r = store_fsck_files(store, "refs", &report);
        if (r < 0)
                goto fail;
        store_need_set_done(&need);
        *reportp = report;
        return 0;

fail:
        store_need_set_done(&need);
        store_fsck_report_done(&report);
        return r;
}

void store_fsck_report_done(StoreFsckReport *report) {
        for (size_t i = 0; i < report->n_problems; i++)
                free(report->problems[i].needed_by);
        free(report->problems);
        *report = (StoreFsckReport){};
}
