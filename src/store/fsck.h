/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store verification: re-hashes every object and checks that every object a generation
 * or ref needs is present. Read-only; never repairs (a corrupt object is reported, and
 * the boot decision will not pick a generation that needs it).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/hex.h"

typedef struct Store Store;

typedef struct StoreFsckProblem {
        char digest[SHA256_HEX_LEN + 1]; /* "" for STORE_E_MALFORMED */
        int verdict;   /* STORE_E_MISSING, STORE_E_CORRUPT, STORE_E_MALFORMED, or a
                        * negative errno: the object could not be read (an I/O error) */
        char *needed_by; /* owned: "generation 3", "refs/latest"; NULL for a corrupt
                          * object no one needs; the file for STORE_E_MALFORMED */
} StoreFsckProblem;

typedef struct StoreFsckReport {
        size_t n_objects;     /* objects hashed */
        uint64_t n_bytes;     /* bytes hashed */
        StoreFsckProblem *problems; /* owned array */
        size_t n_problems;
} StoreFsckReport;

/*
 * Verifies the store. Returns 0 with *reportp filled (the caller frees it with
 * store_fsck_report_done()) whether or not problems were found, or a negative errno if
 * the check itself could not run. Uses up to n_threads threads for hashing (0: one).
 * Open store with STORE_OPEN_CONSISTENT: a commit or gc running meanwhile would otherwise
 * make objects seem missing (listed before they arrived, or needed by a generation that
 * was being removed).
 */
int store_fsck(const Store *store, unsigned n_threads, StoreFsckReport *reportp);

/* Frees what report owns and empties it (not the struct itself). */
void store_fsck_report_done(StoreFsckReport *report);
