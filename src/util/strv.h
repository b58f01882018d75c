/* SPDX-License-Identifier: Apache-2.0 */
/* NULL-terminated arrays of owned strings ("string vectors"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Frees every string and the array. Accepts NULL; returns NULL. */
char **strv_free(char **l);
/* Appends s to *l, taking ownership of s (freed on failure). */
int strv_push(char ***l, char *s);
/* Appends a copy of s to *l. */
int strv_extend(char ***l, const char *s);

DEFINE_CLEANUP_FUNC(char *, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)
