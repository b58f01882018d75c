// SPDX-License-Identifier: Apache-2.0
/*
 * Chunked downloads (see chunked.h).
 *
 *   open tmp/upgrade.<digest>.part (create or reuse), flock it
 *     │
 *     ▼
 *   KEEP    each chunk the file already holds whole and intact (hashed again) is done
 *     ▼
 *   SEED    each other chunk found among this store's chunks: read, hashed, written
 *     ▼
 *   FETCH   the rest: runs of missing chunks as ranges (closer than the coalescing gap:
 *           one range), up to UPDATE_SOURCE_RANGES_MAX per request; each chunk hashed
 *           when its last byte arrives, written only if it matches
 *     ▼
 *   CHECK   every chunk done (else the source sent less than asked: refused); the whole
 *           file hashes to the digest (else refused, file removed); fsync ──▶ done
 *
 * Invariants:
 *  1. No byte reaches the file before the chunk it belongs to hashed to its digest in the
 *     index; the index itself is never trusted beyond saying where to look.
 *  2. A file is reported complete only when its bytes hashed to the object's digest in
 *     this process (so a lying index can waste bytes, never make a wrong object).
 *  3. Every write and the fsync pass a crash point (util/fault.h), in chunk order: seeds
 *     first, then fetched chunks, so the points of a run are the same on every run.
 *  4. What a crash or a broken transfer leaves is only ever chunks that matched; a rerun
 *     keeps those it finds intact (KEEP) and fetches none of them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/resolve.h"
#include "store/store.h"
#include "update/chunked.h"
#include "update/source-backend.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/strv.h"

/* ---- seeds ---- */

/* A table entry: a chunk (a = object, b = size, c = offset) or a group of chunks
 * (a = list, b = count, c = first chunk); b is never 0 in a used slot. */
typedef struct SeedEntry {
        Sha256Digest digest;
        uint32_t a, b;
        uint64_t c;
} SeedEntry;

/* Open addressing by the digest's first 8 bytes; capacity a power of two, at most half
 * full. */
typedef struct SeedTable {
        SeedEntry *entries; /* owned */
        size_t capacity, n;
} SeedTable;

struct UpdateSeeds {
        char *const *skip;      /* objects not to cut */
        char **objects;         /* owned: this store's objects, when first needed */
        size_t n_objects;
        SeedTable chunks;       /* chunk digest -> where in which object */
        SeedTable groups;       /* group digest -> which chunks of which list */
        StoreChunkIndex **lists; /* owned: the chunks of each object cut, per parameters */
        size_t n_lists;
        StoreChunkParams *done; /* owned: the parameters already cut with */
        size_t n_done;
        uint64_t bytes_read;
};

UpdateSeeds *update_seeds_new(char *const *skip) {
        UpdateSeeds *seeds = calloc(1, sizeof(UpdateSeeds));

        if (seeds)
                seeds->skip = skip;
        return seeds;
}

UpdateSeeds *update_seeds_free(UpdateSeeds *seeds) {
        if (!seeds)
                return NULL;
        for (size_t i = 0; i < seeds->n_objects; i++)
                free(seeds->objects[i]);
        free(seeds->objects);
        for (size_t i = 0; i < seeds->n_lists; i++)
                store_chunk_index_free(seeds->lists[i]);
        free(seeds->lists);
        free(seeds->chunks.entries);
        free(seeds->groups.entries);
        free(seeds->done);
        free(seeds);
        return NULL;
}

uint64_t update_seeds_bytes_read(const UpdateSeeds *seeds) {
        return seeds->bytes_read;
}

static uint64_t digest_key(const Sha256Digest *d) {
        uint64_t k;

        memcpy(&k, d->bytes, sizeof(k));
        return k;
}

static const SeedEntry *table_find(const SeedTable *t, const Sha256Digest *d) {
        if (t->capacity == 0)
                return NULL;
        for (size_t i = digest_key(d) & (t->capacity - 1);; i = (i + 1) & (t->capacity - 1)) {
                const SeedEntry *e = &t->entries[i];

                if (e->b == 0)
                        return NULL;
                if (sha256_equal(&e->digest, d))
                        return e;
        }
}

static void table_put(SeedEntry *entries, size_t capacity, const SeedEntry *e) {
        size_t i;

        for (i = digest_key(&e->digest) & (capacity - 1); entries[i].b; i = (i + 1) & (capacity - 1))
                ;
        entries[i] = *e;
}

/* Adds e unless its digest is there already (the first place found is as good). */
static int table_add(SeedTable *t, const SeedEntry *e) {
        if (table_find(t, &e->digest))
                return 0;
        if ((t->n + 1) * 2 > t->capacity) {
                size_t capacity = t->capacity ? t->capacity * 2 : 1024;
                SeedEntry *entries = calloc(capacity, sizeof(*entries));

                if (!entries)
                        return -ENOMEM;
                for (size_t j = 0; j < t->capacity; j++)
                        if (t->entries[j].b)
                                table_put(entries, capacity, &t->entries[j]);
                free(t->entries);
                t->entries = entries;
                t->capacity = capacity;
        }
        table_put(t->entries, t->capacity, e);
        t->n++;
        return 0;
}

static bool params_equal(const StoreChunkParams *a, const StoreChunkParams *b) {
        return a->min == b->min && a->average == b->average && a->max == b->max;
}

/* True if seeds may be cut with params: not so small that this store's objects make
 * millions of seeds, and not one set too many (each set cuts every seed object again). */
static bool seeds_accept_params(const UpdateSeeds *seeds, const StoreChunkParams *params) {
        for (size_t i = 0; i < seeds->n_done; i++)
                if (params_equal(&seeds->done[i], params))
                        return true;
        return params->average >= UPDATE_CHUNKED_AVERAGE_MIN && seeds->n_done < UPDATE_CHUNKED_PARAMS_MAX;
}

/* Records the chunks and groups of one object's chunk list (object o), keeping the list. */
static int seeds_add_list(UpdateSeeds *seeds, uint32_t o, StoreChunkIndex **listp) {
        _cleanup_free_ StoreChunkGroup *groups = NULL;
        StoreChunkIndex *list = *listp, **lists;
        size_t n_groups;
        int r;

        lists = reallocarray(seeds->lists, seeds->n_lists + 1, sizeof(*lists));
        if (!lists)
                return -ENOMEM;
        seeds->lists = lists;
        seeds->lists[seeds->n_lists] = steal_ptr(listp);
        for (size_t c = 0; c < list->n_chunks; c++) {
                SeedEntry e = { .digest = list->chunks[c].digest, .a = o, .b = list->chunks[c].size,
                                .c = list->chunks[c].offset };

                r = table_add(&seeds->chunks, &e);
                if (r < 0)
                        return r;
        }
        r = store_chunk_groups_compute(list->chunks, list->n_chunks, &groups, &n_groups);
        if (r < 0)
                return r;
        for (size_t g = 0; g < n_groups; g++) {
                SeedEntry e = { .digest = groups[g].digest, .a = (uint32_t)seeds->n_lists, .b = groups[g].count,
                                .c = groups[g].first };

                r = table_add(&seeds->groups, &e);
                if (r < 0)
                        return r;
        }
        seeds->n_lists++;
        return 0;
}

/* Cuts the objects of the store (but those to skip) with params, once per set of
 * parameters. An object that cannot be read only gives no seeds: chunks are checked
 * again on use. */
static int seeds_prepare(UpdateSeeds *seeds, const Store *store, const StoreChunkParams *params) {
        StoreChunkParams *done;
        int r;

        for (size_t i = 0; i < seeds->n_done; i++)
                if (params_equal(&seeds->done[i], params))
                        return 0;
        if (!seeds->objects) {
                r = store_object_list(store, &seeds->objects);
                if (r < 0)
                        return r;
                while (seeds->objects[seeds->n_objects])
                        seeds->n_objects++;
        }
        for (size_t o = 0; o < seeds->n_objects; o++) {
                _cleanup_(store_chunk_index_freep) StoreChunkIndex *list = NULL;
                char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];
                _cleanup_close_ int fd = -1;

                if (seeds->skip && strv_contains(seeds->skip, seeds->objects[o]))
                        continue;
                if (store_object_relative_path(seeds->objects[o], rel) < 0 || fault_read_check(rel) < 0)
                        continue;
                fd = store_resolve_open(store_dirfd(store), rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
                if (fd < 0)
                        continue;
                if (store_chunk_index_build_fd(fd, params, STORE_CHUNK_INDEX_BUILD_NO_OBJECT_DIGEST, &list) < 0)
                        continue;
                seeds->bytes_read += list->object_size;
                r = seeds_add_list(seeds, (uint32_t)o, &list);
                if (r < 0)
                        return r;
        }
        done = reallocarray(seeds->done, seeds->n_done + 1, sizeof(*done));
        if (!done)
                return -ENOMEM;
        seeds->done = done;
        seeds->done[seeds->n_done++] = *params;
        return 0;
}

/* ---- the index, fetched in parts ---- */

/* Bytes of the index file as they arrive, at their offsets; grows up to the bound. */
typedef struct IndexBuffer {
        uint8_t *data; /* owned */
        size_t allocated;
        size_t prefix; /* bytes received contiguously from offset 0 */
} IndexBuffer;

static int index_buffer_sink(uint64_t offset, const void *data, size_t size, void *userdata) {
        IndexBuffer *b = userdata;

        if (offset >= STORE_CHUNK_INDEX_MAX_SIZE || size > STORE_CHUNK_INDEX_MAX_SIZE - offset)
                return 0; /* past any index: not ours to keep */
        if (offset + size > b->allocated) {
                size_t n = b->allocated ? b->allocated : 65536;
                uint8_t *p;

                while (n < offset + size)
                        n *= 2;
                p = realloc(b->data, n);
                if (!p)
                        return -ENOMEM;
                memset(p + b->allocated, 0, n - b->allocated);
                b->data = p;
                b->allocated = n;
        }
        memcpy(b->data + offset, data, size);
        if (offset <= b->prefix && offset + size > b->prefix)
                b->prefix = (size_t)(offset + size);
        return 0;
}

/* Fetches ranges of the index into b, in requests of at most UPDATE_SOURCE_RANGES_MAX. */
static int index_fetch(UpdateSource *source, const char *path, const UpdateRange *ranges, size_t n, IndexBuffer *b) {
        for (size_t i = 0; i < n; i += UPDATE_SOURCE_RANGES_MAX) {
                size_t k = n - i < UPDATE_SOURCE_RANGES_MAX ? n - i : UPDATE_SOURCE_RANGES_MAX;
                int r = update_source_fetch_ranges(source, path, ranges + i, k, STORE_CHUNK_INDEX_MAX_SIZE,
                                                   index_buffer_sink, b);

                if (r < 0)
                        return r;
        }
        return 0;
}

int update_chunked_fetch_index(const Store *store, UpdateSource *source, const char *digest, UpdateSeeds *seeds,
                               StoreChunkIndex **indexp) {
        char path[STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE];
        _cleanup_free_ StoreChunkGroup *groups = NULL;
        _cleanup_free_ const uint8_t **entries = NULL;
        _cleanup_free_ UpdateRange *ranges = NULL;
        _cleanup_free_ uint8_t *local = NULL;
        _cleanup_free_ uint8_t *buffer_data = NULL;
        IndexBuffer b = {};
        StoreChunkIndexHeader h;
        Sha256Digest expected;
        uint64_t entries_offset, file_size;
        size_t n_ranges = 0, n_local = 0, bad = 0;
        UpdateRange first = { 0, UPDATE_CHUNKED_INDEX_FIRST - 1 };
        int r;

        r = sha256_from_hex(digest, &expected);
        if (r < 0)
                return r;
        r = store_chunk_index_relative_path(digest, path);
        if (r < 0)
                return r;

        /* 1. The first bytes: the header, the table, and for a small index all of it. */
        r = index_fetch(source, path, &first, 1, &b);
        buffer_data = b.data;
        if (r == -ENOENT)
                return 0;
        if (r == -ERANGE)
                return update_source_fail(source, -EPROTO, "%s: empty", path);
        if (r < 0)
                return r;
        r = store_chunk_index_parse_header(b.data, b.prefix, &h);
        if (r == -EPROTONOSUPPORT)
                return 0; /* a later format: the object comes whole */
        if (r < 0)
                return update_source_fail(source, -EPROTO, "%s: malformed", path);
        if (!sha256_equal(&h.object, &expected))
                return update_source_fail(source, -EPROTO, "%s: the index of another object", path);
        entries_offset = store_chunk_index_entries_offset(&h);
        file_size = store_chunk_index_file_size(&h);
        if (b.prefix > file_size)
                return update_source_fail(source, -EPROTO, "%s: longer than its header says", path);
        if (!seeds_accept_params(seeds, &h.params))
                return 0; /* chunks too small to cut this store into, or too many kinds: whole */

        /* 2. The rest of the group table, if the first bytes did not hold it. */
        if (b.prefix < entries_offset) {
                UpdateRange rest = { b.prefix, entries_offset - 1 };

                r = index_fetch(source, path, &rest, 1, &b);
                buffer_data = b.data;
                if (r < 0)
                        return r;
                if (b.prefix < entries_offset)
                        return update_source_fail(source, -EPROTO, "%s: the source did not send its group table", path);
        }
        r = store_chunk_index_parse_groups(&h, b.data + STORE_CHUNK_INDEX_HEADER_SIZE, &groups);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return update_source_fail(source, -EPROTO, "%s: malformed group table", path);

        /* 3. Each group's entries: received already, known from seeds, or to fetch. */
        r = seeds_prepare(seeds, store, &h.params);
        if (r < 0)
                return r;
        entries = calloc(h.n_groups ? h.n_groups : 1, sizeof(*entries));
        ranges = calloc(h.n_groups ? h.n_groups : 1, sizeof(*ranges));
        local = malloc((size_t)h.n_chunks * STORE_CHUNK_INDEX_ENTRY_SIZE + 1);
        if (!entries || !ranges || !local)
                return -ENOMEM;
        for (uint32_t g = 0; g < h.n_groups; g++) {
                uint64_t start = entries_offset + (uint64_t)groups[g].first * STORE_CHUNK_INDEX_ENTRY_SIZE;
                uint64_t end = start + (uint64_t)groups[g].count * STORE_CHUNK_INDEX_ENTRY_SIZE;
                const SeedEntry *e;

                if (end <= b.prefix)
                        continue; /* arrived with the first bytes */
                e = table_find(&seeds->groups, &groups[g].digest);
                if (e && e->b == groups[g].count) {
                        const StoreChunkIndex *list = seeds->lists[e->a];
                        uint8_t *dst = local + n_local * STORE_CHUNK_INDEX_ENTRY_SIZE;

                        for (uint32_t i = 0; i < e->b; i++)
                                store_chunk_entry_format(dst + (size_t)i * STORE_CHUNK_INDEX_ENTRY_SIZE,
                                                         &list->chunks[e->c + i]);
                        entries[g] = dst;
                        n_local += e->b;
                        continue;
                }
                if (n_ranges > 0 && ranges[n_ranges - 1].last + 1 == start)
                        ranges[n_ranges - 1].last = end - 1;
                else
                        ranges[n_ranges++] = (UpdateRange){ start, end - 1 };
        }
        if (n_ranges > 0) {
                r = index_fetch(source, path, ranges, n_ranges, &b);
                buffer_data = b.data;
                if (r < 0)
                        return r;
        }
        if (b.allocated < file_size) {
                /* Room for every entry, so a range never sent reads as zeros, not past the end. */
                r = index_buffer_sink(file_size - 1, "", 1, &b);
                buffer_data = b.data;
                if (r < 0)
                        return r;
        }
        for (uint32_t g = 0; g < h.n_groups; g++)
                if (!entries[g])
                        entries[g] = b.data + entries_offset + (size_t)groups[g].first * STORE_CHUNK_INDEX_ENTRY_SIZE;

        /* 4. Every group checked against the table, then the chunks against the object. */
        r = store_chunk_index_assemble(&h, groups, entries, indexp, &bad);
        if (r == -EBADMSG)
                return update_source_fail(source, -EPROTO, "%s: malformed (group %zu of %" PRIu32 " does not match its table entry, "
                                          "or the chunks do not add up to the object)", path, bad + 1, h.n_groups);
        if (r < 0)
                return r;
        return 1;
}

/* ---- assembling ---- */

typedef struct Assembly {
        const StoreChunkIndex *index;
        UpdateSource *source;
        const char *source_path;
        int fd;
        const char *path;  /* for crash-point logs */
        bool *done;        /* owned: per chunk */
        uint8_t *buf;      /* owned: one chunk, params.max bytes */
        size_t current;    /* the chunk being received, n_chunks if none */
        uint32_t filled;   /* its bytes in buf */
        UpdateProgress *progress;
        uint64_t received; /* bytes of the object the source sent */
} Assembly;

static void assembly_done(Assembly *a) {
        free(a->done);
        free(a->buf);
}

/* Writes a checked chunk at its offset. */
static int assembly_write(Assembly *a, size_t c, const void *data) {
        const StoreChunk *chunk = &a->index->chunks[c];
        int r;

        if (lseek(a->fd, (off_t)chunk->offset, SEEK_SET) < 0)
                return -errno;
        r = fault_write(a->fd, data, chunk->size, a->path);
        if (r < 0)
                return r;
        a->done[c] = true;
        return 0;
}

static bool chunk_matches(const StoreChunk *chunk, const void *data) {
        Sha256Digest got;

        return sha256_buffer(data, chunk->size, &got) == 0 && sha256_equal(&got, &chunk->digest);
}

/* The chunk holding offset (the index's chunks are contiguous and sorted). */
static size_t chunk_at(const StoreChunkIndex *index, uint64_t offset) {
        size_t lo = 0, hi = index->n_chunks;

        while (lo + 1 < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (index->chunks[mid].offset <= offset)
                        lo = mid;
                else
                        hi = mid;
        }
        return lo;
}

/* Bytes of the object from the source, at offset: collected chunk by chunk, each written
 * once whole and matching. Bytes of chunks already done, or of a chunk whose start did not
 * come first, are dropped (invariant 1). */
static int assembly_sink(uint64_t offset, const void *data, size_t size, void *userdata) {
        Assembly *a = userdata;
        const StoreChunkIndex *index = a->index;
        const uint8_t *p = data;
        int r;

        a->received += size;
        if (a->progress)
                update_progress_bytes(a->progress, size);
        while (size > 0) {
                const StoreChunk *chunk;
                size_t c, n;
                uint64_t within;

                if (offset >= index->object_size)
                        return 0; /* past the end: nothing to do with it */
                if (a->current < index->n_chunks &&
                    offset == index->chunks[a->current].offset + a->filled)
                        c = a->current;
                else {
                        c = chunk_at(index, offset);
                        a->current = c;
                        a->filled = 0;
                }
                chunk = &index->chunks[c];
                within = offset - chunk->offset;
                n = chunk->size - within < size ? (size_t)(chunk->size - within) : size;
                if (a->done[c] || within != a->filled) {
                        /* Done already, or joined midway: not ours to check. */
                        a->current = index->n_chunks;
                        a->filled = 0;
                } else {
                        memcpy(a->buf + a->filled, p, n);
                        a->filled += (uint32_t)n;
                        if (a->filled == chunk->size) {
                                if (!chunk_matches(chunk, a->buf))
                                        return update_source_fail(a->source, -EPROTO,
                                                                  "%s: bytes %" PRIu64 "-%" PRIu64
                                                                  " do not match their chunk's digest in the chunk index",
                                                                  a->source_path, chunk->offset,
                                                                  chunk->offset + chunk->size - 1);
                                r = assembly_write(a, c, a->buf);
                                if (r < 0)
                                        return r;
                                a->current = c + 1;
                                a->filled = 0;
                        }
                }
                offset += n;
                p += n;
                size -= n;
        }
        return 0;
}

/* KEEP: marks the chunks the file already holds intact; returns their bytes in *keptp. */
static int assembly_keep(Assembly *a, uint64_t file_size, uint64_t *keptp) {
        uint64_t kept = 0;

        for (size_t c = 0; c < a->index->n_chunks; c++) {
                const StoreChunk *chunk = &a->index->chunks[c];
                ssize_t n;

                if (chunk->offset + chunk->size > file_size)
                        break;
                n = pread(a->fd, a->buf, chunk->size, (off_t)chunk->offset);
                if (n < 0)
                        return -errno;
                if ((size_t)n == chunk->size && chunk_matches(chunk, a->buf)) {
                        a->done[c] = true;
                        kept += chunk->size;
                }
        }
        *keptp = kept;
        return 0;
}

/* SEED: copies the chunks found among this store's objects; returns their bytes. */
static int assembly_seed(Assembly *a, const Store *store, UpdateSeeds *seeds, uint64_t *reusedp) {
        _cleanup_close_ int fd = -1;
        uint32_t open_object = UINT32_MAX;
        uint64_t reused = 0;
        int r;

        r = seeds_prepare(seeds, store, &a->index->params);
        if (r < 0)
                return r;
        for (size_t c = 0; c < a->index->n_chunks; c++) {
                const StoreChunk *chunk = &a->index->chunks[c];
                const SeedEntry *e;
                ssize_t n;

                if (a->done[c])
                        continue;
                e = table_find(&seeds->chunks, &chunk->digest);
                if (!e || e->b != chunk->size)
                        continue;
                if (e->a != open_object) {
                        char rel[STORE_OBJECT_RELATIVE_PATH_SIZE];

                        if (fd >= 0)
                                close(fd);
                        fd = -1;
                        open_object = e->a;
                        if (store_object_relative_path(seeds->objects[e->a], rel) < 0 || fault_read_check(rel) < 0)
                                continue;
                        fd = store_resolve_open(store_dirfd(store), rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
                }
                if (fd < 0)
                        continue; /* gone since: fetched instead */
                n = pread(fd, a->buf, chunk->size, (off_t)e->c);
                if (n != (ssize_t)chunk->size || !chunk_matches(chunk, a->buf))
                        continue; /* changed or damaged since: fetched instead */
                r = assembly_write(a, c, a->buf);
                if (r < 0)
                        return r;
                reused += chunk->size;
        }
        *reusedp = reused;
        return 0;
}

/* FETCH: the missing chunks as ranges, a batch of requests. */
static int assembly_fetch(Assembly *a) {
        const StoreChunkIndex *index = a->index;
        UpdateRange ranges[UPDATE_SOURCE_RANGES_MAX];
        size_t n = 0;
        int r;

        for (size_t c = 0; c <= index->n_chunks; c++) {
                bool flush = c == index->n_chunks;

                if (!flush && !a->done[c]) {
                        const StoreChunk *chunk = &index->chunks[c];
                        uint64_t last = chunk->offset + chunk->size - 1;

                        if (n > 0 && chunk->offset <= ranges[n - 1].last + 1 + UPDATE_CHUNKED_COALESCE_GAP)
                                ranges[n - 1].last = last;
                        else {
                                if (n == UPDATE_SOURCE_RANGES_MAX) {
                                        r = update_source_fetch_ranges(a->source, a->source_path, ranges, n,
                                                                       index->object_size, assembly_sink, a);
                                        a->current = index->n_chunks;
                                        if (r < 0)
                                                return r;
                                        n = 0;
                                }
                                ranges[n++] = (UpdateRange){ chunk->offset, last };
                        }
                }
                if (flush && n > 0) {
                        r = update_source_fetch_ranges(a->source, a->source_path, ranges, n, index->object_size,
                                                       assembly_sink, a);
                        a->current = index->n_chunks;
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int file_hashes_to(int fd, const Sha256Digest *expected, uint64_t size) {
        Sha256Digest got;
        uint64_t hashed = 0;
        int r;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        r = sha256_fd(fd, &got, &hashed);
        if (r < 0)
                return r;
        return hashed == size && sha256_equal(&got, expected);
}

int update_chunked_download(const Store *store, UpdateSource *source, const char *digest, const StoreChunkIndex *index,
                            uint64_t max_size, UpdateSeeds *seeds, UpdateProgress *progress, UpdateDownload *downloadp) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int tmpfd = -1, fd = -1;
        _cleanup_(assembly_done) Assembly a = {};
        char source_path[STORE_OBJECT_RELATIVE_PATH_SIZE];
        const char *name;
        Sha256Digest expected;
        uint64_t kept = 0, reused = 0;
        struct stat st;
        int r;

        r = sha256_from_hex(digest, &expected);
        if (r < 0)
                return r;
        r = store_object_relative_path(digest, source_path);
        if (r < 0)
                return r;
        if (!sha256_equal(&index->object, &expected))
                return update_source_fail(source, -EPROTO, "%s: its chunk index describes another object", source_path);
        if (index->object_size > max_size)
                return update_source_fail(source, -EFBIG, "%s: its chunk index names %" PRIu64 " bytes, more than allowed",
                                          source_path, index->object_size);
        r = update_download_open(store, digest, &path, &tmpfd, &fd);
        if (r < 0)
                return r;
        name = strrchr(path, '/') + 1;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EPROTO;

        a = (Assembly){
                .index = index,
                .source = source,
                .source_path = source_path,
                .fd = fd,
                .path = path,
                .done = calloc(index->n_chunks ? index->n_chunks : 1, sizeof(bool)),
                .buf = malloc(index->params.max),
                .current = index->n_chunks,
                .progress = progress,
        };
        if (!a.done || !a.buf)
                return -ENOMEM;

        if ((uint64_t)st.st_size > index->object_size) {
                if (ftruncate(fd, 0) < 0)
                        return -errno;
                st.st_size = 0;
        }
        r = assembly_keep(&a, (uint64_t)st.st_size, &kept);
        if (r < 0)
                return r;
        if (progress)
                progress->object_bytes = kept;
        r = assembly_seed(&a, store, seeds, &reused);
        if (r < 0)
                return r;
        if (progress)
                update_progress_bytes(progress, reused);
        r = assembly_fetch(&a);
        if (r == -ERANGE)
                return update_source_fail(source, -EPROTO, "%s: the source's file is shorter than its chunk index says",
                                          source_path);
        if (r < 0)
                return r;

        for (size_t c = 0; c < index->n_chunks; c++)
                if (!a.done[c])
                        return update_source_fail(source, -EPROTO,
                                                  "%s: the source did not send bytes %" PRIu64 "-%" PRIu64 " it was asked for",
                                                  source_path, index->chunks[c].offset,
                                                  index->chunks[c].offset + index->chunks[c].size - 1);
        if (ftruncate(fd, (off_t)index->object_size) < 0) /* an empty object has no chunk to write */
                return -errno;
        r = file_hashes_to(fd, &expected, index->object_size);
        if (r < 0)
                return r;
        if (r == 0) {
                (void)unlinkat(tmpfd, name, 0);
                return -EBADMSG;
        }
        r = fault_fsync(fd, path);
        if (r < 0)
                return r;
        *downloadp = (UpdateDownload){
                .path = steal_ptr(&path),
                .size = index->object_size,
                .resumed = kept,
                .received = a.received,
                .reused = reused,
                .chunked = true,
        };
        return 0;
}
