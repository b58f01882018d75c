// SPDX-License-Identifier: Apache-2.0
/*
 * The generation state machine of boot.h, as a table.
 *
 * Invariant: this table is the only place that decides a state change; select.c and
 * confirm.c ask it and persist the answer.
 */
#include <errno.h>

#include "boot/boot.h"

#define BOOT_DENY (-1)

/* [state][event] = next state, BOOT_DENY if not allowed. PENDING+SELECT depends on tries. */
static const int boot_table[_STORE_GENERATION_STATE_MAX][_BOOT_EVENT_MAX] = {
        [STORE_GENERATION_PENDING] = {
                [BOOT_EVENT_SELECT] = STORE_GENERATION_PENDING, /* BAD when out of tries */
                [BOOT_EVENT_CONFIRM] = STORE_GENERATION_GOOD,
        },
        [STORE_GENERATION_GOOD] = {
                [BOOT_EVENT_SELECT] = STORE_GENERATION_GOOD,
                [BOOT_EVENT_CONFIRM] = STORE_GENERATION_GOOD,
        },
        [STORE_GENERATION_BAD] = {
                [BOOT_EVENT_SELECT] = BOOT_DENY,
                [BOOT_EVENT_CONFIRM] = BOOT_DENY,
        },
};

int boot_transition(const StoreGeneration *gen, BootEvent event, StoreGenerationState *statep) {
        int next;

        if ((unsigned)gen->state >= _STORE_GENERATION_STATE_MAX || (unsigned)event >= _BOOT_EVENT_MAX)
                return -EINVAL;
        next = boot_table[gen->state][event];
        if (next == BOOT_DENY)
                return -EPERM;
        if (gen->state == STORE_GENERATION_PENDING && event == BOOT_EVENT_SELECT && gen->tries == 0)
                next = STORE_GENERATION_BAD;
        *statep = (StoreGenerationState)next;
        return 0;
}

static const char *const boot_rejection_names[_BOOT_REJECT_MAX] = {
        [BOOT_REJECT_NO_TRIES] = "no tries left",
        [BOOT_REJECT_SUPERSEDED] = "superseded by the current generation",
        [BOOT_REJECT_BAD_SIGNATURE] = "bad signature",
        [BOOT_REJECT_BELOW_FLOOR] = "below floor",
        [BOOT_REJECT_OBJECT_MISSING] = "object missing",
        [BOOT_REJECT_OBJECT_CORRUPT] = "object corrupt",
        [BOOT_REJECT_BAD_MANIFEST] = "bad manifest",
        [BOOT_REJECT_NOT_RECORDED] = "try not recorded",
        [BOOT_REJECT_UNCONFIRMED] = "unconfirmed boots",
};

const char *boot_rejection_to_string(BootRejection reason) {
        if ((unsigned)reason >= _BOOT_REJECT_MAX)
                return "unknown";
        return boot_rejection_names[reason];
}
