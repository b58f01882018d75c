/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Chunked downloads: an object built from chunks this store already has and byte ranges
 * of the object at the source, guided by the source's (untrusted) chunk index.
 *
 * Seeds are the chunks of this store's objects, cut with the parameters an index names
 * (casync and desync call this seeding). A missing object whose index the source serves
 * is assembled in the same download file a whole-object download uses
 * (tmp/upgrade.<digest>.part), so the rest of the upgrade (publish, sweep, removal after
 * a refusal) treats both alike.
 */
#pragma once

#include <stdint.h>

#include "store/chunk-index.h"
#include "update/download.h"
#include "update/progress.h"
#include "update/source.h"

typedef struct Store Store;

/* Ranges closer than this are fetched as one: a part costs about this much framing. */
#define UPDATE_CHUNKED_COALESCE_GAP 256U

/* The chunks of this store's objects, by digest; filled lazily per chunker parameters. */
typedef struct UpdateSeeds UpdateSeeds;

/*
 * Seeds from this store's objects except those in skip (a strv that must outlive the
 * seeds; NULL: none). An upgrade skips the objects of the new release: those here are kept
 * as they are, so a changed object's old bytes are in the objects it replaces, and cutting
 * every unchanged object on every upgrade would cost reading the whole store.
 */
UpdateSeeds *update_seeds_new(char *const *skip);
UpdateSeeds *update_seeds_free(UpdateSeeds *seeds);
DEFINE_CLEANUP_FUNC(UpdateSeeds, update_seeds_free)

/* An index whose chunks average less than this, or that brings a fifth set of chunker
 * parameters into one run, is not used: the object comes whole (cutting this store's
 * objects into tiny chunks, or again and again, would cost more than it saves). */
#define UPDATE_CHUNKED_AVERAGE_MIN 1024U
#define UPDATE_CHUNKED_PARAMS_MAX 4U

/* The first request for an index asks for this many bytes: all of a small index (an
 * object of up to 110 chunks), else its header and the start of its group table. */
#define UPDATE_CHUNKED_INDEX_FIRST 4096U

/*
 * Fetches the source's chunk index of object digest (chunks/<digest>.idx), untrusted: its
 * first UPDATE_CHUNKED_INDEX_FIRST bytes (header, group table), the rest of the table if
 * need be, then the entries of only those groups no seed has (chunk-index.h: a group this
 * store's objects share, cut the same way, is not fetched), as ranges. Returns 1 with
 * *indexp (owned), 0 if the source has no index of it (or one of a later version: the
 * object is then fetched whole; so too for parameters UPDATE_CHUNKED_AVERAGE_MIN and
 * UPDATE_CHUNKED_PARAMS_MAX rule out), -EPROTO for a malformed index or one of another object
 * (the reason in update_source_last_error()), or the source's errors.
 */
int update_chunked_fetch_index(const Store *store, UpdateSource *source, const char *digest, UpdateSeeds *seeds,
                               StoreChunkIndex **indexp);

/* Bytes of this store's objects read to cut seeds so far. */
uint64_t update_seeds_bytes_read(const UpdateSeeds *seeds);

/*
 * Builds object digest (64 lowercase hex) into tmp/upgrade.<digest>.part from index
 * (already parsed, not trusted): chunks the file already holds (an interrupted run), then
 * seeds, then the rest fetched as ranges of objects/ab/cdef… at the source. Every chunk
 * is checked against its digest in the index before it is written, the whole file
 * against digest before it is reported complete, and then fsynced. On success fills
 * *downloadp as update_download_object() does (reused: bytes copied from seeds; resumed:
 * bytes an earlier run left that were kept).
 *
 * Returns -EPROTO when the source lies (an index of another object or of another size,
 * chunk bytes that do not match the index, ranges it did not send; the reason is in
 * update_source_last_error()), -EBADMSG when the chunks assemble to bytes that do not
 * hash to digest (the file is removed), -EFBIG when the index names more than max_size
 * bytes, -EBUSY when another upgrade writes the same file, the source's errors, or file
 * system errors (the file is kept for a resume).
 */
int update_chunked_download(const Store *store, UpdateSource *source, const char *digest, const StoreChunkIndex *index,
                            uint64_t max_size, UpdateSeeds *seeds, UpdateProgress *progress, UpdateDownload *downloadp);
