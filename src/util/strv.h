/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NULL-terminated arrays of owned strings ("string vectors").
 *
 * Invariants: a NULL vector is the empty vector, accepted everywhere; a vector owns its
 * array and every string in it; after a failed push the vector is unchanged.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

/* The number of strings in l (0 for NULL). */
size_t strv_length(char *const *l);
/* True if l holds a string equal to s. */
bool strv_contains(char *const *l, const char *s);
/* Frees every string and the array. Accepts NULL; returns NULL. */
char **strv_free(char **l);
/* Appends s to *l, taking ownership of s (freed on failure). Returns 0 or -ENOMEM. */
int strv_push(char ***l, char *s);
/* Appends a copy of s to *l (s stays the caller's). Returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);

DEFINE_CLEANUP_FUNC(char *, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)
