// SPDX-License-Identifier: Apache-2.0
/*
 * The manifest checks of the boot decision (see verify.h for the invariants).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/verify.h"
#include "store/object.h"
#include "store/ref.h"
#include "util/cleanup.h"

void boot_reject(BootCandidate *c, unsigned generation, BootRejection reason, const char *fmt, ...) {
        va_list ap;

        c->generation = generation;
        c->reason = reason;
        c->detail[0] = '\0';
        c->unrecorded = false;
        if (fmt) {
                va_start(ap, fmt);
                vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
                va_end(ap);
        }
}

int boot_judge_object(int r, const StoreGeneration *gen, const char *hex, BootCandidate *c) {
        if (r == STORE_OK)
                return 0;
        if (r == -ENOMEM)
                return r;
        if (r == STORE_E_MISSING)
                boot_reject(c, gen->number, BOOT_REJECT_OBJECT_MISSING, "%s", hex);
        else if (r == STORE_E_CORRUPT)
                boot_reject(c, gen->number, BOOT_REJECT_OBJECT_CORRUPT, "%s", hex);
        else
                boot_reject(c, gen->number, BOOT_REJECT_OBJECT_CORRUPT, "%s: %s", hex, strerror(r < 0 ? -r : EIO));
        return 1;
}

int boot_verify_manifest(const Store *store, const TrustStore *trust, uint32_t floor_version,
                         const StoreGeneration *gen, BootCandidate *c, Manifest **manifestp, char **dtbp,
                         size_t *sizep) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_(signature_list_freep) SignatureList *sigs = NULL;
        _cleanup_free_ char *dtb = NULL, *sigtext = NULL;
        char mhex[SHA256_HEX_LEN + 1], shex[SHA256_HEX_LEN + 1];
        size_t dtb_size, sig_size;
        int r;

        if (!gen->has_signatures) {
                boot_reject(c, gen->number, BOOT_REJECT_BAD_SIGNATURE, "%s",
                            signature_verdict_to_string(SIGNATURE_E_NONE));
                return 1;
        }
        sha256_to_hex(&gen->manifest, mhex);
        sha256_to_hex(&gen->signatures, shex);
        r = boot_judge_object(store_object_read(store, mhex, MANIFEST_MAX_SIZE, &dtb, &dtb_size), gen, mhex, c);
        if (r != 0)
                return r;
        r = boot_judge_object(store_object_read(store, shex, SIGNATURE_FILE_MAX, &sigtext, &sig_size), gen, shex, c);
        if (r != 0)
                return r;
        r = signature_list_parse(&sigs, sigtext, sig_size, NULL);
        if (r == -EBADMSG || r == -ENOTUNIQ) {
                boot_reject(c, gen->number, BOOT_REJECT_BAD_SIGNATURE, "malformed signature file");
                return 1;
        }
        if (r < 0)
                return r;
        r = signature_list_verify(sigs, trust, dtb, dtb_size, NULL);
        if (r < 0)
                return r;
        if (r != SIGNATURE_VALID) {
                boot_reject(c, gen->number, BOOT_REJECT_BAD_SIGNATURE, "%s", signature_verdict_to_string(r));
                return 1;
        }
        r = manifest_parse(&m, dtb, dtb_size, NULL);
        if (r == -EBADMSG || r == -EFBIG) {
                boot_reject(c, gen->number, BOOT_REJECT_BAD_MANIFEST, NULL);
                return 1;
        }
        if (r < 0)
                return r;
        if (m->version < floor_version) {
                boot_reject(c, gen->number, BOOT_REJECT_BELOW_FLOOR, "version %u < floor %u", (unsigned)m->version,
                            (unsigned)floor_version);
                return 1;
        }
        if (manifestp)
                *manifestp = steal_ptr(&m);
        if (dtbp) {
                *dtbp = steal_ptr(&dtb);
                *sizep = dtb_size;
        }
        return 0;
}

int boot_verify_named(const Store *store, const TrustStore *trust, unsigned number, const Sha256Digest *manifest,
                      const char *namer, StoreGeneration *genp, BootCandidate *c, Manifest **manifestp, char **dtbp,
                      size_t *sizep) {
        StoreGeneration gen;
        unsigned current;
        uint32_t floor_version;
        int r;

        r = store_generation_load(store, number, &gen);
        if (r < 0)
                return r == -EBADMSG ? -ENOENT : r;
        if (!sha256_equal(&gen.manifest, manifest)) {
                boot_reject(c, gen.number, BOOT_REJECT_OBJECT_CORRUPT, "%s does not match its generation", namer);
                return 1;
        }
        /* The boot decision never boots a bad generation: a stale name (a store the
         * decision could not write) must not make it run one. */
        if (gen.state == STORE_GENERATION_BAD) {
                boot_reject(c, gen.number, BOOT_REJECT_NO_TRIES, "marked bad");
                return 1;
        }
        r = boot_ref_generation(store, STORE_REF_CURRENT, &current);
        if (r < 0)
                return r;
        r = boot_floor_get(store, current, &floor_version);
        if (r < 0)
                return r;
        r = boot_verify_manifest(store, trust, floor_version, &gen, c, manifestp, dtbp, sizep);
        if (r == 0)
                *genp = gen;
        return r;
}

int boot_verify_booted(const Store *store, const TrustStore *trust, StoreGeneration *genp, BootCandidate *c,
                       Manifest **manifestp, char **dtbp, size_t *sizep) {
        StoreRef ref;
        int r;

        r = store_ref_read(store, STORE_REF_BOOTED, &ref);
        if (r < 0)
                return r == -EBADMSG ? -ENOENT : r;
        return boot_verify_named(store, trust, ref.generation, &ref.manifest, "refs/" STORE_REF_BOOTED, genp, c,
                                 manifestp, dtbp, sizep);
}
