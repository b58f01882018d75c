/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the verbs that work on a store (kos store, kos boot). */
#pragma once

#include "store/store.h"

/* store_open() that reports failures as one "kos: DIR: ..." line. */
int cli_store_open(Store **storep, const char *dir, StoreOpenFlags flags);
