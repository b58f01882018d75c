/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Refs: named pointers to a manifest and its signatures, in <store>/refs/NAME.
 *
 * A ref file is text, and is also what a store serves to an upgrading device:
 *
 *     manifest <64 hex>
 *     signatures <64 hex>      (optional: the signature file, itself an object)
 *     generation <N>           (optional: the local generation it was committed as)
 *
 * Invariants: a ref name is 1..STORE_REF_NAME_MAX bytes of [A-Za-z0-9._-], does not start
 * with '.', and so can never contain '/' or be "." or ".."; every function here refuses
 * other names with -EINVAL before touching the file system. store_ref_parse() accepts
 * untrusted text (from a remote store) and refuses anything else with -EBADMSG.
 * store_commit_*() refuses the reserved names with -EPERM.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "crypto/sha256.h"

#define STORE_REF_NAME_MAX 128
#define STORE_REF_FILE_MAX 4096
#define STORE_REF_DEFAULT "latest"
#define STORE_REF_CURRENT "current" /* reserved: the confirmed generation */
#define STORE_REF_BOOTED "booted"   /* reserved: the generation boot select chose */

typedef struct Store Store;

typedef struct StoreRef {
        Sha256Digest manifest;
        bool has_signatures;
        Sha256Digest signatures;
        unsigned generation; /* 0 if none */
} StoreRef;

/*
 * True if name may name a ref: 1 to STORE_REF_NAME_MAX characters of [A-Za-z0-9._-], not
 * starting with '.', so it is one path component and never "." or "..".
 */
bool store_ref_name_is_valid(const char *name);
/* True for the names only the boot decision writes (current, booted). */
bool store_ref_name_is_reserved(const char *name);

/* Parses ref file text (untrusted). -EBADMSG if malformed. */
int store_ref_parse(const char *text, size_t size, StoreRef *refp);

/* Formats a ref as file text; the caller owns *textp. */
int store_ref_format(const StoreRef *ref, char **textp);

/* Reads refs/NAME: -EINVAL bad name, -ENOENT no such ref, -EBADMSG malformed. */
int store_ref_read(const Store *store, const char *name, StoreRef *refp);

/* Points refs/NAME at ref, durably. -EINVAL for a bad name. */
int store_ref_write(Store *store, const char *name, const StoreRef *ref);

/* Removes refs/NAME, durably; 0 if it does not exist. -EINVAL for a bad name. */
int store_ref_remove(Store *store, const char *name);

/* Every valid ref name, sorted. The caller owns the strv. */
int store_ref_list(const Store *store, char ***namesp);
