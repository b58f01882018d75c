/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The version floor: a device never accepts a manifest whose version is below it.
 * Kept in <store>/floor as "<u32>\n"; absent means 0 until a boot is first confirmed
 * (refs/current exists). Invariant: it only rises, and only when a generation of that
 * version was confirmed good (src/boot).
 */
#pragma once

#include <stdint.h>

typedef struct Store Store;

/*
 * Reads the floor (0 if none was ever set). -EBADMSG if the file is malformed, or missing
 * although refs/current exists (boot_floor_get() in src/boot says what stands in for it).
 */
int store_floor_get(const Store *store, uint32_t *floorp);

/*
 * Raises the floor to version, durably; a lower or equal version changes nothing. A
 * malformed floor file is replaced (the boot decision read it as the current generation's
 * version, which the version being confirmed has passed).
 */
int store_floor_raise(Store *store, uint32_t version);
