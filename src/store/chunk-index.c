// SPDX-License-Identifier: Apache-2.0
/*
 * Chunk indexes: building, formatting, parsing (untrusted input) and keeping them in the
 * store's chunks/ directory.
 *
 * Invariants:
 *  1. The parser reads nothing past data + size, and only ever returns an index that
 *     keeps the invariants of chunk-index.h (it is fuzzed: fuzz/fuzz-chunk-index.c).
 *  2. An index file appears in chunks/ only complete: written in tmp/, fsynced, renamed,
 *     the directory fsynced (store_replace_file()); chunks/ itself is created durably
 *     (mkdir, fsync of the store directory) before anything is renamed into it.
 *  3. An index is written only for an object whose bytes hashed to its name while they
 *     were chunked.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/chunk-index.h"
#include "store/dir.h"
#include "store/resolve.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fault.h"
#include "util/hex.h"
#include "util/strv.h"

#define CHUNK_INDEX_DIR "chunks"

StoreChunkIndex *store_chunk_index_free(StoreChunkIndex *index) {
        if (!index)
                return NULL;
        free(index->chunks);
        free(index);
        return NULL;
}

int store_chunk_index_relative_path(const char *digest, char buf[static STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE]) {
        if (!hex_is_sha256(digest))
                return -EINVAL;
        snprintf(buf, STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE, CHUNK_INDEX_DIR "/%s" STORE_CHUNK_INDEX_SUFFIX, digest);
        return 0;
}

static uint32_t get32(const uint8_t *p) {
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        return le32toh(v);
}

static uint64_t get64(const uint8_t *p) {
        uint64_t v;

        memcpy(&v, p, sizeof(v));
        return le64toh(v);
}

static void put32(uint8_t *p, uint32_t v) {
        v = htole32(v);
        memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v) {
        v = htole64(v);
        memcpy(p, &v, sizeof(v));
}

int store_chunk_index_parse_header(const void *data, size_t size, StoreChunkIndexHeader *headerp) {
        const uint8_t *p = data;
        StoreChunkIndexHeader h = {};

        if (size < STORE_CHUNK_INDEX_HEADER_SIZE || memcmp(p, STORE_CHUNK_INDEX_MAGIC, 8) != 0)
                return -EBADMSG;
        if (get32(p + 8) != STORE_CHUNK_INDEX_VERSION)
                return -EPROTONOSUPPORT;
        if (get32(p + 12) != 0 || get32(p + 76) != 0)
                return -EBADMSG;
        memcpy(h.object.bytes, p + 16, SHA256_DIGEST_SIZE);
        h.object_size = get64(p + 48);
        h.params = (StoreChunkParams){ .min = get32(p + 56), .average = get32(p + 60), .max = get32(p + 64) };
        h.n_chunks = get32(p + 68);
        h.n_groups = get32(p + 72);
        if (!store_chunk_params_are_valid(&h.params))
                return -EBADMSG;
        if ((h.n_chunks == 0) != (h.object_size == 0) || (h.n_groups == 0) != (h.n_chunks == 0) ||
            h.n_groups > h.n_chunks)
                return -EBADMSG;
        if (store_chunk_index_file_size(&h) > STORE_CHUNK_INDEX_MAX_SIZE)
                return -EBADMSG;
        *headerp = h;
        return 0;
}

uint64_t store_chunk_index_entries_offset(const StoreChunkIndexHeader *h) {
        return STORE_CHUNK_INDEX_HEADER_SIZE + (uint64_t)h->n_groups * STORE_CHUNK_INDEX_ENTRY_SIZE;
}

uint64_t store_chunk_index_file_size(const StoreChunkIndexHeader *h) {
        return store_chunk_index_entries_offset(h) + (uint64_t)h->n_chunks * STORE_CHUNK_INDEX_ENTRY_SIZE;
}

int store_chunk_index_parse_groups(const StoreChunkIndexHeader *h, const void *table, StoreChunkGroup **groupsp) {
        _cleanup_free_ StoreChunkGroup *groups = NULL;
        const uint8_t *p = table;
        uint64_t first = 0;

        groups = calloc(h->n_groups ? h->n_groups : 1, sizeof(*groups));
        if (!groups)
                return -ENOMEM;
        for (uint32_t g = 0; g < h->n_groups; g++) {
                const uint8_t *e = p + (size_t)g * STORE_CHUNK_INDEX_ENTRY_SIZE;

                groups[g].count = get32(e);
                if (groups[g].count == 0 || groups[g].count > STORE_CHUNK_GROUP_MAX || groups[g].count > h->n_chunks - first)
                        return -EBADMSG;
                groups[g].first = (uint32_t)first;
                memcpy(groups[g].digest.bytes, e + 4, SHA256_DIGEST_SIZE);
                first += groups[g].count;
        }
        if (first != h->n_chunks)
                return -EBADMSG;
        *groupsp = steal_ptr(&groups);
        return 0;
}

int store_chunk_index_assemble(const StoreChunkIndexHeader *h, const StoreChunkGroup *groups,
                               const uint8_t *const *entries, StoreChunkIndex **indexp, size_t *group_badp) {
        _cleanup_(store_chunk_index_freep) StoreChunkIndex *index = NULL;
        uint64_t offset = 0;
        int r;

        index = calloc(1, sizeof(*index));
        if (!index)
                return -ENOMEM;
        index->object = h->object;
        index->object_size = h->object_size;
        index->params = h->params;
        if (h->n_chunks > 0) {
                index->chunks = calloc(h->n_chunks, sizeof(*index->chunks));
                if (!index->chunks)
                        return -ENOMEM;
        }
        for (uint32_t g = 0; g < h->n_groups; g++) {
                Sha256Digest got;

                r = sha256_buffer(entries[g], (size_t)groups[g].count * STORE_CHUNK_INDEX_ENTRY_SIZE, &got);
                if (r < 0)
                        return r;
                if (!sha256_equal(&got, &groups[g].digest)) {
                        if (group_badp)
                                *group_badp = g;
                        return -EBADMSG;
                }
                for (uint32_t i = 0; i < groups[g].count; i++) {
                        const uint8_t *e = entries[g] + (size_t)i * STORE_CHUNK_INDEX_ENTRY_SIZE;
                        StoreChunk *c = &index->chunks[groups[g].first + i];

                        c->size = get32(e);
                        if (c->size == 0 || c->size > h->params.max || c->size > h->object_size - offset)
                                return -EBADMSG;
                        c->offset = offset;
                        memcpy(c->digest.bytes, e + 4, SHA256_DIGEST_SIZE);
                        offset += c->size;
                }
        }
        if (offset != h->object_size)
                return -EBADMSG;
        index->n_chunks = h->n_chunks;
        *indexp = steal_ptr(&index);
        return 0;
}

int store_chunk_index_parse(const void *data, size_t size, StoreChunkIndex **indexp) {
        _cleanup_free_ StoreChunkGroup *groups = NULL;
        _cleanup_free_ const uint8_t **entries = NULL;
        StoreChunkIndexHeader h;
        const uint8_t *p = data;
        int r;

        r = store_chunk_index_parse_header(data, size, &h);
        if (r < 0)
                return r;
        if (store_chunk_index_file_size(&h) != size)
                return -EBADMSG;
        r = store_chunk_index_parse_groups(&h, p + STORE_CHUNK_INDEX_HEADER_SIZE, &groups);
        if (r < 0)
                return r;
        entries = calloc(h.n_groups ? h.n_groups : 1, sizeof(*entries));
        if (!entries)
                return -ENOMEM;
        for (uint32_t g = 0; g < h.n_groups; g++)
                entries[g] = p + store_chunk_index_entries_offset(&h) + (size_t)groups[g].first * STORE_CHUNK_INDEX_ENTRY_SIZE;
        return store_chunk_index_assemble(&h, groups, entries, indexp, NULL);
}

void store_chunk_entry_format(uint8_t entry[static STORE_CHUNK_INDEX_ENTRY_SIZE], const StoreChunk *chunk) {
        put32(entry, chunk->size);
        memcpy(entry + 4, chunk->digest.bytes, SHA256_DIGEST_SIZE);
}

static bool chunk_ends_group(const StoreChunk *chunk) {
        uint16_t v = (uint16_t)(chunk->digest.bytes[0] | chunk->digest.bytes[1] << 8);

        return v % STORE_CHUNK_GROUP_AVERAGE == 0;
}

int store_chunk_groups_compute(const StoreChunk *chunks, size_t n, StoreChunkGroup **groupsp, size_t *n_groupsp) {
        _cleanup_(sha256_freep) Sha256 *hash = NULL;
        _cleanup_free_ StoreChunkGroup *groups = NULL;
        size_t n_groups = 0, allocated = 0, start = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                uint8_t entry[STORE_CHUNK_INDEX_ENTRY_SIZE];

                if (!hash) {
                        hash = sha256_new();
                        if (!hash)
                                return -ENOMEM;
                }
                store_chunk_entry_format(entry, &chunks[i]);
                r = sha256_update(hash, entry, sizeof(entry));
                if (r < 0)
                        return r;
                if (!chunk_ends_group(&chunks[i]) && i + 1 - start < STORE_CHUNK_GROUP_MAX && i + 1 < n)
                        continue;
                if (n_groups == allocated) {
                        size_t k = allocated ? allocated * 2 : 16;
                        StoreChunkGroup *g = reallocarray(groups, k, sizeof(*g));

                        if (!g)
                                return -ENOMEM;
                        groups = g;
                        allocated = k;
                }
                groups[n_groups] = (StoreChunkGroup){ .first = (uint32_t)start, .count = (uint32_t)(i + 1 - start) };
                r = sha256_final(hash, &groups[n_groups].digest);
                if (r < 0)
                        return r;
                hash = sha256_free(hash);
                n_groups++;
                start = i + 1;
        }
        *groupsp = steal_ptr(&groups);
        *n_groupsp = n_groups;
        return 0;
}

int store_chunk_index_format(const StoreChunkIndex *index, void **datap, size_t *sizep) {
        _cleanup_free_ StoreChunkGroup *groups = NULL;
        size_t n_groups, size;
        uint8_t *p;
        int r;

        if (index->n_chunks > (STORE_CHUNK_INDEX_MAX_SIZE - STORE_CHUNK_INDEX_HEADER_SIZE) / STORE_CHUNK_INDEX_ENTRY_SIZE)
                return -EFBIG;
        r = store_chunk_groups_compute(index->chunks, index->n_chunks, &groups, &n_groups);
        if (r < 0)
                return r;
        size = STORE_CHUNK_INDEX_HEADER_SIZE + (n_groups + index->n_chunks) * STORE_CHUNK_INDEX_ENTRY_SIZE;
        if (size > STORE_CHUNK_INDEX_MAX_SIZE)
                return -EFBIG;
        p = calloc(1, size);
        if (!p)
                return -ENOMEM;
        memcpy(p, STORE_CHUNK_INDEX_MAGIC, 8);
        put32(p + 8, STORE_CHUNK_INDEX_VERSION);
        memcpy(p + 16, index->object.bytes, SHA256_DIGEST_SIZE);
        put64(p + 48, index->object_size);
        put32(p + 56, index->params.min);
        put32(p + 60, index->params.average);
        put32(p + 64, index->params.max);
        put32(p + 68, (uint32_t)index->n_chunks);
        put32(p + 72, (uint32_t)n_groups);
        for (size_t g = 0; g < n_groups; g++) {
                uint8_t *e = p + STORE_CHUNK_INDEX_HEADER_SIZE + g * STORE_CHUNK_INDEX_ENTRY_SIZE;

                put32(e, groups[g].count);
                memcpy(e + 4, groups[g].digest.bytes, SHA256_DIGEST_SIZE);
        }
        for (size_t i = 0; i < index->n_chunks; i++)
                store_chunk_entry_format(p + STORE_CHUNK_INDEX_HEADER_SIZE + (n_groups + i) * STORE_CHUNK_INDEX_ENTRY_SIZE,
                                         &index->chunks[i]);
        *datap = p;
        *sizep = size;
        return 0;
}

static int index_add_chunk(StoreChunkIndex *index, size_t *allocated, uint64_t offset, const uint8_t *data,
                           size_t size) {
        int r;

        if (index->n_chunks == *allocated) {
                size_t n = *allocated ? *allocated * 2 : 64;
                StoreChunk *p = reallocarray(index->chunks, n, sizeof(*p));

                if (!p)
                        return -ENOMEM;
                index->chunks = p;
                *allocated = n;
        }
        r = sha256_buffer(data, size, &index->chunks[index->n_chunks].digest);
        if (r < 0)
                return r;
        index->chunks[index->n_chunks].offset = offset;
        index->chunks[index->n_chunks].size = (uint32_t)size;
        index->n_chunks++;
        return 0;
}

int store_chunk_index_build_fd(int fd, const StoreChunkParams *params, StoreChunkIndexBuildFlags flags,
                               StoreChunkIndex **indexp) {
        bool hash_whole = !(flags & STORE_CHUNK_INDEX_BUILD_NO_OBJECT_DIGEST);
        _cleanup_(store_chunk_index_freep) StoreChunkIndex *index = NULL;
        _cleanup_(sha256_freep) Sha256 *whole = sha256_new();
        /* Room for two maximal chunks plus a read, so a cut always sees max bytes ahead. */
        size_t cap = (size_t)params->max * 4;
        _cleanup_free_ uint8_t *buf = malloc(cap);
        size_t have = 0, start = 0, allocated = 0;
        uint64_t offset = 0;
        bool eof = false;
        int r;

        if (!store_chunk_params_are_valid(params))
                return -EINVAL;
        if (!whole || !buf)
                return -ENOMEM;
        index = calloc(1, sizeof(*index));
        if (!index)
                return -ENOMEM;
        index->params = *params;

        for (;;) {
                size_t len;

                /* Fill until max bytes are ahead of start or the file ends. */
                while (!eof && have - start < params->max) {
                        ssize_t n;

                        if (start > 0) {
                                memmove(buf, buf + start, have - start);
                                have -= start;
                                start = 0;
                        }
                        n = read(fd, buf + have, cap - have);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (n == 0) {
                                eof = true;
                                break;
                        }
                        if (hash_whole) {
                                r = sha256_update(whole, buf + have, (size_t)n);
                                if (r < 0)
                                        return r;
                        }
                        have += (size_t)n;
                }
                if (have == start)
                        break;
                len = store_chunker_next(params, buf + start, have - start);
                r = index_add_chunk(index, &allocated, offset, buf + start, len);
                if (r < 0)
                        return r;
                offset += len;
                start += len;
        }
        if (hash_whole) {
                r = sha256_final(whole, &index->object);
                if (r < 0)
                        return r;
        }
        index->object_size = offset;
        *indexp = steal_ptr(&index);
        return 0;
}

/* Creates chunks/ durably if it is not there yet. */
static int chunk_dir_ensure(Store *store) {
        _cleanup_close_ int fd = store_resolve_open_dir(store_dirfd(store), CHUNK_INDEX_DIR);
        int r;

        if (fd >= 0)
                return 0;
        if (fd != -ENOENT)
                return fd;
        r = fault_mkdirat(store_dirfd(store), CHUNK_INDEX_DIR, 0755);
        if (r < 0 && r != -EEXIST)
                return r;
        return fault_fsync_dir(store_dirfd(store), CHUNK_INDEX_DIR);
}

/* True if an index of digest with params exists and parses. */
static bool index_is_current(const Store *store, const char *rel, const Sha256Digest *digest,
                             const StoreChunkParams *params) {
        _cleanup_free_ char *text = NULL;
        _cleanup_(store_chunk_index_freep) StoreChunkIndex *index = NULL;
        size_t size;

        if (store_read_file(store, rel, STORE_CHUNK_INDEX_MAX_SIZE, &text, &size) < 0)
                return false;
        if (store_chunk_index_parse(text, size, &index) < 0)
                return false;
        return sha256_equal(&index->object, digest) && index->params.min == params->min &&
               index->params.average == params->average && index->params.max == params->max;
}

int store_chunk_index_publish(Store *store, const char *digest, const StoreChunkParams *params) {
        _cleanup_(store_chunk_index_freep) StoreChunkIndex *index = NULL;
        _cleanup_free_ void *data = NULL;
        char rel[STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE], obj[STORE_OBJECT_RELATIVE_PATH_SIZE];
        _cleanup_close_ int fd = -1;
        StoreChunkParams by_size;
        Sha256Digest expected;
        struct stat st;
        size_t size;
        int r;

        r = store_chunk_index_relative_path(digest, rel);
        if (r < 0)
                return r;
        r = sha256_from_hex(digest, &expected);
        if (r < 0)
                return r;
        r = store_object_relative_path(digest, obj);
        if (r < 0)
                return r;
        r = fault_read_check(obj);
        if (r < 0)
                return r;
        fd = store_resolve_open(store_dirfd(store), obj, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if (!params) {
                store_chunk_params_for_size((uint64_t)st.st_size, &by_size);
                params = &by_size;
        }
        if (index_is_current(store, rel, &expected, params))
                return 0;
        r = store_chunk_index_build_fd(fd, params, STORE_CHUNK_INDEX_BUILD_DEFAULT, &index);
        if (r < 0)
                return r;
        if (!sha256_equal(&index->object, &expected))
                return -EBADMSG;
        r = store_chunk_index_format(index, &data, &size);
        if (r < 0)
                return r;
        r = chunk_dir_ensure(store);
        if (r < 0)
                return r;
        r = store_replace_file(store, rel, data, size);
        if (r < 0)
                return r;
        return 1;
}

int store_chunk_index_remove(Store *store, const char *digest) {
        char rel[STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE];
        int r;

        r = store_chunk_index_relative_path(digest, rel);
        if (r < 0)
                return r;
        return store_remove_file(store, rel);
}

static bool chunk_index_is_name(const struct dirent *de) {
        size_t n = strlen(de->d_name), suffix = strlen(STORE_CHUNK_INDEX_SUFFIX);
        char digest[SHA256_HEX_LEN + 1];

        if (n != SHA256_HEX_LEN + suffix || strcmp(de->d_name + SHA256_HEX_LEN, STORE_CHUNK_INDEX_SUFFIX) != 0)
                return false;
        memcpy(digest, de->d_name, SHA256_HEX_LEN);
        digest[SHA256_HEX_LEN] = '\0';
        return hex_is_sha256(digest);
}

int store_chunk_index_list(const Store *store, char ***digestsp) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = store_dir_list_at(store_dirfd(store), CHUNK_INDEX_DIR, chunk_index_is_name, &names);
        if (r == -ENOENT) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        } else if (r < 0)
                return r;
        for (char **n = names; *n; n++)
                (*n)[SHA256_HEX_LEN] = '\0';
        *digestsp = steal_ptr(&names);
        return 0;
}
