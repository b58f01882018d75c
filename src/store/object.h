/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store objects: immutable files named by the SHA-256 of their bytes.
 *
 * Invariants: an object file under objects/ always holds exactly the bytes its name
 * promises, unless the medium corrupted it after the fact (store_object_verify() finds
 * that). Objects are only ever created by renaming a fully written and fsynced file from
 * tmp/, after its hash was checked; a name that is not 64 lowercase hex is refused with
 * -EINVAL before any file system access.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "crypto/sha256.h"

typedef struct Store Store;

/* Bytes that store_object_relative_path() writes, the NUL included. */
#define STORE_OBJECT_RELATIVE_PATH_SIZE (sizeof("objects/ab/") + SHA256_HEX_LEN - 2)

/*
 * The store's object layout, in this one place: "objects/ab/cdef…" (the first two hex
 * digits name a fan-out directory, the other 62 the file) for a digest in hex, relative
 * to the store directory, written to buf. -EINVAL if digest is not 64 lowercase hex.
 */
int store_object_relative_path(const char *digest, char buf[static STORE_OBJECT_RELATIVE_PATH_SIZE]);

/*
 * "<store_dir>/objects/ab/cdef…", for a program that knows the store only by its
 * directory. The caller owns *pathp. -EINVAL if digest is not 64 lowercase hex.
 */
int store_object_path_join(const char *store_dir, const char *digest, char **pathp);

/* "<store>/objects/ab/cdef…" for a digest in hex. -EINVAL if digest is not 64 lowercase hex. */
int store_object_path(const Store *store, const char *digest, char **pathp);

/* True if an object of that name is present (not checking its bytes). False for bad names. */
bool store_object_exists(const Store *store, const char *digest);

/*
 * Opens the object digest names, for reading, without hashing it: 0 with *fdp (owned by
 * the caller) and *wantp, the digest it must hash to; STORE_E_MISSING; STORE_E_CORRUPT if
 * something other than a regular file sits at its name (a symlink, a directory or a FIFO:
 * no object is one, and opening a FIFO must not hang verify or a boot); or a negative errno.
 */
int store_object_open(const Store *store, const char *digest, Sha256Digest *wantp, int *fdp);

/* store_object_open() of an object that hashes to its name, checked through the descriptor
 * returned (at offset 0): what is read from it afterwards is what was hashed, as long as
 * nothing writes the file. STORE_E_CORRUPT if it does not. */
int store_object_open_verified(const Store *store, const char *digest, int *fdp);

/*
 * Re-hashes the object. Returns STORE_OK (0), STORE_E_MISSING or STORE_E_CORRUPT, or a
 * negative errno (-EINVAL for a bad name, I/O errors). *sizep, if not NULL, gets the
 * number of bytes hashed (on STORE_OK and STORE_E_CORRUPT).
 */
int store_object_verify(const Store *store, const char *digest, uint64_t *sizep);

/*
 * Copies everything readable from fd into the store, hashing on the way. If expected is
 * not NULL, the bytes must hash to it, or nothing is kept and -EBADMSG is returned
 * (-EINVAL if expected is not a valid digest). Adding an object that is already present
 * is success. *digestp (may be NULL) gets the object's digest.
 */
int store_object_add_fd(Store *store, int fd, const char *expected, Sha256Digest *digestp);

/* store_object_add_fd() on a file. */
int store_object_add_file(Store *store, const char *path, const char *expected, Sha256Digest *digestp);

/*
 * Publishes a file already written in <store>/tmp (tmp_path must name a regular file
 * directly in that directory) without copying it: hashes it, checks the digest against
 * expected if not NULL (-EBADMSG on mismatch: the file is left in place for the caller,
 * e.g. to resume), fsyncs it, and renames it into objects/. On success tmp_path no longer
 * exists.
 */
int store_object_publish(Store *store, const char *tmp_path, const char *expected, Sha256Digest *digestp);

/*
 * Reads a whole object of at most max_size bytes and checks its digest on the way:
 * STORE_E_MISSING, STORE_E_CORRUPT (nothing returned) or 0 with *bufp (owned, NUL
 * terminated) and *sizep.
 */
int store_object_read(const Store *store, const char *digest, size_t max_size, char **bufp, size_t *sizep);

/* Every object digest in the store (hex strv, sorted). Stray files are skipped. */
int store_object_list(const Store *store, char ***digestsp);

/* Removes one object durably (for gc). Missing is success. */
int store_object_remove(Store *store, const char *digest);
