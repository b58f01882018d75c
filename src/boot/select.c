// SPDX-License-Identifier: Apache-2.0
/*
 * boot select: the boot decision of boot.h.
 *
 * Invariants: trust comes only from the TrustStore passed in; the signature is checked
 * over the exact manifest bytes read from the store, whose digest was checked on the way;
 * the version compared with the floor is the signed manifest's, not the generation
 * file's; state is written only after the decision, in the order boot.h gives.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/kexec.h"
#include "boot/verify.h"
#include "manifest/manifest.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strv.h"

int boot_ref_generation(const Store *store, const char *name, unsigned *numberp) {
        StoreRef ref;
        int r;

        r = store_ref_read(store, name, &ref);
        if (r == -EBADMSG)
                log_warning("refs/%s is malformed; ignoring it", name);
        if (r == -ENOENT || r == -EBADMSG) {
                *numberp = 0;
                return 0;
        }
        if (r < 0)
                return r;
        *numberp = ref.generation;
        return 0;
}

/* For kos-boot: the candidate's kernel (or initrd) read into a sealed copy while it is
 * hashed (kexec.h), the copy kept in *fdp for the kexec, so it is hashed once, not twice. */
static int boot_check_kexec_object(const Store *store, const char *hex, int *fdp) {
        int fd = -1, r = boot_kexec_object_open(store, hex, &fd);

        if (r == 0) {
                closep(fdp);
                *fdp = fd;
        }
        return r;
}

bool boot_unconfirmed_passes_over(const StoreGeneration *gen, unsigned limit) {
        return gen->state == STORE_GENERATION_GOOD && limit > 0 && gen->boots >= limit;
}

/*
 * 0 if gen may boot, 1 if not (with *c filled in), negative errno if the check failed.
 * A good generation too many boots unconfirmed is passed over if pass_over_unconfirmed.
 * The time spent hashing objects adds to *hash_ns.
 */
static int boot_check(const Store *store, const TrustStore *trust, uint32_t floor_version, BootKexecFiles *kexec,
                      const StoreGeneration *gen, bool pass_over_unconfirmed, BootCandidate *c, uint64_t *hash_ns) {
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_strv_free_ char **objects = NULL;
        int r;

        r = boot_verify_manifest(store, trust, floor_version, gen, c, &m, NULL, NULL);
        if (r != 0)
                return r;
        /* Its own manifest says how many failed boots in a row make it give way (signed, so
         * checked first); before any object is hashed, as it would not boot anyway. */
        if (pass_over_unconfirmed && boot_unconfirmed_passes_over(gen, m->node_manager.unconfirmed_boots)) {
                boot_reject(c, gen->number, BOOT_REJECT_UNCONFIRMED, "%u boot%s in a row not confirmed", gen->boots,
                            gen->boots == 1 ? "" : "s");
                return 1;
        }
        /* kos-boot would have nothing to kexec: rebooting into it again and again would
         * never let a good generation's turn pass. */
        if (kexec && !m->boot) {
                boot_reject(c, gen->number, BOOT_REJECT_BAD_MANIFEST, "no boot node: no kernel to boot");
                return 1;
        }
        r = manifest_objects(m, &objects);
        if (r < 0)
                return r;
        if (kexec) {
                closep(&kexec->kernel_fd);
                closep(&kexec->initrd_fd);
                kexec->kernel_fd = kexec->initrd_fd = -1;
        }
        for (char **o = objects; *o; o++) {
                uint64_t start = now_ns();

                /* A dm-verity image is checked as it is read; its hash tree is hashed here. */
                if (kexec && strcmp(*o, m->boot->kernel) == 0)
                        r = boot_check_kexec_object(store, *o, &kexec->kernel_fd);
                else if (kexec && strcmp(*o, m->boot->initrd) == 0)
                        r = boot_check_kexec_object(store, *o, &kexec->initrd_fd);
                else if (manifest_object_is_verity_image(m, *o))
                        r = store_object_exists(store, *o) ? STORE_OK : STORE_E_MISSING;
                else
                        r = store_object_verify(store, *o, NULL);
                *hash_ns += now_ns() - start;
                r = boot_judge_object(r, gen, *o, c);
                if (r != 0)
                        return r;
        }
        return 0;
}

int boot_floor_get(const Store *store, unsigned current, uint32_t *floorp) {
        StoreGeneration gen;
        int r;

        r = store_floor_get(store, floorp);
        if (r != -EBADMSG)
                return r;
        if (current > 0 && store_generation_load(store, current, &gen) >= 0) {
                log_warning("floor is missing or malformed; using the current generation's version %u",
                            (unsigned)gen.version);
                *floorp = gen.version;
                return 0;
        }
        log_warning("floor is missing or malformed and there is no current generation; using 0");
        *floorp = 0;
        return 0;
}

static int boot_decision_add(BootDecision *d, const BootCandidate *c) {
        BootCandidate *p = reallocarray(d->rejected, d->n_rejected + 1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        d->rejected = p;
        d->rejected[d->n_rejected++] = *c;
        log_notice("generation %u rejected: %s%s%s", c->generation,
                   boot_rejection_to_string(c->reason), c->detail[0] ? ": " : "", c->detail);
        return 0;
}

bool boot_error_is_unrecordable(int r) {
        return r == -ENOSPC || r == -EDQUOT || r == -EROFS || r == -EIO;
}

/* c's state change could not be recorded, for the reason r (an unrecordable error). */
static void boot_decision_note_unrecorded(BootDecision *d, BootCandidate *c, int r) {
        c->unrecorded = true;
        if (d->unrecorded == 0)
                d->unrecorded = r;
}

static bool boot_ref_names(const StoreRef *ref, const StoreGeneration *g) {
        return ref->generation == g->number && sha256_equal(&ref->manifest, &g->manifest) &&
               ref->has_signatures == g->has_signatures &&
               (!g->has_signatures || sha256_equal(&ref->signatures, &g->signatures));
}

/*
 * Makes refs/booted name g. Returns 0 if it does (it already did, or now does); 1 if the
 * store cannot record it, with d->unrecorded set and refs/booted removed, or if even that
 * failed, d->booted_stale set; a negative errno on any other failure. Removing refs/booted
 * frees the block a full file system needs for the new one, so it is written once more; and
 * a refs/booted that cannot name g must not name another generation, which confirm would
 * otherwise confirm.
 */
static int boot_record_booted(Store *store, const StoreGeneration *g, BootDecision *d) {
        StoreRef ref = {
                .manifest = g->manifest,
                .has_signatures = g->has_signatures,
                .signatures = g->signatures,
                .generation = g->number,
        }, old;
        bool have_old;
        int r;

        d->booted_removed = d->booted_stale = false;
        d->stale_generation = 0;
        r = store_ref_read(store, STORE_REF_BOOTED, &old);
        if (r == -ENOMEM)
                return r;
        have_old = r >= 0;
        if (have_old && boot_ref_names(&old, g))
                return 0;

        r = store_ref_write(store, STORE_REF_BOOTED, &ref);
        if (r >= 0 || !boot_error_is_unrecordable(r))
                return r;
        r = store_ref_remove(store, STORE_REF_BOOTED);
        if (r < 0) {
                if (!boot_error_is_unrecordable(r))
                        return r;
                if (d->unrecorded == 0)
                        d->unrecorded = r;
                d->booted_stale = true;
                d->stale_generation = have_old ? old.generation : 0;
                return 1;
        }
        r = store_ref_write(store, STORE_REF_BOOTED, &ref);
        if (r >= 0 || !boot_error_is_unrecordable(r))
                return r;
        if (d->unrecorded == 0)
                d->unrecorded = r;
        d->booted_removed = true;
        return 1;
}

/*
 * g passed every check and boots, if its choice can be recorded: it takes a try (pending)
 * and counts one more unconfirmed boot, in one write, then refs/booted names it. A pending
 * generation boots only if both are recorded; a good one boots whatever happens. Sets
 * d->found and d->chosen if g boots; a candidate rejected here is added to d. Returns 0
 * or a negative errno.
 */
static int boot_choose(Store *store, StoreGeneration *g, BootDecision *d) {
        bool pending = g->state == STORE_GENERATION_PENDING;
        unsigned boots = g->boots;
        BootCandidate c;
        int r;

        if (pending)
                g->tries--;
        if (g->boots < STORE_BOOTS_MAX)
                g->boots++;
        r = store_generation_save(store, g);
        if (r < 0 && !boot_error_is_unrecordable(r))
                return r;
        if (r < 0) {
                g->boots = boots;
                if (pending) {
                        g->tries++;
                        boot_reject(&c, g->number, BOOT_REJECT_NOT_RECORDED, "%s", strerror(-r));
                        boot_decision_note_unrecorded(d, &c, r);
                        return boot_decision_add(d, &c);
                }
                /* A good generation boots uncounted: a full store must not cost the boot. */
                if (d->unrecorded == 0)
                        d->unrecorded = r;
                d->boot_not_counted = true;
        }
        r = boot_record_booted(store, g, d);
        if (r < 0)
                return r;
        if (r > 0 && pending) {
                /* Its try is taken, but with no refs/booted naming it no boot of it
                 * could be confirmed: the next candidate boots. */
                boot_reject(&c, g->number, BOOT_REJECT_NOT_RECORDED, "refs/booted: %s", strerror(-d->unrecorded));
                return boot_decision_add(d, &c);
        }
        d->found = true;
        d->chosen = *g;
        return 0;
}

/* The candidate order of boot.h, as indexes into gens (ascending by number). */
static size_t boot_candidates(const StoreGeneration *gens, size_t n, unsigned current, size_t *order) {
        size_t k = 0;

        for (size_t i = n; i-- > 0;)
                if (gens[i].state == STORE_GENERATION_PENDING)
                        order[k++] = i; /* older than current: rejected as superseded */
        for (size_t i = n; i-- > 0;)
                if (gens[i].state == STORE_GENERATION_GOOD && gens[i].number == current)
                        order[k++] = i;
        for (size_t i = n; i-- > 0;)
                if (gens[i].state == STORE_GENERATION_GOOD && gens[i].number != current)
                        order[k++] = i;
        return k;
}

static int boot_select_impl(Store *store, const TrustStore *trust, BootKexecFiles *kexec, BootDecision *decisionp) {
        _cleanup_free_ StoreGeneration *gens = NULL;
        _cleanup_free_ size_t *order = NULL;
        BootDecision d = {};
        StoreGeneration *passed_over = NULL;
        unsigned current;
        uint32_t floor_version;
        size_t n, k;
        int r;

        r = store_generation_list(store, &gens, &n);
        if (r < 0)
                return r;
        r = boot_ref_generation(store, STORE_REF_CURRENT, &current);
        if (r < 0)
                return r;
        r = boot_floor_get(store, current, &floor_version);
        if (r < 0)
                return r;
        order = calloc(n + 1, sizeof(size_t));
        if (!order)
                return -ENOMEM;
        k = boot_candidates(gens, n, current, order);

        for (size_t j = 0; j < k; j++) {
                StoreGeneration *g = &gens[order[j]];
                StoreGenerationState next;
                BootCandidate c;

                if (g->state == STORE_GENERATION_PENDING && current > 0 && g->number < current) {
                        boot_reject(&c, g->number, BOOT_REJECT_SUPERSEDED, "current is %u", current);
                        r = boot_decision_add(&d, &c);
                        if (r < 0)
                                goto fail;
                        continue;
                }

                r = boot_transition(g, BOOT_EVENT_SELECT, &next);
                if (r < 0)
                        goto fail;
                if (next == STORE_GENERATION_BAD) {
                        g->state = STORE_GENERATION_BAD;
                        r = store_generation_save(store, g);
                        if (r < 0 && !boot_error_is_unrecordable(r))
                                goto fail;
                        boot_reject(&c, g->number, BOOT_REJECT_NO_TRIES, NULL);
                        if (r < 0) {
                                /* Still pending with no tries: rejected again next time. */
                                boot_decision_note_unrecorded(&d, &c, r);
                                g->state = STORE_GENERATION_PENDING;
                        }
                        r = boot_decision_add(&d, &c);
                        if (r < 0)
                                goto fail;
                        continue;
                }

                r = boot_check(store, trust, floor_version, kexec, g, true, &c, &d.hash_ns);
                if (r < 0)
                        goto fail;
                if (r > 0) {
                        if (c.reason == BOOT_REJECT_UNCONFIRMED && passed_over == NULL)
                                passed_over = g;
                        r = boot_decision_add(&d, &c);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                r = boot_choose(store, g, &d);
                if (r < 0)
                        goto fail;
                if (d.found)
                        break;
        }

        /*
         * Nothing else can boot: the good generation passed over for its failed boots is
         * still better than powering off (it may boot well next time; a device that is
         * off never will). Checked again, as its kernel copy is gone.
         */
        if (!d.found && passed_over) {
                BootCandidate c;

                r = boot_check(store, trust, floor_version, kexec, passed_over, false, &c, &d.hash_ns);
                if (r < 0)
                        goto fail;
                if (r == 0) {
                        r = boot_choose(store, passed_over, &d);
                        if (r < 0)
                                goto fail;
                        d.last_resort = d.found;
                }
        }
        *decisionp = d;
        return 0;

fail:
        boot_decision_done(&d);
        return r;
}

void boot_decision_done(BootDecision *decision) {
        free(decision->rejected);
        *decision = (BootDecision){};
}

int boot_select(Store *store, const TrustStore *trust, BootDecision *decisionp) {
        return boot_select_impl(store, trust, NULL, decisionp);
}

int boot_select_kexec(Store *store, const TrustStore *trust, BootKexecFiles *files, BootDecision *decisionp) {
        int r;

        files->kernel_fd = files->initrd_fd = -1;
        r = boot_select_impl(store, trust, files, decisionp);
        if (r < 0 || !decisionp->found)
                boot_kexec_files_done(files);
        return r;
}

void boot_kexec_files_done(BootKexecFiles *files) {
        closep(&files->kernel_fd);
        closep(&files->initrd_fd);
        files->kernel_fd = files->initrd_fd = -1;
}
