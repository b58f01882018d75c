/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed memory files: bytes that nobody, their maker included, can change once sealed.
 * kosd hands core services the manifest it validated this way, and runs store images from
 * such copies.
 *
 * Invariant: a sealed file carries F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_SEAL;
 * memfd_is_sealed() accepts exactly the first three (the fourth only stops more seals).
 */
#pragma once

#include <stdbool.h>

/* A new, empty, sealable memory file (close-on-exec), executable if exec. Returns 0 and
 * *fdp, or a negative errno. */
int memfd_new_sealable(const char *name, bool exec, int *fdp);

/* Seals fd against writing, growing, shrinking and further seals. Returns 0 or -errno. */
int memfd_seal(int fd);

/* True if fd's bytes cannot change: sealed against writing, growing and shrinking. */
bool memfd_is_sealed(int fd);
