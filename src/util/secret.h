/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret memory: for private key bytes and anything else that must not outlive its use.
 *
 * Invariants:
 *  1. Each allocation is its own anonymous mapping, so its pages hold nothing else.
 *  2. Its pages are excluded from core dumps (MADV_DONTDUMP), read as zeros in a forked
 *     child (MADV_WIPEONFORK, where the kernel has it), and locked in memory (mlock),
 *     so they are not written to swap. mlock may be refused by RLIMIT_MEMLOCK (EPERM,
 *     ENOMEM, EAGAIN): the allocation then still succeeds, unlocked, and is wiped all the
 *     same; a failing madvise() fails the allocation.
 *  3. secret_free() wipes every byte of the mapping (explicit_bzero(), which the compiler
 *     may not drop) before it unlocks and unmaps it.
 *  4. secret_read_fd() and secret_read_file() never hold file bytes in any memory but
 *     secret memory: when a file turns out larger than its size said, the bytes move to a
 *     larger allocation and the smaller one is wiped and freed.
 */
#pragma once

#include <stddef.h>

/*
 * Allocates size bytes (at least 1) of zeroed secret memory. Returns 0 and *memp, which
 * the caller frees with secret_free(), or a negative errno.
 */
int secret_alloc(void **memp, size_t size);

/* Wipes, unlocks and unmaps memory from secret_alloc(). Accepts NULL; returns NULL. */
void *secret_free(void *mem);

static inline void secret_freep(void *memp) {
        secret_free(*(void **)memp);
}
#define _cleanup_secret_ __attribute__((cleanup(secret_freep)))

/*
 * Reads fd from its current offset to its end into new secret memory, NUL-terminated
 * (the NUL is not counted in *sizep). The size fstat() reports is read in one allocation;
 * a file that shrinks while it is read yields the bytes that were there, one that grows
 * is read on up to max_size. Returns 0 with *datap (free with secret_free()) and *sizep;
 * -EFBIG if there are more than max_size bytes; or another negative errno.
 */
int secret_read_fd(int fd, size_t max_size, char **datap, size_t *sizep);

/* Like secret_read_fd() on path, opened read-only. */
int secret_read_file(const char *path, size_t max_size, char **datap, size_t *sizep);

/*
 * For tests: hook is called with each mapping just before it is unmapped, after the wipe,
 * so a test can see what is left in it. NULL removes the hook.
 */
typedef void (*SecretUnmapHook)(const void *map, size_t size);
void secret_set_unmap_hook(SecretUnmapHook hook);
