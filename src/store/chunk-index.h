/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chunk indexes: where an object's content-defined chunks lie, and their digests.
 *
 * A store that serves upgrades may publish, beside each object, an index of its chunks
 * (chunker.h): chunks/<digest>.idx. A device then builds the object from chunks it
 * already has and fetches only the others as byte ranges of the object. The index is not
 * signed and is never trusted: a wrong one can make a device fetch more, never keep a
 * wrong object, since every chunk is checked against its digest and the assembled object
 * against the digest the signed manifest names.
 *
 * File format, version 1 (all integers little-endian; docs/store.md):
 *
 *   offset      size  field
 *        0         8  magic "KOSCHIDX"
 *        8         4  version: 1
 *       12         4  flags: 0
 *       16        32  SHA-256 of the object
 *       48         8  object size in bytes
 *       56         4  chunker min     \
 *       60         4  chunker average  } the parameters the chunks were cut with
 *       64         4  chunker max     /
 *       68         4  number of chunks N
 *       72         4  number of groups G
 *       76         4  reserved: 0
 *       80      36*G  group table, in file order: number of chunks (4), SHA-256 of the
 *                     group's chunk entries as they appear below (32)
 *  80+36*G      36*N  chunk entries, in file order: length (4), SHA-256 (32)
 *
 * A chunk's offset is the sum of the lengths before it. Chunks are grouped by their
 * digests (store_chunk_groups_compute()): a group ends after a chunk whose digest's first
 * two bytes, read little-endian, are a multiple of STORE_CHUNK_GROUP_AVERAGE, after
 * STORE_CHUNK_GROUP_MAX chunks, or with the last chunk. So the groups of two versions of
 * an object are the same away from an edit, and a device that has a group's chunks
 * already (it cut its own objects the same way) needs only the table, not the group's
 * entries: it fetches the header and table, then only the entries of groups it does not
 * know, as ranges of the index.
 *
 * Invariants of a parsed index (the parsers refuse anything else):
 *  1. The file is exactly 80 + 36 * (G + N) bytes; magic, version, flags and reserved are
 *     as above.
 *  2. The parameters pass store_chunk_params_are_valid().
 *  3. Every group has 1 to STORE_CHUNK_GROUP_MAX chunks, the groups N in all, and its
 *     entries hash to its digest.
 *  4. Every length is 1 to max; the lengths add up to the object size; N (and G) are 0
 *     exactly when the size is 0.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"
#include "store/chunker.h"
#include "util/cleanup.h"

typedef struct Store Store;

#define STORE_CHUNK_INDEX_MAGIC "KOSCHIDX"
#define STORE_CHUNK_INDEX_VERSION 1U
#define STORE_CHUNK_INDEX_HEADER_SIZE 80U
#define STORE_CHUNK_INDEX_ENTRY_SIZE 36U /* a chunk entry or a group entry */
#define STORE_CHUNK_GROUP_AVERAGE 64U
#define STORE_CHUNK_GROUP_MAX 1024U
#define STORE_CHUNK_INDEX_SUFFIX ".idx"
/* The largest index read from anywhere: 16 MiB, some 466,000 chunks. */
#define STORE_CHUNK_INDEX_MAX_SIZE (16U * 1024U * 1024U)

/* Bytes store_chunk_index_relative_path() writes, the NUL included. */
#define STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE (sizeof("chunks/" STORE_CHUNK_INDEX_SUFFIX) + SHA256_HEX_LEN)

typedef struct StoreChunk {
        uint64_t offset;
        uint32_t size;
        Sha256Digest digest;
} StoreChunk;

typedef struct StoreChunkIndex {
        Sha256Digest object;
        uint64_t object_size;
        StoreChunkParams params;
        size_t n_chunks;
        StoreChunk *chunks; /* owned */
} StoreChunkIndex;

/* A parsed header (the first STORE_CHUNK_INDEX_HEADER_SIZE bytes). */
typedef struct StoreChunkIndexHeader {
        Sha256Digest object;
        uint64_t object_size;
        StoreChunkParams params;
        uint32_t n_chunks, n_groups;
} StoreChunkIndexHeader;

typedef struct StoreChunkGroup {
        uint32_t first; /* its first chunk's number */
        uint32_t count;
        Sha256Digest digest; /* of its count chunk entries, as formatted */
} StoreChunkGroup;

StoreChunkIndex *store_chunk_index_free(StoreChunkIndex *index);
DEFINE_CLEANUP_FUNC(StoreChunkIndex, store_chunk_index_free)

/* "chunks/<digest>.idx" for a digest in hex. -EINVAL if it is not 64 lowercase hex. */
int store_chunk_index_relative_path(const char *digest, char buf[static STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE]);

/*
 * Parses the header from the first size (at least STORE_CHUNK_INDEX_HEADER_SIZE) bytes of
 * an index file (untrusted). -EBADMSG if it breaks invariants 1 (as far as a header can
 * tell: the file it announces is at most STORE_CHUNK_INDEX_MAX_SIZE bytes), 2 or the
 * counts of 4; -EPROTONOSUPPORT for another version.
 */
int store_chunk_index_parse_header(const void *data, size_t size, StoreChunkIndexHeader *headerp);

/* Where the group table ends and the chunk entries start; the whole file's size. */
uint64_t store_chunk_index_entries_offset(const StoreChunkIndexHeader *header);
uint64_t store_chunk_index_file_size(const StoreChunkIndexHeader *header);

/* Parses the group table (36 * n_groups bytes, untrusted): invariant 3's counts. The caller
 * owns *groupsp (n_groups of them). */
int store_chunk_index_parse_groups(const StoreChunkIndexHeader *header, const void *table, StoreChunkGroup **groupsp);

/*
 * Builds an index from a header, its groups and each group's chunk entries (entries[g]:
 * 36 * groups[g].count bytes, from the file or from anywhere else). -EBADMSG unless each
 * group's entries hash to its digest (group_badp, if not NULL, gets the first that does
 * not) and invariant 4 holds. The caller owns *indexp.
 */
int store_chunk_index_assemble(const StoreChunkIndexHeader *header, const StoreChunkGroup *groups,
                               const uint8_t *const *entries, StoreChunkIndex **indexp, size_t *group_badp);

/* Writes one chunk entry as the format has it (36 bytes). */
void store_chunk_entry_format(uint8_t entry[static STORE_CHUNK_INDEX_ENTRY_SIZE], const StoreChunk *chunk);

/* Groups n chunks by the rule above; the caller owns *groupsp (*n_groupsp of them). */
int store_chunk_groups_compute(const StoreChunk *chunks, size_t n, StoreChunkGroup **groupsp, size_t *n_groupsp);

/*
 * Parses a whole index file's bytes (untrusted: any bytes at all). -EBADMSG if they break any
 * invariant above, -EPROTONOSUPPORT for another version. The caller owns *indexp.
 */
int store_chunk_index_parse(const void *data, size_t size, StoreChunkIndex **indexp);

/* The file format of index: a new buffer (*datap, owned) of *sizep bytes. */
int store_chunk_index_format(const StoreChunkIndex *index, void **datap, size_t *sizep);

typedef enum StoreChunkIndexBuildFlags {
        STORE_CHUNK_INDEX_BUILD_DEFAULT = 0,
        STORE_CHUNK_INDEX_BUILD_NO_OBJECT_DIGEST = 1 << 0, /* leave index->object zero: a
                                                            * third less hashing, for a
                                                            * caller that checks each chunk */
} StoreChunkIndexBuildFlags;

/*
 * Chunks everything readable from fd (from its current position) with params, hashing
 * each chunk and (unless flags say otherwise) the whole. The caller owns *indexp.
 */
int store_chunk_index_build_fd(int fd, const StoreChunkParams *params, StoreChunkIndexBuildFlags flags,
                               StoreChunkIndex **indexp);

/*
 * Indexes object digest of store with params (NULL: store_chunk_params_for_size() of the
 * object's size) and publishes the index durably
 * (chunks/ created if need be; written to tmp/, fsynced, renamed, directory fsynced).
 * An index that exists and parses with the same parameters is kept: returns 0 then,
 * 1 if it wrote one. STORE_E_MISSING/-ENOENT if the object is not there, -EBADMSG if its
 * bytes do not hash to its name.
 */
int store_chunk_index_publish(Store *store, const char *digest, const StoreChunkParams *params);

/* Removes the index of digest, if any, durably (for gc). */
int store_chunk_index_remove(Store *store, const char *digest);

/* Every digest with an index file in chunks/ (hex strv, sorted); empty if no chunks/. */
int store_chunk_index_list(const Store *store, char ***digestsp);
