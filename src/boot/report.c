// SPDX-License-Identifier: Apache-2.0
/*
 * The boot decision in words (see report.h).
 *
 * Invariant: each text is one line: the reasons and details are the boot module's own
 * strings and the log escapes what a detail may carry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/report.h"
#include "util/cleanup.h"
#include "util/log.h"

void boot_report_rejection(const BootCandidate *c) {
        log_notice("generation %u rejected: %s%s%s", c->generation, boot_rejection_to_string(c->reason),
                   c->detail[0] ? ": " : "", c->detail);
}

char *boot_report_rejections_text(const BootDecision *d) {
        char *text = NULL;
        size_t size = 0;
        FILE *f;

        if (d->n_rejected == 0)
                return NULL;
        f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < d->n_rejected; i++) {
                const BootCandidate *c = &d->rejected[i];
                fprintf(f, "%sgeneration %u: %s%s%s", i ? "; " : "", c->generation,
                        boot_rejection_to_string(c->reason), c->detail[0] ? ": " : "", c->detail);
        }
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

char *boot_report_unrecorded_text(const BootDecision *d) {
        char *text = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < d->n_rejected; i++) {
                const BootCandidate *c = &d->rejected[i];
                if (c->unrecorded)
                        fprintf(f, "; generation %u %s", c->generation,
                                c->reason == BOOT_REJECT_NO_TRIES ? "not marked bad" : "not tried");
        }
        if (d->boot_not_counted)
                fprintf(f, "; generation %u boots uncounted", d->chosen.number);
        if (d->booted_removed)
                fputs("; refs/booted removed", f);
        if (d->booted_stale && d->stale_generation > 0)
                fprintf(f, "; refs/booted still names generation %u", d->stale_generation);
        else if (d->booted_stale)
                fputs("; refs/booted not updated", f);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

void boot_report_unrecorded(const BootDecision *d, const char *where) {
        _cleanup_free_ char *what = NULL;

        if (d->unrecorded >= 0)
                return;
        what = boot_report_unrecorded_text(d);
        log_warning("warning: %s: cannot record the boot decision: %s%s", where, strerror(-d->unrecorded),
                    what ? what : "");
}
