// SPDX-License-Identifier: Apache-2.0
/*
 * boot confirm: the booted generation becomes good and current, its version the floor.
 *
 * Invariant: the three writes happen in the order good (and no unconfirmed boots) →
 * refs/current → floor. The floor
 * rises last so that it never excludes the generation refs/current still names; a crash
 * before refs/current moves leaves the old current bootable; running confirm again
 * finishes the job (each step is idempotent).
 */
#include <errno.h>

#include "boot/boot.h"

int boot_confirm(Store *store, unsigned *numberp) {
        StoreGeneration gen;
        StoreGenerationState next;
        StoreRef booted, current;
        int r;

        r = store_ref_read(store, STORE_REF_BOOTED, &booted);
        if (r < 0)
                return r;
        if (booted.generation == 0)
                return -EBADMSG;
        r = store_generation_load(store, booted.generation, &gen);
        if (r < 0)
                return r;
        if (!sha256_equal(&gen.manifest, &booted.manifest))
                return -ESTALE;
        r = boot_transition(&gen, BOOT_EVENT_CONFIRM, &next);
        if (r < 0)
                return r;
        /* One write makes it good and sets its unconfirmed boots back to 0. */
        if (gen.state != next || gen.boots != 0) {
                gen.state = next;
                gen.boots = 0;
                r = store_generation_save(store, &gen);
                if (r < 0)
                        return r;
        }

        r = store_ref_read(store, STORE_REF_CURRENT, &current);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == -ENOENT || current.generation != gen.number ||
            !sha256_equal(&current.manifest, &gen.manifest)) {
                r = store_ref_write(store, STORE_REF_CURRENT, &booted);
                if (r < 0)
                        return r;
        }

        r = store_floor_raise(store, gen.version);
        if (r < 0)
                return r;
        *numberp = gen.number;
        return 0;
}
