/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The boot decision in words: what `kos boot select` and kos-boot both say about a
 * BootDecision, so the wording is written once.
 */
#pragma once

#include "boot/boot.h"

/* Logs "generation N rejected: <reason>[: <detail>]" at notice level. */
void boot_report_rejection(const BootCandidate *c);

/*
 * "generation 2: no tries left; generation 1: ...", for a decision that found nothing.
 * NULL if there is no rejection or no memory; the caller frees it.
 */
char *boot_report_rejections_text(const BootDecision *d);

/*
 * What the decision could not record, after the error: "; generation 2 not tried;
 * refs/booted removed"; "" if that is all; NULL if there is no memory. The caller frees it.
 */
char *boot_report_unrecorded_text(const BootDecision *d);

/*
 * If d could not record everything, logs at warning level "warning: <where>: cannot
 * record the boot decision: <error>; <what>" (where names the store).
 */
void boot_report_unrecorded(const BootDecision *d, const char *where);
