/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot decision: which generation boots, boot counting, confirmation.
 *
 * A generation's life, as the boot decision drives it (store/generation.h holds the
 * state; state.c holds this table, and nothing else changes a generation's state):
 *
 *               commit
 *                 │
 *                 ▼        SELECT (tries > 0): tries - 1, boots + 1, refs/booted = it
 *          ┌─► PENDING ──────────────────────────────┐
 *          └─────┘ │  │                              │
 *                  │  │ SELECT (tries == 0)          │
 *          CONFIRM │  ▼                              │
 *                  │ BAD  (never boots again)        │
 *                  ▼                                 │
 *                GOOD ◄───────── CONFIRM ────────────┘
 *                  │   boots = 0, refs/current = it, floor = max(floor, version)
 *                  └─► SELECT: boots + 1 (no tries); CONFIRM: boots = 0
 *
 * Unconfirmed boots. Every choice counts one boot of the generation (in the same write as
 * its try), and only a confirmation sets the count back to 0; so the count is the number
 * of boots in a row that never reached a confirmation: kos-init failed, the kernel
 * panicked, hung (the watchdog reset it) or kosd never confirmed. A good generation whose
 * count reached its manifest's node-manager unconfirmed-boots (default 3) is passed over
 * (rejected "unconfirmed boots") for the next candidate, the next older good one; if no
 * other candidate boots, the first one passed over boots all the same (last_resort): a
 * device that powers off never recovers, one that boots again may. A pending generation
 * has its tries instead.
 *
 * Candidates, in order: pending generations newer than current with tries left, newest
 * first; then the current one; then the other good ones, newest first. The first that is
 * signed by a trusted key, not below the floor, not passed over for its unconfirmed boots,
 * and whose every object is present and hashes to its name boots. Pending generations older than current are "superseded" and
 * never boot. A rejected candidate's state does not change, except PENDING with no tries
 * left, which becomes BAD.
 *
 * Boot on a full store. A full, read-only or failing store (ENOSPC, EDQUOT, EROFS, EIO on
 * a write) never stops a boot; the decision still picks a generation, and the caller says
 * in one line what could not be recorded:
 *   - a generation out of tries that cannot be marked bad is rejected all the same (and
 *     again at every boot until it can be);
 *   - a PENDING generation boots only if its try and refs/booted are both recorded: one
 *     booted without a recorded try would have unlimited tries and a boot loop would never
 *     fall back, and one booted without refs/booted could never be confirmed. Otherwise it
 *     is rejected (try not recorded) and the next candidate boots, the current one;
 *   - a GOOD generation boots whether or not its boot could be counted (boot_not_counted)
 *     and refs/booted written (only if it names another generation); if that fails the
 *     generation boots anyway. refs/booted is then removed (which on a full file system frees the
 *     block the new one needs, so it is written again) and never left naming another
 *     generation than the chosen one, so confirm cannot confirm a generation that did not
 *     boot: with refs/booted absent it confirms nothing. Only a store that cannot even
 *     remove it (read-only, failing) keeps the earlier choice, which the warning names;
 *     confirm, which must write to confirm a generation not yet good, fails there too.
 *
 * Invariants: every state change is one store_replace_file(); the order of changes in
 * select is (mark bad)* → take a try and count the boot → refs/booted (if it names another
 * generation; on a failure to write it: remove refs/booted → refs/booted), and in confirm
 * good → refs/current → floor (the first also sets the count back to 0), so a crash between
 * any two leaves a state from which select still finds the old or the new generation, and
 * the command can simply be run again. Damage is confined to the generation it touches: an
 * object that cannot be read rejects that candidate only, a malformed generation file is
 * skipped, a malformed refs/current counts as none, and a malformed floor is read as the
 * current generation's version.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/signature.h"
#include "store/store.h"

typedef enum BootEvent {
        BOOT_EVENT_SELECT,  /* the boot decision picked the generation */
        BOOT_EVENT_CONFIRM, /* the system it booted reported a good boot */
        _BOOT_EVENT_MAX,
} BootEvent;

typedef enum BootRejection {
        BOOT_REJECT_NO_TRIES,       /* pending, never confirmed, out of tries (now bad) */
        BOOT_REJECT_SUPERSEDED,     /* pending, but older than the current generation */
        BOOT_REJECT_BAD_SIGNATURE,  /* no valid signature by a trusted key */
        BOOT_REJECT_BELOW_FLOOR,    /* version below the floor */
        BOOT_REJECT_OBJECT_MISSING, /* the manifest, its signatures or an object is absent */
        BOOT_REJECT_OBJECT_CORRUPT, /* ... or does not hash to its name */
        BOOT_REJECT_BAD_MANIFEST,   /* the manifest does not parse */
        BOOT_REJECT_NOT_RECORDED,   /* pending, but its try or refs/booted cannot be written */
        BOOT_REJECT_UNCONFIRMED,    /* good, but its last boots in a row were never confirmed */
        _BOOT_REJECT_MAX,
} BootRejection;

typedef struct BootCandidate {
        unsigned generation;
        BootRejection reason;
        char detail[160]; /* e.g. the missing digest, "no signature by a trusted key" */
        bool unrecorded;  /* the store could not record it: not marked bad, or not tried */
} BootCandidate;

typedef struct BootDecision {
        bool found;
        StoreGeneration chosen; /* as it is after the decision (tries already taken) */
        BootCandidate *rejected; /* owned array, in candidate order */
        size_t n_rejected;
        /* What the store could not record (boot.h, "Boot on a full store"): */
        int unrecorded;           /* 0, or the first write error: -ENOSPC, -EDQUOT, -EROFS, -EIO */
        bool boot_not_counted;    /* chosen (good) boots without its boot counted */
        bool booted_removed;      /* refs/booted does not name chosen and was removed */
        bool booted_stale;        /* ... and could not even be removed: it still names */
        unsigned stale_generation; /* this generation (0: unreadable) */
        uint64_t hash_ns;          /* time spent hashing the candidates' objects */
        bool last_resort;          /* chosen was passed over for its unconfirmed boots, and
                                    * then chosen all the same: nothing else could boot */
} BootDecision;

/*
 * The transition table: the state gen moves to on event. Returns the new state, or -EPERM
 * if event is not allowed in gen's state (CONFIRM of a bad generation). SELECT of a
 * pending generation with no tries left returns STORE_GENERATION_BAD.
 */
int boot_transition(const StoreGeneration *gen, BootEvent event, StoreGenerationState *statep);

/*
 * True if the boot decision passes gen over for its unconfirmed boots: it is good and has
 * been chosen limit times (its manifest's node-manager unconfirmed-boots) since its last
 * confirmation. limit 0 never passes over.
 */
bool boot_unconfirmed_passes_over(const StoreGeneration *gen, unsigned limit);

/* The reason as `kos boot` prints it (a static string). */
const char *boot_rejection_to_string(BootRejection reason);

/*
 * Decides what boots. Returns 0 with *decisionp filled in (found or not: the caller checks
 * found, says what unrecorded and the booted_* fields report, and frees with
 * boot_decision_done()), or a negative errno if the store could not be read, or written
 * with another error than those boot_error_is_unrecordable() accepts. store must be open
 * for writing.
 */
int boot_select(Store *store, const TrustStore *trust, BootDecision *decisionp);

/* The chosen generation's kernel and initrd as boot_select_kexec() read them: sealed
 * memory copies whose bytes were hashed on the way in (kexec.h); -1 if none. */
typedef struct BootKexecFiles {
        int kernel_fd;
        int initrd_fd;
} BootKexecFiles;

/*
 * boot_select() for kos-boot, which kexecs the chosen manifest's kernel: a manifest with
 * no boot node is rejected too (bad manifest), so a generation that cannot be kexec'd
 * never boots, not even a good one; and each candidate's kernel and initrd are checked by
 * reading them into sealed copies (kexec.h), so the chosen one's are in *files when it
 * returns with a choice: hashed once, and the bytes kexec loads are the bytes checked.
 * The caller closes them with boot_kexec_files_done().
 */
int boot_select_kexec(Store *store, const TrustStore *trust, BootKexecFiles *files, BootDecision *decisionp);
void boot_kexec_files_done(BootKexecFiles *files);
void boot_decision_done(BootDecision *decision);

/*
 * True for the write errors of a full, read-only or failing store (-ENOSPC, -EDQUOT,
 * -EROFS, -EIO), which cost the boot decision what it cannot record, never the boot.
 */
bool boot_error_is_unrecordable(int r);

/*
 * Confirms the generation the last boot_select() chose (refs/booted). -ENOENT if none was
 * chosen, -EPERM if it has been marked bad since. *numberp gets its number.
 */
int boot_confirm(Store *store, unsigned *numberp);

/*
 * The generation a reserved ref names: 0 (and success) if the ref does not exist or is
 * malformed (with a warning), so damage there cannot stop a boot.
 */
int boot_ref_generation(const Store *store, const char *name, unsigned *numberp);

/*
 * The version floor that decides, for the boot decision and for what status shows. A
 * damaged floor file (malformed, or missing after a confirmed boot) neither stops every boot
 * nor opens a rollback: the version of current, the generation refs/current names, stands
 * in for it (with a warning), as boot confirm set the floor to it; 0 if there is none.
 */
int boot_floor_get(const Store *store, unsigned current, uint32_t *floorp);
