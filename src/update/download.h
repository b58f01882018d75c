/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Downloading one object from a source into the store's tmp/, checked against its digest.
 *
 * The download file is <store>/tmp/upgrade.<digest>.part: named by the digest, so an
 * interrupted download (a broken connection, a kill, a power cut) is found again by the
 * next try and resumed from where it stopped (an HTTP Range request), not started over.
 * Its bytes are never trusted: a resumed file's prefix is hashed again, and the whole
 * must hash to the digest before the caller may publish it. The file holds an flock()
 * while it is written, so two upgrades never write the same file.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "update/progress.h"
#include "update/source.h"

typedef struct Store Store;

#define UPDATE_DOWNLOAD_PREFIX "upgrade."
#define UPDATE_DOWNLOAD_SUFFIX ".part"
/* Tries of one object within one run when the transfer breaks off midway. */
#define UPDATE_DOWNLOAD_ATTEMPTS 4

typedef struct UpdateDownload {
        char *path;       /* owned: the verified file in tmp/, ready for store_object_publish() */
        uint64_t size;    /* the object's size */
        uint64_t resumed; /* bytes left in tmp/ by an earlier run that the source never
                           * sent in this one (0 if it sent the whole object again) */
        uint64_t received; /* bytes of the object received from the source in this run: more
                            * than size - resumed when a transfer restarted from zero or
                            * the source ignored the offset */
        uint64_t reused;   /* bytes copied from chunks of objects already here (a chunked
                            * download, chunked.h); 0 for a whole-object download */
        bool chunked;      /* built from a chunk index */
} UpdateDownload;

/*
 * Fetches object digest (validated: 64 lowercase hex) of at most max_size bytes. On
 * success *downloadp is filled (release with update_download_done()) and the file is
 * fsynced. Returns -EBADMSG if the source's bytes do not hash to digest (the file is
 * removed), -EBUSY if another upgrade is writing the same file, the source's errors
 * (source.h), or file system errors such as -ENOSPC (the file is kept for a resume; the
 * caller decides).
 */
int update_download_object(const Store *store, UpdateSource *source, const char *digest, uint64_t max_size,
                           UpdateProgress *progress, UpdateDownload *downloadp);

/* Frees what d owns and empties it (the file stays where it is). */
void update_download_done(UpdateDownload *d);

/* Writes "<tmp>/upgrade.<digest>.part" to *pathp (owned by the caller). */
int update_download_path(const Store *store, const char *digest, char **pathp);

/*
 * Opens digest's download file (update_download_path()), creating it, under an exclusive
 * lock: 0 with *pathp, *tmpfdp (tmp/, opened beneath the store: a symlink is refused) and
 * *fdp, all owned by the caller; -EBUSY if another upgrade holds it; a negative errno.
 */
int update_download_open(const Store *store, const char *digest, char **pathp, int *tmpfdp, int *fdp);
