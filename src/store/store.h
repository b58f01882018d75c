/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: a content-addressed directory of objects, the generations committed from
 * them, and named refs. This header is the contract between the store and its users
 * (kos store, kos boot, kos upgrade); it pulls in the per-concept headers.
 *
 *     <store>/kos-store          "kos-store 1\n": format marker; its fd carries the lock
 *     <store>/objects/ab/cdef…   immutable objects named by SHA-256 (mode 0444)
 *     <store>/generations/N      one text file per generation (generation.h)
 *     <store>/refs/NAME          named pointers to a manifest (ref.h); refs/current (the
 *                                confirmed generation) and refs/booted (the one the last
 *                                boot select chose) are the boot decision's own
 *     <store>/floor              the version floor (floor.h)
 *     <store>/tmp/               incoming data, same file system: publishing is a rename
 *
 * Invariants:
 *  - Every state change is write-temp (in tmp/), fsync, rename, fsync-directory, so a
 *    power cut leaves the old or the new state. The only other changes are unlinks of
 *    garbage (gc), each followed by an fsync of the directory.
 *  - Nothing outside <store> is ever named by data: digests must be exactly 64 lowercase
 *    hex digits (hex_is_sha256()), ref names must pass store_ref_name_is_valid(). Both are
 *    checked by every function that takes them, so callers may pass untrusted strings.
 *  - Nothing the store writes lands outside <store>: every path beneath it is resolved
 *    with no symlink followed (store/resolve.h), also in the middle (objects/ab -> /etc),
 *    and store_open() refuses a store whose objects/, generations/, refs/ or tmp/ is a
 *    symlink (-ELOOP) or not a directory (-ENOTDIR).
 *  - Trust never comes from the store: signatures are checked against keys from outside.
 *  - A Store opened with STORE_OPEN_WRITE holds an exclusive flock() on kos-store until
 *    store_close(); every writer opens it so. A reader that must see one state across
 *    several files (store verify: objects listed, then the generations that need them)
 *    holds it shared (STORE_OPEN_CONSISTENT); other readers take no lock, so a slow
 *    upgrade never blocks store list or boot status.
 *
 * For kos upgrade: create download files with store_tmp_create() (or any name of your own
 * in store_tmp_path() that does not start with "store."), then store_object_publish() each
 * one with the digest you expect, then store_commit_objects().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/cleanup.h"

#define STORE_FORMAT_VERSION 1
#define STORE_MARKER "kos-store"

/* Positive outcomes a caller must handle (house style: documented, not errors). */
typedef enum StoreVerdict {
        STORE_OK = 0,
        STORE_E_MISSING = 1, /* the object is not in the store */
        STORE_E_CORRUPT = 2, /* the object's bytes do not hash to its name */
        STORE_E_MALFORMED = 3, /* a generation or ref file does not parse (fsck) */
} StoreVerdict;

typedef enum StoreOpenFlags {
        STORE_OPEN_READ = 0,
        STORE_OPEN_WRITE = 1 << 0, /* take the store's exclusive lock (blocks until free) */
        STORE_OPEN_CONSISTENT = 1 << 1, /* take it shared: no writer runs while it is open */
} StoreOpenFlags;

typedef struct Store Store;

/*
 * Creates a store at path (the directory may exist but must then be empty or already be a
 * store: init is idempotent). Every directory and the marker are created durably.
 * Returns -ENOTEMPTY if path is a non-empty directory that is not a store.
 */
int store_init(const char *path);

/*
 * A user-facing phrase for an error of store_open() or store_init(): a store whose
 * objects/, generations/, refs/ or tmp/ is a symbolic link or not a directory is named as
 * such; anything else is strerror().
 */
const char *store_strerror(int r);

/*
 * Opens an existing store. -ENOENT if path does not exist, -EMEDIUMTYPE if it is not a
 * store (no or bad marker), -EPROTONOSUPPORT for another format version, -ELOOP if one of
 * its directories is a symlink, -ENOTDIR if one is not a directory. The caller owns
 * *storep (store_close()).
 */
int store_open(Store **storep, const char *path, StoreOpenFlags flags);

/* Releases the lock and frees. Accepts NULL, returns NULL. */
Store *store_close(Store *store);

/* The path the store was opened with, and an O_DIRECTORY fd on it (owned by the Store). */
const char *store_path(const Store *store);
int store_dirfd(const Store *store);

/* "<store>/tmp": the caller owns *pathp. */
int store_tmp_path(const Store *store, char **pathp);

/*
 * An O_DIRECTORY fd on <store>/tmp (owned by the caller), opened with no symlink followed
 * (store/resolve.h), or a negative errno (-ELOOP if tmp is a symlink). Create, rename and
 * unlink download files relative to it, never by path.
 */
int store_tmp_open_dir(const Store *store);

/*
 * Creates a new empty file in <store>/tmp (named "store.<prefix>.XXXXXX", mode 0600) and
 * returns an fd open for reading and writing, and its path (owned by the caller).
 * store gc removes such files when no writer holds the lock.
 */
int store_tmp_create(Store *store, const char *prefix, int *fdp, char **pathp);

/*
 * Replaces <store>/relpath with data durably: written to tmp/, fsynced, renamed over,
 * directory fsynced. relpath is trusted (built by the store itself), e.g. "refs/latest".
 */
int store_replace_file(Store *store, const char *relpath, const void *data, size_t size);

/*
 * Reads <store>/relpath, a small state file (ref, generation, floor), whole into a new
 * NUL-terminated buffer the caller owns. -ENOENT if absent; -EBADMSG if it is larger than
 * max_size, a symlink or not a regular file (so a FIFO or directory planted there can
 * neither hang a reader nor stop the boot decision). relpath is trusted.
 */
int store_read_file(const Store *store, const char *relpath, size_t max_size, char **textp, size_t *sizep);
/* The same relative to a directory fd, for use before a Store exists (store_init()). */
int store_read_file_at(int dirfd, const char *relpath, size_t max_size, char **textp, size_t *sizep);

/* Removes <store>/relpath (ENOENT is success) and fsyncs its directory. */
int store_remove_file(Store *store, const char *relpath);

DEFINE_CLEANUP_FUNC(Store, store_close)
#define _cleanup_store_close_ _cleanup_(store_closep)

#include "store/floor.h"
#include "store/generation.h"
#include "store/object.h"
#include "store/ref.h"
