/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checks the boot decision makes on a generation's manifest, for every program that
 * must run only what the boot decision would boot: boot select itself, kosd --store, and
 * kos-init (which checks the kexec'd manifest again).
 *
 * Invariants: the signature is checked over the exact manifest bytes read from the store,
 * whose SHA-256 was checked against the generation's digest on the way; the version
 * compared with the floor is the signed manifest's. The bytes and the Manifest a check
 * returns are those it checked: a caller parses nothing again from the file system.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"
#include "manifest/manifest.h"

/*
 * Checks gen's manifest: its manifest and signature objects present and hashing to their
 * names, a valid signature by a key of trust, a manifest that parses, a version not below
 * floor_version (the referenced objects are not checked here; boot select checks those
 * too). Returns 0 with *manifestp (may be NULL) and the verified DTB in *dtbp, *sizep (may
 * be NULL; the caller frees it); 1 if gen may not boot, with the reason in *c; or a
 * negative errno if the check itself failed (out of memory).
 */
int boot_verify_manifest(const Store *store, const TrustStore *trust, uint32_t floor_version,
                         const StoreGeneration *gen, BootCandidate *c, Manifest **manifestp, char **dtbp,
                         size_t *sizep);

/*
 * The generation refs/booted names (the last boot decision's), checked as above against
 * the store's version floor; a generation marked bad since is refused too. Returns 0 with *genp and the verified DTB and Manifest; 1 with
 * *c if it may not run; -ENOENT if no boot decision was made; another negative errno if
 * the store could not be read.
 */
/*
 * Generation number, which namer ("refs/booted", "kos.manifest") says holds manifest,
 * checked as above against the store's version floor: its generation file must name that
 * manifest, and a generation marked bad is refused too. Returns 0 with *genp and the
 * verified DTB and Manifest; 1 with *c if it may not run; -ENOENT if there is no such
 * generation; another negative errno if the store could not be read.
 */
int boot_verify_named(const Store *store, const TrustStore *trust, unsigned number, const Sha256Digest *manifest,
                      const char *namer, StoreGeneration *genp, BootCandidate *c, Manifest **manifestp, char **dtbp,
                      size_t *sizep);

int boot_verify_booted(const Store *store, const TrustStore *trust, StoreGeneration *genp, BootCandidate *c,
                       Manifest **manifestp, char **dtbp, size_t *sizep);

/* For the boot module's own files: fill in a rejection (fmt may be NULL). */
void boot_reject(BootCandidate *c, unsigned generation, BootRejection reason, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/*
 * Judges the verdict r on one object a candidate needs (from store_object_read() or
 * store_object_verify()): 0 if intact; 1 with *c filled in if it is missing, corrupt or
 * cannot be read. Only -ENOMEM passes up: damage to one generation's objects (an I/O
 * error, a permission, a planted symlink) must never stop another generation from booting.
 */
int boot_judge_object(int r, const StoreGeneration *gen, const char *hex, BootCandidate *c);
