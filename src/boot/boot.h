/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot decision: which generation boots, boot counting, confirmation.
 *
 * A generation's life, as the boot decision drives it (store/generation.h holds the
 * state; state.c holds this table, and nothing else changes a generation's state):
 *
 *               commit
 *                 │
 *                 ▼        SELECT (tries > 0): tries - 1, refs/booted = it
 *          ┌─► PENDING ──────────────────────────────┐
 *          └─────┘ │  │                              │
 *                  │  │ SELECT (tries == 0)          │
 *          CONFIRM │  ▼                              │
 *                  │ BAD  (never boots again)        │
 *                  ▼                                 │
 *                GOOD ◄───────── CONFIRM ────────────┘
 *                  │   refs/current = it, floor = max(floor, version)
 *                  └─► SELECT: boots as is (no tries counted); CONFIRM: idempotent
 *
 * Candidates, in order: pending generations newer than current with tries left, newest
 * first; then the current one; then the other good ones, newest first. The first that is
 * signed by a trusted key, not below the floor, and whose every object is present and
 * hashes to its name boots. Pending generations older than current are "superseded" and
 * never boot. A rejected candidate's state does not change, except PENDING with no tries
 * left, which becomes BAD.
 *
 * Invariants: every state change is one store_replace_file(); the order of changes in
 * select is (mark bad)* → take a try → refs/booted, and in confirm good → refs/current →
 * floor, so a crash between any two leaves a state from which select still finds the old
 * or the new generation, and the command can simply be run again. Damage is confined
 * to the generation it touches: an object that cannot be read rejects that candidate
 * only, a malformed generation file is skipped, a malformed refs/current counts as none,
 * and a malformed floor is read as the current generation's version.
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
        _BOOT_REJECT_MAX,
} BootRejection;

typedef struct BootCandidate {
        unsigned generation;
        BootRejection reason;
        char detail[160]; /* e.g. the missing digest, "no signature by a trusted key" */
} BootCandidate;

typedef struct BootDecision {
        bool found;
        StoreGeneration chosen; /* as it is after the decision (tries already taken) */
        BootCandidate *rejected; /* owned array, in candidate order */
        size_t n_rejected;
} BootDecision;

/*
 * The transition table: the state gen moves to on event. Returns the new state, or -EPERM
 * if event is not allowed in gen's state (CONFIRM of a bad generation). SELECT of a
 * pending generation with no tries left returns STORE_GENERATION_BAD.
 */
int boot_transition(const StoreGeneration *gen, BootEvent event, StoreGenerationState *statep);

/* The reason as `kos boot` prints it (a static string). */
const char *boot_rejection_to_string(BootRejection reason);

/*
 * Decides what boots. Returns 0 with *decisionp filled in (found or not: the caller checks
 * found and frees with boot_decision_done()), or a negative errno if the store could not
 * be read or written. store must be open for writing.
 */
int boot_select(Store *store, const TrustStore *trust, BootDecision *decisionp);
void boot_decision_done(BootDecision *decision);

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
