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
 *   offset  size  field
 *        0     8  magic "KOSCHIDX"
 *        8     4  version: 1
 *       12     4  flags: 0
 *       16    32  SHA-256 of the object
 *       48     8  object size in bytes
 *       56     4  chunker min     \
 *       60     4  chunker average  } the parameters the chunks were cut with
 *       64     4  chunker max     /
 *       68     4  number of chunks N
 *       72  36*N  per chunk, in file order: length (4), SHA-256 (32)
 *
 * A chunk's offset is the sum of the lengths before it.
 *
 * Invariants of a parsed index (store_chunk_index_parse() refuses anything else):
 *  1. The file is exactly 72 + 36 * N bytes; magic, version and flags are as above.
 *  2. The parameters pass store_chunk_params_are_valid().
 *  3. Every length is 1 to max; the lengths add up to the object size; N is 0 exactly
 *     when the size is 0.
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
#define STORE_CHUNK_INDEX_HEADER_SIZE 72U
#define STORE_CHUNK_INDEX_ENTRY_SIZE 36U
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

StoreChunkIndex *store_chunk_index_free(StoreChunkIndex *index);
DEFINE_CLEANUP_FUNC(StoreChunkIndex, store_chunk_index_free)

/* "chunks/<digest>.idx" for a digest in hex. -EINVAL if it is not 64 lowercase hex. */
int store_chunk_index_relative_path(const char *digest, char buf[static STORE_CHUNK_INDEX_RELATIVE_PATH_SIZE]);

/*
 * Parses an index file's bytes (untrusted: any bytes at all). -EBADMSG if they break any
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
